"""YAML parsing through libyaml when PyYAML has it (ten times faster than the pure-Python loader
on a platform compose file, and `status` parses one on every call); the same safe semantics."""
from __future__ import annotations


def load_yaml(text: str):
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506  (a safe loader)
