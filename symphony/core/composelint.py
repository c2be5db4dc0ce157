"""Lint a profile's compose file before anything starts (pure: text + env in, findings out).

Compose itself rejects some of these, but with no line number and only after the env is
written; the old tool started an invalid `core` file (a dependency absent from the
profile) because nothing looked first.
"""
from __future__ import annotations

import re

from symphony.core.envcompiler.lint import compose_variables
from symphony.core.findings import Finding
from symphony.core.services import healthcheck_active, parse_port_range
from symphony.core.yamlio import key_lines, load_yaml

READINESS_LABEL = "com.sentiric.readiness"  # "running": nothing to probe (documented in the catalog)

LONG_RUNNING_RESTARTS = {"always", "unless-stopped", "on-failure"}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")




def _lines(text: str) -> dict[tuple[str, ...], int]:
    return key_lines(text)


def interpolate(value: str, env: dict[str, str]) -> str:
    def sub(m):
        name = m.group(1) or m.group(3)
        if name in env and (env[name] != "" or m.group(2) is None):
            return env[name]
        return m.group(2) or ""

    return _VAR.sub(sub, value.replace("$$", "\0")).replace("\0", "$")


def _dependencies(svc: dict) -> dict[str, str]:
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):
        return {d: "service_started" for d in deps}
    return {d: (spec or {}).get("condition", "service_started") for d, spec in deps.items()}


def _has_healthcheck(svc: dict) -> bool:
    return healthcheck_active(svc.get("healthcheck"))


def host_ports(spec, env: dict[str, str]) -> list[tuple[int, str]]:
    """(host port, protocol) pairs a `ports:` entry publishes; empty when none is published."""
    if isinstance(spec, dict):
        published = str(spec.get("published") or "")
        proto = spec.get("protocol") or "tcp"
    else:
        text = interpolate(str(spec), env)
        text, _, proto = text.partition("/")
        proto = proto or "tcp"
        parts = text.rsplit(":", 2) if text.count(":") >= 2 else text.split(":")
        published = parts[-2] if len(parts) >= 2 else ""
    published = interpolate(published, env)
    if not published:
        return []
    start, end = parse_port_range(published)  # ValueError names the text
    return [(p, proto) for p in range(start, end + 1)]


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


def check_compose(text: str, filename: str, env: dict[str, str]) -> list[Finding]:
    import yaml

    try:
        doc = load_yaml(text) or {}
        lines = _lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}" if mark else filename
        return [Finding("error", where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict) or not doc["services"]:
        return [Finding("error", filename, "no `services:` mapping: this is not a compose file")]

    def at(*path: str) -> str:
        for n in range(len(path), 0, -1):
            if path[:n] in lines:
                return f"{filename}:{lines[path[:n]]}"
        return filename

    findings: list[Finding] = []
    services: dict = doc["services"]
    graph: dict[str, list[str]] = {}
    completed_targets = set()
    for name, svc in services.items():
        svc = svc or {}
        deps = _dependencies(svc)
        graph[name] = sorted(deps)
        for dep, condition in deps.items():
            where = at("services", name, "depends_on", dep)
            if dep not in services:
                findings.append(Finding("error", where,
                    f"{name} depends on {dep}, which is not in this profile; add {dep} or remove the dependency"))
                continue
            target = services[dep] or {}
            if condition == "service_healthy" and not _has_healthcheck(target):
                findings.append(Finding("error", where,
                    f"{name} waits for {dep} to be healthy, but {dep} has no healthcheck"))
            if condition == "service_completed_successfully":
                completed_targets.add(dep)
            if condition == "service_started" and _has_healthcheck(target):
                findings.append(Finding("warn", where,
                    f"{name} only waits for {dep} to start although {dep} has a healthcheck; use service_healthy"))
        if "container_name" in svc:
            findings.append(Finding("error", at("services", name, "container_name"),
                f"{name} pins container_name, so two profiles or checkouts collide; "
                "remove it (the project name isolates)"))
    for name in completed_targets:
        restart = (services[name] or {}).get("restart", "no")
        if restart in LONG_RUNNING_RESTARTS:
            findings.append(Finding("error", at("services", name, "restart"),
                f"{name} is awaited with service_completed_successfully but restarts ({restart}); "
                "one-shot jobs need restart: \"no\""))
    for name, svc in services.items():
        svc = svc or {}
        labels = svc.get("labels") or {}
        if isinstance(labels, list):
            labels = dict(item.split("=", 1) for item in labels if "=" in item)
        if name not in completed_targets and not _has_healthcheck(svc) and READINESS_LABEL not in labels:
            findings.append(Finding("warn", at("services", name),
                f"{name} is long-running but has no healthcheck, so nothing can wait for it to be ready"))
    for cycle in _cycles(graph):
        findings.append(Finding("error", at("services", cycle[0], "depends_on"),
            "dependency cycle: " + " -> ".join(cycle)))
    for var, (line, has_default) in sorted(compose_variables(text).items()):
        if var not in env and not has_default:
            findings.append(Finding("error", f"{filename}:{line}",
                f"${{{var}}} is used but the profile's env does not define it; "
                f"add it to the config repo or `--set {var}=...`"))
    seen: dict[tuple[int, str], str] = {}
    for name, svc in services.items():
        for spec in (svc or {}).get("ports") or []:
            try:
                published = host_ports(spec, env)
            except ValueError as exc:
                findings.append(Finding("error", at("services", name, "ports"),
                    f"{name} publishes {spec!r}: host port {exc} is not a number or range"))
                continue
            for port in published:
                if port in seen:
                    findings.append(Finding("error", at("services", name, "ports"),
                        f"host port {port[0]}/{port[1]} is published by both {seen[port]} and {name}"))
                else:
                    seen[port] = name
    return findings
