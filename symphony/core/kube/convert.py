"""Compose model → Kubernetes manifests (pure: data in, objects + warnings out; no cluster, no files).

The model is what `docker compose config --format json` prints: every variable already
resolved, `$` re-escaped as `$$`. Every key of every service is mapped with its Compose meaning
or reported (keys.py lists them); a mapping that cannot be made safely (two services that
would get the same Kubernetes name) is refused with a ConvertError.
"""
from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field

from symphony.core.kube import keys, quantities, security
from symphony.core.kube.mounts import HostPath, service_storage, shared_file_objects
from symphony.core.kube.names import (
    JOB_NAME_MAX,
    STATEFULSET_NAME_MAX,
    dns1035_label,
    dns_label,
    is_dns_label,
    is_label_value,
    is_port_name,
    is_qualified_name,
    port_name,
)
from symphony.core.secrets import Masker, is_secret
from symphony.core.services import DECLARED, healthcheck_kind

__all__ = ["HostPath", "Options", "Export", "ConvertError", "convert"]

PART_OF = "sentiric"
# Kubernetes' IsEnvVarName (apimachinery pkg/util/validation: envVarNameFmt, hasChDirPrefix): the
# names envFrom passes on. Dots and dashes are fine (`discovery.type` for Elasticsearch).
_ENV_NAME = re.compile(r"^(?!\.\.)(?!\.$)[-._a-zA-Z][-._a-zA-Z0-9]*$")
WAIT_IMAGE = "busybox:1.36"
WAIT_RESOURCES = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "32Mi"}}
DEFAULT_REQUESTS = (("cpu", "100m"), ("memory", "128Mi"))
OPTIONAL_WAIT = 300  # seconds a `required: false` dependency is waited for before starting anyway
UNLIMITED_RETRIES = 2147483647  # on-failure without a limit: Docker retries forever
LARGE_RANGE = 20
EXPOSE_CHOICES = ("cluster", "nodeport", "loadbalancer", "ingress")
KIND_ORDER = ["Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Deployment", "StatefulSet",
              "DaemonSet", "Job", "Ingress"]
LOOPBACK = ("127.", "::1", "localhost")


class ConvertError(Exception):
    """The compose model has no faithful mapping (the message says what to change)."""


@dataclass(frozen=True)
class Options:
    namespace: str | None = None  # pinned: every object carries it; None follows kubectl -n / the release
    expose: str = "cluster"  # what published ports become: cluster | nodeport | loadbalancer | ingress
    ingress_domain: str = ""  # --expose ingress: hosts are <service>.<domain>
    image_pull_secrets: tuple = ()
    relax: tuple = ()  # ((compose service, level), ...) from the command line
    default_requests: tuple = DEFAULT_REQUESTS  # for containers Compose gives no resources; () for none
    wait_image: str = WAIT_IMAGE


@dataclass
class Export:
    manifests: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    levels: dict = field(default_factory=dict)  # compose service → Pod Security level of its pod


def unescape(value):
    """Compose's `$$` is a literal `$`."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    return value


def k8s_literal(value: str) -> str:
    """A literal for command/args: Kubernetes expands `$(VAR)` there and reduces `$$` to `$`
    (Container.args: "Double $$ are reduced to a single $"), so every `$` is doubled: `$$` (a
    shell's PID) and `$(date)` reach the container as written."""
    return no_expansion(unescape(value))


def no_expansion(text: str) -> str:
    """`text` written so that the kubelet's `$(VAR)`/`$$` expansion gives it back unchanged."""
    return text.replace("$", "$$")


def labels_for(service: str, profile: str, component: str) -> dict:
    return {
        "app.kubernetes.io/name": dns_label(service),
        "app.kubernetes.io/instance": f"sentiric-{profile}",
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "symphony",
    }


def selector_for(service: str, profile: str) -> dict:
    return {"app.kubernetes.io/name": dns_label(service), "app.kubernetes.io/instance": f"sentiric-{profile}"}


def split_env(environment: dict, known: Masker | None = None) -> tuple[dict, dict, list[str]]:
    """(config, secret, keys left out) — the env compiler's secret rule, one place: secret by its
    name or a URL password, or holding a value the `known` masker hides (a secret of the env,
    whatever the name it is passed under: `DB_CONN: ${POSTGRES_PASSWORD}`). Keys without a value, or
    that are not env var names (envFrom would skip them silently), are left out."""
    config, secret, unset = {}, {}, []
    for key, value in sorted((environment or {}).items()):
        if value is None or not _ENV_NAME.match(key):
            unset.append(key)
            continue
        value = unescape(str(value))
        holds_secret = is_secret(key, value) or bool(known and known.spans(value))
        (secret if holds_secret else config)[key] = value
    return config, secret, unset


def probe_command(test) -> list[str] | None:
    """CMD → exec argv; CMD-SHELL (or a string) → sh -c; NONE/empty → no probe."""
    if isinstance(test, str):
        return ["sh", "-c", unescape(test)]  # even "": Docker runs `sh -c ""` too (and it passes)
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        return [unescape(a) for a in test[1:]] or None
    if test[0] == "CMD-SHELL":
        return ["sh", "-c", unescape(" ".join(test[1:]))]
    return [unescape(a) for a in test]


def probes(healthcheck: dict | None, where: str = "", warnings: list[str] | None = None) -> dict:
    """Docker's healthcheck semantics (moby daemon/health.go): interval, timeout 30 s and 3 retries
    when unset or 0; during start_period probes run every start_interval (5 s) and failures do not
    count; the container is unhealthy after `retries` failures. Readiness and liveness probe like
    that; a startupProbe covers the start period plus the retries."""
    warnings = warnings if warnings is not None else []
    if healthcheck_kind(healthcheck) != DECLARED:
        return {}  # switched off, nothing to run, or the image's own (not visible in the compose model)
    command = probe_command(healthcheck.get("test"))
    if not command:
        return {}
    interval = quantities.seconds(healthcheck.get("interval"), 30)
    timeout = quantities.seconds(healthcheck.get("timeout"), 30)
    retries = int(healthcheck.get("retries") or 0)
    retries = retries if retries > 0 else 3
    base = {"exec": {"command": command}, "periodSeconds": interval, "timeoutSeconds": timeout,
            "failureThreshold": retries}
    out = {"readinessProbe": copy.deepcopy(base), "livenessProbe": copy.deepcopy(base)}
    start_period = quantities.duration(healthcheck.get("start_period"))
    if start_period > 0:
        start_interval = quantities.seconds(healthcheck.get("start_interval"), 5)
        budget = start_period + retries * interval
        out["startupProbe"] = {**copy.deepcopy(base), "periodSeconds": start_interval,
                               "failureThreshold": max(1, math.ceil(budget / start_interval))}
    elif quantities.duration(healthcheck.get("start_interval")) > 0:
        warnings.append(f"{where}: healthcheck start_interval has no effect without start_period (as in Docker)")
    return out


def container_ports(svc: dict) -> list[tuple[int, str]]:
    found = set()
    for p in svc.get("ports") or []:
        found.add((int(p["target"]), (p.get("protocol") or "tcp").upper()))
    for e in svc.get("expose") or []:
        text, _, proto = str(e).partition("/")
        start, _, end = text.partition("-")
        for port in range(int(start), int(end or start) + 1):
            found.add((port, (proto or "tcp").upper()))
    return sorted(found)


def restart_policy(svc: dict) -> tuple[str | None, int | None, str]:
    """(no | on-failure | always | None, max retries, where it came from). deploy.restart_policy
    wins over `restart` (compose-spec)."""
    policy = ((svc.get("deploy") or {}).get("restart_policy") or {})
    if policy.get("condition"):
        cond = {"none": "no", "on-failure": "on-failure", "any": "always"}.get(policy["condition"], "always")
        attempts = policy.get("max_attempts")
        return cond, int(attempts) if attempts not in (None, "", 0) else None, "deploy.restart_policy"
    restart = svc.get("restart")
    if restart in (None, ""):
        return None, None, ""
    text = str(restart)
    if text.startswith("on-failure"):
        _, _, n = text.partition(":")
        return "on-failure", int(n) if n.isdigit() and int(n) > 0 else None, "restart"
    if text == "no":
        return "no", None, "restart"
    return "always", None, "restart"


def one_shots(model: dict) -> set[str]:
    """Jobs: restart "no"/on-failure, deploy mode replicated-job/global-job, labelled one-shot,
    or awaited with service_completed_successfully."""
    services = model.get("services") or {}
    found = set()
    for name, svc in services.items():
        policy, _, _ = restart_policy(svc)
        mode = (svc.get("deploy") or {}).get("mode")
        if policy in ("no", "on-failure") or mode in ("replicated-job", "global-job") or \
                (svc.get("labels") or {}).get("com.sentiric.one-shot") == "true":
            found.add(name)
    for svc in services.values():
        for dep, spec in (svc.get("depends_on") or {}).items():
            if (spec or {}).get("condition") == "service_completed_successfully" and dep in services:
                found.add(dep)
    return found


def plain_secret_warnings(ctx: _Ctx, manifests: list[dict]) -> list[str]:
    """A secret's value that Compose interpolated into a command, an argument, a probe or a hook
    sits in plain text in the pod spec (readable by whoever may read the workload), where the
    env split cannot move it: name the service and the variable, never the value."""
    maskers = []
    for value, key in ctx.secrets.items():  # one each: the warning names which secret, and masking is the match rule
        maskers.append((key, Masker()))
        maskers[-1][1].add([value])
    found = []
    for obj in manifests:
        pod = ((obj.get("spec") or {}).get("template") or {}).get("spec")
        for container in (pod or {}).get("containers", []) + (pod or {}).get("initContainers", []):
            texts = [*container.get("command", []), *container.get("args", [])]
            for holder in ("livenessProbe", "readinessProbe", "startupProbe"):
                texts += ((container.get(holder) or {}).get("exec") or {}).get("command", [])
            for hook in ((container.get("lifecycle") or {}).values()):
                texts += (hook.get("exec") or {}).get("command", [])
            for key, masker in maskers:  # spans: the registered value only (mask also hides every URL password)
                if any(masker.spans(str(t)) for t in texts):
                    found.append(f"{obj['metadata']['name']}: the value of {key} (a secret) is written into its "
                                 "command, arguments, probe or hook in plain text, readable with the workload; in the "
                                 f"compose file write $${key} there (the shell reads it from the environment, which "
                                 "the Secret fills)")
    return found


def _known_secrets(ctx: _Ctx, given: dict) -> dict:
    """Secret value -> variable name: those given, then every value of the env or of a service's
    environment that is secret by its name or a URL password."""
    named = {str(v): k for v, k in given.items() if v}
    for source in [ctx.env] + [svc.get("environment") or {} for svc in ctx.services.values()]:
        for key, value in source.items():
            if value and is_secret(key, str(value)):
                named.setdefault(str(value), key)
    return named


def sort_key(obj: dict):
    kind = obj["kind"]
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), obj["metadata"]["name"])


class Names:
    """Object names per kind: a service's own names must not collide (refused, naming both);
    derived names (file volumes, claims) get a numeric suffix when taken."""

    def __init__(self):
        self.owner: dict[tuple[str, str], str] = {}

    def claim(self, kind: str, name: str, owner: str, what: str = "") -> None:
        key = (kind, name)
        if key in self.owner and self.owner[key] != owner:
            raise ConvertError(
                f"compose services {self.owner[key]!r} and {owner!r} both become {kind} {name!r} "
                f"{what or '(Kubernetes names are lower-case DNS labels, cut to their length limit)'}; "
                "rename one of them")
        self.owner[key] = owner

    def derived(self, kind: str, desired: str, limit: int = 63) -> str:
        name, n = dns_label(desired, limit), 2
        while (kind, name) in self.owner:
            suffix = f"-{n}"
            name, n = dns_label(desired, limit - len(suffix)) + suffix, n + 1
        self.owner[(kind, name)] = "(derived)"
        return name


@dataclass
class _Ctx:
    model: dict
    profile: str
    opts: Options
    host_paths: dict
    env: dict
    secrets: dict = field(default_factory=dict)  # secret value -> the variable that holds it
    known: Masker = field(default_factory=Masker)  # hides every one of them (split_env's rule)
    warnings: list = field(default_factory=list)
    names: Names = field(default_factory=Names)
    services: dict = field(default_factory=dict)
    base: dict = field(default_factory=dict)  # compose service → DNS-1123 base name
    service_name: dict = field(default_factory=dict)  # compose service → its Service's name
    workload: dict = field(default_factory=dict)  # compose service → (kind, name)
    ports: dict = field(default_factory=dict)
    jobs: set = field(default_factory=set)
    shared_files: dict = field(default_factory=dict)
    levels: dict = field(default_factory=dict)
    defaulted: list = field(default_factory=list)
    no_restart: list = field(default_factory=list)
    no_user: list = field(default_factory=list)
    not_mapped: dict = field(default_factory=dict)  # (key, reason) → services
    link_aliases: dict = field(default_factory=dict)  # compose service → names other services link it as
    copied: list = field(default_factory=list)  # "service:/path" of named volumes Docker would seed
    node_ports: dict = field(default_factory=dict)  # node port → the compose service whose Service holds it

    def meta(self, name: str, labels: dict, annotations: dict | None = None) -> dict:
        meta = {"name": name, "labels": dict(labels)}
        if self.opts.namespace:
            meta["namespace"] = self.opts.namespace
        if annotations:
            meta["annotations"] = dict(annotations)
        return meta


def convert(model: dict, *, profile: str, namespace: str | None = None, options: Options | None = None,
            host_paths: dict | None = None, env: dict | None = None, secrets: dict | None = None) -> Export:
    """`options` (or just `namespace`): the export's choices; `host_paths`: what the shell found at
    each bind source and secret/config file (HostPath); `env`: the variables that
    `environment:`-based secrets/configs read; `secrets`: the values the env compiler (or an env
    file's `# secret keys:`) calls secret, each with the variable holding it."""
    opts = options or Options(namespace=namespace)
    ctx = _Ctx(model=model, profile=profile, opts=opts, host_paths=dict(host_paths or {}), env=dict(env or {}))
    ctx.services = dict(sorted((model.get("services") or {}).items()))
    ctx.secrets = _known_secrets(ctx, secrets or {})
    ctx.known.add(ctx.secrets)
    ctx.jobs = one_shots(model)
    _plan_names(ctx)
    out = Export()
    out.manifests.extend(shared_file_objects(ctx, lambda name, component: ctx.meta(
        name, {**labels_for(name, profile, component), "app.kubernetes.io/name": name})))
    _shared_volume_warnings(ctx)
    for name, svc in ctx.services.items():
        try:
            out.manifests.extend(_convert_service(ctx, name, svc))
        except (ValueError, TypeError) as exc:  # a value Compose let through that has no reading here
            raise ConvertError(f"service {name!r}: {exc}") from None
    _summary_warnings(ctx)
    ctx.warnings += plain_secret_warnings(ctx, out.manifests)
    seen = {}
    for obj in out.manifests:  # the names were planned to be unique; this guards the planner
        key = (obj["kind"], obj["metadata"]["name"])
        if key in seen:
            raise ConvertError(f"two objects {obj['kind']}/{obj['metadata']['name']} (internal naming conflict)")
        seen[key] = True
    out.manifests.sort(key=sort_key)
    out.warnings = sorted(dict.fromkeys(ctx.warnings))
    out.levels = dict(ctx.levels)
    return out


def _relax_level(ctx: _Ctx, name: str, svc: dict) -> str:
    cli = dict(ctx.opts.relax)
    label = (svc.get("labels") or {}).get(security.RELAX_LABEL)
    level = cli.get(name) or label or "restricted"
    if level not in security.LEVELS:
        raise ConvertError(f"service {name!r}: label {security.RELAX_LABEL}={level!r} is not one of "
                           f"{', '.join(security.LEVELS)}")
    if level != "restricted":
        source = "--relax" if name in cli else f"label {security.RELAX_LABEL}"
        ctx.warnings.append(f"{name}: Pod Security relaxed to {level} ({source}); its namespace must allow {level} "
                            f"(pod-security.kubernetes.io/enforce: {level})")
    return level


def _plan_names(ctx: _Ctx) -> None:
    """Every service's own object names, reserved first; collisions are refused."""
    for name, svc in ctx.services.items():
        base = dns_label(name)
        service = dns1035_label(name)
        if service != name:
            extra = " (a Service name must start with a letter)" if not base[0].isalpha() else ""
            ctx.warnings.append(f"{name}: renamed {service!r} (DNS-1035){extra}; other services must use that name")
        ctx.base[name], ctx.service_name[name] = base, service
        kind = _workload_kind(ctx, name, svc)
        limit = {"StatefulSet": STATEFULSET_NAME_MAX, "Job": JOB_NAME_MAX}.get(kind, 63)
        wname = dns_label(name, limit)
        if len(base) > limit:
            ctx.warnings.append(f"{name}: {kind} named {wname!r} (a {kind} name holds at most {limit} characters)")
        ctx.workload[name] = (kind, wname)
        ctx.ports[name] = container_ports(svc)
        ctx.names.claim("Service", service, name)
        ctx.names.claim(kind, wname, name)
        ctx.names.claim("ConfigMap", f"{base}-env", name, "(its env ConfigMap)")
        ctx.names.claim("Secret", f"{base}-env", name, "(its env Secret)")
        for link in svc.get("links") or []:
            target, _, alias = str(link).partition(":")
            if alias and alias != target and target in ctx.services:
                ctx.link_aliases.setdefault(target, set()).add(alias)
        if kind == "StatefulSet" and not _headless(ctx, name, svc):
            ctx.names.claim("Service", _governing_name(service), name, "(the StatefulSet's headless Service)")


def _workload_kind(ctx: _Ctx, name: str, svc: dict) -> str:
    if name in ctx.jobs:
        return "Job"
    if (svc.get("deploy") or {}).get("mode") == "global":
        return "DaemonSet"
    labels = svc.get("labels") or {}
    if labels.get("com.sentiric.tier") == "data" or any(
            v.get("type") == "volume" and v.get("source") and
            not ((ctx.model.get("volumes") or {}).get(v["source"]) or {}).get("external")
            for v in svc.get("volumes") or []):
        return "StatefulSet"
    return "Deployment"


def _governing_name(service: str) -> str:
    return f"{dns_label(service, 54)}-headless"  # a Service name: starts with a letter, ≤ 63


def _headless(ctx: _Ctx, name: str, svc: dict) -> bool:
    return not ctx.ports[name] or (svc.get("deploy") or {}).get("endpoint_mode") == "dnsrr"


def _shared_volume_warnings(ctx: _Ctx) -> None:
    users: dict[str, set[str]] = {}
    for name, svc in ctx.services.items():
        for vol in svc.get("volumes") or []:
            if vol.get("type") == "volume" and vol.get("source"):
                users.setdefault(vol["source"], set()).add(name)  # one service mounting it twice shares nothing
    for volume, names in sorted(users.items()):
        external = ((ctx.model.get("volumes") or {}).get(volume) or {}).get("external")
        if len(names) > 1 and not external:
            ctx.warnings.append(f"volume {volume} is shared by {', '.join(sorted(names))}: each gets its own claim "
                                "(ReadWriteOnce); share data through a service instead, or use a ReadWriteMany class")
    # a writable bind of a missing or empty host directory becomes a claim per service (mounts.py): one shared
    # directory in Compose, separate data here
    binds: dict[str, set[str]] = {}
    for name, svc in ctx.services.items():
        for vol in svc.get("volumes") or []:
            host = ctx.host_paths.get(vol.get("source")) if vol.get("type") == "bind" else None
            if host is not None and not vol.get("read_only") and (
                    host.kind == "missing" or (host.kind == "dir" and not host.files)):
                binds.setdefault(vol["source"], set()).add(name)
    for source, names in sorted(binds.items()):
        if len(names) > 1:
            ctx.warnings.append(f"host directory {source} is shared by {', '.join(sorted(names))}: each gets its own "
                                "claim (ReadWriteOnce), so they no longer share its files; share data through a "
                                "service instead, or use a ReadWriteMany class")
    networks = sorted({n for svc in ctx.services.values() for n in (svc.get("networks") or {})})
    if len(networks) > 1:
        ctx.warnings.append(f"networks {', '.join(networks)}: Kubernetes has one flat pod network, so services on "
                            "different compose networks can reach each other (isolate them with NetworkPolicies)")
    for net, spec in sorted((ctx.model.get("networks") or {}).items()):
        if (spec or {}).get("internal") and net in networks:
            ctx.warnings.append(f"network {net} is internal (no outside access): not mapped (a NetworkPolicy "
                                "denying egress does that)")
    for key in sorted(set(ctx.model) - {"name", "services", "volumes", "networks", "secrets", "configs"}):
        if not key.startswith("x-"):
            ctx.warnings.append(f"top-level `{key}` is not mapped to Kubernetes")


def _summary_warnings(ctx: _Ctx) -> None:
    for (key, reason), services in sorted(ctx.not_mapped.items()):
        ctx.warnings.append(f"`{key}` not mapped ({', '.join(sorted(set(services)))}): {reason}")
    if ctx.copied:
        ctx.warnings.append("named volumes without nocopy: Docker copies the image's files at the mount path into a "
                            "new, empty volume; Kubernetes never does (" + ", ".join(sorted(ctx.copied)) +
                            "): seed them if the image ships data there")
    if ctx.defaulted:
        req = ", ".join(f"{k}={v}" for k, v in ctx.opts.default_requests)
        ctx.warnings.append(f"no resources in Compose for {', '.join(sorted(ctx.defaulted))}: requests {req} "
                            "(--default-requests)")
    if ctx.no_restart:
        ctx.warnings.append(f"no `restart:` for {', '.join(sorted(ctx.no_restart))} (Compose's default is \"no\"): "
                            "long-running Deployments, which restart a container that exits; set restart: \"no\" "
                            "for a run-once job")
    if ctx.no_user:
        ctx.warnings.append(f"runAsNonRoot without a numeric `user:` for {', '.join(sorted(ctx.no_user))}: each "
                            "image must run as a numeric non-root USER or the kubelet refuses to start it (set user: "
                            f"\"UID:GID\", or relax with label {security.RELAX_LABEL}: baseline)")


def _scan_keys(ctx: _Ctx, name: str, svc: dict) -> None:
    for key in sorted(svc):
        value = svc[key]
        if key in keys.MAPPED:
            continue
        if key.startswith("x-"):
            ctx.warnings.append(f"{name}: extension {key} has no Kubernetes meaning; ignored")
        elif key in keys.NOT_MAPPED:
            if value in (None, [], {}, "", False) or (key == "cpu_shares" and not value):
                continue
            ctx.not_mapped.setdefault((key, keys.NOT_MAPPED[key]), []).append(name)
        else:
            ctx.warnings.append(f"{name}: compose key `{key}` is not mapped to Kubernetes")
    if svc.get("container_name"):
        ctx.not_mapped.setdefault(("container_name", "pods are named by their controller"), []).append(name)
    if svc.get("build"):
        ctx.not_mapped.setdefault(("build", "Kubernetes runs images only: push the built image to a registry "
                                            "under its `image:` name"), []).append(name)


def _annotations(ctx: _Ctx, name: str, svc: dict, level: str) -> dict:
    annotations = {}
    labels_in = svc.get("labels") or {}
    for source, mapping in (("label", labels_in), ("annotation", svc.get("annotations") or {})):
        for key, value in sorted(mapping.items()):
            if is_qualified_name(key):
                annotations[key] = unescape(str(value))
            else:
                ctx.warnings.append(f"{name}: {source} {key!r} is not a valid annotation key; not carried")
    metrics_port = labels_in.get("com.sentiric.metrics.port")
    if metrics_port and labels_in.get("com.sentiric.metrics.enabled") != "false":
        annotations.update({"prometheus.io/scrape": "true", "prometheus.io/port": str(metrics_port),
                            "prometheus.io/path": unescape(labels_in.get("com.sentiric.metrics.path", "/metrics"))})
    if level != "restricted":
        annotations[security.RELAX_LABEL] = level
    return annotations


def _port_names(ctx: _Ctx, name: str, svc: dict) -> dict[tuple[int, str], dict]:
    """(port, protocol) → {"name", "appProtocol"?} from compose `ports[].name/app_protocol`."""
    out: dict = {}
    used = set()
    declared = {}
    for p in svc.get("ports") or []:
        key = (int(p["target"]), (p.get("protocol") or "tcp").upper())
        declared.setdefault(key, p)
    kept = {}  # the compose names first: a generated name never takes one of them
    for key in ctx.ports[name]:
        wanted = (declared.get(key) or {}).get("name")
        if wanted and is_port_name(wanted) and wanted not in kept.values():
            kept[key] = wanted
    used.update(kept.values())
    for key in ctx.ports[name]:
        p = declared.get(key) or {}
        wanted = p.get("name")
        if key in kept:
            pname = kept[key]
        else:
            pname, n = port_name(key[1], key[0]), 2
            while pname in used:
                pname, n = f"{port_name(key[1], key[0])}-{n}", n + 1
            if wanted:
                ctx.warnings.append(f"{name}: port name {wanted!r} is not a valid (or unique) port name (≤ 15 "
                                    f"lower-case letters, digits, '-'); {pname} used")
        used.add(pname)
        entry = {"name": pname}
        if p.get("app_protocol"):
            if is_qualified_name(p["app_protocol"]):
                entry["appProtocol"] = p["app_protocol"]
            else:
                ctx.warnings.append(f"{name}: app_protocol {p['app_protocol']!r} is not a valid appProtocol; left out")
        out[key] = entry
    for p in svc.get("ports") or []:
        if p.get("mode") == "host":
            ctx.warnings.append(f"{name}: port {p['target']} mode host is Swarm's: Compose publishes it like any "
                                "port, and so does the export (never as a hostPort, which Pod Security refuses)")
    return out


def _command(ctx: _Ctx, name: str, svc: dict, container: dict) -> None:
    entrypoint, command = svc.get("entrypoint"), svc.get("command")
    if entrypoint:
        container["command"] = [k8s_literal(a) for a in entrypoint]
    if command:
        if entrypoint == []:
            # the image's ENTRYPOINT is cleared, so the command runs on its own
            container["command"] = [k8s_literal(a) for a in command]
        else:
            container["args"] = [k8s_literal(a) for a in command]
    if entrypoint == [] and not command:
        ctx.warnings.append(f"{name}: entrypoint: [] clears the image's ENTRYPOINT so its CMD runs alone; Kubernetes "
                            "cannot clear it without naming that CMD: the image's ENTRYPOINT still runs (set "
                            "`command:` to the CMD)")
    if command == [] and not entrypoint:
        ctx.warnings.append(f"{name}: command: [] clears the image's CMD; Kubernetes cannot express empty args (it "
                            "uses the CMD): the image's CMD still runs (set `entrypoint:` to run the ENTRYPOINT alone)")


def _pull_policy(ctx: _Ctx, name: str, svc: dict, container: dict) -> None:
    policy = svc.get("pull_policy")
    if policy in ("always",):
        container["imagePullPolicy"] = "Always"
    elif policy in ("never",):
        container["imagePullPolicy"] = "Never"
    else:
        # Compose's default (`missing`) pulls only a missing image, also for :latest
        container["imagePullPolicy"] = "IfNotPresent"
        if policy and policy not in ("missing", "if_not_present", "build"):
            ctx.warnings.append(f"{name}: pull_policy {policy} is not mapped (Kubernetes has no pull schedule); "
                                "IfNotPresent")


def _resources(ctx: _Ctx, name: str, svc: dict) -> dict:
    deploy = svc.get("deploy") or {}
    spec = deploy.get("resources") or {}
    limits, requests = {}, {}
    lim, res = spec.get("limits") or {}, spec.get("reservations") or {}
    for section, values in (("limits", lim), ("reservations", res)):
        for extra in sorted(set(values) - {"memory", "cpus"}):
            if values[extra] not in (None, "", 0, [], {}):
                ctx.warnings.append(f"{name}: deploy.resources.{section}.{extra} is not mapped (Kubernetes has no "
                                    "per-pod pids limit; devices need a device plugin's extended resource)")
    memory_limit = lim.get("memory") or svc.get("mem_limit")
    cpu_limit = lim.get("cpus") or svc.get("cpus")
    if not cpu_limit and svc.get("cpu_quota") and svc.get("cpu_period"):
        cpu_limit = int(svc["cpu_quota"]) / int(svc["cpu_period"])
    elif svc.get("cpu_quota") or svc.get("cpu_period"):
        if not cpu_limit:
            ctx.warnings.append(f"{name}: cpu_quota/cpu_period need each other; not mapped")
    if memory_limit not in (None, "", 0, "0"):
        limits["memory"] = quantities.memory(memory_limit)
    if cpu_limit not in (None, "", 0, "0"):
        limits["cpu"] = quantities.cpu(cpu_limit)
    memory_request = res.get("memory") or svc.get("mem_reservation")
    if memory_request not in (None, "", 0, "0"):
        requests["memory"] = quantities.memory(memory_request)
    if res.get("cpus") not in (None, "", 0, "0"):
        requests["cpu"] = quantities.cpu(res["cpus"])
    for key in list(requests):
        if key in limits and quantities.parse_quantity(requests[key]) > quantities.parse_quantity(limits[key]):
            ctx.warnings.append(f"{name}: reservation {key} {requests[key]} exceeds its limit {limits[key]} (the API "
                                "server refuses a request above its limit); the request is set to the limit")
            requests[key] = limits[key]
    out = {}
    if limits:
        out["limits"] = limits
    if requests:
        out["requests"] = requests
    if not out and ctx.opts.default_requests:
        out["requests"] = dict(ctx.opts.default_requests)
        ctx.defaulted.append(name)
    return out


def _wait_containers(ctx: _Ctx, name: str, svc: dict) -> list[dict]:
    inits = []
    for dep, spec in sorted((svc.get("depends_on") or {}).items()):
        spec = spec or {}
        condition = spec.get("condition", "service_started")
        required = spec.get("required", True) not in (False, "false")
        if spec.get("restart") in (True, "true"):
            ctx.not_mapped.setdefault(("depends_on.restart", "Kubernetes does not restart dependents when a "
                                       "dependency restarts"), []).append(name)
        if dep not in ctx.services:
            ctx.warnings.append(f"{name}: depends on {dep}, which is not exported (required: false): starts without it")
            continue
        if condition == "service_completed_successfully":
            ctx.warnings.append(f"{name}: waits for one-shot {dep} ({condition}); {dep} is a Job and {name} starts "
                                f"without waiting — its own readiness probe gates traffic until {dep} is done")
            continue
        if dep in ctx.jobs:  # a finished Job's pod is not ready, so its Service has no endpoint to wait for
            ctx.warnings.append(f"{name}: depends on one-shot {dep} ({condition}); {dep} is a Job, whose Service "
                                f"has no endpoint once it has finished, so {name} does not wait for it (a wait "
                                f"would block every later start of {name})")
            continue
        target = ctx.services[dep]
        if condition == "service_healthy" and not probes(target.get("healthcheck")):
            ctx.warnings.append(f"{name}: waits for {dep} to be healthy, but {dep} has no healthcheck in the compose "
                                "file (an image HEALTHCHECK is not visible here and Kubernetes ignores it): waits "
                                "for its Service only")
        host = ctx.service_name[dep]
        tcp = [p for p, proto in ctx.ports[dep] if proto == "TCP"]
        if tcp:
            probe, what = f"nc -z -w 2 {host} {tcp[0]}", f"{host}:{tcp[0]}"
        elif _headless(ctx, dep, target):
            # a headless Service's name resolves only to ready pods
            probe, what = f"nslookup {host} >/dev/null 2>&1", host
        else:
            ctx.warnings.append(f"{name}: depends on {dep}, which has only UDP ports: nothing to wait for; no init "
                                "container")
            continue
        if required:
            script = f"until {probe}; do echo waiting for {what}; sleep 2; done"
        else:
            script = (f"i=0; until {probe}; do i=$((i+2)); if [ $i -ge {OPTIONAL_WAIT} ]; then echo {what} not ready "
                      f"after {OPTIONAL_WAIT}s, starting anyway '(required: false)'; exit 0; fi; echo waiting for "
                      f"{what}; sleep 2; done")
            ctx.warnings.append(f"{name}: depends on {dep} with required: false: waits at most {OPTIONAL_WAIT}s, then "
                                "starts anyway")
        wait_name = f"wait-for-{dns_label(dep, 54)}"
        if wait_name == ctx.base[name]:  # a service named like its own wait: container names must differ
            wait_name = f"wait-for-{dns_label(dep, 49)}-init"
        inits.append({
            "name": wait_name,
            "image": ctx.opts.wait_image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["sh", "-c", no_expansion(script)],
            "resources": copy.deepcopy(WAIT_RESOURCES),
            "securityContext": security.wait_container_context(),
        })
    return inits


def _lifecycle(ctx: _Ctx, name: str, svc: dict) -> dict:
    out = {}
    for key, field_name in (("post_start", "postStart"), ("pre_stop", "preStop")):
        hooks = svc.get(key) or []
        if not hooks:
            continue
        hook = hooks[0]
        command = hook.get("command")
        if isinstance(command, str):
            command = ["sh", "-c", command]
        if command:
            out[field_name] = {"exec": {"command": [unescape(c) for c in command]}}
        for extra in sorted(set(hook) - {"command"}):
            ctx.warnings.append(f"{name}: {key} {extra} is not mapped (a hook runs as the container, in its "
                                "environment and working directory)")
        if len(hooks) > 1:
            ctx.warnings.append(f"{name}: {key} has {len(hooks)} hooks; Kubernetes runs one: only the first is mapped")
    return out


def _scheduling(ctx: _Ctx, name: str, svc: dict, pod: dict) -> None:
    selector, not_in = {}, []
    platform = svc.get("platform")
    if platform:
        parts = str(platform).split("/")
        arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(parts[1], parts[1]) if len(parts) > 1 else None
        for key, value in (("kubernetes.io/os", parts[0]), ("kubernetes.io/arch", arch)):
            if value is None:
                continue
            if is_label_value(value):
                selector[key] = value
            else:
                ctx.warnings.append(f"{name}: platform {platform!r} is not mapped "
                                    f"({value!r} is not a node label value)")
        if len(parts) > 2 and parts[2] not in ("v8",):
            ctx.warnings.append(f"{name}: platform variant {parts[2]} is not mapped (nodes are selected by os/arch)")
    placement = (svc.get("deploy") or {}).get("placement") or {}
    for constraint in placement.get("constraints") or []:
        m = re.match(r"^\s*([\w.\-/]+)\s*(==|!=)\s*(.+?)\s*$", str(constraint))
        key = None
        if m:
            attr, op, value = m.groups()
            if attr.startswith("node.labels."):
                key = attr[len("node.labels."):]
            else:
                key = {"node.hostname": "kubernetes.io/hostname", "node.platform.os": "kubernetes.io/os",
                       "node.platform.arch": "kubernetes.io/arch"}.get(attr)
                value = {"x86_64": "amd64", "aarch64": "arm64"}.get(value, value)
        if not key or not is_qualified_name(key) or not is_label_value(value):
            ctx.warnings.append(f"{name}: placement constraint {constraint!r} is not mapped (only node labels, "
                                "hostname, os and arch have node-label equivalents)")
            continue
        if op == "==":
            selector[key] = value
        else:
            not_in.append({"key": key, "operator": "NotIn", "values": [value]})
    for key in ("preferences", "max_replicas_per_node"):
        if placement.get(key):
            ctx.warnings.append(f"{name}: deploy.placement.{key} is not mapped (use topologySpreadConstraints)")
    if selector:
        pod["nodeSelector"] = dict(sorted(selector.items()))
    if not_in:
        pod["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": not_in}]}}}


def _network_bits(ctx: _Ctx, name: str, svc: dict, pod: dict, kind: str) -> list[str]:
    """hostname, extra_hosts, dns_search/dns_opt; returns the aliases other services use for it."""
    if svc.get("hostname"):
        hostname = unescape(str(svc["hostname"]))
        if kind == "StatefulSet":
            ctx.warnings.append(f"{name}: hostname {hostname} is not mapped (a StatefulSet names its pods)")
        elif is_dns_label(hostname):
            pod["hostname"] = hostname
        else:
            ctx.warnings.append(f"{name}: hostname {hostname!r} is not a DNS-1123 label; not set")
    aliases_by_ip: dict[str, list[str]] = {}
    for entry in svc.get("extra_hosts") or []:
        host, sep, ip = str(entry).partition("=")
        if not sep:
            host, _, ip = str(entry).rpartition(":")
        if ip == "host-gateway" or not ip:
            ctx.warnings.append(f"{name}: extra_hosts {entry} is not mapped (a pod has no Docker host gateway)")
            continue
        aliases_by_ip.setdefault(ip.strip("[]"), []).append(host)
    if aliases_by_ip:
        pod["hostAliases"] = [{"ip": ip, "hostnames": sorted(h)} for ip, h in sorted(aliases_by_ip.items())]
    dns = {}
    if svc.get("dns_search"):
        searches = svc["dns_search"] if isinstance(svc["dns_search"], list) else [svc["dns_search"]]
        dns["searches"] = [str(s) for s in searches]
    if svc.get("dns_opt"):
        options = []
        for opt in svc["dns_opt"]:
            key, sep, value = str(opt).partition(":")
            options.append({"name": key, **({"value": value} if sep else {})})
        dns["options"] = options
    if dns:
        pod["dnsConfig"] = dns
    aliases = []
    for net, spec in sorted((svc.get("networks") or {}).items()):
        spec = spec or {}
        aliases += [str(a) for a in spec.get("aliases") or []]
        for key in sorted(set(spec) - {"aliases"}):
            if spec[key] not in (None, "", [], {}, 0):
                ctx.warnings.append(f"{name}: networks.{net}.{key} is not mapped (pods get addresses and interfaces "
                                    "from the network plugin)")
    return aliases


def _service_objects(ctx: _Ctx, name: str, svc: dict, labels: dict, selector: dict, aliases: list[str],
                     port_info: dict) -> tuple[list[dict], str | None]:
    """The Service(s) every compose service gets, and the governing Service's name for a StatefulSet."""
    objs = []
    kind, wname = ctx.workload[name]
    ports = ctx.ports[name]
    headless = _headless(ctx, name, svc)
    spec: dict = {"selector": dict(selector)}
    if ports:
        spec["ports"] = [{**port_info[(p, proto)], "port": p, "targetPort": p, "protocol": proto} for p, proto in ports]
    if headless:
        spec["clusterIP"] = "None"
    main = ctx.service_name[name]
    objs.append({"apiVersion": "v1", "kind": "Service", "metadata": ctx.meta(main, labels), "spec": spec})
    governing = None
    if kind == "StatefulSet":
        if headless:
            governing = main
        else:
            governing = _governing_name(main)
            objs.append({"apiVersion": "v1", "kind": "Service", "metadata": ctx.meta(governing, labels),
                         "spec": {**copy.deepcopy(spec), "clusterIP": "None", "publishNotReadyAddresses": True}})
    for alias in sorted(set(aliases) | ctx.link_aliases.get(name, set())):
        alias_name = dns1035_label(alias)
        if alias_name == main:
            continue
        if ("Service", alias_name) in ctx.names.owner:
            ctx.warnings.append(f"{name}: alias {alias} is already the name of another Service; not created")
            continue
        ctx.names.claim("Service", alias_name, name)
        if alias_name != alias:
            ctx.warnings.append(f"{name}: alias {alias} becomes the Service {alias_name!r} (DNS-1035)")
        objs.append({"apiVersion": "v1", "kind": "Service", "metadata": ctx.meta(alias_name, labels),
                     "spec": copy.deepcopy(spec)})
    objs += _exposure(ctx, name, svc, labels, selector)
    return objs, governing


def _exposure(ctx: _Ctx, name: str, svc: dict, labels: dict, selector: dict) -> list[dict]:
    published = [p for p in svc.get("ports") or [] if p.get("published") not in (None, "")]
    if not published:
        return []
    local = [p for p in published if str(p.get("host_ip") or "").startswith(LOOPBACK)]
    public = [p for p in published if p not in local]

    def show(ps):
        items = [f"{p.get('host_ip') or '0.0.0.0'}:{p['published']}/{p.get('protocol') or 'tcp'}" for p in ps]
        return ", ".join(items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")

    if local:
        ctx.warnings.append(f"{name}: host port(s) {show(local)} are bound to the loopback address in Compose: not "
                            "exposed outside the cluster "
                            f"(use `kubectl port-forward service/{ctx.service_name[name]}`)")
    if not public:
        return []
    expose = ctx.opts.expose
    if expose == "cluster":
        ctx.warnings.append(f"{name}: host port(s) {show(public)} stay inside the cluster (ClusterIP Service "
                            "ports); choose --expose nodeport|loadbalancer|ingress to publish them")
        return []
    main = ctx.service_name[name]
    if expose == "ingress":
        tcp = [p for p in public if (p.get("protocol") or "tcp") == "tcp"]
        rest = [p for p in public if p not in tcp[:1]]
        if rest:
            ctx.warnings.append(f"{name}: host port(s) {show(rest)} not exposed: an Ingress carries one HTTP port per "
                                "host (use --expose loadbalancer for the others)")
        if not tcp:
            return []
        host = f"{main}.{ctx.opts.ingress_domain}"
        ctx.names.claim("Ingress", main, name)
        return [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": ctx.meta(main, labels),
                 "spec": {"rules": [{"host": host, "http": {"paths": [{
                     "path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": main, "port": {"number": int(tcp[0]["target"])}}}}]}}]}}]
    public_name = f"{dns_label(main, 56)}-public"
    ctx.names.claim("Service", public_name, name, "(its published ports)")
    ports, seen = [], set()
    for p in public:
        proto = (p.get("protocol") or "tcp").upper()
        number = int(str(p["published"]).split("-")[0])
        if (number, proto) in seen:
            continue
        seen.add((number, proto))
        entry = {"name": port_name(proto, number), "port": number, "targetPort": int(p["target"]), "protocol": proto}
        if expose == "nodeport":
            holder = ctx.node_ports.setdefault(number, name) if 30000 <= number <= 32767 else None
            if holder not in (None, name):  # one node port, one Service in the whole cluster
                ctx.warnings.append(f"{name}: host port {number} is {holder}'s node port too (on another host "
                                    "address in Compose); a node port is the cluster's, so the cluster assigns "
                                    f"{name} one (see `kubectl get service`)")
            elif holder is not None:
                entry["nodePort"] = number
            else:
                ctx.warnings.append(f"{name}: host port {number} is outside the NodePort range 30000-32767; the "
                                    "cluster assigns one (see `kubectl get service`)")
        ports.append(entry)
    for p in public:
        if p.get("host_ip") not in (None, "", "0.0.0.0", "::"):
            ctx.warnings.append(f"{name}: host_ip {p['host_ip']} is not mapped (a {expose} Service listens on every "
                                "node or load-balancer address)")
    kind = "NodePort" if expose == "nodeport" else "LoadBalancer"
    return [{"apiVersion": "v1", "kind": "Service", "metadata": ctx.meta(public_name, labels),
             "spec": {"type": kind, "selector": dict(selector), "ports": ports}}]


def _rollout(ctx: _Ctx, name: str, svc: dict, kind: str, recreate: bool) -> dict:
    deploy = svc.get("deploy") or {}
    update = deploy.get("update_config") or {}
    if deploy.get("rollback_config"):
        ctx.warnings.append(f"{name}: deploy.rollback_config is not mapped (`kubectl rollout undo` rolls back)")
    for key in ("delay", "failure_action", "monitor", "max_failure_ratio"):
        if update.get(key) not in (None, "", 0):
            ctx.warnings.append(f"{name}: deploy.update_config.{key} is not mapped (Kubernetes uses readiness and "
                                "progressDeadlineSeconds)")
    if kind != "Deployment":
        if update:
            ctx.warnings.append(f"{name}: deploy.update_config is not mapped for a {kind}")
        return {}
    if recreate:
        if update:
            ctx.warnings.append(f"{name}: deploy.update_config is not mapped: a pod with a ReadWriteOnce claim is "
                                "replaced with the Recreate strategy")
        return {"strategy": {"type": "Recreate"}}
    if not update:
        return {}
    parallelism = update.get("parallelism", 1)
    step = "100%" if parallelism in (0, "0") else int(parallelism)
    if update.get("order") == "start-first":
        rolling = {"maxSurge": step, "maxUnavailable": 0}
    else:
        rolling = {"maxSurge": 0, "maxUnavailable": step}
    return {"strategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}


def _replicas(ctx: _Ctx, name: str, svc: dict) -> int:
    deploy = svc.get("deploy") or {}
    if deploy.get("replicas") is not None:
        return int(deploy["replicas"])
    if svc.get("scale") is not None:
        return int(svc["scale"])
    return 1


def _convert_service(ctx: _Ctx, name: str, svc: dict) -> list[dict]:
    _scan_keys(ctx, name, svc)
    kind, wname = ctx.workload[name]
    base = ctx.base[name]
    labels_in = svc.get("labels") or {}
    one_shot = kind == "Job"
    component = str(labels_in.get("com.sentiric.tier", "job" if one_shot else "app"))
    if not is_label_value(component):
        component = "app"
    labels = labels_for(name, ctx.profile, component)
    selector = selector_for(name, ctx.profile)
    level = _relax_level(ctx, name, svc)
    ctx.levels[name] = level
    objs = []

    config, secret, unset = split_env(svc.get("environment"), ctx.known)
    for key in unset:
        if _ENV_NAME.match(key):
            ctx.warnings.append(f"{name}: environment {key} has no value in the model; left out")
        else:
            ctx.warnings.append(f"{name}: environment key {key!r} is not a valid variable name; left out "
                                "(Kubernetes envFrom would skip it)")
    env_from = []
    if config:
        objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": ctx.meta(f"{base}-env", labels),
                     "data": config})
        env_from.append({"configMapRef": {"name": f"{base}-env"}})
    if secret:
        objs.append({"apiVersion": "v1", "kind": "Secret", "metadata": ctx.meta(f"{base}-env", labels),
                     "type": "Opaque", "stringData": secret})
        env_from.append({"secretRef": {"name": f"{base}-env"}})

    image = svc.get("image")
    if not image:  # docker/compose@f729794 pkg/api/api.go:801-806: projectName + "-" + service.Name, as written
        image = f"{ctx.model.get('name') or 'project'}-{name}"
        ctx.warnings.append(f"{name}: no image in the compose model; using {image} (the name Compose gives the "
                            "image it builds)")
    container: dict = {"name": base, "image": unescape(str(image))}
    _pull_policy(ctx, name, svc, container)
    _command(ctx, name, svc, container)
    if svc.get("working_dir"):
        container["workingDir"] = unescape(str(svc["working_dir"]))
    if env_from:
        container["envFrom"] = env_from
    ports = ctx.ports[name]
    port_info = _port_names(ctx, name, svc)
    if ports:
        container["ports"] = [{"name": port_info[(p, proto)]["name"], "containerPort": p, "protocol": proto}
                              for p, proto in ports]
        by_proto: dict[str, list[int]] = {}
        for port, proto in ports:
            by_proto.setdefault(proto, []).append(port)
        for proto, nums in sorted(by_proto.items()):
            if len(nums) > LARGE_RANGE:
                ctx.warnings.append(f"{name}: {len(nums)} {proto} ports ({min(nums)}-{max(nums)}) become {len(nums)} "
                                    "Service ports; for RTP consider hostNetwork or a smaller range (RTP_PORT_MIN/MAX)")
    container.update(probes(svc.get("healthcheck"), name, ctx.warnings))
    resources = _resources(ctx, name, svc)
    if resources:
        container["resources"] = resources
    container.update({"lifecycle": lc} if (lc := _lifecycle(ctx, name, svc)) else {})
    if svc.get("tty"):
        container["tty"] = True
    if svc.get("stdin_open"):
        container["stdin"] = True

    storage = service_storage(ctx, name, svc, meta=ctx.meta("", labels), data_service=kind == "StatefulSet",
                              one_shot=one_shot)
    objs.extend(storage.objects)
    if storage.mounts:
        container["volumeMounts"] = sorted(storage.mounts, key=lambda m: m["mountPath"])
    low_ports = any(p < 1024 for p, _ in ports)
    pod_sc, container_sc = security.contexts(name, svc, level, fs_group_needed=storage.writable or bool(
        storage.claim_templates), low_ports=low_ports, warnings=ctx.warnings)
    if level == "restricted" and "runAsUser" not in container_sc:
        ctx.no_user.append(name)
    if container_sc:
        container["securityContext"] = container_sc

    pod: dict = {"containers": [container], "enableServiceLinks": False, "automountServiceAccountToken": False,
                 "securityContext": pod_sc}
    inits = _wait_containers(ctx, name, svc)
    if inits:
        pod["initContainers"] = inits
    if storage.volumes:
        pod["volumes"] = sorted(storage.volumes, key=lambda v: v["name"])
    if svc.get("stop_grace_period"):
        pod["terminationGracePeriodSeconds"] = quantities.seconds(svc["stop_grace_period"], 10)
    if svc.get("init"):
        pod["shareProcessNamespace"] = True
    if ctx.opts.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": s} for s in ctx.opts.image_pull_secrets]
    aliases = _network_bits(ctx, name, svc, pod, kind)
    _scheduling(ctx, name, svc, pod)
    annotations = _annotations(ctx, name, svc, level)
    template = {"metadata": {"labels": dict(labels), **({"annotations": annotations} if annotations else {})},
                "spec": pod}
    deploy_labels = (svc.get("deploy") or {}).get("labels") or {}
    workload_annotations = {k: unescape(str(v)) for k, v in sorted(deploy_labels.items()) if is_qualified_name(k)}
    meta = ctx.meta(wname, labels, workload_annotations)

    services, governing = _service_objects(ctx, name, svc, labels, selector, aliases, port_info)
    objs.extend(services)
    replicas = _replicas(ctx, name, svc)
    policy, retries, policy_source = restart_policy(svc)
    if policy is None and not one_shot:
        ctx.no_restart.append(name)
    for key in ("delay", "window"):
        if ((svc.get("deploy") or {}).get("restart_policy") or {}).get(key):
            ctx.warnings.append(f"{name}: deploy.restart_policy.{key} is not mapped (Kubernetes backs off "
                                "exponentially up to 5 minutes)")
    if one_shot:
        if policy == "on-failure":
            pod["restartPolicy"] = "OnFailure"
            backoff = retries if retries is not None else UNLIMITED_RETRIES
        else:
            pod["restartPolicy"] = "Never"
            backoff = 0
            if policy == "always":
                ctx.warnings.append(f"{name}: {policy_source} always on a one-shot service: the Job runs it to "
                                    "completion once")
        spec = {"backoffLimit": backoff, "template": template}
        if replicas != 1:
            spec["parallelism"] = replicas
            if replicas:
                spec["completions"] = replicas
        objs.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec})
        return objs
    spec = {"selector": {"matchLabels": selector}, "template": template}
    if kind == "DaemonSet":
        if replicas != 1:
            ctx.warnings.append(f"{name}: replicas {replicas} is not mapped: deploy.mode global runs one pod per node")
        if storage.rwo_claims:
            ctx.warnings.append(f"{name}: deploy.mode global with a ReadWriteOnce claim: only one node can mount it")
        objs.append({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta, "spec": spec})
        return objs
    spec["replicas"] = replicas
    spec.update(_rollout(ctx, name, svc, kind, storage.rwo_claims))
    if kind == "StatefulSet":
        if replicas > 1 and storage.claim_templates:
            ctx.warnings.append(f"{name}: each of its {replicas} replicas gets its own claim per named volume "
                                "(Compose shares one volume between a service's replicas)")
        spec["serviceName"] = governing
        spec["podManagementPolicy"] = "Parallel"  # Compose starts every replica at once
        if storage.claim_templates:
            spec["volumeClaimTemplates"] = storage.claim_templates
    objs.append({"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec})
    return objs
