"""Compose durations, sizes and CPU counts → Kubernetes seconds and canonical quantities."""
from __future__ import annotations

import math
import re

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)$", re.I)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def seconds(duration, default: int) -> int:
    """Go duration ("1m30s", "500ms") → whole seconds, at least 1 (probes count in seconds)."""
    if duration in (None, ""):
        return default
    if isinstance(duration, (int, float)):  # nanoseconds in some Compose outputs
        return max(1, math.ceil(duration / 1e9))
    parts = _DURATION.findall(str(duration))
    if not parts:
        raise ValueError(f"not a duration: {duration!r}")
    return max(1, math.ceil(sum(float(n) * _UNITS[u] for n, u in parts)))


def memory(value) -> str:
    """Bytes (or Compose's "512m", "1g") → "512Mi", "1Gi"; never "10485760e3"."""
    if isinstance(value, (int, float)):
        count = int(value)
    else:
        m = _SIZE.match(str(value).strip())
        if not m:
            raise ValueError(f"not a memory size: {value!r}")
        count = int(float(m.group(1)) * 1024 ** _POWERS[m.group(2).lower()])
    for suffix, power in (("Ti", 4), ("Gi", 3), ("Mi", 2), ("Ki", 1)):
        if count and count % 1024 ** power == 0:
            return f"{count // 1024 ** power}{suffix}"
    return str(count)


def cpu(value) -> str:
    """Compose `cpus: 0.5` → "500m"; whole CPUs stay whole ("2")."""
    millis = round(float(value) * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"
