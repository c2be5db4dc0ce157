"""The Pod Security Standards checks (core.kube.pss) against the published standard
(https://kubernetes.io/docs/concepts/security/pod-security-standards/): a pod that meets
`restricted` passes both levels; each control, broken alone, is reported at the levels that
forbid it, naming the container or volume and the field."""
from __future__ import annotations

import copy

import pytest

from symphony.core.kube import pss


def restricted_pod() -> dict:
    return {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [{"name": "wait", "securityContext": {
            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}],
        "containers": [{"name": "app", "ports": [{"containerPort": 80}], "securityContext": {
            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "d"}}, {"name": "tmp", "emptyDir": {}},
                    {"name": "conf", "configMap": {"name": "c"}}, {"name": "s", "secret": {"secretName": "s"}},
                    {"name": "p", "projected": {"sources": []}}, {"name": "d", "downwardAPI": {}},
                    {"name": "e", "ephemeral": {}}, {"name": "x", "csi": {"driver": "x"}}],
    }


def app(pod):
    return pod["containers"][0].setdefault("securityContext", {})


def wait(pod):
    return pod["initContainers"][0]["securityContext"]


def test_a_pod_that_meets_restricted_passes_every_level():
    for level in ("restricted", "baseline", "privileged"):
        assert pss.check(level, restricted_pod()) == []


def test_the_runtime_default_and_localhost_profiles_on_containers_alone_are_enough():
    pod = restricted_pod()
    del pod["securityContext"]["seccompProfile"]
    app(pod)["seccompProfile"] = {"type": "Localhost", "localhostProfile": "p.json"}
    wait(pod)["seccompProfile"] = {"type": "RuntimeDefault"}
    pod["securityContext"]["runAsNonRoot"] = None
    app(pod)["runAsNonRoot"] = True
    wait(pod)["runAsNonRoot"] = True
    assert pss.check("restricted", pod) == []


def _set(path, value):
    """Set pod[path...] = value."""
    def apply(pod):
        target = pod
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return apply


# (what to break, the one problem reported)

BASELINE_CONTROLS = [
    (_set(["hostNetwork"], True), "hostNetwork: true (host namespaces are forbidden)"),
    (_set(["hostPID"], True), "hostPID: true (host namespaces are forbidden)"),
    (_set(["hostIPC"], True), "hostIPC: true (host namespaces are forbidden)"),
    (_set(["securityContext", "windowsOptions"], {"hostProcess": True}),
     "windowsOptions.hostProcess: true is forbidden"),
    (lambda p: app(p).update(windowsOptions={"hostProcess": True}),
     "container app: windowsOptions.hostProcess: true is forbidden"),
    (lambda p: p["volumes"].append({"name": "host", "hostPath": {"path": "/"}}),
     "volume host: hostPath volumes are forbidden"),
    (lambda p: app(p).update(privileged=True), "container app: privileged: true is forbidden"),
    (lambda p: wait(p).update(privileged=True), "container wait: privileged: true is forbidden"),
    (lambda p: p.setdefault("ephemeralContainers", []).append({"name": "debug", "securityContext": {
        "privileged": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}),
     "container debug: privileged: true is forbidden"),
    (lambda p: p["containers"][0]["ports"].append({"containerPort": 81, "hostPort": 8081}),
     "container app: hostPort 8081 is forbidden"),
    (_set(["securityContext", "seccompProfile"], {"type": "Unconfined"}), "pod seccompProfile Unconfined is forbidden"),
    (lambda p: app(p).update(seccompProfile={"type": "Unconfined"}),
     "container app: seccompProfile Unconfined is forbidden"),
    (_set(["securityContext", "appArmorProfile"], {"type": "Unconfined"}),
     "pod appArmorProfile Unconfined is forbidden"),
    (lambda p: app(p).update(appArmorProfile={"type": "Unconfined"}),
     "container app: appArmorProfile Unconfined is forbidden"),
    (lambda p: app(p).update(procMount="Unmasked"), "container app: procMount Unmasked is forbidden"),
    (_set(["securityContext", "seLinuxOptions"], {"type": "spc_t"}), "pod: seLinuxOptions.type spc_t is forbidden"),
    (lambda p: app(p).update(seLinuxOptions={"user": "root"}), "container app: seLinuxOptions.user must not be set"),
    (lambda p: app(p).update(seLinuxOptions={"role": "sysadm_r"}),
     "container app: seLinuxOptions.role must not be set"),
    (_set(["securityContext", "sysctls"], [{"name": "kernel.msgmax", "value": "1"}]),
     "sysctl kernel.msgmax is not in the safe set"),
]
RESTRICTED_CONTROLS = [
    (lambda p: p["volumes"].append({"name": "nfs", "nfs": {"server": "x", "path": "/"}}),
     "volume nfs: type nfs is not allowed (only configMap, csi, downwardAPI, emptyDir, ephemeral, "
     "persistentVolumeClaim, projected, secret)"),
    (lambda p: app(p).update(allowPrivilegeEscalation=True), "container app: allowPrivilegeEscalation must be false"),
    (lambda p: wait(p).pop("allowPrivilegeEscalation"), "container wait: allowPrivilegeEscalation must be false"),
    (lambda p: app(p).update(runAsNonRoot=False),
     "container app: runAsNonRoot must be true (on the pod or the container)"),
    (_set(["securityContext", "runAsUser"], 0), "pod runAsUser 0 is forbidden"),
    (lambda p: app(p).update(runAsUser=0), "container app: runAsUser 0 is forbidden"),
    (lambda p: app(p).update(seccompProfile={"type": "Other"}),
     "container app: seccompProfile must be RuntimeDefault or Localhost (on the pod or the container)"),
    (lambda p: app(p)["capabilities"].update(drop=["NET_RAW"]), "container app: capabilities.drop must include ALL"),
    (lambda p: app(p)["capabilities"].update(add=["NET_BIND_SERVICE", "CHOWN"]),
     "container app: capabilities.add may only hold NET_BIND_SERVICE (has CHOWN)"),
]


@pytest.mark.parametrize("breaks, problem", BASELINE_CONTROLS, ids=[c[1] for c in BASELINE_CONTROLS])
def test_each_baseline_control(breaks, problem):
    pod = restricted_pod()
    breaks(pod)
    assert pss.check("baseline", pod) == [problem]
    assert problem in pss.check("restricted", pod)
    assert pss.check("privileged", pod) == []


@pytest.mark.parametrize("breaks, problem", RESTRICTED_CONTROLS, ids=[c[1] for c in RESTRICTED_CONTROLS])
def test_each_restricted_control(breaks, problem):
    pod = restricted_pod()
    breaks(pod)
    assert pss.check("restricted", pod) == [problem]
    assert pss.check("baseline", pod) == []


def test_without_the_pod_defaults_every_container_must_say_it_itself():
    pod = restricted_pod()
    pod["securityContext"] = {}
    problems = pss.check("restricted", pod)
    for name in ("wait", "app"):
        assert f"container {name}: runAsNonRoot must be true (on the pod or the container)" in problems
        assert f"container {name}: seccompProfile must be RuntimeDefault or Localhost (on the pod or the container)" \
            in problems
    assert len(problems) == 4


@pytest.mark.parametrize("caps, ok", [
    (["NET_BIND_SERVICE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "SETFCAP", "SETGID", "SETPCAP",
      "SETUID", "SYS_CHROOT", "AUDIT_WRITE"], True),
    (["NET_ADMIN"], False), (["SYS_ADMIN", "CHOWN"], False),
])
def test_baseline_capabilities(caps, ok):
    pod = restricted_pod()
    app(pod)["capabilities"] = {"drop": ["ALL"], "add": caps}
    problems = pss.check("baseline", pod)
    assert (problems == []) is ok
    if not ok:
        beyond = sorted(set(caps) - {"CHOWN"})
        assert problems == [f"container app: capabilities.add {', '.join(beyond)} beyond the baseline set"]


@pytest.mark.parametrize("selinux_type", ["", "container_t", "container_init_t", "container_kvm_t",
                                          "container_engine_t"])
def test_the_selinux_types_baseline_allows(selinux_type):
    pod = restricted_pod()
    app(pod)["seLinuxOptions"] = {"type": selinux_type, "level": "s0:c1"}
    assert pss.check("baseline", pod) == []


@pytest.mark.parametrize("value, ok", [("runtime/default", True), ("localhost/my-profile", True), ("", True),
                                       ("unconfined", False)])
def test_the_apparmor_annotation(value, ok):
    meta = {"annotations": {"container.apparmor.security.beta.kubernetes.io/app": value, "other/key": "unconfined"}}
    problems = pss.check("baseline", restricted_pod(), meta)
    assert problems == ([] if ok else [f"annotation container.apparmor.security.beta.kubernetes.io/app: {value} "
                                       "(AppArmor must be runtime/default or localhost/*)"])


@pytest.mark.parametrize("name, since", [
    ("kernel.shm_rmid_forced", (1, 0)), ("net.ipv4.ip_local_port_range", (1, 0)), ("net.ipv4.tcp_syncookies", (1, 0)),
    ("net.ipv4.ping_group_range", (1, 0)), ("net.ipv4.ip_unprivileged_port_start", (1, 0)),
    ("net.ipv4.ip_local_reserved_ports", (1, 27)), ("net.ipv4.tcp_keepalive_time", (1, 29)),
    ("net.ipv4.tcp_fin_timeout", (1, 29)), ("net.ipv4.tcp_keepalive_intvl", (1, 29)),
    ("net.ipv4.tcp_keepalive_probes", (1, 29)),
])
def test_safe_sysctls_by_the_version_that_allows_them(name, since):
    pod = restricted_pod()
    pod["securityContext"]["sysctls"] = [{"name": name, "value": "1"}]
    assert pss.check("baseline", pod, version=since) == []
    before = (since[0], since[1] - 1)
    if since > (1, 0):
        assert pss.check("baseline", pod, version=before) == [f"sysctl {name} is not in the safe set"]


def test_an_unknown_level_checks_nothing():
    pod = restricted_pod()
    pod["hostNetwork"] = True
    assert pss.check("privileged", copy.deepcopy(pod)) == [] and pss.check("nonsense", pod) == []


def test_what_the_levels_allow_explicitly():
    pod = restricted_pod()
    app(pod)["procMount"] = "Default"
    pod["securityContext"]["seccompProfile"] = {"type": "Localhost", "localhostProfile": "p.json"}
    assert pss.check("restricted", pod) == []


def test_every_offending_item_is_named():
    pod = restricted_pod()
    app(pod)["capabilities"] = {"drop": ["ALL"], "add": ["SYS_ADMIN", "NET_ADMIN", "CHOWN"]}
    pod["volumes"].append({"name": "odd", "hostPath": {"path": "/"}, "nfs": {"server": "x"}})
    assert pss.check("restricted", pod) == [
        "volume odd: hostPath volumes are forbidden",
        "container app: capabilities.add NET_ADMIN, SYS_ADMIN beyond the baseline set",
        "volume odd: type hostPath, nfs is not allowed (only configMap, csi, downwardAPI, emptyDir, ephemeral, "
        "persistentVolumeClaim, projected, secret)",
        "container app: capabilities.add may only hold NET_BIND_SERVICE (has CHOWN, NET_ADMIN, SYS_ADMIN)",
    ]


def test_restricted_includes_baseline_with_its_annotations_and_version():
    meta = {"annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}}
    assert pss.check("restricted", restricted_pod(), meta) == [
        "annotation container.apparmor.security.beta.kubernetes.io/app: unconfined (AppArmor must be runtime/default "
        "or localhost/*)"]
    pod = restricted_pod()
    pod["securityContext"]["sysctls"] = [{"name": "net.ipv4.tcp_keepalive_time", "value": "60"}]
    assert pss.check("restricted", pod, version=(1, 29)) == []
    assert pss.check("restricted", pod, version=(1, 28)) == [
        "sysctl net.ipv4.tcp_keepalive_time is not in the safe set"]
