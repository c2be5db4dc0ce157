"""Kubernetes export core: compose model (as Compose resolves it) → manifests, plus checks."""
