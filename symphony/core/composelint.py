"""Lint a profile's compose file before anything starts (pure: text + env in, findings out).

First the file's shape, against the Compose Specification's JSON schema (what Compose itself
validates, but here with the file's line and before the env is written); then the rules Compose
does not check: a dependency absent from the profile, health waited for where no healthcheck can
run, cycles, undefined variables, a host port published twice, one-shot jobs that restart. The old
tool started an invalid `core` file (a dependency absent from the profile) because nothing looked first.
"""
from __future__ import annotations

import re

from symphony.core.envcompiler.lint import compose_variables
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
)
from symphony.core.yamlio import key_lines, load_yaml

READINESS_LABEL = "com.sentiric.readiness"  # "running": nothing to probe (documented in the catalog)

# Restart policies that start a job again after it exits 0, so it never stays "completed"
# (`on-failure` does not: it restarts only on a non-zero exit).
RESTARTS_AFTER_SUCCESS = {"always", "unless-stopped"}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_ANY_HOST = {"", "0.0.0.0", "::", "[::]"}  # a port bound on every address clashes with any other of its number


def interpolate(value: str, env: dict[str, str]) -> str:
    def sub(m):
        name = m.group(1) or m.group(3)
        if name in env and (env[name] != "" or m.group(2) is None):
            return env[name]
        return m.group(2) or ""

    return _VAR.sub(sub, value.replace("$$", "\0")).replace("\0", "$")


def host_ports(spec, env: dict[str, str]) -> list[tuple[int, str, str]]:
    """(host port, protocol, host IP) of what a `ports:` entry publishes; empty when none is
    published. The short syntax is `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`."""
    if isinstance(spec, dict):
        published = str(spec.get("published") or "")
        proto = spec.get("protocol") or "tcp"
        host_ip = str(spec.get("host_ip") or "")
    else:
        text = interpolate(str(spec), env)
        text, _, proto = text.partition("/")
        proto = proto or "tcp"
        parts = text.rsplit(":", 2) if text.count(":") >= 2 else text.split(":")
        published = parts[-2] if len(parts) >= 2 else ""
        host_ip = parts[0] if len(parts) == 3 else ""
    published = interpolate(published, env)
    host_ip = interpolate(host_ip, env)
    if not published:
        return []
    start, end = parse_port_range(published)  # ValueError names the text
    return [(p, proto, host_ip) for p in range(start, end + 1)]


def _clash(a: str, b: str) -> bool:
    return a == b or a in _ANY_HOST or b in _ANY_HOST


_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "number": "a number",
               "integer": "an integer", "boolean": "a boolean", "null": "empty"}


def _specific(error):
    """For a oneOf/anyOf failure, the error of the alternative the value was meant for (the one whose
    type it has), deepest first; the failure itself when the value has none of their types."""
    while error.validator in ("oneOf", "anyOf") and error.context:
        wrong_type = {e.schema_path[0] for e in error.context if e.validator == "type" and not e.relative_path}
        meant = [e for e in error.context if e.schema_path[0] not in wrong_type]
        if not meant:
            return error
        error = max(meant, key=lambda e: len(e.relative_path))
    return error


def _type_names(types) -> str:
    types = types if isinstance(types, list) else [types]
    return " or ".join(_TYPE_NAMES.get(t, t) for t in dict.fromkeys(types))


def _schema_message(error) -> str:
    """What is wrong, in Compose's terms, without echoing the value (a compose file can hold one
    that should not be printed)."""
    if error.validator in ("oneOf", "anyOf"):
        return "must be " + _type_names([t for e in error.context if e.validator == "type"
                                         for t in (e.validator_value if isinstance(e.validator_value, list)
                                                   else [e.validator_value])])
    if error.validator == "type":
        return "must be " + _type_names(error.validator_value)
    if error.validator == "enum":
        return "must be one of " + ", ".join(repr(v) for v in error.validator_value)
    if error.validator == "additionalProperties":
        allowed, extra = set(error.schema.get("properties") or {}), _extra_keys(error)
        patterns = [p for p in error.schema.get("patternProperties") or {} if p != "^x-"]
        if extra and patterns and not allowed:  # names, e.g. of services: only their spelling is wrong
            return f"has name(s) Compose does not allow ({' or '.join(patterns)}): " + ", ".join(extra)
        return "has unknown key(s): " + ", ".join(extra) if extra else "has keys Compose does not know"
    if error.validator == "required":
        return "needs " + ", ".join(f"`{key}:`" for key in error.validator_value if key not in error.instance)
    return f"does not match the specification ({error.validator}: {error.validator_value!r})"


def _extra_keys(error) -> list[str]:
    """The keys an additionalProperties error is about."""
    allowed = set(error.schema.get("properties") or {})
    return sorted(str(k) for k in error.instance if k not in allowed
                  and not any(re.search(p, str(k)) for p in error.schema.get("patternProperties") or {}))


def _string_keys(node):
    """YAML allows keys that are not strings (`1:`); Compose reads every key as a string."""
    if isinstance(node, dict):
        return {str(k): _string_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_string_keys(v) for v in node]
    return node


def schema_findings(doc, schema: dict, at) -> list[Finding]:
    """The document checked against the Compose Specification's JSON schema (draft 7)."""
    from jsonschema import Draft7Validator

    found = []
    for error in Draft7Validator(schema).iter_errors(_string_keys(doc)):
        error = _specific(error)
        path = [str(p) for p in error.absolute_path]
        extra = _extra_keys(error)[:1] if error.validator == "additionalProperties" else []
        message = f"{'.'.join(path) or 'the file'} {_schema_message(error)} (Compose Specification)"
        found.append((path, Finding("error", at(*path, *extra), message)))
    return [f for _, f in sorted(found, key=lambda pf: pf[0])]


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
        doc = load_yaml(text) or {}
        lines = key_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}" if mark else filename
        return [Finding("error", where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict) or not doc["services"]:
        return [Finding("error", filename, "no `services:` mapping: this is not a compose file")]

    def at(*path) -> str:
        path = tuple(str(p) for p in path)
        for n in range(len(path), 0, -1):
            if path[:n] in lines:
                return f"{filename}:{lines[path[:n]]}"
        return filename

    shape = schema_findings(doc, schema, at)
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
        policy = str(svc.get("restart") or "no")
        deploy_policy = str((((svc.get("deploy") or {}).get("restart_policy")) or {}).get("condition") or "")
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
                and READINESS_LABEL not in labels:
            findings.append(Finding("warn", at("services", name),
                f"{name} is long-running but declares no healthcheck (its image may have one), so nothing in "
                "this file can wait for it to be ready"))
    for cycle in _cycles(graph):
        findings.append(Finding("error", at("services", cycle[0], "depends_on"),
            "dependency cycle: " + " -> ".join(cycle)))
    for var, (line, has_default) in sorted(compose_variables(text).items()):
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
                findings.append(Finding("error", at("services", name, "ports"),
                    f"{name} publishes {spec!r}: host port {exc} is not a number or range"))
                continue
            for port, proto, host_ip in published:
                holders = seen.setdefault((port, proto), [])
                other = next((n for n, ip in holders if _clash(ip, host_ip)), None)
                if other is not None:
                    findings.append(Finding("error", at("services", name, "ports"),
                        f"host port {port}/{proto} is published by both {other} and {name}"))
                else:
                    holders.append((name, host_ip))
    return findings


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
