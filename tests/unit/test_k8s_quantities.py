"""Compose's durations, sizes and CPU counts as Kubernetes reads them.

Expectations come from the formats themselves: Go's time.ParseDuration (what Compose's
durations are), Docker's byte sizes (units.RAMInBytes: k, m, g, t are powers of 1024, an
optional b), Docker's rule that a 0 healthcheck duration means "the default" (moby
daemon/health.go), and Kubernetes' quantity syntax (k8s.io/apimachinery resource.Quantity)."""
from __future__ import annotations

import pytest

from symphony.core.kube.quantities import cpu, duration, memory, parse_quantity, seconds, size_bytes


@pytest.mark.parametrize("text, secs", [
    ("0s", 0), ("5s", 5), ("1m30s", 90), ("2h45m", 9900), ("1.5h", 5400), ("500ms", 0.5), ("100us", 1e-4),
    ("100µs", 1e-4), ("250ns", 2.5e-7), ("+5s", 5), ("1h0m0s", 3600), (" 10s ", 10),
    (None, 0), ("", 0), (5_000_000_000, 5), (1_500_000_000.0, 1.5),   # a number is nanoseconds
])
def test_a_go_duration_in_seconds(text, secs):
    assert duration(text) == pytest.approx(secs)


@pytest.mark.parametrize("text", ["5", "s", "5x", "1m 30s", "1d", "5s.", "m5", "1.s", "five"])
def test_what_is_not_a_duration_is_refused_naming_it(text):
    with pytest.raises(ValueError) as err:
        duration(text)
    assert str(err.value) == f"not a duration: {text!r}"


@pytest.mark.parametrize("value, expected", [
    ("0s", 30), (0, 30), (None, 30), ("", 30),                     # 0 or unset: the default, as Docker reads it
    ("500ms", 1), ("1.2s", 2), ("90s", 90), ("1m", 60), ("1ns", 1),  # whole seconds, at least 1, rounded up
])
def test_probe_seconds(value, expected):
    assert seconds(value, 30) == expected


@pytest.mark.parametrize("value, count", [
    (512, 512), ("1024", 1024), ("1k", 1024), ("1kb", 1024), ("1K", 1024), ("512m", 512 * 2 ** 20),
    ("64MiB", 64 * 2 ** 20), ("1g", 2 ** 30), ("1 GB", 2 ** 30), ("1.5g", 3 * 2 ** 29), ("2t", 2 * 2 ** 40),
    ("10b", 10), (" 8m ", 8 * 2 ** 20), (1.9, 1),
])
def test_a_docker_size_in_bytes(value, count):
    assert size_bytes(value) == count


@pytest.mark.parametrize("value", ["", "m", "1p", "-1m", "1mm", "one", "1,5g"])
def test_what_is_not_a_size_is_refused_naming_it(value):
    with pytest.raises(ValueError) as err:
        size_bytes(value)
    assert str(err.value) == f"not a size: {value!r}"


@pytest.mark.parametrize("value, quantity", [
    (536870912, "512Mi"), ("1g", "1Gi"), ("512m", "512Mi"), ("1t", "1Ti"), (2048, "2Ki"), (1024 ** 2 * 3, "3Mi"),
    (1000000, "1000000"), (1536, "1536"), (0, "0"), ("1536m", "1536Mi"), (5 * 2 ** 40 + 2 ** 30, "5121Gi"),
])
def test_memory_is_the_largest_whole_binary_unit(value, quantity):
    assert memory(value) == quantity
    assert parse_quantity(quantity) == size_bytes(value)     # and Kubernetes reads back the same bytes


@pytest.mark.parametrize("value, quantity", [
    (0.5, "500m"), ("0.5", "500m"), (2, "2"), ("1.5", "1500m"), (0.001, "1m"), (0.25, "250m"), (4.0, "4"),
])
def test_cpus_in_millicores(value, quantity):
    assert cpu(value) == quantity
    assert parse_quantity(quantity) == pytest.approx(float(value))


@pytest.mark.parametrize("text, number", [
    ("500m", 0.5), ("1", 1), ("1Gi", 2 ** 30), ("123Mi", 123 * 2 ** 20), ("1Ki", 1024), ("2k", 2000), ("1M", 1e6),
    ("1G", 1e9), ("1T", 1e12), ("1P", 1e15), ("1Ti", 2 ** 40), ("1Pi", 2 ** 50),
    ("1e3", 1000), ("1E3", 1000), ("129e6", 129e6), ("5e-1", 0.5), ("+1", 1), ("-2", -2), ("0.1", 0.1),
    (" 1Ki ", 1024), (128974848, 128974848),
])
def test_a_kubernetes_quantity(text, number):
    assert parse_quantity(text) == pytest.approx(number)


@pytest.mark.parametrize("text, number", [("1E", 1e18), ("1Ei", 2 ** 60), ("1E3", 1e3), ("2e-3", 2e-3)])
def test_the_exa_suffixes(text, number):
    assert parse_quantity(text) == pytest.approx(number)


@pytest.mark.parametrize("text", ["", "Gi", "1KI", "1gi", "1.2.3", "1 Gi", "one", "1Kb", "1e", "."])
def test_what_is_not_a_quantity_is_none(text):
    assert parse_quantity(text) is None
