"""`k8s.*`: export a profile to Kubernetes manifests, kustomize or a Helm chart; validate, diff, apply."""
from __future__ import annotations

from symphony.cli import settings, task
from symphony.core.kube import KUBERNETES_VERSION as DEFAULT_VERSION

DRY_HELP = "print the kubectl command, run nothing"
CONTEXT_HELP = "kubectl context (default: the current one)"
NAMESPACE_HELP = "namespace for objects the export did not pin (kubectl -n; default: the context's)"


@task(iterable=["file", "env_file", "compose_profile", "image_pull_secret", "relax"], help={
    "profile": "profile to export (default: the active profile; kustomize: every profile)",
    "file": "export this compose file instead of a profile; repeat to merge files like `compose -f a -f b`",
    "env_file": "with --file: env file for its variables (repeatable, like compose --env-file)",
    "compose_profile": "with --file: enable this compose profile (repeatable; '*' for all)",
    "output": "directory to write (default: dist/k8s/<profile>)",
    "format": "manifests (default) | kustomize | helm",
    "namespace": "pin every object to this namespace and write a Namespace with Pod Security labels "
                 "(default: none, so kubectl -n / the Helm release's namespace decides)",
    "expose": "what published ports become: cluster (default, ClusterIP only) | nodeport | loadbalancer | ingress",
    "ingress_domain": "with --expose ingress: hosts are <service>.DOMAIN",
    "image_pull_secret": "add this Secret to every pod's imagePullSecrets (repeatable)",
    "relax": "SERVICE=LEVEL: run that service at Pod Security baseline or privileged (repeatable; reported)",
    "default_requests": "resource requests for containers Compose gives none: cpu=Q,memory=Q (default "
                        "cpu=100m,memory=128Mi) or none",
    "config": "config repo path (default: the usual config source)",
})
def export(c, profile=None, file=None, env_file=None, output=None, format="manifests", namespace=None, config=None,
           compose_profile=None, expose="cluster", ingress_domain=None, image_pull_secret=None, relax=None,
           default_requests="cpu=100m,memory=128Mi"):
    # (the parameter order fixes Invoke's short flags: the older ones keep theirs)
    """Convert a profile's compose model to Kubernetes manifests, kustomize or a Helm chart."""
    from symphony.app.export import run_export

    run_export(settings(c), profile=profile, files=list(file or []), env_files=list(env_file or []), output=output,
               format=format, namespace=namespace, config=config, compose_profiles=list(compose_profile or []),
               expose=expose, ingress_domain=ingress_domain, image_pull_secrets=list(image_pull_secret or []),
               relax=list(relax or []), default_requests=default_requests)


@task(help={"directory": "exported directory (manifests, or a kustomization / kustomize tree: each overlay is "
                         "built with kubectl kustomize)",
            "kubernetes_version": f"schema version to validate against (default {DEFAULT_VERSION})",
            "pod_security": "Pod Security level the pods must pass: restricted | baseline | privileged (default: the "
                            "enforce label of a Namespace in the directory, else restricted)"})
def validate(c, directory, kubernetes_version=DEFAULT_VERSION, pod_security=None):
    """Strict schemas (kubernetes-validate), the API server's checks, Pod Security admission, the secret rule."""
    from symphony.app.export import run_validate

    run_validate(directory, kubernetes_version, pod_security)


@task(help={"directory": "exported directory", "context": CONTEXT_HELP, "namespace": NAMESPACE_HELP,
            "dry_run": DRY_HELP})
def apply(c, directory, context=None, namespace=None, dry_run=False):
    """kubectl server-side apply of an exported directory."""
    from symphony.app.export import kubectl_setup
    from symphony.infra.runner import parse_context

    runner, target = kubectl_setup(parse_context(c, None, dry_run), directory, context, namespace)
    runner.kubectl("apply", "--server-side", "--field-manager=symphony", *target)


@task(help={"directory": "exported directory", "context": CONTEXT_HELP, "namespace": NAMESPACE_HELP,
            "dry_run": DRY_HELP})
def diff(c, directory, context=None, namespace=None, dry_run=False):
    """kubectl server-side diff of an exported directory against the cluster (exit 1 = differences)."""
    from symphony.app.export import kubectl_setup
    from symphony.errors import SymphonyError
    from symphony.infra.runner import parse_context

    runner, target = kubectl_setup(parse_context(c, None, dry_run), directory, context, namespace)
    res = runner.kubectl("diff", "--server-side", "--field-manager=symphony", *target, check=False)
    if res.code == 1:
        raise SymphonyError("the cluster differs from the export (shown above)", exit_code=1)
    if res.code > 1:
        raise SymphonyError(f"kubectl diff failed with exit code {res.code}",
                            hint="check the context: `kubectl config get-contexts`", exit_code=res.code)
