"""`k8s.*`: export a profile to Kubernetes manifests, kustomize or a Helm chart; validate, diff, apply."""
from __future__ import annotations

from pathlib import Path

from symphony.infra import console as ui
from symphony.infra import state
from symphony.cli import settings, task
from symphony.errors import SymphonyError, UsageError

FORMATS = ("manifests", "kustomize", "helm")
MARKER = ".symphony-export"
DEFAULT_VERSION = "1.31"
DRY_HELP = "print the kubectl command, run nothing"
CONTEXT_HELP = "kubectl context (default: the current one)"


def _read_bind_files(model: dict, config_root: str) -> tuple[dict[str, dict[str, bytes]], list[str]]:
    """Contents of the config-repo directories/files the services bind-mount (the shell side)."""
    files, warnings = {}, []
    for svc in (model.get("services") or {}).values():
        for vol in svc.get("volumes") or []:
            source = vol.get("source", "")
            if vol.get("type") != "bind" or source in files or not config_root or not source.startswith(config_root):
                continue
            path = Path(source)
            entries = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path] if path.is_file() else []
            content = {}
            for p in entries:
                if p.stat().st_size > 900 * 1024:
                    warnings.append(f"{p}: larger than a ConfigMap/Secret can hold (1 MiB); left out")
                    continue
                content[p.name] = p.read_bytes()
            files[source] = content
    return files, warnings


def load_compose_model(c, runner, profile, file, env_file, config):
    """(model, profile name, config root) from --profile (env compiled to a temp file) or --file."""
    from symphony.app.composemodel import load_model

    if file:
        files = [Path(file).resolve()]
        if not files[0].is_file():
            raise UsageError(f"--file {file}: no such compose file")
        env_files = [Path(env_file).resolve()] if env_file else []
        if env_files and not env_files[0].is_file():
            raise UsageError(f"--env-file {env_file}: no such file", hint="generate one with `inv env.generate`")
        model = load_model(runner, files, env_files, state.PROJECT_PREFIX + "export")
        return model, profile or files[0].stem, ""
    from symphony.app.composemodel import profile_model
    from symphony.app.envfile import resolve_profile

    profile = state.validate_profile(resolve_profile(settings(c), profile))
    model, compiled = profile_model(settings(c), runner, profile, config=config)
    return model, profile, compiled.values.get("CONFIG_REPO_PATH", "")


def _prepare_dir(output: Path) -> None:
    if output.exists() and any(output.iterdir()) and not (output / MARKER).exists():
        raise UsageError(f"{output} is not empty and was not written by k8s.export; refusing to overwrite it",
                         hint="choose a new --output directory")
    if output.exists():
        import shutil

        shutil.rmtree(output)  # only ever a previous export (it carries the marker)
    output.mkdir(parents=True, mode=0o700)
    (output / MARKER).write_text("written by `inv k8s.export`; the whole directory is regenerated on export\n")


def write_export(output: Path, files: dict[str, str]) -> None:
    _prepare_dir(output)
    for rel, text in sorted(files.items()):
        path = output / rel
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        state.atomic_write(path, text, mode=0o600)  # Secret objects hold real values


@task(help={
    "profile": "profile to export (default: the active profile; kustomize: every profile)",
    "file": "export this compose file instead of a profile",
    "env_file": "with --file: env file for its variables",
    "output": "directory to write (default: dist/k8s/<profile>)",
    "format": "manifests (default) | kustomize | helm",
    "namespace": "namespace for the objects (default: sentiric)",
    "config": "config repo path (default: the usual config source)",
})
def export(c, profile=None, file=None, env_file=None, output=None, format="manifests", namespace="sentiric", config=None):
    """Convert a profile's compose model to Kubernetes manifests, kustomize or a Helm chart."""
    from symphony.core.kube.layouts import kustomize_tree, render_layout
    from symphony.core.kube.names import is_dns_label
    from symphony.infra.runner import Runner

    if format not in FORMATS:
        raise UsageError(f"--format {format!r} is not one of {', '.join(FORMATS)}")
    if not is_dns_label(namespace):
        raise UsageError(f"--namespace {namespace!r} is not a DNS-1123 label")
    if env_file and not file:
        raise UsageError("--env-file goes with --file; a profile's env is compiled from the config repo")
    runner = Runner(echo=False)
    if format == "kustomize" and not file and not profile:
        # one base shared by every profile, one overlay per profile
        exports = {p: _convert_profile(c, runner, p, None, None, config, namespace=None) for p in state.known_profiles()}
        files = kustomize_tree({p: objs for p, (objs, _) in exports.items()}, namespace)
        warnings = sorted({f"[{p}] {w}" for p, (_, ws) in exports.items() for w in ws})
        label, count = "all profiles", sum(len(objs) for objs, _ in exports.values())
        default_out = state.REPO_ROOT / "dist" / "k8s" / "kustomize"
    else:
        objs, warnings = _convert_profile(c, runner, profile, file, env_file, config, namespace=namespace)
        label = objs[0]["metadata"]["labels"]["app.kubernetes.io/instance"].removeprefix("sentiric-") if objs else "export"
        files = render_layout(format, objs, profile=label, namespace=namespace)
        count = len(objs)
        default_out = state.REPO_ROOT / "dist" / "k8s" / label
    out = Path(output or default_out).resolve()
    files["WARNINGS.txt"] = "".join(f"- {w}\n" for w in warnings) or "(none)\n"
    write_export(out, files)
    for w in warnings:
        ui.status("warn", w)
    ui.status("ok", f"{label}: {count} objects as {format} in {out} "
                    f"({len(warnings)} warning(s), also in WARNINGS.txt); secrets are in Secret objects: keep this "
                    "directory out of version control")


def _convert_profile(c, runner, profile, file, env_file, config, namespace):
    """(objects, warnings) for one profile or compose file; secret values registered for masking."""
    from symphony.core.kube.convert import convert
    from symphony.core.secrets import secret_values

    model, profile, config_root = load_compose_model(c, runner, profile, file, env_file, config)
    for svc in model.get("services", {}).values():
        ui.register_secrets(secret_values({k: str(v) for k, v in (svc.get("environment") or {}).items() if v is not None}))
    bind_files, read_warnings = _read_bind_files(model, config_root)
    result = convert(model, profile=profile, namespace=namespace, bind_files=bind_files, config_root=config_root)
    return result.manifests, sorted(read_warnings + result.warnings)


@task(help={"directory": "exported directory (manifests or kustomize base/overlays)",
            "kubernetes_version": f"schema version to validate against (default {DEFAULT_VERSION})"})
def validate(c, directory, kubernetes_version=DEFAULT_VERSION):
    """Strict schema validation (kubernetes-validate) plus the checks schemas miss."""
    from symphony.core.kube.schema import check_version
    from symphony.core.kube.validate import validate_directory

    kubernetes_version = check_version(kubernetes_version)
    _kubectl_target(directory)  # the same "not a directory" usage error as apply/diff
    problems, count = validate_directory(Path(directory), kubernetes_version)
    for p in problems:
        ui.status("fail", p)
    if problems:
        raise SymphonyError(f"{len(problems)} problem(s) in {count} object(s) under {directory}")
    ui.status("ok", f"{count} object(s) under {directory} valid for Kubernetes {kubernetes_version}")


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
    path = Path(directory)
    if not path.is_dir():
        raise UsageError(f"{directory} is not a directory", hint="export first: `inv k8s.export --output DIR`")
    if (path / "kustomization.yaml").exists():
        return ["-k", str(path)]
    if (path / "Chart.yaml").exists():
        raise UsageError(f"{directory} is a Helm chart", hint="use `helm upgrade --install` for charts")
    return ["-R", "-f", str(path)]


def _kubectl_setup(c, directory, context, dry_run):
    """(runner for kubectl with --context, the -k/-f target) after checking both are usable."""
    from symphony.infra.runner import parse_context

    runner = parse_context(c, None, dry_run)
    runner.context = context
    target = _kubectl_target(directory)
    _require_kube_context(runner, context)
    return runner, target


@task(help={"directory": "exported directory", "context": CONTEXT_HELP, "dry_run": DRY_HELP})
def apply(c, directory, context=None, dry_run=False):
    """kubectl server-side apply of an exported directory."""
    runner, target = _kubectl_setup(c, directory, context, dry_run)
    runner.kubectl("apply", "--server-side", "--field-manager=symphony", *target)


@task(help={"directory": "exported directory", "context": CONTEXT_HELP, "dry_run": DRY_HELP})
def diff(c, directory, context=None, dry_run=False):
    """kubectl server-side diff of an exported directory against the cluster (exit 1 = differences)."""
    runner, target = _kubectl_setup(c, directory, context, dry_run)
    res = runner.kubectl("diff", "--server-side", "--field-manager=symphony", *target,
                         check=False)
    if res.code == 1:
        raise SymphonyError("the cluster differs from the export (shown above)", exit_code=1)
    if res.code > 1:
        raise SymphonyError(f"kubectl diff failed with exit code {res.code}", hint="check the context: `kubectl config get-contexts`",
                            exit_code=res.code)
