"""Kubernetes naming rules as the API server applies them (k8s.io/apimachinery/pkg/util/validation:
IsDNS1123Label, IsDNS1035Label, IsDNS1123Subdomain, IsValidPortName, IsValidLabelValue,
IsQualifiedName, IsConfigMapKey), and the converter's names made from compose names.

Expectations are the rules' own definitions and the examples in the Kubernetes documentation
("Object Names and IDs", "Labels and Selectors", Service port names)."""
from __future__ import annotations

import pytest

from symphony.core.kube.names import (
    config_key,
    dns1035_label,
    dns_label,
    is_config_key,
    is_dns1035_label,
    is_dns_label,
    is_dns_subdomain,
    is_label_value,
    is_port_name,
    is_qualified_name,
    port_name,
)

L63 = "a" * 63


@pytest.mark.parametrize("name, ok", [
    ("a", True), ("my-name", True), ("123-abc", True), ("0", True), (L63, True),
    ("", False), (L63 + "a", False), ("-a", False), ("a-", False), ("My-Name", False), ("a_b", False),
    ("a.b", False), ("a b", False), (None, False), (5, False),
])
def test_dns1123_label(name, ok):
    assert is_dns_label(name) is ok


@pytest.mark.parametrize("name, ok", [
    ("a", True), ("my-name", True), ("a1", True), (L63, True),
    ("1a", False), ("123-abc", False), ("", False), (L63 + "a", False), ("a-", False), ("Ab", False), (None, False),
])
def test_dns1035_label(name, ok):
    assert is_dns1035_label(name) is ok


@pytest.mark.parametrize("name, ok", [
    ("example.com", True), ("a", True), ("a-b.c-d.e", True), ("0.1", True), ("a" * 253, True),
    (".".join(["a" * 63] * 4)[:253], True),
    ("a" * 254, False), ("", False), ("a..b", False), (".a", False), ("a.", False), ("A.b", False), ("a_b.c", False),
    ("a.-b", False), (None, False),
])
def test_dns1123_subdomain(name, ok):
    assert is_dns_subdomain(name) is ok


@pytest.mark.parametrize("name, ok", [
    ("http", True), ("grpc-api", True), ("udp-10000", True), ("a1", True), ("a", True), ("x" * 15, True),
    ("x" * 16, False), ("", False), ("80", False), ("1-2", False), ("a--b", False), ("-a", False), ("a-", False),
    ("Http", False), ("a_b", False), (None, False),
])
def test_port_name_is_an_iana_service_name(name, ok):
    assert is_port_name(name) is ok


def test_generated_port_names_are_valid_port_names():
    for protocol in ("TCP", "udp", "SCTP"):
        for port in (1, 80, 10000, 65535):
            name = port_name(protocol, port)
            assert is_port_name(name), name
            assert name == f"{protocol.lower()}-{port}"


@pytest.mark.parametrize("value, ok", [
    ("", True), ("a", True), ("MyValue", True), ("my_value-1.0", True), ("0", True), ("A" * 63, True),
    ("A" * 64, False), ("-a", False), ("a-", False), ("_a", False), ("a.", False), ("a b", False), ("a/b", False),
    (None, False), (1, False),
])
def test_label_value(value, ok):
    assert is_label_value(value) is ok


@pytest.mark.parametrize("key, ok", [
    ("app", True), ("app.kubernetes.io/name", True), ("example.com/My_Key.1", True), ("a" * 63, True),
    ("x.io/" + "a" * 63, True), ("a" * 253 + "/b", True),
    ("", False), ("/app", False), ("a" * 64, False), ("x.io/" + "a" * 64, False), ("Example.com/a", False),
    ("x.io/", False), ("a/b/c", False), ("a" * 254 + "/b", False), ("-app", False), ("app-", False), (None, False),
])
def test_qualified_name_is_a_label_or_annotation_key(key, ok):
    assert is_qualified_name(key) is ok


@pytest.mark.parametrize("key, ok", [
    ("app.conf", True), ("conf.d_a.conf", True), ("-x", True), ("_", True), ("a" * 253, True), (".hidden", True),
    ("a" * 254, False), ("", False), (".", False), ("..", False), ("a/b", False), ("a b", False), (None, False),
])
def test_config_map_key(key, ok):
    assert is_config_key(key) is ok


@pytest.mark.parametrize("path, key", [
    ("app.conf", "app.conf"), ("App-1.CONF", "App-1.CONF"), ("conf.d/a b.conf", "conf.d_a_b.conf"), ("x/y/z", "x_y_z"),
    ("é!x", "_x"),
    ("..", "_.."), (".", "_."), ("", "_"),
])
def test_a_file_path_becomes_a_valid_config_key(path, key):
    assert config_key(path) == key and is_config_key(config_key(path))


@pytest.mark.parametrize("name, label", [
    ("web", "web"), ("My_Service", "my-service"), ("api.v2", "api-v2"), ("--x--", "x"), ("a__b", "a-b"),
    ("___", "service"), ("", "service"), ("0db", "0db"), ("x" * 70, "x" * 63), ("a" * 62 + "_b", "a" * 62),
])
def test_a_compose_name_becomes_a_dns_label(name, label):
    assert dns_label(name) == label and is_dns_label(dns_label(name))


def test_a_label_can_be_made_shorter():
    assert dns_label("statefulset-" + "x" * 60, 52) == "statefulset-" + "x" * 40
    assert dns_label("ab-" + "c" * 10, 3) == "ab"                   # never ends with "-"


@pytest.mark.parametrize("name, label", [
    ("web", "web"), ("0db", "s-0db"), ("9", "s-9"), ("_x", "x"), ("1" * 70, "s-" + "1" * 61),
])
def test_a_service_name_starts_with_a_letter(name, label):
    assert dns1035_label(name) == label and is_dns1035_label(dns1035_label(name))
