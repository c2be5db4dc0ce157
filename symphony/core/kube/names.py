"""Kubernetes naming rules, as the API server applies them (apimachinery's validation package).

- DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 (Namespace, container, volume and
  Service port names).
- DNS-1035 label: the same but starting with a letter (Service names: they become DNS names).
- DNS-1123 subdomain: dot-separated labels, at most 253 (ConfigMap, Secret, PVC, Deployment, ...).
- IANA_SVC_NAME: at most 15, lower-case letters, digits and single hyphens, at least one letter
  (container port names, and string targetPorts).
"""
from __future__ import annotations

import re

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

# the StatefulSet controller labels each pod `controller-revision-hash: <name>-<hash of up to 10>`,
# and a label value holds at most 63 characters: longer names are accepted but get no pods
STATEFULSET_NAME_MAX = 52
JOB_NAME_MAX = 63  # the Job's name becomes its pods' `batch.kubernetes.io/job-name` label value


def dns_label(name: str, limit: int = 63) -> str:
    """A compose name as a DNS-1123 label (≤ `limit`): lower case, runs of other characters → "-"."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return cleaned[:limit].rstrip("-") or "service"


def dns1035_label(name: str) -> str:
    """A DNS-1123 label that also starts with a letter (Service names)."""
    label = dns_label(name)
    return label if label[0].isalpha() else dns_label(f"s-{label}")


def is_dns_label(name: str) -> bool:
    return isinstance(name, str) and len(name) <= 63 and bool(_DNS1123_LABEL.match(name))


def is_dns1035_label(name: str) -> bool:
    return isinstance(name, str) and len(name) <= 63 and bool(_DNS1035_LABEL.match(name))


def is_dns_subdomain(name: str) -> bool:
    return isinstance(name, str) and len(name) <= 253 and bool(_DNS1123_SUBDOMAIN.match(name))


def port_name(protocol: str, port: int) -> str:
    return f"{protocol.lower()}-{port}"  # "udp-10000": ≤ 15 characters, valid in both rules


def is_port_name(name: str) -> bool:
    """IANA_SVC_NAME: container port names and string targetPorts."""
    return (isinstance(name, str) and 0 < len(name) <= 15 and bool(_IANA_SVC_NAME.match(name))
            and "--" not in name and bool(re.search("[a-z]", name)))


def is_label_value(value) -> bool:
    return isinstance(value, str) and len(value) <= 63 and bool(_LABEL_VALUE.match(value))


def is_qualified_name(key) -> bool:
    """A label or annotation key: optional DNS-subdomain prefix (≤ 253) + "/" + name (≤ 63)."""
    if not isinstance(key, str) or not key:
        return False
    prefix, slash, name = key.rpartition("/")
    if slash and not (prefix and is_dns_subdomain(prefix)):
        return False
    return len(name) <= 63 and bool(_QUALIFIED_NAME.match(name))


def is_config_key(key) -> bool:
    """A ConfigMap or Secret data key."""
    return isinstance(key, str) and len(key) <= 253 and bool(_CONFIG_KEY.match(key)) and key not in (".", "..")


def config_key(path: str) -> str:
    """A file's relative path as a ConfigMap/Secret key ("conf.d/a b.conf" → "conf.d_a_b.conf")."""
    key = re.sub(r"[^-._a-zA-Z0-9]+", "_", path.replace("/", "_"))
    return key if key not in (".", "..", "") else f"_{key}"
