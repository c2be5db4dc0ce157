"""Drift between the catalog and a service checkout (pure: file texts in, findings out).

What a checkout says, read the way the catalog's facts were read:
- the Dockerfile's final stage: base image, packages it installs (so the tools at run time),
  EXPOSE lines, ports fixed on the CMD line (`--port 14020`, `-b 0.0.0.0:8000`);
- the variables the code reads: Go `os.Getenv/LookupEnv("X")` and `GetEnv*("X", ...)` helpers,
  Rust `env::var("X")`/`dotenvy::var`, Python `os.environ["X"]`/`.get("X")`/`os.getenv("X")`
  and pydantic-settings fields (upper-cased, with `env_prefix`), Node `process.env.X`/`["X"]`;
- the HTTP routes it registers (Go ServeMux/gin/chi, Rust axum/actix, FastAPI/Flask, Express).
A finding is a disagreement with the catalog, with `file:line` on both sides where there is one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

CODE_SUFFIXES = (".go", ".rs", ".py", ".js", ".ts", ".mjs", ".cjs")
# What a base image brings (docker-library / debuerreotype sources: see compose/catalog facts)
BASE_TOOLS = (
    (re.compile(r"^(gcr\.io/)?distroless/"), set()),
    (re.compile(r"^(docker\.io/)?(library/)?nginx:.*alpine-slim"), {"sh", "wget", "nc", "pgrep"}),
    (re.compile(r"^(docker\.io/)?(library/)?nginx:.*alpine"), {"sh", "wget", "nc", "pgrep", "curl"}),
    (re.compile(r"^(docker\.io/)?(library/)?node:.*alpine"), {"sh", "wget", "nc", "pgrep", "node"}),
    (re.compile(r"^(docker\.io/)?(library/)?alpine"), {"sh", "wget", "nc", "pgrep"}),
    (re.compile(r"^(docker\.io/)?(library/)?python:.*slim"), {"sh", "bash", "perl", "python"}),
    (re.compile(r"^(docker\.io/)?(library/)?python:"), {"sh", "bash", "perl", "python", "curl", "wget"}),
    (re.compile(r"^(docker\.io/)?(library/)?(debian|ubuntu):"), {"sh", "bash", "perl"}),
)
PACKAGE_TOOLS = {"curl": "curl", "wget": "wget", "netcat-openbsd": "nc", "netcat-traditional": "nc", "netcat": "nc",
                 "ncat": "nc", "procps": "pgrep", "procps-ng": "pgrep", "bash": "bash", "python3": "python",
                 "nodejs": "node", "busybox": "wget"}
_ENV_PATTERNS = (
    re.compile(r"""os\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)\""""),
    re.compile(r"""\b[Gg]et[Ee]nv[A-Za-z]*\(\s*"([A-Za-z_][A-Za-z0-9_]*)\""""),
    re.compile(r"""env::var(?:_os)?\(\s*"([A-Za-z_][A-Za-z0-9_]*)\""""),
    re.compile(r"""dotenvy::var\(\s*"([A-Za-z_][A-Za-z0-9_]*)\""""),
    re.compile(r"""os\.environ\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]"""),
    re.compile(r"""os\.(?:environ\.get|getenv)\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"""),
    re.compile(r"""process\.env\.([A-Za-z_][A-Za-z0-9_]*)"""),
    re.compile(r"""process\.env\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]"""),
    re.compile(r"""\bget_env(?:_or\w*)?\(\s*"([A-Za-z_][A-Za-z0-9_]*)\""""),
)
# A route is a URL path the code names as a string literal: registered with a router (Go ServeMux,
# axum `.route(`, FastAPI/Flask decorators, Express), matched by hand (`(GET, "/metrics") =>`), or
# split over lines. Paths of the file system are not routes.
_PATH_LITERAL = re.compile(r"""["'](/[A-Za-z0-9_.\-/]*)["']""")
_NOT_ROUTES = ("/etc", "/app", "/usr", "/var", "/tmp", "/dev", "/proc", "/sys", "/bin", "/home", "/opt", "/data",
               "/root", "/run", "/sentiric-certificates", "/certs", "/lib", "/srv", "/mnt", "/workspace")
# Rust's `config` crate reads the environment into a settings struct: field `grpc_tls_ca_path`
# is the variable GRPC_TLS_CA_PATH (`Environment::with_prefix("P")`: P_GRPC_TLS_CA_PATH)
_RUST_ENV_SOURCE = re.compile(r"""Environment::(?:default\(\)|with_prefix\(\s*"([A-Za-z0-9_]*)"\s*\))""")
_RUST_FIELD = re.compile(r"^\s*pub\s+([a-z_][a-z0-9_]*)\s*:", re.M)
# tracing's EnvFilter and env_logger read RUST_LOG without naming it
_RUST_LOG = re.compile(r"EnvFilter::(?:try_)?from_default_env|env_logger::")
# a Node config schema validated from process.env (@fastify/env, envalid, env-schema): its keys
_NODE_SCHEMA_FILE = re.compile(r"@fastify/env|envalid|env-schema|cleanEnv\(")
_NODE_SCHEMA_KEY = re.compile(r"^\s*([A-Z][A-Z0-9_]*)\s*:\s*"
                              r"(?:Type\.|str\(|num\(|port\(|bool\(|url\(|host\(|email\()", re.M)
_PYDANTIC_CLASS = re.compile(r"^class\s+\w+\((?:[\w.]*BaseSettings)\)\s*:", re.M)
_PYDANTIC_FIELD = re.compile(r"^\s{4}([a-z_][a-z0-9_]*)\s*:\s*[^=\n]+", re.M)
_ENV_PREFIX = re.compile(r"""env_prefix\s*=\s*['"]([A-Za-z0-9_]*)['"]""")


@dataclass(frozen=True)
class Drift:
    what: str
    catalog_at: str   # compose/catalog/<svc>.yaml:<line>
    checkout_at: str  # <checkout>/<path>:<line>, or "" when the checkout has nothing

    def render(self) -> str:
        return f"{self.what}\n    catalog:  {self.catalog_at}\n    checkout: {self.checkout_at or '(nothing)'}"


@dataclass
class Checkout:
    """What a checkout says (found by `read_checkout`); each fact with the `path:line` it is at."""

    base: str = ""
    base_at: str = ""
    tools: set[str] = field(default_factory=set)
    tools_at: dict[str, str] = field(default_factory=dict)
    expose: dict[int, str] = field(default_factory=dict)
    cmd_ports: dict[int, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)


def final_stage(dockerfile: str) -> tuple[list[tuple[int, str]], str, int]:
    """(lines of the last stage with their numbers, its FROM image, the FROM line number);
    continuation lines are joined onto the line they start on."""
    logical: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(dockerfile.splitlines(), start=1):
        line = raw.rstrip()
        if not pending:
            start = number
        if line.strip().startswith("#") and not pending:
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append((start, pending + line))
        pending = ""
    if pending:
        logical.append((start, pending))
    stage, base, base_line = [], "", 0
    for number, line in logical:
        m = re.match(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", line, re.I)
        if m:
            stage, base, base_line = [], m.group(1), number
        else:
            stage.append((number, line))
    return stage, base, base_line


def dockerfile_facts(dockerfile: str, where: str) -> Checkout:
    out = Checkout()
    stage, base, base_line = final_stage(dockerfile)
    out.base, out.base_at = base, f"{where}:{base_line}"
    for pattern, tools in BASE_TOOLS:
        if pattern.search(base):
            for t in tools:
                out.tools.add(t)
                out.tools_at.setdefault(t, out.base_at)
            break
    if re.search(r"(^|/)nginx:", base):
        out.routes.setdefault("/", out.base_at)  # nginx serves the site's static files at /
    for number, line in stage:
        m = re.match(r"^\s*RUN\s+(.*)$", line, re.I)
        if m:
            for install in re.finditer(r"(?:apt-get|apt)\s+install|apk\s+add", m.group(1)):
                rest = m.group(1)[install.end():]
                rest = re.split(r"&&|;|\|", rest, maxsplit=1)[0]
                for word in rest.split():
                    pkg = word.split("=")[0]
                    if pkg in PACKAGE_TOOLS:
                        out.tools.add(PACKAGE_TOOLS[pkg])
                        out.tools_at.setdefault(PACKAGE_TOOLS[pkg], f"{where}:{number}")
        m = re.match(r"^\s*EXPOSE\s+(.*)$", line, re.I)
        if m:
            for spec in m.group(1).split():
                port = spec.split("/")[0]
                if port.isdigit():
                    out.expose[int(port)] = f"{where}:{number}"
        if re.match(r"^\s*(CMD|ENTRYPOINT)\s", line, re.I):
            for pm in re.finditer(r"(?:--port[=\s\"',]+|-p[\s\"',]+|0\.0\.0\.0:)(\d{2,5})", line):
                out.cmd_ports[int(pm.group(1))] = f"{where}:{number}"
    return out


def code_facts(files: dict[str, str], out: Checkout) -> Checkout:
    """Variables read and routes registered, over every code file (path -> text)."""
    for path, text in sorted(files.items()):
        if not path.endswith(CODE_SUFFIXES):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for pattern in _ENV_PATTERNS:
                for m in pattern.finditer(line):
                    out.env.setdefault(m.group(1), f"{path}:{number}")
            for m in _PATH_LITERAL.finditer(line):
                route = m.group(1)
                if not any(route == p or route.startswith(p + "/") for p in _NOT_ROUTES):
                    out.routes.setdefault(route, f"{path}:{number}")
        if path.endswith(".rs"):
            source = _RUST_ENV_SOURCE.search(text)
            if source:
                prefix = (source.group(1) + "_") if source.group(1) else ""
                for fm in _RUST_FIELD.finditer(text):
                    out.env.setdefault((prefix + fm.group(1)).upper(), f"{path}:{text[:fm.start()].count(chr(10)) + 1}")
            log = _RUST_LOG.search(text)
            if log:
                out.env.setdefault("RUST_LOG", f"{path}:{text[:log.start()].count(chr(10)) + 1}")
        if path.endswith((".ts", ".js", ".mjs", ".cjs")) and _NODE_SCHEMA_FILE.search(text):
            for km in _NODE_SCHEMA_KEY.finditer(text):
                out.env.setdefault(km.group(1), f"{path}:{text[:km.start()].count(chr(10)) + 1}")
        if path.endswith(".py") and _PYDANTIC_CLASS.search(text):
            prefix = (_ENV_PREFIX.search(text).group(1) if _ENV_PREFIX.search(text) else "").upper()
            for cls in _PYDANTIC_CLASS.finditer(text):
                body = text[cls.end():]
                stop = re.search(r"^\S", body, re.M)
                body = body[:stop.start()] if stop else body
                base_line = text[:cls.end()].count("\n") + 1
                for fm in _PYDANTIC_FIELD.finditer(body):
                    line = base_line + body[:fm.start()].count("\n") + 1
                    out.env.setdefault(prefix + fm.group(1).upper(), f"{path}:{line}")
    return out


def read_checkout(files: dict[str, str], prefix: str) -> Checkout:
    """Everything `files` (repo-relative path -> text) says; locations are shown under `prefix`."""
    dockerfile = files.get("Dockerfile", "")
    facts = dockerfile_facts(dockerfile, f"{prefix}/Dockerfile") if dockerfile else Checkout()
    return code_facts({f"{prefix}/{p}": t for p, t in files.items()}, facts)


def compare(svc, checkout: Checkout, lines: dict[tuple, int], catalog_file: str) -> list[Drift]:
    """Where the catalog entry `svc` disagrees with `checkout`. `lines` maps YAML key paths of the
    catalog file to line numbers (core.platform.catalog_lines)."""
    from symphony.core.platform.readiness import readiness_check, tool_used

    def at(*path) -> str:
        for n in range(len(path), 0, -1):
            if path[:n] in lines:
                return f"{catalog_file}:{lines[path[:n]]}"
        return catalog_file

    found: list[Drift] = []
    if checkout.base and svc.base and _image_name(checkout.base) != _image_name(svc.base):
        found.append(Drift(f"base image: catalog says {svc.base}, the Dockerfile's final stage is {checkout.base}",
                             at("runtime", "base"), checkout.base_at))
    if checkout.base:
        for tool in svc.tools:
            if tool not in checkout.tools and tool != "sh":
                found.append(Drift(f"tool {tool!r} is in the catalog but the image does not install it",
                                     at("runtime", "tools"), checkout.base_at))
        used = tool_used(readiness_check(svc))
        if used and used not in checkout.tools:
            found.append(Drift(f"the healthcheck runs {used!r}, which the image does not have",
                                 at("health"), checkout.base_at))
    for p in svc.ports:
        for var in (p.variable, p.end_variable):
            if var and var not in checkout.env:
                found.append(Drift(f"port {p.name}: the code never reads {var}", at("ports"), ""))
        if p.variable is None and p.protocol == "tcp" and checkout.cmd_ports and p.port not in checkout.cmd_ports:
            shown = ", ".join(f"{k} ({v})" for k, v in sorted(checkout.cmd_ports.items()))
            found.append(Drift(f"port {p.name}: fixed at {p.port} in the catalog, the image's command uses {shown}",
                                 at("ports"), next(iter(checkout.cmd_ports.values()))))
    for port, where in sorted(checkout.cmd_ports.items()):
        if not any(p.port == port or (p.end and p.port <= port <= p.end) for p in svc.ports):
            found.append(Drift(f"the image's command listens on {port}, which the catalog does not list",
                               at("ports"), where))
    for e in svc.env:
        if e.name not in checkout.env:
            found.append(Drift(f"env {e.name}: the catalog passes it, the code never reads it", at("env"), ""))
    for key, endpoint in (("health", svc.health), ("metrics", svc.metrics)):
        if endpoint and endpoint.path and endpoint.path not in checkout.routes and not svc.check \
                and not endpoint.any_path:
            found.append(Drift(f"{key} path {endpoint.path}: no route for it in the code", at(key), ""))
    return found


def _image_name(image: str) -> str:
    """`debian:bookworm-slim` and `docker.io/library/debian:bookworm-slim` are the same image."""
    return re.sub(r"^(docker\.io/)?(library/)?", "", image.split("@")[0])


def catalog_lines(text: str) -> dict[tuple, int]:
    """1-based line of every mapping key path of a catalog YAML file."""
    from symphony.core.yamlio import key_lines

    return key_lines(text)
