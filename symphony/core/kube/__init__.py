"""Kubernetes export core: compose model (as Compose resolves it) → manifests, plus checks."""

KUBERNETES_VERSION = "1.31"  # the schemas k8s.validate checks against by default
