"""Compose durations, sizes and CPU counts → Kubernetes seconds and canonical quantities."""
from __future__ import annotations

import math
import re

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)$", re.I)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}
_FACTORS = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
            "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
QUANTITY_PATTERN = r"^([+-]?[0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$"  # also the chart's schema
_QUANTITY = re.compile(QUANTITY_PATTERN)


def duration(value) -> float:
    """A Go duration ("1m30s", "500ms", "0s") or nanoseconds → seconds (0 stays 0)."""
    if value in (None, ""):
        return 0.0
    if isinstance(value, (int, float)):  # nanoseconds in some Compose outputs
        return value / 1e9
    text = str(value).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.lstrip("+"):
        raise ValueError(f"not a duration: {value!r}")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def seconds(value, default: int) -> int:
    """Whole seconds for a probe field, at least 1. Docker reads 0 (or unset) as "use the
    default" (moby daemon/health.go, timeoutWithDefault), so 0 gives `default` here too."""
    secs = duration(value)
    if secs <= 0:
        return default
    return max(1, math.ceil(secs))


def size_bytes(value) -> int:
    """Bytes from a number or Compose's "512m", "1g", "64MiB"."""
    if isinstance(value, (int, float)):
        return int(value)
    m = _SIZE.match(str(value).strip())
    if not m:
        raise ValueError(f"not a size: {value!r}")
    return int(float(m.group(1)) * 1024 ** _POWERS[m.group(2).lower()])


def memory(value) -> str:
    """Bytes (or Compose's "512m", "1g") → "512Mi", "1Gi"; never "10485760e3"."""
    count = size_bytes(value)
    for suffix, power in (("Ti", 4), ("Gi", 3), ("Mi", 2), ("Ki", 1)):
        if count and count % 1024 ** power == 0:
            return f"{count // 1024 ** power}{suffix}"
    return str(count)


def cpu(value) -> str:
    """Compose `cpus: 0.5` → "500m"; whole CPUs stay whole ("2")."""
    millis = round(float(value) * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def parse_quantity(text) -> float | None:
    """A Kubernetes quantity as a number (None if it is not one)."""
    m = _QUANTITY.match(str(text).strip())
    if not m:
        return None
    try:
        number = float(m.group(1))
    except ValueError:
        return None
    suffix = m.group(2) or ""
    if suffix in _FACTORS:  # before the exponent: "E" and "Ei" are exa, "E3" is an exponent
        return number * _FACTORS[suffix]
    return number * 10 ** int(suffix[1:])
