"""Security contexts from a compose service (core.kube.security), per Pod Security level.

Expectations: the Compose keys' meaning (user uid[:gid], cap_add/cap_drop with or without the
CAP_ prefix, privileged, security_opt, read_only, group_add, sysctls), what each Pod Security
level admits (https://kubernetes.io/docs/concepts/security/pod-security-standards/), and what
Docker does by default (every container may bind ports below 1024:
net.ipv4.ip_unprivileged_port_start=0). Every context made here passes its own level."""
from __future__ import annotations

import pytest

from symphony.core.kube import pss
from symphony.core.kube.security import (
    DEFAULT_FS_GROUP,
    RELAX_LABEL,
    capability,
    contexts,
    parse_user,
    security_opts,
    wait_container_context,
)


def ctx(svc: dict, level: str = "restricted", fs_group_needed: bool = False, low_ports: bool = False):
    warnings: list[str] = []
    pod, container = contexts("svc", svc, level, fs_group_needed=fs_group_needed, low_ports=low_ports,
                              warnings=warnings)
    spec = {"securityContext": pod, "containers": [{"name": "svc", "securityContext": container}]}
    assert pss.check(level, spec) == [], pss.check(level, spec)      # what is made passes its own level
    return pod, container, warnings


@pytest.mark.parametrize("given, name", [("CAP_NET_ADMIN", "NET_ADMIN"), ("net_admin", "NET_ADMIN"),
                                         (" cap_chown ", "CHOWN"), ("ALL", "ALL")])
def test_a_capability_is_named_without_the_cap_prefix(given, name):
    assert capability(given) == name


@pytest.mark.parametrize("user, parsed", [
    (None, (None, None, [])), ("", (None, None, [])), ("1000", (1000, None, [])), (1000, (1000, None, [])),
    ("1000:2000", (1000, 2000, [])), ("0:0", (0, 0, [])),
    ("app", (None, None, ["user 'app' is a name: Kubernetes needs a numeric uid (runAsUser); not set"])),
    ("1000:staff", (1000, None, ["group 'staff' of `user: 1000:staff` is a name: Kubernetes needs a numeric gid "
                                 "(runAsGroup); not set"])),
])
def test_compose_user(user, parsed):
    assert parse_user(user) == parsed


def test_security_opt_forms():
    assert security_opts({"security_opt": ["no-new-privileges:true", "seccomp=unconfined", "label:disable",
                                           "apparmor=docker-default", "no-new-privileges"]}) == {
        "no-new-privileges": "true", "seccomp": "unconfined", "label": "disable", "apparmor": "docker-default"}
    assert security_opts({}) == {}


def test_restricted_by_default():
    pod, container, warnings = ctx({})
    assert pod == {"seccompProfile": {"type": "RuntimeDefault"}, "runAsNonRoot": True}
    assert container == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    assert warnings == []


def test_restricted_grants_only_net_bind_service():
    _, container, warnings = ctx({"cap_add": ["CAP_NET_BIND_SERVICE", "NET_BIND_SERVICE", "CHOWN", "SYS_ADMIN"]})
    assert container["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
    assert warnings == [f"svc: cap_add CHOWN, SYS_ADMIN not granted at level restricted (needs privileged: label "
                        f"{RELAX_LABEL}: privileged)"]
    _, _, warnings = ctx({"cap_add": ["CHOWN", "SETUID"]})
    assert warnings == [f"svc: cap_add CHOWN, SETUID not granted at level restricted (needs baseline: label "
                        f"{RELAX_LABEL}: baseline)"]


def test_restricted_refuses_root_and_keeps_a_numeric_user():
    pod, container, warnings = ctx({"user": "0"})
    assert "runAsUser" not in container and pod["runAsNonRoot"] is True
    assert warnings == [f"svc: user 0 (root) is refused by the restricted profile; the pod runs with runAsNonRoot "
                        f"(relax with label {RELAX_LABEL}: baseline)"]
    _, container, _ = ctx({"user": "1000:2000", "read_only": True})
    assert container["runAsUser"] == 1000 and container["runAsGroup"] == 2000
    assert container["readOnlyRootFilesystem"] is True


@pytest.mark.parametrize("user, fs_group", [("1000:2000", 2000), ("1001", 1001), (None, DEFAULT_FS_GROUP),
                                            ("app", DEFAULT_FS_GROUP)])
def test_writable_volumes_belong_to_the_service_group(user, fs_group):
    pod, _, _ = ctx({"user": user}, fs_group_needed=True)
    assert pod["fsGroup"] == fs_group and pod["fsGroupChangePolicy"] == "OnRootMismatch"
    pod, _, _ = ctx({"user": user})
    assert "fsGroup" not in pod and "fsGroupChangePolicy" not in pod


def test_root_at_baseline_keeps_uid_0_and_fs_group_0_is_not_used():
    pod, container, warnings = ctx({"user": "0"}, "baseline", fs_group_needed=True)
    assert container == {"runAsUser": 0} and warnings == []
    assert pod["fsGroup"] == DEFAULT_FS_GROUP


def test_group_add():
    pod, _, warnings = ctx({"group_add": ["10", 10, "5", "video"]})
    assert pod["supplementalGroups"] == [5, 10]
    assert warnings == ["svc: group_add 'video' is a name: Kubernetes needs a numeric gid; not added"]
    pod, _, _ = ctx({"group_add": ["video"]})
    assert "supplementalGroups" not in pod


def test_sysctls_and_low_ports():
    pod, _, warnings = ctx({"sysctls": {"net.ipv4.tcp_syncookies": 1, "net.core.somaxconn": "1024"}}, low_ports=True)
    assert pod["sysctls"] == [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"},
                              {"name": "net.ipv4.tcp_syncookies", "value": "1"}]
    assert warnings == [f"svc: sysctl net.core.somaxconn is not in the safe set Pod Security allows; not set (it needs "
                        f"the privileged level, label {RELAX_LABEL}: privileged, and a kubelet that allows it)"]
    pod, _, _ = ctx({"sysctls": {"net.ipv4.ip_unprivileged_port_start": "80"}}, low_ports=True)
    assert pod["sysctls"] == [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "80"}]
    pod, _, _ = ctx({})
    assert "sysctls" not in pod
    pod, _, warnings = ctx({"sysctls": {"net.core.somaxconn": "1024"}}, "privileged")
    assert pod["sysctls"] == [{"name": "net.core.somaxconn", "value": "1024"}] and warnings == []


def test_baseline_keeps_dockers_capabilities_and_maps_drops_and_no_new_privileges():
    pod, container, warnings = ctx({"cap_add": ["chown", "CAP_KILL", "SYS_ADMIN"], "cap_drop": ["NET_RAW", "MKNOD"],
                                    "security_opt": ["no-new-privileges:true"]}, "baseline")
    assert pod == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert container == {"capabilities": {"add": ["CHOWN", "KILL"], "drop": ["MKNOD", "NET_RAW"]},
                         "allowPrivilegeEscalation": False}
    assert warnings == [f"svc: cap_add SYS_ADMIN not granted at level baseline (needs privileged: label "
                        f"{RELAX_LABEL}: privileged)"]
    _, container, _ = ctx({"security_opt": ["no-new-privileges:false"]}, "baseline")
    assert container == {}
    _, container, _ = ctx({"security_opt": ["no-new-privileges"]}, "baseline")
    assert container == {"allowPrivilegeEscalation": False}


def test_privileged_grants_what_compose_asks():
    pod, container, warnings = ctx({"privileged": True, "cap_add": ["SYS_ADMIN", "ALL"],
                                    "security_opt": ["seccomp:unconfined"]}, "privileged")
    assert pod == {"seccompProfile": {"type": "Unconfined"}}
    assert container == {"privileged": True, "capabilities": {"add": ["ALL"]}} and warnings == []


def test_what_a_lower_level_cannot_grant_is_reported():
    pod, container, warnings = ctx({"privileged": True, "security_opt": ["seccomp=unconfined", "label=type:spc_t"]})
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"} and "privileged" not in container
    assert warnings == [
        "svc: security_opt label:type:spc_t is not mapped (AppArmor/SELinux profiles are set per node in Kubernetes)",
        f"svc: security_opt seccomp=unconfined needs the privileged level; RuntimeDefault is used (relax with label "
        f"{RELAX_LABEL}: privileged)",
        f"svc: privileged: true needs the privileged level; not set (relax with label {RELAX_LABEL}: privileged)",
    ]
    _, _, warnings = ctx({"security_opt": ["seccomp=/etc/profile.json"]}, "privileged")
    assert warnings == ["svc: security_opt seccomp=/etc/profile.json (a profile file) is not mapped: Kubernetes loads "
                        "Localhost profiles from each node; RuntimeDefault is used"]


def test_the_wait_containers_run_as_nobody_read_only():
    assert wait_container_context() == {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534,
                                        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "capabilities": {"drop": ["ALL"]}}
