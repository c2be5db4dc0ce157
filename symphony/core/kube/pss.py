"""Pod Security Standards checks (pure): what admission at `baseline` or `restricted` refuses.

Follows the published standard (https://kubernetes.io/docs/concepts/security/pod-security-standards/)
and the checks of k8s.io/pod-security-admission: each returns human-readable violations.
"""
from __future__ import annotations

from symphony.core.kube.security import (
    BASELINE_CAPABILITIES,
    RESTRICTED_CAPABILITIES,
    RESTRICTED_VOLUME_TYPES,
    safe_sysctls,
)

SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


def _containers(pod: dict):
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod.get(field) or []:
            yield c


def baseline(pod: dict, pod_meta: dict | None = None, version: tuple[int, int] = (1, 31)) -> list[str]:
    problems = []
    psc = pod.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            problems.append(f"{field}: true (host namespaces are forbidden)")
    if (psc.get("windowsOptions") or {}).get("hostProcess"):
        problems.append("windowsOptions.hostProcess: true is forbidden")
    for vol in pod.get("volumes") or []:
        if "hostPath" in vol:
            problems.append(f"volume {vol.get('name')}: hostPath volumes are forbidden")
    if (psc.get("seccompProfile") or {}).get("type") == "Unconfined":
        problems.append("pod seccompProfile Unconfined is forbidden")
    if (psc.get("appArmorProfile") or {}).get("type") == "Unconfined":
        problems.append("pod appArmorProfile Unconfined is forbidden")
    problems += _selinux("pod", psc.get("seLinuxOptions"))
    allowed_sysctls = safe_sysctls(version)
    for sysctl in psc.get("sysctls") or []:
        if sysctl.get("name") not in allowed_sysctls:
            problems.append(f"sysctl {sysctl.get('name')} is not in the safe set")
    for key, value in ((pod_meta or {}).get("annotations") or {}).items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and \
                value not in ("runtime/default", "") and not value.startswith("localhost/"):
            problems.append(f"annotation {key}: {value} (AppArmor must be runtime/default or localhost/*)")
    for c in _containers(pod):
        where = f"container {c.get('name')}"
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            problems.append(f"{where}: privileged: true is forbidden")
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            problems.append(f"{where}: windowsOptions.hostProcess: true is forbidden")
        added = set((sc.get("capabilities") or {}).get("add") or [])
        if added - BASELINE_CAPABILITIES:
            problems.append(f"{where}: capabilities.add {', '.join(sorted(added - BASELINE_CAPABILITIES))} "
                            "beyond the baseline set")
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                problems.append(f"{where}: hostPort {port['hostPort']} is forbidden")
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            problems.append(f"{where}: seccompProfile Unconfined is forbidden")
        if (sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
            problems.append(f"{where}: appArmorProfile Unconfined is forbidden")
        if sc.get("procMount") not in (None, "Default"):
            problems.append(f"{where}: procMount {sc['procMount']} is forbidden")
        problems += _selinux(where, sc.get("seLinuxOptions"))
    return problems


def _selinux(where: str, options: dict | None) -> list[str]:
    if not options:
        return []
    problems = []
    if options.get("type", "") not in SELINUX_TYPES:
        problems.append(f"{where}: seLinuxOptions.type {options['type']} is forbidden")
    for key in ("user", "role"):
        if options.get(key):
            problems.append(f"{where}: seLinuxOptions.{key} must not be set")
    return problems


def restricted(pod: dict, pod_meta: dict | None = None, version: tuple[int, int] = (1, 31)) -> list[str]:
    problems = baseline(pod, pod_meta, version)
    psc = pod.get("securityContext") or {}
    for vol in pod.get("volumes") or []:
        types = set(vol) - {"name"}
        if types - RESTRICTED_VOLUME_TYPES:
            problems.append(f"volume {vol.get('name')}: type {', '.join(sorted(types))} is not allowed (only "
                            f"{', '.join(sorted(RESTRICTED_VOLUME_TYPES))})")
    pod_non_root = psc.get("runAsNonRoot") is True
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type") in ("RuntimeDefault", "Localhost")
    if psc.get("runAsUser") == 0:
        problems.append("pod runAsUser 0 is forbidden")
    for c in _containers(pod):
        where = f"container {c.get('name')}"
        sc = c.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation must be false")
        non_root = sc.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            problems.append(f"{where}: runAsNonRoot must be true (on the pod or the container)")
        if sc.get("runAsUser") == 0:
            problems.append(f"{where}: runAsUser 0 is forbidden")
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost") and not (seccomp is None and pod_seccomp):
            problems.append(f"{where}: seccompProfile must be RuntimeDefault or Localhost "
                            "(on the pod or the container)")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            problems.append(f"{where}: capabilities.drop must include ALL")
        added = set(caps.get("add") or [])
        if added - RESTRICTED_CAPABILITIES:
            problems.append(f"{where}: capabilities.add may only hold NET_BIND_SERVICE (has "
                            f"{', '.join(sorted(added - RESTRICTED_CAPABILITIES))})")
    return problems


def check(level: str, pod: dict, pod_meta: dict | None = None, version: tuple[int, int] = (1, 31)) -> list[str]:
    if level == "restricted":
        return restricted(pod, pod_meta, version)
    if level == "baseline":
        return baseline(pod, pod_meta, version)
    return []
