"""YAML parsing (and where each key is) through libyaml when PyYAML has it (ten times faster than the pure-Python loader
on a platform compose file, and `status` parses one on every call); the same safe semantics."""
from __future__ import annotations


def load_yaml(text: str):
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506  (a safe loader)


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of every mapping key path, e.g. ('services', 'api', 'depends_on', 'db'), and
    of every scalar item of a list (its value as the last element): where a finding points."""
    import yaml

    lines: dict[tuple[str, ...], int] = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    sub = (*path, key.value)
                    lines.setdefault(sub, key.start_mark.line + 1)
                    walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                if isinstance(item, yaml.ScalarNode):
                    lines.setdefault((*path, item.value), item.start_mark.line + 1)

    walk(yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)), ())
    return lines
