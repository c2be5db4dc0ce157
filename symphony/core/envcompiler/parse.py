"""Parse one env fragment: KEY=VALUE lines, `export`, `source PATH`, comments, quotes.

Nothing is ever executed: `$(...)` and backticks are errors, not commands.
"""
from __future__ import annotations

import re

from symphony.core.envcompiler.model import Definition, EnvError, Lit, Ref

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(r"^(?:export\s+)?([^=\s]*)=(.*)$")
_SOURCE = re.compile(r"^(?:source|\.)\s+(\S+)\s*(?:#.*)?$")
_OPS = (":-", ":+", ":?", "-", "+", "?")


def parse_fragment(text: str, relpath: str, problems: list | None = None) -> list:
    """Entries of a fragment, in order: Definition, or ("source", path, line).

    A bad line raises EnvError, or, given a `problems` list, is appended to it and skipped, so
    one run can report every bad line of every fragment."""
    if text.startswith("\ufeff"):
        text = text[1:]
    entries = []
    for number, line in enumerate(text.split("\n"), start=1):
        try:
            entry = _parse_line(line.rstrip("\r").strip(), relpath, number)
        except EnvError as exc:
            if problems is None:
                raise
            problems.append(exc)
            continue
        if entry is not None:
            entries.append(entry)
    return entries


def _parse_line(line: str, relpath: str, number: int):
    if not line or line.startswith("#"):
        return None
    src = _SOURCE.match(line)
    if src:
        return ("source", src.group(1), number)
    m = _ASSIGN.match(line)
    if not m:
        raise EnvError(f"{relpath}:{number}: cannot parse {line[:60]!r}",
                       hint="expected KEY=VALUE, `export KEY=VALUE`, `source PATH` or a # comment")
    key, rest = m.group(1), m.group(2)
    if not _KEY.fullmatch(key):
        raise EnvError(f"{relpath}:{number}: bad variable name {key!r}",
                       hint="names are letters, digits and _ and do not start with a digit")
    parts, raw = parse_value(rest, f"{relpath}:{number}")
    return Definition(key, tuple(parts), relpath, number, raw)


def parse_value(text: str, where: str) -> tuple[list, str]:
    """Parse the right-hand side of KEY=…; returns (parts, raw text without comment)."""
    parts: list = []
    buf: list[str] = []
    i, n = 0, len(text)

    def flush():
        if buf:
            parts.append(Lit("".join(buf)))
            buf.clear()

    while i < n:
        ch = text[i]
        if ch in " \t":
            rest = text[i:].lstrip(" \t")
            if not rest or rest.startswith("#"):
                break  # trailing blanks or an inline comment
            raise EnvError(f"{where}: unquoted space in value", hint="quote the value: KEY=\"a b\" or KEY='a b'")
        if ch == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise EnvError(f"{where}: unterminated single quote", hint="close the quote on the same line")
            buf.append(text[i + 1:end])
            i = end + 1
        elif ch == '"':
            i = _double_quoted(text, i + 1, where, parts, buf, flush)
        elif ch == "\\":
            if i + 1 < n:
                buf.append(text[i + 1])
            i += 2
        elif ch == "`":
            raise EnvError(f"{where}: backticks would run a command; Symphony never executes config",
                           hint="write the value itself (use single quotes for a literal backtick)")
        elif ch == "$":
            i = _dollar(text, i, where, parts, buf, flush)
        else:
            buf.append(ch)
            i += 1
    flush()
    raw = text[:i].rstrip(" \t")
    return _merge(parts), raw


def _double_quoted(text, i, where, parts, buf, flush) -> int:
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            return i + 1
        if ch == "\\" and i + 1 < n and text[i + 1] in '\\"$`':
            buf.append(text[i + 1])
            i += 2
        elif ch == "`":
            raise EnvError(f"{where}: backticks would run a command; Symphony never executes config",
                           hint="escape it as \\` or use single quotes")
        elif ch == "$":
            i = _dollar(text, i, where, parts, buf, flush)
        else:
            buf.append(ch)
            i += 1
    raise EnvError(f"{where}: unterminated double quote", hint="close the quote on the same line")


def _dollar(text, i, where, parts, buf, flush) -> int:
    """Parse a `$…` at text[i]; appends to parts/buf; returns the next index."""
    n = len(text)
    nxt = text[i + 1] if i + 1 < n else ""
    if nxt == "$":
        buf.append("$")
        return i + 2
    if nxt == "(":
        raise EnvError(f"{where}: $(...) would run a command; Symphony never executes config",
                       hint="write the value itself, or $$ for a literal $")
    if nxt == "{":
        ref, end = _braced(text, i + 2, where)
        flush()
        parts.append(ref)
        return end
    m = _NAME.match(text, i + 1)
    if m:
        flush()
        parts.append(Ref(m.group(0)))
        return m.end()
    if nxt.isdigit() or nxt in "@*#?!-":
        raise EnvError(f"{where}: ${nxt} is a shell special parameter, not a variable",
                       hint="use $$ for a literal $")
    buf.append("$")  # a lone $ (e.g. before %, or at the end) is literal
    return i + 1


def _braced(text, i, where) -> tuple[Ref, int]:
    m = _NAME.match(text, i)
    if not m:
        raise EnvError(f"{where}: bad reference ${{{text[i:i + 20]}", hint="use ${NAME} with a valid variable name")
    name, i = m.group(0), m.end()
    if i >= len(text):
        raise EnvError(f"{where}: unterminated ${{{name}", hint="close the reference with }")
    if text[i] == "}":
        return Ref(name), i + 1
    op = next((o for o in _OPS if text.startswith(o, i)), None)
    if op is None:
        raise EnvError(f"{where}: unsupported expansion in ${{{name}{text[i:i + 10]}",
                       hint="supported: ${V} ${V:-d} ${V-d} ${V:+a} ${V+a} ${V:?msg}")
    i += len(op)
    word_parts: list = []
    wbuf: list[str] = []

    def wflush():
        if wbuf:
            word_parts.append(Lit("".join(wbuf)))
            wbuf.clear()

    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "}":
            wflush()
            return Ref(name, op, tuple(_merge(word_parts))), i + 1
        if ch == "$":
            i = _dollar(text, i, where, word_parts, wbuf, wflush)
        elif ch == "\\" and i + 1 < n:
            wbuf.append(text[i + 1])
            i += 2
        elif ch == "`":
            raise EnvError(f"{where}: backticks would run a command; Symphony never executes config")
        elif ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise EnvError(f"{where}: unterminated quote inside ${{{name}…}}")
            wbuf.append(text[i + 1:end])
            i = end + 1
        else:
            wbuf.append(ch)
            i += 1
    raise EnvError(f"{where}: unterminated ${{{name}", hint="close the reference with }")


def _merge(parts: list) -> list:
    merged: list = []
    for p in parts:
        if isinstance(p, Lit) and merged and isinstance(merged[-1], Lit):
            merged[-1] = Lit(merged[-1].text + p.text)
        else:
            merged.append(p)
    return merged
