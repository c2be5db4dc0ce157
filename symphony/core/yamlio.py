"""YAML parsing (and where each key is) through libyaml when PyYAML has it (ten times faster than the pure-Python loader
on a platform compose file, and `status` parses one on every call); the same safe semantics."""
from __future__ import annotations

from typing import Any, NamedTuple


def load_yaml(text: str):
    """The document as Compose reads it: go-yaml v3's scalars (YAML 1.2's booleans and numbers), not
    PyYAML's YAML 1.1 ones, under which `restart: no` is False, `ports: [22:22]` the number 1342 and a
    service called `off` False; the same safe constructors otherwise."""
    loader = _compose_loader()(text)
    try:
        return _construct(loader, loader.get_single_node())
    finally:
        loader.dispose()


def _construct(loader, root):
    """The document built from its node tree; a value its tag cannot be made of (`!!int foo`,
    `!!timestamp x`) is a YAMLError with its place, like every other reason a file is not YAML."""
    import yaml

    if root is None:
        return None
    try:
        return loader.construct_document(root)
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            problem=f"a value cannot be read as its tag says ({type(exc).__name__})",
            problem_mark=_failing_mark(loader, root)) from None


def _failing_mark(loader, root):
    """Where construction stopped: the node being built when it raised (PyYAML keeps it in
    `recursive_objects`), else the document's start."""
    building = list(getattr(loader, "recursive_objects", {}) or ())
    return building[-1].start_mark if building else root.start_mark


_LOADER = []


def _compose_loader():
    """A safe loader (libyaml's when PyYAML has it) resolving plain scalars as go-yaml v3 does:
    true/false only; integers in decimal, 0x, 0o, 0b or leading-0 octal, with underscores, never
    base 60; floats with a dot or an exponent (checked against Compose v5.6.1's own reading)."""
    if _LOADER:
        return _LOADER[0]
    import re

    base = _base_loader()
    replaced = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}

    class ComposeLoader(base):
        yaml_implicit_resolvers = {first: [(tag, rx) for tag, rx in rules if tag not in replaced]
                                   for first, rules in base.yaml_implicit_resolvers.items()}

    def resolver(tag, pattern, first):
        ComposeLoader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))

    resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
    resolver("tag:yaml.org,2002:int", r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$", "-+0123456789")
    resolver("tag:yaml.org,2002:float", r"""^(?:[-+]?(?:\.[0-9][0-9_]*|[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                                              |[0-9][0-9_]*[eE][-+]?[0-9]+|\.[0-9][0-9_]*[eE][-+]?[0-9]+)
                                        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", "-+0123456789.")

    def construct_int(loader, node):
        text = loader.construct_scalar(node).replace("_", "")
        sign = -1 if text[0] == "-" else 1
        digits = text[1:] if text[0] in "+-" else text
        if digits[:2] in ("0b", "0o", "0x"):
            return sign * int(digits, 0)
        octal = len(digits) > 1 and digits[0] == "0" and set(digits) <= set("01234567")
        return sign * int(digits, 8 if octal else 10)

    ComposeLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
    ComposeLoader.flatten_mapping = _flatten_mapping
    ComposeLoader.construct_sequence = _construct_sequence

    def construct_untagged(loader, node):  # a tag of no meaning to go-yaml: the value as if untagged
        _untag(node)
        return loader.yaml_constructors[node.tag](loader, node)

    # `!override`, `!reset` outside a mapping's value, and any local tag (`!custom x`): Compose reads on
    ComposeLoader.add_constructor(None, construct_untagged)
    _LOADER.append(ComposeLoader)
    return ComposeLoader


class Parsed(NamedTuple):
    """What the readers of a compose file want, from one pass of the parser (not one per reader)."""
    document: Any  # as load_yaml reads it
    lines: dict[tuple[str, ...], int]  # key_lines
    repeats: list[tuple[tuple[str, ...], int, int]]  # keys written twice: (path, first line, again)
    cycles: list[tuple[tuple[str, ...], int]]  # aliases inside what they name: (path, line)
    scalars: list[tuple[int, str]]  # scalar_values


def parse(text: str) -> Parsed:
    loader = _compose_loader()(text)
    try:
        root = loader.get_single_node()
        lines, repeats, cycles = key_lines_and_repeats(root)
        scalars = scalar_values(root)
        # last: building the values rewrites the tree (a merge key's mapping is folded in)
        return Parsed(_construct(loader, root), lines, repeats, cycles, scalars)
    finally:
        loader.dispose()


_MERGE = "tag:yaml.org,2002:merge"


def _untag(node) -> None:
    """The tag a node with a tag of its own (`!override`, `!reset`, `!custom`) is read with, as
    go-yaml reads it: a scalar is a string (`!override 5` is "5"), a mapping or sequence as usual."""
    import yaml

    node.tag = {yaml.MappingNode: "tag:yaml.org,2002:map", yaml.SequenceNode: "tag:yaml.org,2002:seq"}.get(
        type(node), "tag:yaml.org,2002:str")


def _construct_sequence(loader, node, deep=False):
    """A sequence without its `!reset` items (Compose drops them; checked with `docker-compose config`)."""
    node.value = [item for item in node.value if item.tag != "!reset"]
    return [loader.construct_object(item, deep=deep) for item in node.value]


def _flatten_mapping(loader, node) -> None:
    """Fold the mappings of a merge key (`<<: *a` or `<<: [*a, *b]`) into `node`, as go-yaml
    does: the mapping's own keys win, then the earlier of the merged mappings (PyYAML 6.0.4 lets the
    later one win). Compose's `!reset` drops its key here (the merged value, if any, applies) and
    `!override` is the value itself (compose-go's loader; checked against `docker-compose config`)."""
    import yaml

    own, sources = [], []
    for key, value in node.value:
        if key.tag == _MERGE:
            sources.append(value)
        elif value.tag != "!reset":
            own.append((key, value))
    node.value = own  # before the sources are read: a mapping merged into itself finds no merge key
    merged = []
    for value in sources:
        for mapping in value.value if isinstance(value, yaml.SequenceNode) else [value]:
            if not isinstance(mapping, yaml.MappingNode):
                raise yaml.constructor.ConstructorError(
                    problem=f"expected a mapping for merging, but found {mapping.id}", problem_mark=mapping.start_mark)
            loader.flatten_mapping(mapping)
            merged.append(list(mapping.value))
    # a later pair wins when the mapping is built: the first merged mapping last, the own keys after it
    node.value = [pair for pairs in reversed(merged) for pair in pairs] + own


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of every mapping key path, e.g. ('services', 'api', 'depends_on', 'db'), and
    of every scalar item of a list (its value as the last element): where a finding points."""
    return parse(text).lines


# A compose file is a few thousand nodes; aliases can multiply that (a "billion laughs" file): this
# bounds the walks, and the schema check after them, where Compose itself runs for minutes
EXPANDED_NODES_LIMIT = 250_000


def key_lines_and_repeats(root):
    """key_lines of the node tree `root`, and what Compose (go-yaml) refuses where PyYAML reads on:
    every key written twice in one mapping, as (path, first line, repeated line); every alias inside
    the node it names (`&a [*a]`, a cycle), as (path, line)."""
    import yaml

    lines: dict[tuple[str, ...], int] = {}
    repeats: list[tuple[tuple[str, ...], int, int]] = []
    cycles: list[tuple[tuple[str, ...], int]] = []

    visits = 0

    def walk(node, path, inside=()):
        nonlocal visits
        if id(node) in inside:  # nothing new below it
            cycles.append((path, lines.get(path, node.start_mark.line + 1)))
            return
        visits += 1
        if visits > EXPANDED_NODES_LIMIT:
            raise yaml.composer.ComposerError(
                problem=f"the document expands to more than {EXPANDED_NODES_LIMIT:,} nodes through its aliases "
                        "(excessive aliasing, an alias bomb: a compose file has a few thousand)",
                problem_mark=node.start_mark)
        inside = (*inside, id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            merged = []
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == "<<":  # at most one (a key is unique)
                    merged = value.value if isinstance(value, yaml.SequenceNode) else [value]
                elif isinstance(key, yaml.ScalarNode):
                    sub, line = (*path, key.value), key.start_mark.line + 1
                    if key.value in seen:
                        repeats.append((sub, seen[key.value], line))
                    seen.setdefault(key.value, line)
                    lines.setdefault(sub, line)
                    walk(value, sub, inside)
            for mapping in merged:  # `<<: *base`: its keys are here too, where the anchor wrote them
                walk(mapping, path, inside)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                if isinstance(item, yaml.ScalarNode):
                    lines.setdefault((*path, item.value), item.start_mark.line + 1)
                else:  # an item that is a collection: `&a [*a]` is a cycle too
                    walk(item, path, inside)

    if root is not None:
        walk(root, ())
    return lines, repeats, cycles


def _base_loader():
    """The safe loader, libyaml's when PyYAML has it, for speed."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def scalar_values(root) -> list[tuple[int, str]]:
    """(1-based line, text) of every scalar value of the node tree `root`, in file order: what
    Compose interpolates (not keys, not comments); a literal block (`|`) line by line."""
    import yaml

    found: list[tuple[int, str]] = []
    seen: set[int] = set()

    def walk(node):
        if id(node) in seen:  # an alias: the anchor's values were read where it was written
            return
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode) and node.style == "|":  # literal: each line is a line of the file
            found.extend((node.start_mark.line + 2 + i, part) for i, part in enumerate(node.value.split("\n")))
        elif isinstance(node, yaml.ScalarNode):  # a folded block starts below its `>`
            found.append((node.start_mark.line + 1 + (node.style == ">"), node.value))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)
        elif isinstance(node, yaml.MappingNode):
            for _, value in node.value:
                walk(value)

    if root is not None:
        walk(root)
    return found
