"""`k8s.*`: a profile (or compose files) exported to Kubernetes manifests, kustomize or a Helm
chart, written where the user asked; validation; kubectl apply/diff targets."""
from __future__ import annotations

from pathlib import Path

from symphony.errors import SymphonyError, UsageError
from symphony.infra import console as ui
from symphony.infra import state

FORMATS = ("manifests", "kustomize", "helm")
MARKER = ".symphony-export"
from symphony.core.kube import KUBERNETES_VERSION as DEFAULT_VERSION  # noqa: E402

LEVEL_ORDER = ("restricted", "baseline", "privileged")
READ_LIMIT = 1024 * 1024  # a ConfigMap/Secret holds 1 MiB: stop reading a directory past that


def _read_path(path: Path, limit: int = READ_LIMIT):
    """What a bind source or secret/config file holds (HostPath), read without following links
    out of it and without reading more than `limit` bytes."""
    import os
    import stat

    from symphony.core.kube.mounts import HostPath

    try:
        st = path.stat()
    except FileNotFoundError:
        return HostPath("missing")
    except OSError:
        return HostPath("unreadable")
    try:
        if stat.S_ISREG(st.st_mode):
            if st.st_size > limit:
                return HostPath("large", skipped=(f"{st.st_size} bytes",))
            return HostPath("file", {path.name: path.read_bytes()})
        if not stat.S_ISDIR(st.st_mode):
            return HostPath("special")
        files, skipped, total = {}, [], 0
        root = path.resolve()
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames.sort()
            for fname in sorted(filenames):
                entry = Path(dirpath) / fname
                rel = entry.relative_to(path).as_posix()
                real = entry.resolve()
                if entry.is_symlink() and not (real.is_relative_to(root) and real.is_file()):
                    skipped.append(f"{rel}: a symbolic link out of the directory; left out")
                    continue
                if not real.is_file():
                    skipped.append(f"{rel}: not a regular file; left out")
                    continue
                total += real.stat().st_size
                if total > limit:
                    return HostPath("large", skipped=(f"more than {limit} bytes",))
                files[rel] = real.read_bytes()
        return HostPath("dir", files, tuple(skipped))
    except PermissionError:
        return HostPath("unreadable")


def read_host_paths(model: dict, roots: list[str]) -> dict:
    """The shell side of file mounts: every bind source under one of `roots` (the project and
    config directories) and every secret/config `file:` the services use, read; other bind
    sources are marked "outside" and never read."""
    from symphony.core.kube.mounts import HostPath

    found = {}
    resolved_roots = [Path(r).resolve() for r in roots if r]
    for svc in (model.get("services") or {}).values():
        for vol in svc.get("volumes") or []:
            source = vol.get("source", "")
            if vol.get("type") != "bind" or source in found:
                continue
            path = Path(source)
            inside = any(path.resolve().is_relative_to(r) for r in resolved_roots)
            found[source] = _read_path(path) if inside else HostPath("outside")
        for section in ("secrets", "configs"):
            for ref in svc.get(section) or []:
                top = (model.get(section) or {}).get(ref.get("source")) or {}
                if top.get("file") and top["file"] not in found:
                    found[top["file"]] = _read_path(Path(top["file"]))
    return found


def _project_name(first: Path) -> str:
    """The project name Compose itself would use: the first file's `name:`, else its directory's
    name (lower case, only [a-z0-9_-]); built images are named <project>-<service>."""
    import re

    import yaml

    try:
        declared = (yaml.safe_load(first.read_text(encoding="utf-8")) or {}).get("name")
    except (yaml.YAMLError, OSError, AttributeError, UnicodeDecodeError):  # Compose then says what is wrong
        declared = None
    if isinstance(declared, str) and "$" not in declared and declared.strip():
        return declared.strip()
    name = re.sub(r"[^a-z0-9_-]", "", first.parent.name.lower()).lstrip("_-")
    return name or state.PROJECT_PREFIX + "export"


def _compose_services(runner, project, files, env_files, profiles) -> list[str]:
    args = [a for p in profiles for a in ("--profile", p)]
    res = runner.compose(project, files, env_files, *args, "config", "--services", mutating=False, capture=True,
                         check=False)
    return res.stdout.split() if res.code == 0 else []


def load_compose_model(settings, runner, profile, files, env_files, config, compose_profiles=()):
    """(model, profile name, roots the export may read, env for secrets/configs, the keys of env that
    are secret, warnings) from --profile (env compiled to a temp file) or --file (one or more, merged
    like `compose -f`). Secret keys follow the compiler (rules 1-4) for a profile, and for env files
    what `read_env_file` reads (their `# secret keys:` line, secrets groups, the rule)."""
    import io
    import json
    import os

    from symphony.core.kube.names import dns_label
    from symphony.infra.files import kind_of, utf8_text

    warnings = []
    if files:
        paths = [Path(f).resolve() for f in files]
        for given, path in zip(files, paths, strict=True):
            if path.exists() and not path.is_file():
                raise UsageError(f"--file {given} is {kind_of(path.stat().st_mode)}, not a compose file",
                                 hint="name the compose file itself")
            if not path.is_file():
                raise UsageError(f"--file {given}: no such compose file")
        env_paths = [Path(e).resolve() for e in env_files]
        for given, path in zip(env_files, env_paths, strict=True):
            if not path.is_file():
                raise UsageError(f"--env-file {given}: no such file", hint="generate one with `inv env.generate`")
        project = _project_name(paths[0])
        args = [a for p in compose_profiles for a in ("--profile", p)]
        res = runner.compose(project, paths, env_paths, *args, "config", "--format", "json", mutating=False,
                             capture=True, check=False)
        if res.code != 0:
            raise UsageError(f"Compose rejects {', '.join(str(f) for f in paths)}:\n{res.stderr.strip()}",
                             hint="fix the file, then check it with `docker compose config`")
        model = json.loads(res.stdout)
        everything = _compose_services(runner, project, paths, env_paths, ["*"])
        enabled = set(model.get("services") or {})
        disabled = sorted(set(everything) - enabled)
        if not enabled:
            if disabled:
                raise UsageError(f"every service of {files[0]} is in a compose profile ({', '.join(disabled)}) and "
                                 "no profile is enabled, so there is nothing to export",
                                 hint="enable profiles with --compose-profile NAME (repeatable) or '*' for all")
            raise UsageError(f"{files[0]} has no services to export")
        if disabled:
            warnings.append(f"services {', '.join(disabled)} are in compose profiles that are not enabled: not "
                            "exported (--compose-profile NAME enables them)")
        from dotenv import dotenv_values

        if not env_paths and (paths[0].parent / ".env").is_file():
            env_paths = [paths[0].parent / ".env"]  # what Compose reads when no --env-file is given
        from symphony.app.envfile import secret_keys

        env, secret = {}, set()
        for path in env_paths:
            text = utf8_text(path, path.read_bytes(), hint="save the env file as UTF-8")
            values = {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None}
            env.update(values)
            secret = (secret - values.keys()) | secret_keys(text, values)
        env.update(os.environ)  # Compose: the shell's environment wins over env files
        secret = _with_the_shells_secrets(secret)
        roots = [str(paths[0].parent)]
        # the file's name stands for the profile in names and labels (`app.kubernetes.io/instance:
        # sentiric-<it>`, at most 63 characters): as a DNS label ("My Compose.yaml" -> my-compose)
        return model, dns_label(paths[0].stem, 63 - len("sentiric-")), roots, env, secret, warnings
    from symphony.app.composemodel import profile_model
    from symphony.app.envfile import resolve_profile

    profile = state.validate_profile(resolve_profile(settings, profile))
    model, compiled = profile_model(settings, runner, profile, config=config)
    env = {**compiled.values, **os.environ}
    secret = _with_the_shells_secrets(set(compiled.secrets))
    roots = [compiled.values.get("CONFIG_REPO_PATH", ""), str(state.compose_file(profile).parent)]
    return model, profile, roots, env, secret, warnings


def _with_the_shells_secrets(secret_keys: set[str]) -> set[str]:
    """The env's secret keys once the shell's environment is laid over it (as Compose does): a key
    the shell sets is secret by the rule alone."""
    import os

    from symphony.core.secrets import is_secret

    return {k for k in secret_keys if k not in os.environ} | {k for k, v in os.environ.items() if is_secret(k, v)}


MARKER_HEADER = "written by `inv k8s.export`; these are its files (a re-export replaces only them):\n"


def _previous_files(output: Path) -> list[str]:
    """The files the previous export wrote (listed in its marker); [] for an empty directory."""
    if not output.exists():
        return []
    if not output.is_dir() or output.is_symlink():
        raise UsageError(f"--output {output} is not a directory", hint="choose a directory path")
    marker = output / MARKER
    if not marker.is_file():
        if any(output.iterdir()):
            raise UsageError(f"{output} is not empty and was not written by k8s.export; refusing to overwrite it",
                             hint="choose a new --output directory")
        return []
    lines = marker.read_text(encoding="utf-8", errors="replace").splitlines()[1:]
    return [line for line in lines if line and not line.startswith(("/", "..")) and ".." not in Path(line).parts]


def write_export(output: Path, files: dict[str, str]) -> list[str]:
    """Write the export; files the previous export wrote and this one does not are removed, files
    someone else put there are kept (returned, so the user is told)."""
    from symphony.infra.files import directory_chain, write_file

    previous = _previous_files(output)
    output.mkdir(parents=True, exist_ok=True, mode=0o700)
    for rel in previous:
        stale = output / rel
        if rel not in files and (stale.is_file() or stale.is_symlink()):
            stale.unlink()
    for rel, text in sorted(files.items()):
        path = output / rel
        directory_chain(output, path.parent, 0o700)  # every level private (mkdir's mode is the last one's only)
        write_file(path, text, mode=0o600)  # Secret objects hold real values
    write_file(output / MARKER, MARKER_HEADER + "".join(f"{rel}\n" for rel in sorted(files)), mode=0o600)
    mine = set(files) | {MARKER}
    foreign = sorted(str(p.relative_to(output)) for p in output.rglob("*") if p.is_file()
                     and str(p.relative_to(output)) not in mine)
    for directory in sorted((p for p in output.rglob("*") if p.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()  # left empty by a removed stale file
    return foreign


CLUSTER_NAMESPACES = {"default"}  # and every kube-* one


def parse_export_options(namespace, expose, ingress_domain, image_pull_secret, relax, default_requests):
    """The export flags as converter Options; a bad value is a usage error naming the flag."""
    from symphony.core.kube.convert import EXPOSE_CHOICES, Options
    from symphony.core.kube.names import is_dns_label, is_dns_subdomain
    from symphony.core.kube.quantities import parse_quantity
    from symphony.core.kube.security import LEVELS

    if namespace is not None and not is_dns_label(namespace):
        raise UsageError(f"--namespace {namespace!r} is not a DNS-1123 label (lower-case letters, digits, '-', ≤ 63)")
    if namespace in CLUSTER_NAMESPACES or (namespace or "").startswith("kube-"):
        raise UsageError(f"--namespace {namespace} is one Kubernetes itself uses: the export's Namespace object "
                         "would set its Pod Security labels for everything else in it",
                         hint="give the platform a namespace of its own, e.g. --namespace sentiric")
    if expose not in EXPOSE_CHOICES:
        raise UsageError(f"--expose {expose!r} is not one of {', '.join(EXPOSE_CHOICES)}")
    if expose == "ingress" and not ingress_domain:
        raise UsageError("--expose ingress needs --ingress-domain DOMAIN (hosts become <service>.DOMAIN)")
    if ingress_domain and (expose != "ingress" or not is_dns_subdomain(ingress_domain)):
        raise UsageError(f"--ingress-domain {ingress_domain!r} must be a DNS name and goes with --expose ingress")
    for name in image_pull_secret:
        if not is_dns_subdomain(name):
            raise UsageError(f"--image-pull-secret {name!r} is not a valid Secret name (DNS-1123 subdomain)")
    pairs = []
    for item in relax:
        service, sep, level = item.partition("=")
        if not sep or not service or level not in LEVELS:
            raise UsageError(f"--relax {item!r} is not SERVICE=LEVEL with LEVEL one of {', '.join(LEVELS)}")
        pairs.append((service, level))
    requests = ()
    if default_requests != "none":
        found = {}
        for item in str(default_requests).split(","):
            key, sep, value = item.strip().partition("=")
            if key not in ("cpu", "memory") or not sep or parse_quantity(value) is None or parse_quantity(value) <= 0:
                raise UsageError(f"--default-requests {default_requests!r}: expected cpu=QUANTITY,memory=QUANTITY "
                                 "(e.g. cpu=100m,memory=128Mi) or none")
            found[key] = value
        requests = tuple(sorted(found.items()))
    return Options(namespace=namespace, expose=expose, ingress_domain=ingress_domain or "",
                   image_pull_secrets=tuple(image_pull_secret), relax=tuple(pairs), default_requests=requests)


def run_export(settings, *, profile=None, files=(), env_files=(), output=None, format="manifests", namespace=None,
               config=None, compose_profiles=(), expose="cluster", ingress_domain=None, image_pull_secrets=(),
               relax=(), default_requests="cpu=100m,memory=128Mi"):
    """Convert a profile's (or compose files') model and write the export."""
    from symphony.core.kube.layouts import kustomize_tree, render_layout
    from symphony.infra.runner import Runner

    files, env_files, compose_profiles = list(files), list(env_files), list(compose_profiles)
    if output is not None:  # before any work: "" and a symlink (dangling or not) name no place to write
        from symphony.infra.files import directory_path

        directory_path(output, "output directory")
    if format not in FORMATS:
        raise UsageError(f"--format {format!r} is not one of {', '.join(FORMATS)}")
    options = parse_export_options(namespace, expose, ingress_domain, list(image_pull_secrets), list(relax),
                                   default_requests)
    if env_files and not files:
        raise UsageError("--env-file goes with --file; a profile's env is compiled from the config repo")
    if profile is not None and files:
        raise UsageError("--profile and --file are alternatives: export a profile, or compose files",
                         hint="drop one of them")
    if compose_profiles and not files:
        raise UsageError("--compose-profile goes with --file; Symphony's profiles are chosen with --profile")
    runner = Runner(echo=False)
    if format == "kustomize" and not files and not profile:
        # one base shared by every profile, one overlay per profile
        exports = {p: convert_profile(settings, runner, p, [], [], config, options, []) for p in state.known_profiles()}
        level = _widest({lv for _, _, levels in exports.values() for lv in levels.values()})
        files_out = kustomize_tree({p: objs for p, (objs, _, _) in exports.items()}, namespace, level)
        warnings = sorted({f"[{p}] {w}" for p, (_, ws, _) in exports.items() for w in ws})
        label, count = "all profiles", sum(len(objs) for objs, _, _ in exports.values())
        default_out = state.REPO_ROOT / "dist" / "k8s" / "kustomize"
    else:
        objs, warnings, levels = convert_profile(settings, runner, profile, files, env_files, config, options,
                                                  compose_profiles)
        label = (objs[0]["metadata"]["labels"]["app.kubernetes.io/instance"].removeprefix("sentiric-") if objs
                 else "export")
        files_out = render_layout(format, objs, profile=label, namespace=namespace, level=_widest(set(levels.values())))
        count = len(objs)
        default_out = state.REPO_ROOT / "dist" / "k8s" / label
    out = Path(output or default_out).resolve()
    files_out["WARNINGS.txt"] = "".join(f"- {w}\n" for w in warnings) or "(none)\n"
    kept = write_export(out, files_out)
    if kept:
        ui.status("info", f"kept {len(kept)} file(s) in {out} that k8s.export did not write: " + ", ".join(kept[:5])
                  + (" ..." if len(kept) > 5 else ""))
    for w in warnings:
        ui.status("warn", w)
    where = f"namespace {namespace}" if namespace else "no namespace pinned (kubectl -n / helm -n decide)"
    ui.status("ok", f"{label}: {count} objects as {format} in {out}, {where} "
                    f"({len(warnings)} warning(s), also in WARNINGS.txt); secrets are in Secret objects: keep this "
                    "directory out of version control")




def _widest(levels: set[str]) -> str:
    return max(levels or {"restricted"}, key=LEVEL_ORDER.index)


def convert_profile(settings, runner, profile, files, env_files, config, options, compose_profiles):
    """(objects, warnings, Pod Security level per service) for one profile or compose file(s);
    secret values registered for masking."""
    from symphony.core.kube.convert import ConvertError, convert
    from symphony.core.secrets import secret_values

    model, profile, roots, env, secret_keys, load_warnings = load_compose_model(
        settings, runner, profile, files, env_files, config, compose_profiles)
    secrets = {env[k]: k for k in sorted(secret_keys, reverse=True) if env.get(k)}  # value -> first name holding it
    ui.register_secrets(secrets.keys())
    for svc in model.get("services", {}).values():
        environment = svc.get("environment") or {}
        ui.register_secrets(secret_values({k: str(v) for k, v in environment.items() if v is not None}))
    for top in (model.get("secrets") or {}).values():
        if (top or {}).get("environment") and env.get(top["environment"]):
            ui.register_secrets([env[top["environment"]]])
    known = set(model.get("services") or {})
    for service, _ in options.relax:
        if service not in known:
            raise UsageError(f"--relax {service}=...: no service {service!r} in the export",
                             hint=f"services: {', '.join(sorted(known))}")
    host_paths = read_host_paths(model, roots)
    used_env = {v["environment"]: env[v["environment"]] for section in ("secrets", "configs")
                for v in (model.get(section) or {}).values() if (v or {}).get("environment") in env}
    try:
        result = convert(model, profile=profile, options=options, host_paths=host_paths, env=used_env,
                         secrets=secrets)
    except ConvertError as exc:
        raise UsageError(f"{', '.join(files) or 'profile ' + profile}: {exc}") from None
    return result.manifests, sorted(load_warnings + result.warnings), result.levels


def run_validate(directory, kubernetes_version=DEFAULT_VERSION, pod_security=None):
    """Strict schemas (kubernetes-validate), the API server's checks, Pod Security admission, the secret rule."""
    from symphony.app.kubevalidate import validate_directory
    from symphony.core.kube.schema import check_version
    from symphony.core.kube.security import LEVELS

    kubernetes_version = check_version(kubernetes_version)
    if pod_security is not None and pod_security not in LEVELS:
        raise UsageError(f"--pod-security {pod_security!r} is not one of {', '.join(LEVELS)}")
    _kubectl_target(directory)  # the same "not a directory" usage error as apply/diff
    problems, count, notes = validate_directory(Path(directory), kubernetes_version, pod_security)
    for n in notes:
        ui.status("info", n)
    for p in problems:
        ui.status("fail", p)
    if problems:
        raise SymphonyError(f"{len(problems)} problem(s) in {count} object(s) under {directory}")
    ui.status("ok", f"{count} object(s) under {directory} valid for Kubernetes {kubernetes_version}"
                    f" (Pod Security {pod_security or 'as labelled, else restricted'})")


def _require_kube_context(runner, context):
    """kubectl without a context silently talks to localhost:8080; say what is missing instead."""
    if runner.dry_run:
        return
    runner.which("kubectl")
    if context:
        res = runner.query(["kubectl", "config", "get-contexts", "-o", "name"], check=False)
        if context not in res.stdout.split():
            raise UsageError(f"kubectl has no context {context!r}", hint="list them: `kubectl config get-contexts`")
        return
    res = runner.query(["kubectl", "config", "current-context"], check=False)
    if res.code != 0 or not res.stdout.strip():
        raise UsageError("kubectl has no current context, so there is no cluster to talk to",
                         hint="pass --context NAME, or select one: `kubectl config use-context NAME`")


def _kubectl_target(directory: str) -> list[str]:
    if not str(directory).strip():  # Path("") is the current directory: an unset shell variable would apply it
        raise UsageError(f"{directory!r} names no directory", hint="give the exported directory")
    path = Path(directory)
    if not path.is_dir():
        raise UsageError(f"{directory} is not a directory", hint="export first: `inv k8s.export --output DIR`")
    if (path / "kustomization.yaml").exists():
        return ["-k", str(path)]
    if (path / "Chart.yaml").exists():
        raise UsageError(f"{directory} is a Helm chart", hint="use `helm upgrade --install` for charts")
    return ["-R", "-f", str(path)]


def _apply_target(directory: str) -> list[str]:
    target = _kubectl_target(directory)
    if target[0] == "-R" and list(Path(directory).glob("overlays/*/kustomization.yaml")):
        raise UsageError(f"{directory} is a kustomize tree with one overlay per profile",
                         hint=f"apply one overlay: {Path(directory) / 'overlays' / '<profile>'}")
    return target


def kubectl_setup(runner, directory, context, namespace=None):
    """(runner for kubectl with --context, the -n/-k/-f target) after checking both are usable."""
    from symphony.core.kube.names import is_dns_label

    if namespace is not None and not is_dns_label(namespace):
        raise UsageError(f"--namespace {namespace!r} is not a DNS-1123 label")
    runner.context = context
    target = _apply_target(directory)
    _require_kube_context(runner, context)
    return runner, (["-n", namespace] if namespace else []) + target


