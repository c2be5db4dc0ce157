"""A test-only evaluator for the small Go-template subset Symphony's chart uses
(`index`, `printf "%s:%s"`, `toJson`, `toYaml | nindent`, `with`, `if`, `end`, `{{-` trimming,
string literals such as `{{ "{{" }}`, `.Release.Namespace`).
It is NOT Helm: Helm itself lints the chart (helm-sdkpy) where it is installed."""
from __future__ import annotations

import json
import re
import shlex

import yaml

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)


def _tokens(expr: str) -> list[str]:
    return re.findall(r'\(|\)|"[^"]*"|[^\s()]+', expr)


RELEASE = {"Namespace": "default"}


def _eval(tokens: list[str], pos: int, root: dict, dot):
    """Evaluate one term starting at tokens[pos]; returns (value, next pos)."""
    tok = tokens[pos]
    if tok == "(":
        value, pos = _call(tokens, pos + 1, root, dot)
        assert tokens[pos] == ")", tokens
        pos += 1
    elif tok.startswith('"'):
        return tok[1:-1], pos + 1
    elif tok.startswith(".Release."):
        return RELEASE[tok[len(".Release."):]], pos + 1
    elif tok.startswith(".Values"):
        value = root
        for part in tok[len(".Values"):].split(".")[1:]:
            value = value[part]
        return value, pos + 1
    elif tok == ".":
        return dot, pos + 1
    elif tok.startswith("."):
        value = dot
        for part in tok.split(".")[1:]:
            value = value[part]
        return value, pos + 1
    else:
        raise ValueError(f"unsupported token {tok!r}")
    # a field chain right after a parenthesised term: `(index ...).image.tag`
    while pos < len(tokens) and tokens[pos].startswith(".") and tokens[pos] != ".":
        for part in tokens[pos].split(".")[1:]:
            value = value[part]
        pos += 1
    return value, pos


def _call(tokens, pos, root, dot):
    name = tokens[pos]
    args, pos = [], pos + 1
    while pos < len(tokens) and tokens[pos] != ")":
        value, pos = _eval(tokens, pos, root, dot)
        args.append(value)
    if name == "index":
        value = args[0]
        for key in args[1:]:
            value = value[key]
        return value, pos
    if name == "printf":
        return args[0] % tuple(args[1:]), pos
    raise ValueError(f"unsupported function {name}")


def _pipeline(expr: str, root: dict, dot):
    stages = [s.strip() for s in expr.split("|")]
    head = _tokens(stages[0])
    if head[0] == "toYaml":
        value, _ = _eval(head, 1, root, dot)
        value = yaml.safe_dump(value, sort_keys=True, default_flow_style=False).rstrip("\n")
    else:
        value, _ = _eval(head, 0, root, dot)
    for stage in stages[1:]:
        words = shlex.split(stage)
        if words[0] == "toJson":
            value = json.dumps(value)
        elif words[0] == "nindent":
            pad = " " * int(words[1])
            value = "\n" + "\n".join(pad + line for line in str(value).splitlines())
        else:
            raise ValueError(f"unsupported pipe {stage}")
    return value


def render(template: str, values: dict, namespace: str = "default") -> str:
    """`namespace` is the release's (`helm install -n NAMESPACE`)."""
    RELEASE["Namespace"] = namespace
    out: list[str] = []
    stack: list[tuple[bool, object]] = []  # (emitting, previous dot)
    emitting, dot, pos = True, None, 0
    for m in _ACTION.finditer(template):
        text = template[pos:m.start()]
        if m.group(1):
            text = text.rstrip()
        if out and out[-1] == "\0trim":
            out.pop()
            text = text.lstrip()
        if emitting:
            out.append(text)
        action = m.group(2)
        if action.startswith(("with ", "if ")):
            keyword, expr = action.split(" ", 1)
            value = _pipeline(expr, values, dot) if emitting else None
            stack.append((emitting, dot))
            emitting = emitting and bool(value)
            if keyword == "with" and emitting:
                dot = value
        elif action == "end":
            emitting, dot = stack.pop()
        elif emitting:
            out.append(str(_pipeline(action, values, dot)))
        if m.group(3):
            out.append("\0trim")
        pos = m.end()
    tail = template[pos:]
    if out and out[-1] == "\0trim":
        out.pop()
        tail = tail.lstrip()
    out.append(tail)
    return "".join(out)
