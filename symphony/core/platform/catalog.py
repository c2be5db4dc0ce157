"""The Sentiric platform as data, read from its service repositories (pure: dicts in, typed
objects out; `load_catalog` reads the YAML files under compose/catalog/).

One file per service, `compose/catalog/<service>.yaml`, holds what the service's own repo says
at the commit it names: the published image, the final image's tools and user, every socket
it listens on (and the variable that moves it), its health and metrics endpoints, the
variables its code reads (and which ones it cannot start without), what it needs running
first, and which names its TLS certificate must carry. Every fact cites `path:line` in that
repo at that commit; a choice the repo is silent on is listed under `assumed`.

The compose files of `core`, `gateway`, `prod` and `dev` are rendered from this catalog
(core/platform/composegen.py), the healthcheck of each service is chosen from its tools
(core/platform/readiness.py), and `inv platform.audit` compares it with service checkouts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

TOOLS = ("sh", "bash", "curl", "wget", "nc", "pgrep", "python", "node", "perl")
TIERS = ("app", "data", "ui")
CERTS_MOUNT = "/sentiric-certificates"
# `registry/name` without a tag: Sentiric's images are tagged ${TAG}; third-party ones carry theirs
_IMAGE = re.compile(r"^[a-z0-9]+([._/-][a-z0-9]+)*(:[A-Za-z0-9._-]+)?$")
_VAR = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class CatalogError(ValueError):
    """A catalog file that does not describe a service consistently (names the file and key)."""


@dataclass(frozen=True)
class Port:
    name: str
    port: int
    protocol: str = "tcp"
    variable: str | None = None   # what the code reads to move it; None: fixed in the image
    setting: str | None = None    # the config-repo variable Compose passes as `variable` (default: the same name)
    tls: str = "none"
    cite: str = ""
    end: int | None = None               # a range (RTP): port..end, bound per call
    end_variable: str | None = None      # what the code reads for the end of the range
    end_setting: str | None = None

    @property
    def config_variable(self) -> str | None:
        return self.setting or self.variable

    @property
    def end_config_variable(self) -> str | None:
        return self.end_setting or self.end_variable

    @property
    def ref(self) -> str:
        """The port (or range) as the compose file writes it: from the env when it can move, else literal."""
        first = f"${{{self.config_variable}}}" if self.config_variable else str(self.port)
        if self.end is None:
            return first
        last = f"${{{self.end_config_variable}}}" if self.end_config_variable else str(self.end)
        return f"{first}-{last}"


@dataclass(frozen=True)
class Endpoint:
    port: str                     # a Port.name
    path: str | None = None       # an HTTP path answering 200; None: a TCP connect is the signal
    cite: str = ""
    any_path: bool = False        # the server answers 200 on every path (the probe uses `path`)


EMPTY_EFFECTS = ("exits", "hangs")  # what a service does with a required variable set but empty


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str
    required: bool = False  # unset: the service exits
    cite: str = ""
    empty: str | None = None  # set but empty: "exits" (or fails its start), "hangs" (never serves); None: runs


@dataclass(frozen=True)
class Dependency:
    service: str
    condition: str = "service_healthy"
    why: str = ""
    cite: str = ""


@dataclass(frozen=True)
class Service:
    name: str
    repo: str
    commit: str
    image: str
    tier: str
    tools: tuple[str, ...]
    user: str = "0"
    run_as: str = ""              # uid[:gid] to run as, not the image's USER (e.g. a data image's own service user)
    base: str = ""
    commit_date: str = ""
    image_cite: str = ""
    runtime_cite: str = ""
    command: tuple[str, ...] = ()
    check: tuple[str, ...] = ()   # an image's own readiness command (pg_isready, redis-cli ...): data images
    check_cite: str = ""
    ports: tuple[Port, ...] = ()
    health: Endpoint | None = None
    metrics: Endpoint | None = None
    env: tuple[EnvVar, ...] = ()
    depends: tuple[Dependency, ...] = ()
    certificates: bool = False
    tls_names: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    start_period: str = "30s"
    source: str = ""
    assumed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    labels: dict = field(default_factory=dict, compare=False)

    @property
    def process_uid(self) -> str:
        """The uid the process runs as (what a key file must be readable by)."""
        return (self.run_as or self.user).split(":")[0]

    @property
    def sentiric(self) -> bool:
        return self.image.startswith("ghcr.io/sentiric/")

    @property
    def image_ref(self) -> str:
        """The image as the compose files write it (registry and tag from the env)."""
        if self.sentiric:
            return "${SENTIRIC_REGISTRY:-ghcr.io/sentiric}" + self.image[len("ghcr.io/sentiric"):] + ":${TAG:-latest}"
        path = self.image if "/" in self.image.split(":")[0] else f"library/{self.image}"
        return "${DOCKERHUB_MIRROR:-docker.io}/" + path

    @property
    def source_dir(self) -> str:
        """The dev profile's checkout: ../<repo name>."""
        return self.source or self.repo.split("/")[-1]

    def port(self, name: str) -> Port:
        for p in self.ports:
            if p.name == name:
                return p
        raise KeyError(name)

    def cite(self, where: str) -> str:
        """`repo@commit:path:line` for a cite written relative to this service's repo."""
        if "@" in where.split(":")[0] or where.startswith("ASSUMED"):
            return where
        return f"{self.repo}@{self.commit}:{where}"


@dataclass(frozen=True)
class Catalog:
    services: dict[str, Service]
    profiles: dict[str, tuple[str, ...]]
    descriptions: dict[str, str]
    excluded: dict[str, str] = field(default_factory=dict)  # service repo -> why it is not in the catalog


def _tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def service_from_dict(doc: dict, where: str = "") -> Service:
    """One service from its YAML document; CatalogError names `where` and the key at fault."""
    def need(key):
        if key not in doc or doc[key] in (None, ""):
            raise CatalogError(f"{where}: `{key}` is required")
        return doc[key]

    name = str(need("name"))
    runtime = doc.get("runtime") or {}
    tools = tuple(runtime.get("tools") or ())
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        raise CatalogError(f"{where}: runtime.tools: unknown tool(s) {unknown}; known: {', '.join(TOOLS)}")
    tier = doc.get("tier", "app")
    if tier not in TIERS:
        raise CatalogError(f"{where}: tier {tier!r} is not one of {', '.join(TIERS)}")
    image = str(need("image"))
    if not _IMAGE.match(image) or (image.startswith("ghcr.io/sentiric/") and ":" in image):
        raise CatalogError(f"{where}: image {image!r}: give registry/name (Sentiric images without a tag)")
    ports = []
    for i, p in enumerate(doc.get("ports") or ()):
        try:
            port = Port(name=str(p["name"]), port=int(p["port"]), protocol=p.get("protocol", "tcp"),
                        variable=p.get("variable"), setting=p.get("setting"), tls=p.get("tls", "none"),
                        cite=p.get("cite", ""), end=int(p["end"]) if p.get("end") is not None else None,
                        end_variable=p.get("end_variable"), end_setting=p.get("end_setting"))
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogError(f"{where}: ports[{i}]: needs name and a numeric port ({exc})") from None
        if port.protocol not in ("tcp", "udp"):
            raise CatalogError(f"{where}: ports[{i}] ({port.name}): protocol must be tcp or udp")
        for var in (port.variable, port.setting, port.end_variable, port.end_setting):
            if var is not None and not _VAR.match(var):
                raise CatalogError(f"{where}: ports[{i}] ({port.name}): {var!r} is not a variable name")
        ports.append(port)
    names = [p.name for p in ports]
    if len(set(names)) != len(names):
        raise CatalogError(f"{where}: port names must be unique: {names}")

    def endpoint(key):
        e = doc.get(key)
        if not e:
            return None
        if e.get("port") not in names:
            raise CatalogError(f"{where}: {key}.port {e.get('port')!r} is not one of the ports {names}")
        if e.get("path") is not None and not str(e["path"]).startswith("/"):
            raise CatalogError(f"{where}: {key}.path must start with /")
        return Endpoint(e["port"], e.get("path"), e.get("cite", ""), bool(e.get("any_path", False)))

    health, metrics = endpoint("health"), endpoint("metrics")
    check = (doc.get("check") or {}).get("test")
    if check is not None and (not isinstance(check, list) or not check or check[0] not in ("CMD", "CMD-SHELL")):
        raise CatalogError(f"{where}: check.test must be a Compose test list starting with CMD or CMD-SHELL")
    if metrics is not None and not metrics.path:
        raise CatalogError(f"{where}: metrics needs an HTTP path")
    if (health is not None and health.path is None and ports
            and next(p for p in ports if p.name == health.port).protocol != "tcp"):
        raise CatalogError(f"{where}: health on {health.port}: a UDP port cannot be probed by a connect")
    env = []
    for i, e in enumerate(doc.get("env") or ()):
        if not isinstance(e, dict) or "name" not in e or "value" not in e:
            raise CatalogError(f"{where}: env[{i}]: needs name and value")
        if not _VAR.match(str(e["name"])) and str(e["name"]).upper() != str(e["name"]):
            raise CatalogError(f"{where}: env[{i}]: {e['name']!r} is not a variable name")
        empty = e.get("empty")
        if empty is not None and (empty not in EMPTY_EFFECTS or not e.get("required")):
            raise CatalogError(f"{where}: env[{i}] ({e['name']}): `empty` is one of {', '.join(EMPTY_EFFECTS)}, "
                               "and only on a required variable")
        env.append(EnvVar(str(e["name"]), str(e["value"]), bool(e.get("required", False)), e.get("cite", ""), empty))
    env_names = [e.name for e in env] + [v for p in ports for v in (p.variable, p.end_variable) if v]
    dupes = sorted({n for n in env_names if env_names.count(n) > 1})
    if dupes:
        raise CatalogError(f"{where}: env sets {', '.join(dupes)} twice (port variables are set from `ports`)")
    depends = []
    for i, d in enumerate(doc.get("depends") or ()):
        if not isinstance(d, dict) or "service" not in d:
            raise CatalogError(f"{where}: depends[{i}]: needs a service")
        cond = d.get("condition", "service_healthy")
        if cond not in ("service_started", "service_healthy", "service_completed_successfully"):
            raise CatalogError(f"{where}: depends[{i}]: condition {cond!r} is not a Compose condition")
        depends.append(Dependency(d["service"], cond, d.get("why", ""), d.get("cite", "")))
    return Service(
        name=name, repo=str(need("repo")), commit=str(need("commit")), image=image, tier=tier, tools=tools,
        user=str(runtime.get("user", "0")), run_as=str(runtime.get("run_as", "") or ""),
        base=str(runtime.get("base", "")), commit_date=str(doc.get("commit_date", "")),
        image_cite=doc.get("image_cite", ""), runtime_cite=runtime.get("cite", ""),
        command=tuple(str(c) for c in _tuple(doc.get("command"))), ports=tuple(ports), health=health, metrics=metrics,
        check=tuple(str(c) for c in _tuple((doc.get("check") or {}).get("test"))),
        check_cite=str((doc.get("check") or {}).get("cite", "")),
        env=tuple(env), depends=tuple(depends), certificates=bool(doc.get("certificates", False)),
        tls_names=tuple(str(n) for n in _tuple(doc.get("tls_names"))),
        published=tuple(str(p) for p in _tuple(doc.get("published"))),
        volumes=tuple(str(v) for v in _tuple(doc.get("volumes"))), start_period=str(doc.get("start_period", "30s")),
        source=str(doc.get("source", "")), assumed=tuple(str(a) for a in _tuple(doc.get("assumed"))),
        notes=tuple(str(n) for n in _tuple(doc.get("notes"))), labels=dict(doc.get("labels") or {}),
    )


def catalog_from_docs(services: list[tuple[str, dict]], profiles_doc: dict, where: str = "profiles.yaml") -> Catalog:
    """The whole catalog from parsed documents: (where, service doc) pairs plus the profiles doc."""
    found: dict[str, Service] = {}
    for origin, doc in services:
        svc = service_from_dict(doc, origin)
        if svc.name in found:
            raise CatalogError(f"{origin}: service {svc.name} is already described elsewhere")
        found[svc.name] = svc
    for svc in found.values():
        for dep in svc.depends:
            if dep.service not in found:
                raise CatalogError(f"{svc.name}: depends on {dep.service}, which the catalog does not describe")
    profiles: dict[str, tuple[str, ...]] = {}
    descriptions: dict[str, str] = {}
    for name, spec in (profiles_doc.get("profiles") or {}).items():
        members = list(found) if spec.get("services") == "all" else list(spec.get("services") or ())
        members = [m for m in members if m not in (spec.get("except") or ())]
        unknown = [m for m in members if m not in found]
        if unknown:
            raise CatalogError(f"{where}: profile {name} names unknown service(s) {unknown}")
        profiles[name] = tuple(sorted(members, key=list(found).index))
        descriptions[name] = str(spec.get("description", name)).strip()
    return Catalog(found, profiles, descriptions, dict(profiles_doc.get("excluded") or {}))


def load_catalog(directory) -> Catalog:
    """Every `*.yaml` of `directory` (services) plus its `profiles.yaml`."""
    from pathlib import Path

    import yaml

    from symphony.core.yamlio import load_yaml

    directory = Path(directory)
    docs = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "profiles.yaml":
            continue
        try:
            docs.append((str(path), load_yaml(path.read_text(encoding="utf-8")) or {}))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise CatalogError(f"{path}:{mark.line + 1 if mark else '?'}: not valid YAML") from None
    profiles_path = directory / "profiles.yaml"
    profiles_doc = load_yaml(profiles_path.read_text(encoding="utf-8")) or {}
    return catalog_from_docs(docs, profiles_doc, str(profiles_path))


_WHOLE_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fails_on_empty(catalog: Catalog, profile: str, values: dict[str, str]) -> dict[str, list[str]]:
    """Config variables that are set but empty where a service of `profile` reads them whole into
    a variable its code refuses empty (`empty: exits|hangs` in the catalog): variable -> what each
    such service then does, with the fact's source."""
    found: dict[str, list[str]] = {}
    for name in catalog.profiles.get(profile, ()):
        svc = catalog.services[name]
        for e in svc.env:
            m = _WHOLE_REFERENCE.fullmatch(e.value) if e.empty else None
            if m and values.get(m.group(1)) == "":
                effect = "exits" if e.empty == "exits" else "never becomes ready"
                parts = [p.strip() for p in e.cite.split(";")]
                where = next((p for p in parts if "empty" in p), parts[0])  # the part about an empty value
                found.setdefault(m.group(1), []).append(
                    f"{name} {effect} when its {e.name} is empty ({svc.repo}@{svc.commit[:7]} {where})")
    return found
