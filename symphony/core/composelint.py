"""Lint a profile's compose file before anything starts (pure: text + env in, findings out).

First the file's shape, against the Compose Specification's JSON schema (what Compose itself
validates, but here with the file's line and before the env is written); then the rules Compose
does not check: a dependency absent from the profile, health waited for where no healthcheck can
run, cycles, undefined variables, a host port published twice, one-shot jobs that restart. The old
tool started an invalid `core` file (a dependency absent from the profile) because nothing looked first.
"""
from __future__ import annotations

import datetime
import re

from symphony.core.envcompiler.lint import variables_in
from symphony.core.findings import Finding
from symphony.core.services import (
    COMPLETED,
    DECLARED,
    DISABLED,
    HEALTHY,
    NO_COMMAND,
    STARTED,
    dependencies,
    healthcheck_kind,
    parse_port_range,
    picks_one_port,
)
from symphony.core.yamlio import parse

READINESS_LABEL = "com.sentiric.readiness"  # "running": nothing to probe (documented in the catalog)

# Restart policies that start a job again after it exits 0, so it never stays "completed"
# (`on-failure` does not: it restarts only on a non-zero exit).
RESTARTS_AFTER_SUCCESS = {"always", "unless-stopped"}
_BRACED_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([^${}]*))?\}")
_PLAIN_VAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_ANY_HOST = {"", "0.0.0.0", "::", "[::]"}  # a port bound on every address clashes with any other of its number


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation (compose-spec, "Interpolation"): `$VAR`, `${VAR}`; `${VAR:-d}` / `${VAR-d}`
    give d when VAR is unset or empty / unset; `${VAR:+r}` / `${VAR+r}` give r when VAR is set and not
    empty / set; `${VAR:?e}` / `${VAR?e}` read as VAR (Compose refuses the file when it is missing);
    `$$` is a literal `$`; a default may hold `${...}` itself. A value is never expanded again."""
    def braced(m):
        name, op, arg = m.group(1), m.group(2), m.group(3) or ""
        val = env.get(name, "")
        if op == ":-":
            out = val or arg
        elif op == "-":
            out = val if name in env else arg
        elif op == ":+":
            out = arg if val else ""
        elif op == "+":
            out = arg if name in env else ""
        else:
            out = val
        return _inert(out)

    text = _PLAIN_VAR.sub(lambda m: _inert(env.get(m.group(1), "")), value.replace("$$", "\0"))
    while True:  # innermost first: a default's own ${...} is replaced before the default is used
        expanded = _BRACED_VAR.sub(braced, text)
        if expanded == text:
            return text.replace("\0", "$").replace("\1", "{").replace("\2", "}")
        text = expanded


def _inert(text: str) -> str:
    """A substituted value, with the characters interpolation reads stood in for until the end."""
    return text.replace("$", "\0").replace("{", "\1").replace("}", "\2")


def host_ports(spec, env: dict[str, str]) -> list[tuple[int, str, str]]:
    """(host port, protocol, host IP) of what a `ports:` entry publishes; empty when none is
    published. The short syntax is `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`."""
    if isinstance(spec, dict):  # interpolated once, as the short syntax's whole text below
        published = interpolate(str(spec.get("published") or ""), env)
        proto = spec.get("protocol") or "tcp"
        host_ip = interpolate(str(spec.get("host_ip") or ""), env)
        target = ""  # the long syntax's target is one port (an integer, in the schema)
    else:
        text = interpolate(str(spec), env)
        text, _, proto = text.partition("/")
        proto = proto or "tcp"
        parts = text.rsplit(":", 2)
        published = parts[-2] if len(parts) >= 2 else ""
        host_ip = parts[0] if len(parts) == 3 else ""
        target = parts[-1]
    if not published:
        return []
    start, end = parse_port_range(published)  # ValueError names the text
    if picks_one_port(published, target):
        return []  # any free one of the range: no port of it is certain to be taken
    return [(p, proto, host_ip) for p in range(start, end + 1)]


def _clash(a: str, b: str) -> bool:
    return a == b or a in _ANY_HOST or b in _ANY_HOST


_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "number": "a number",
               "integer": "an integer", "boolean": "a boolean", "null": "empty"}


def _meant(error) -> list:
    """The errors to report for one: for a oneOf failure, those of the alternatives the value was
    meant for (the ones whose type it has), else the failure itself ("must be X or Y")."""
    if error.validator != "oneOf":
        return [error]
    wrong_type = {e.schema_path[0] for e in error.context if e.validator == "type" and not e.relative_path}
    meant = [e for e in error.context if e.schema_path[0] not in wrong_type]
    return [found for e in meant for found in _meant(e)] if meant else [error]


def _type_names(types) -> str:
    types = types if isinstance(types, list) else [types]
    return " or ".join(_TYPE_NAMES[t] for t in dict.fromkeys(types))


def _schema_message(error) -> str:
    """What is wrong, in Compose's terms, without echoing the value (a compose file can hold one
    that should not be printed)."""
    if error.validator == "oneOf":
        return "must be " + _type_names([t for e in error.context if e.validator == "type"
                                         for t in (e.validator_value if isinstance(e.validator_value, list)
                                                   else [e.validator_value])])
    if error.validator == "type":
        return "must be " + _type_names(error.validator_value)
    if error.validator == "enum":
        return "must be one of " + ", ".join(repr(v) for v in error.validator_value)
    if error.validator == "additionalProperties":
        patterns = [p for p in error.schema.get("patternProperties") or {} if p != "^x-"]
        if patterns:  # names, e.g. of services (one pattern each in the schema): only their spelling is wrong
            return f"has name(s) Compose does not allow ({patterns[0]}): " + ", ".join(_extra_keys(error))
        return "has unknown key(s): " + ", ".join(_extra_keys(error))
    if error.validator == "required":
        return "needs " + ", ".join(f"`{key}:`" for key in error.validator_value if key not in error.instance)
    return f"does not match the specification ({error.validator}: {error.validator_value!r})"


def _extra_keys(error) -> list[str]:
    """The keys an additionalProperties error is about."""
    allowed = set(error.schema.get("properties") or {})
    return sorted(str(k) for k in error.instance if k not in allowed
                  and not any(re.search(p, str(k)) for p in error.schema.get("patternProperties") or {}))


def _as_json(node):
    """The document as the schema sees it: every key a string (YAML allows `1:`, Compose reads it
    as "1"), and a YAML timestamp a string (go-yaml reads one as a time, which Compose accepts)."""
    if isinstance(node, dict):
        return {str(k): _as_json(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_as_json(v) for v in node]
    if isinstance(node, (datetime.date, datetime.datetime)):
        return node.isoformat()
    return node


def _line_of(where: str) -> int:
    """The line of a finding (0 for one about the whole file)."""
    line = where.rsplit(":", 1)[-1]
    return int(line) if line.isdigit() else 0


def schema_findings(doc, schema: dict, at) -> list[Finding]:
    """The document checked against the Compose Specification's JSON schema (draft 7), in line order."""
    from jsonschema import Draft7Validator

    found = []
    for error in (e for top in Draft7Validator(schema).iter_errors(_as_json(doc)) for e in _meant(top)):
        path = [str(p) for p in error.absolute_path]
        key = [_extra_keys(error)[0]] if error.validator == "additionalProperties" else []
        message = f"{'.'.join(path) or 'the file'} {_schema_message(error)} (Compose Specification)"
        found.append(Finding("error", at(*path, *key), message))
    # one error per missing key of a mapping: the message names them all, so say it once
    return sorted(dict.fromkeys(found), key=lambda f: (_line_of(f.where), f.message))


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    found, done, stack = [], set(), []

    def visit(node):
        if node in stack:
            found.append(stack[stack.index(node):] + [node])
            return
        if node in done:
            return
        stack.append(node)
        for nxt in graph.get(node, []):
            visit(nxt)
        stack.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)
    return found


def check_compose(text: str, filename: str, env: dict[str, str], schema: dict) -> list[Finding]:
    """Findings for one compose file: its shape against `schema` (the Compose Specification's JSON
    schema), then the rules, which read only a file whose shape is right."""
    import yaml

    try:
        doc, lines, repeats, cycles, scalars = parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)  # a reader's error has a character position instead
        line = mark.line + 1 if mark else text.count("\n", 0, getattr(exc, "position", 0)) + 1
        where = f"{filename}:{line}"
        # a parser's problem ("did not find expected ..."), or a reader's reason (a control character)
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or exc
        return [Finding("error", where, f"not valid YAML: {problem}")]
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict) or not doc["services"]:
        return [Finding("error", filename, "no `services:` mapping: this is not a compose file")]

    def at(*path) -> str:
        path = tuple(str(p) for p in path)
        for n in range(len(path), 0, -1):
            if path[:n] in lines:
                return f"{filename}:{lines[path[:n]]}"
        return filename

    if cycles:  # the document cannot be read as data at all
        return [Finding("error", f"{filename}:{line}", f"{'.'.join(path)} names an anchor it is inside (a cycle): "
                        "Compose refuses the file") for path, line in cycles]
    shape = [Finding("error", f"{filename}:{again}", f"{'.'.join(path)} is written twice (lines {first} and {again}): "
                     "Compose refuses the file; keep one") for path, first, again in repeats]
    shape = sorted(shape + schema_findings(doc, schema, at), key=lambda f: (_line_of(f.where), f.message))
    if shape:
        return shape
    services: dict = {str(name): svc or {} for name, svc in doc["services"].items()}
    findings: list[Finding] = []
    graph: dict[str, list[str]] = {}
    completed_targets = set()
    for name, svc in services.items():
        findings += _healthcheck_findings(name, svc.get("healthcheck"), at)
        deps = dependencies(svc)
        graph[name] = sorted(d.name for d in deps)
        for dep in deps:
            where = at("services", name, "depends_on", dep.name)
            if dep.name not in services:
                if "include" not in doc:  # else it may come from an included file: Compose resolves that
                    findings.append(Finding("error", where,
                        f"{name} depends on {dep.name}, which is not in this profile; add {dep.name} or remove the "
                        "dependency"))
                continue
            kind = healthcheck_kind(services[dep.name].get("healthcheck"))
            if dep.condition == HEALTHY and kind == DISABLED:
                findings.append(Finding("error", where,
                    f"{name} waits for {dep.name} to be healthy, but {dep.name}'s healthcheck is switched off "
                    "(disable: true or test: [\"NONE\"]), so it never becomes healthy"))
            if dep.condition == COMPLETED:
                completed_targets.add(dep.name)
            if dep.condition == STARTED and kind == DECLARED:
                findings.append(Finding("warn", where,
                    f"{name} only waits for {dep.name} to start although {dep.name} has a healthcheck; "
                    "use service_healthy"))
        if "container_name" in svc:
            findings.append(Finding("error", at("services", name, "container_name"),
                f"{name} pins container_name, so two profiles or checkouts collide; "
                "remove it (the project name isolates)"))
    for name in sorted(completed_targets):
        svc = services[name]
        policy = svc.get("restart")
        deploy_policy = ((svc.get("deploy") or {}).get("restart_policy") or {}).get("condition")
        if policy in RESTARTS_AFTER_SUCCESS or deploy_policy == "any":
            key = ("restart",) if policy in RESTARTS_AFTER_SUCCESS else ("deploy", "restart_policy", "condition")
            findings.append(Finding("error", at("services", name, *key),
                f"{name} is awaited with service_completed_successfully but restarts even after it succeeds "
                f"({policy if key == ('restart',) else 'restart_policy: any'}); "
                "one-shot jobs need restart: \"no\" or on-failure"))
    for name, svc in services.items():
        labels = svc.get("labels") or {}
        if isinstance(labels, list):
            labels = dict(item.split("=", 1) for item in labels if "=" in item)
        if name not in completed_targets and healthcheck_kind(svc.get("healthcheck")) != DECLARED \
                and READINESS_LABEL not in labels and "extends" not in svc:  # (an extended one may declare it)
            findings.append(Finding("warn", at("services", name),
                f"{name} is long-running but declares no healthcheck (its image may have one), so nothing in "
                "this file can wait for it to be ready"))
    for cycle in _cycles(graph):
        findings.append(Finding("error", at("services", cycle[0], "depends_on"),
            "dependency cycle: " + " -> ".join(cycle)))
    for var, (line, has_default) in sorted(variables_in(scalars).items()):
        if var not in env and not has_default:
            findings.append(Finding("error", f"{filename}:{line}",
                f"${{{var}}} is used but the profile's env does not define it; "
                f"add it to the config repo or `--set {var}=...`"))
    seen: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for name, svc in services.items():
        for spec in svc.get("ports") or []:
            try:
                published = host_ports(spec, env)
            except ValueError as exc:
                findings.append(Finding("error", at("services", name, "ports"), f"{name} publishes {spec!r}: {exc}"))
                continue
            for port, proto, host_ip in published:
                holders = seen.setdefault((port, proto), [])
                other = next((n for n, ip in holders if _clash(ip, host_ip)), None)
                if other is not None:
                    findings.append(Finding("error", at("services", name, "ports"),
                        f"{name} publishes host port {port}/{proto} twice" if other == name else
                        f"host port {port}/{proto} is published by both {other} and {name}"))
                else:
                    holders.append((name, host_ip))
    return sorted(findings, key=lambda f: _line_of(f.where))


def _healthcheck_findings(name: str, healthcheck, at) -> list[Finding]:
    """A test with nothing to run, and `test: NONE` written as a string (a shell command, not the switch)."""
    where = at("services", name, "healthcheck", "test")
    kind = healthcheck_kind(healthcheck)
    if kind == NO_COMMAND:
        return [Finding("error", where,
            f"{name}'s healthcheck test has no command after {healthcheck['test'][0]} (Docker 20.10's engine "
            "crashes running it); add the command, or write test: [\"NONE\"] to switch the check off")]
    test = (healthcheck or {}).get("test") if kind == DECLARED else None
    if isinstance(test, str) and test.strip().upper() == "NONE":
        return [Finding("warn", where,
            f"{name}'s healthcheck runs `{test.strip()}` as a shell command, which fails: to switch the image's "
            "healthcheck off write test: [\"NONE\"] or disable: true")]
    return []
