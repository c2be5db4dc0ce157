"""Property: for any compose model shaped as `docker compose config --format json` prints it, the
converter either refuses with a ConvertError naming a collision, or returns objects that pass the
strict schemas, the API server's checks and Pod Security at each service's level."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symphony.core.kube import pss
from symphony.core.kube.checks import check_manifests
from symphony.core.kube.convert import ConvertError, Options, convert
from symphony.core.kube.mounts import HostPath
from symphony.core.kube.schema import schema_errors

NAMES = st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,70}", fullmatch=True)
PORTS = st.integers(1, 65535)
DURATIONS = st.sampled_from(["0s", "1s", "5s", "1m30s", "500ms", "2h"])
SIZES = st.sampled_from(["1048576", "536870912", "67108864", "1000000"])
PATHS = st.from_regex(r"/[a-z]{1,8}(/[a-z0-9._-]{1,8}){0,2}", fullmatch=True)


def port():
    return st.fixed_dictionaries({"target": PORTS, "protocol": st.sampled_from(["tcp", "udp"])}, optional={
        "published": PORTS.map(str), "host_ip": st.sampled_from(["127.0.0.1", "0.0.0.0", "10.1.2.3"]),
        "name": st.sampled_from(["web", "Bad Name", "grpc-api", "80"]),
        "app_protocol": st.sampled_from(["http", "h2c"]),
        "mode": st.sampled_from(["ingress", "host"])})


def volume(volume_names):
    named = st.fixed_dictionaries({"type": st.just("volume"), "source": st.sampled_from(volume_names), "target": PATHS},
                                  optional={"read_only": st.booleans(), "volume": st.fixed_dictionaries({}, optional={
                                      "nocopy": st.booleans(), "subpath": st.sampled_from(["a/b", "../x", "c"])})})
    bind = st.fixed_dictionaries({"type": st.just("bind"), "target": PATHS,
                                  "source": st.sampled_from(["/proj/conf", "/proj/app.conf", "/proj/empty", "/etc/x",
                                                             "/proj/missing", "/var/run/docker.sock"])},
                                 optional={"read_only": st.booleans(), "bind": st.just({"propagation": "rshared"})})
    tmpfs = st.fixed_dictionaries({"type": st.just("tmpfs"), "target": PATHS},
                                  optional={"tmpfs": st.fixed_dictionaries(
                                      {}, optional={"size": SIZES, "mode": st.just(448)})})
    anon = st.fixed_dictionaries({"type": st.just("volume"), "target": PATHS})
    return st.one_of(named, bind, tmpfs, anon)


HOST_PATHS = {
    "/proj/conf": HostPath("dir", {"a.conf": b"a", "sub/b.conf": b"b", "we ird.txt": b"\xff\xfe"}),
    "/proj/app.conf": HostPath("file", {"app.conf": b"x"}),
    "/proj/empty": HostPath("dir", {}),
    "/proj/missing": HostPath("missing"),
    "/etc/x": HostPath("outside"),
    "/var/run/docker.sock": HostPath("outside"),
    "/proj/secret.txt": HostPath("file", {"secret.txt": b"s3cret#file"}),
}


@st.composite
def models(draw):
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    volume_names = ["data", "logs"]
    services = {}
    for name in names:
        svc = draw(st.fixed_dictionaries({"image": st.just("example/x:1")}, optional={
            "ports": st.lists(port(), max_size=3),
            "expose": st.lists(st.sampled_from(["80", "8080", "9000-9002", "53/udp"]), max_size=2),
            "environment": st.dictionaries(st.sampled_from(["A", "B_PASSWORD", "bad.key", "URL"]),
                                           st.one_of(st.none(), st.sampled_from(["1", "x$$y", "pg://u:p@h/db"]))),
            "restart": st.sampled_from(["no", "always", "unless-stopped", "on-failure", "on-failure:3"]),
            "deploy": st.fixed_dictionaries({}, optional={
                "replicas": st.integers(0, 3), "mode": st.sampled_from(["replicated", "global"]),
                "endpoint_mode": st.sampled_from(["vip", "dnsrr"]),
                "resources": st.fixed_dictionaries({}, optional={
                    "limits": st.fixed_dictionaries(
                        {}, optional={"memory": SIZES, "cpus": st.sampled_from(["0.5", "2"])}),
                    "reservations": st.fixed_dictionaries({}, optional={"memory": SIZES, "cpus": st.just("1")})}),
                "restart_policy": st.fixed_dictionaries({"condition": st.sampled_from(["none", "on-failure", "any"])},
                                                        optional={"max_attempts": st.integers(0, 5)})}),
            "healthcheck": st.fixed_dictionaries(
                {"test": st.sampled_from([["CMD", "true"], ["CMD-SHELL", "x"], ["NONE"]])},
                optional={"interval": DURATIONS, "timeout": DURATIONS,
                          "start_period": DURATIONS, "start_interval": DURATIONS,
                          "retries": st.integers(0, 5)}),
            "volumes": st.lists(volume(volume_names), max_size=4, unique_by=lambda v: v["target"]),
            "tmpfs": st.lists(st.sampled_from(["/run", "/tmp:size=1m", "/x/cache"]), max_size=2, unique=True),
            "user": st.sampled_from(["1000", "1000:1000", "0", "app", "1000:staff"]),
            "cap_add": st.lists(st.sampled_from(["NET_BIND_SERVICE", "CAP_CHOWN", "SYS_ADMIN", "ALL"]), max_size=2),
            "cap_drop": st.lists(st.sampled_from(["ALL", "NET_RAW"]), max_size=1),
            "privileged": st.booleans(), "read_only": st.booleans(), "init": st.booleans(),
            "shm_size": SIZES, "mem_limit": SIZES, "cpus": st.sampled_from([0.25, 1.5]),
            "sysctls": st.dictionaries(st.sampled_from(["net.core.somaxconn", "net.ipv4.tcp_syncookies"]),
                                       st.just("1")),
            "labels": st.dictionaries(st.sampled_from(["com.sentiric.k8s.pod-security", "a/b/c", "ok.key", "bad key"]),
                                      st.sampled_from(["baseline", "privileged", "restricted", "$$v"])),
            "entrypoint": st.sampled_from([[], ["/bin/app"]]), "command": st.sampled_from([[], ["run", "$(X)"]]),
            "secrets": st.lists(st.fixed_dictionaries({"source": st.sampled_from(["s1", "s2"])},
                                                      optional={"target": st.sampled_from(["t", "/abs/t"]),
                                                                "mode": st.just("0400")}), max_size=2),
            "hostname": st.sampled_from(["h", "Bad_Host"]),
            "extra_hosts": st.just(["a=10.0.0.1", "b=host-gateway"]),
            "platform": st.sampled_from(["linux/amd64", "linux/arm/v7"]),
        }))
        others = [n for n in names if n != name]
        if others and draw(st.booleans()):
            svc["depends_on"] = {draw(st.sampled_from(others)): {
                "condition": draw(st.sampled_from(["service_started", "service_healthy",
                                                   "service_completed_successfully"])),
                "required": draw(st.booleans())}}
        if draw(st.booleans()):
            svc["networks"] = {"default": {"aliases": [draw(NAMES)]}}
        services[name] = svc
    return {"name": "prop", "services": services, "volumes": {"data": {}, "logs": {"external": True, "name": "logs"}},
            "secrets": {"s1": {"file": "/proj/secret.txt"}, "s2": {"environment": "TOKEN"}}}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), st.sampled_from(["cluster", "nodeport", "loadbalancer", "ingress"]), st.sampled_from([None, "team-a"]),
       st.lists(st.just("regcred"), max_size=1))
def test_any_model_exports_to_objects_kubernetes_accepts(model, expose, namespace, pull_secrets):
    options = Options(namespace=namespace, expose=expose,
                      ingress_domain="apps.example.org" if expose == "ingress" else "",
                      image_pull_secrets=tuple(pull_secrets))
    try:
        result = convert(model, profile="prop", options=options,
                         host_paths=HOST_PATHS, env={"TOKEN": "t0k#env"})
    except ConvertError as exc:
        # the refusals these can earn
        assert "both become" in str(exc) or "is not one of restricted" in str(exc), str(exc)
        return
    assert not check_manifests(result.manifests, "privileged"), check_manifests(result.manifests, "privileged")
    for obj in result.manifests:
        assert not schema_errors(obj, "1.31"), (obj["kind"], schema_errors(obj, "1.31"))
        template = (obj.get("spec") or {}).get("template")
        if template:
            level = template["metadata"].get("annotations", {}).get("com.sentiric.k8s.pod-security", "restricted")
            assert not pss.check(level, template["spec"]), (obj["metadata"]["name"], level,
                                                            pss.check(level, template["spec"]))
    assert "t0k#env" not in " ".join(result.warnings) and "s3cret#file" not in " ".join(result.warnings)
