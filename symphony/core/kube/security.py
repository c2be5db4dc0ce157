"""Security contexts from a compose service, at a Pod Security Standards level (pure).

Default `restricted` (what a namespace enforcing Pod Security `restricted` admits): pods run
with runAsNonRoot and the RuntimeDefault seccomp profile; every container drops ALL
capabilities (NET_BIND_SERVICE may be added back) and cannot escalate privileges. A service
whose image needs root or more capabilities is relaxed on purpose, per service, to `baseline`
(root allowed, Docker's default capability set, cap_add within the baseline list) or
`privileged` (compose `privileged`, any cap_add, `seccomp=unconfined`); every relaxed service is
reported. Rules: https://kubernetes.io/docs/concepts/security/pod-security-standards/
"""
from __future__ import annotations

LEVELS = ("restricted", "baseline", "privileged")
RELAX_LABEL = "com.sentiric.k8s.pod-security"

# Pod Security Standards, baseline: capabilities that may be added
BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
RESTRICTED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
# the safe sysctls baseline allows, by the first Kubernetes minor version that allows them
SAFE_SYSCTLS = {
    (1, 0): {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
             "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"},
    (1, 27): {"net.ipv4.ip_local_reserved_ports"},
    (1, 29): {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
              "net.ipv4.tcp_keepalive_probes"},
}
RESTRICTED_VOLUME_TYPES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                                     "persistentVolumeClaim", "projected", "secret"})
DEFAULT_FS_GROUP = 1000
WAIT_USER = 65534  # nobody: the wait containers need no identity


def safe_sysctls(version: tuple[int, int] = (1, 0)) -> set[str]:
    return set().union(*(names for since, names in SAFE_SYSCTLS.items() if since <= version))


def capability(name: str) -> str:
    """Docker accepts `CAP_NET_ADMIN` and `NET_ADMIN`; Kubernetes wants the bare name (the runtime
    adds the prefix itself, so `CAP_X` would become `CAP_CAP_X`)."""
    name = str(name).strip().upper()
    return name[4:] if name.startswith("CAP_") else name


def parse_user(user) -> tuple[int | None, int | None, list[str]]:
    """(uid, gid, problems) from compose `user: uid[:gid]` (names cannot be resolved offline)."""
    if user in (None, ""):
        return None, None, []
    uid_text, _, gid_text = str(user).partition(":")
    problems = []
    uid = int(uid_text) if uid_text.isdigit() else None
    gid = int(gid_text) if gid_text.isdigit() else None
    if uid is None:
        problems.append(f"user {uid_text!r} is a name: Kubernetes needs a numeric uid (runAsUser); not set")
    if gid_text and gid is None:
        problems.append(f"group {gid_text!r} of `user: {user}` is a name: Kubernetes needs a numeric gid "
                        "(runAsGroup); not set")
    return uid, gid, problems


def security_opts(svc: dict) -> dict[str, str]:
    """`security_opt` as {option: value} ("no-new-privileges:true" → {"no-new-privileges": "true"})."""
    out = {}
    for opt in svc.get("security_opt") or []:
        key, sep, value = str(opt).replace("=", ":", 1).partition(":")
        out[key.strip()] = value.strip() if sep else "true"
    return out


def contexts(name: str, svc: dict, level: str, *, fs_group_needed: bool, low_ports: bool,
             warnings: list[str]) -> tuple[dict, dict]:
    """(pod securityContext, container securityContext) for `level`; what the level cannot
    grant is reported in `warnings`."""
    uid, gid, problems = parse_user(svc.get("user"))
    warnings.extend(f"{name}: {p}" for p in problems)
    opts = security_opts(svc)
    for key in sorted(opts):
        if key not in ("no-new-privileges", "seccomp"):
            warnings.append(f"{name}: security_opt {key}:{opts[key]} is not mapped (AppArmor/SELinux profiles are "
                            "set per node in Kubernetes)")
    no_new_privileges = opts.get("no-new-privileges", "false").lower() in ("true", "1", "")
    seccomp = opts.get("seccomp")
    adds = [capability(c) for c in svc.get("cap_add") or []]
    drops = [capability(c) for c in svc.get("cap_drop") or []]
    if "ALL" in adds:
        adds = ["ALL"]

    pod: dict = {"seccompProfile": {"type": "RuntimeDefault"}}
    container: dict = {}
    if seccomp and seccomp != "unconfined":
        warnings.append(f"{name}: security_opt seccomp={seccomp} (a profile file) is not mapped: Kubernetes loads "
                        "Localhost profiles from each node; RuntimeDefault is used")
    if seccomp == "unconfined":
        if level == "privileged":
            pod["seccompProfile"] = {"type": "Unconfined"}
        else:
            warnings.append(f"{name}: security_opt seccomp=unconfined needs the privileged level; RuntimeDefault "
                            f"is used (relax with label {RELAX_LABEL}: privileged)")
    if svc.get("privileged"):
        if level == "privileged":
            container["privileged"] = True
        else:
            warnings.append(f"{name}: privileged: true needs the privileged level; not set (relax with label "
                            f"{RELAX_LABEL}: privileged)")
    allowed = {"restricted": RESTRICTED_CAPABILITIES, "baseline": BASELINE_CAPABILITIES}.get(level)
    granted = [c for c in adds if allowed is None or c in allowed]
    refused = [c for c in adds if c not in granted]
    if refused:
        baseline_suffices = level == "restricted" and all(c in BASELINE_CAPABILITIES for c in refused)
        need = "baseline" if baseline_suffices else "privileged"
        warnings.append(f"{name}: cap_add {', '.join(refused)} not granted at level {level} (needs {need}: "
                        f"label {RELAX_LABEL}: {need})")

    if level == "restricted":
        pod["runAsNonRoot"] = True
        container["allowPrivilegeEscalation"] = False
        container["capabilities"] = {"drop": ["ALL"], **({"add": sorted(set(granted))} if granted else {})}
        if uid == 0:
            warnings.append(f"{name}: user 0 (root) is refused by the restricted profile; the pod runs with "
                            f"runAsNonRoot (relax with label {RELAX_LABEL}: baseline)")
            uid = None
    else:
        caps = {}
        if granted:
            caps["add"] = sorted(set(granted))
        if drops:
            caps["drop"] = sorted(set(drops))
        if caps:
            container["capabilities"] = caps
        if no_new_privileges:
            container["allowPrivilegeEscalation"] = False
    if uid is not None:
        container["runAsUser"] = uid
    if gid is not None:
        container["runAsGroup"] = gid
    if svc.get("read_only"):
        container["readOnlyRootFilesystem"] = True

    if fs_group_needed:
        # volumes (claims, emptyDirs) become group-owned and group-writable by this gid, which
        # every container process carries: a non-root image can write its new volume
        pod["fsGroup"] = gid if gid is not None else uid if uid else DEFAULT_FS_GROUP
        pod["fsGroupChangePolicy"] = "OnRootMismatch"
    groups = []
    for g in svc.get("group_add") or []:
        if str(g).isdigit():
            groups.append(int(g))
        else:
            warnings.append(f"{name}: group_add {g!r} is a name: Kubernetes needs a numeric gid; not added")
    if groups:
        pod["supplementalGroups"] = sorted(set(groups))
    sysctls = {}
    for key, value in sorted((svc.get("sysctls") or {}).items()):
        if key in safe_sysctls() or level == "privileged":
            sysctls[key] = str(value)
        else:
            warnings.append(f"{name}: sysctl {key} is not in the safe set Pod Security allows; not set (it needs "
                            f"the privileged level, label {RELAX_LABEL}: privileged, and a kubelet that allows it)")
    if low_ports and "net.ipv4.ip_unprivileged_port_start" not in sysctls:
        # Docker sets this in every container, so a non-root process can bind a port below 1024
        sysctls["net.ipv4.ip_unprivileged_port_start"] = "0"
    if sysctls:
        pod["sysctls"] = [{"name": k, "value": v} for k, v in sorted(sysctls.items())]
    return pod, container


def wait_container_context() -> dict:
    """The injected wait containers: nobody, read-only, nothing to escalate (restricted)."""
    return {"runAsNonRoot": True, "runAsUser": WAIT_USER, "runAsGroup": WAIT_USER,
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}}
