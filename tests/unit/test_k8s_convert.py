"""The converter on models shaped as `docker compose config --format json` prints them, for what
the meanings and goldens do not reach: names at their length limits, bind mounts the export
cannot carry, files that are secrets, tmpfs sizes. Expectations: Compose's meaning of each key,
and the Kubernetes API rules (every object made passes the API checks and Pod Security)."""
from __future__ import annotations

import pytest

from symphony.core.kube import pss
from symphony.core.kube.checks import check_manifests
from symphony.core.kube.convert import Options, convert
from symphony.core.kube.mounts import HostPath
from symphony.core.kube.names import is_dns1035_label, is_label_value


def export(services: dict, host_paths: dict | None = None, **top) -> tuple[dict, list[str]]:
    model = {"name": "t", "services": services, **top}
    result = convert(model, profile="t", host_paths=host_paths or {}, env={})
    assert check_manifests(result.manifests, "restricted") == []
    for obj in result.manifests:
        pod = (obj.get("spec") or {}).get("template", {}).get("spec")
        if pod:
            assert pss.check("restricted", pod) == []
    return {(o["kind"], o["metadata"]["name"]): o for o in result.manifests}, result.warnings


def pod_of(objs, kind, name):
    return objs[(kind, name)]["spec"]["template"]["spec"]


LONG = "a-very-long-service-name-that-is-right-at-the-edge-of-the-limits"   # 64 characters


def test_a_long_stateful_service_gets_a_valid_governing_service():
    objs, _ = export({LONG: {"image": "db:1", "expose": ["5432"], "user": "999",
                             "volumes": [{"type": "volume", "source": "data", "target": "/data"}]}},
                     volumes={"data": {}})
    statefulset = next(o for (k, _), o in objs.items() if k == "StatefulSet")
    governing = statefulset["spec"]["serviceName"]
    assert ("Service", governing) in objs and objs[("Service", governing)]["spec"]["clusterIP"] == "None"
    assert is_dns1035_label(governing) and governing.endswith("-headless")


def test_long_and_colliding_secret_names_stay_valid_names_and_label_values():
    first, second = "s" * 60 + "_pw", "s" * 60 + "-pw"          # both become the same DNS label
    objs, _ = export({"app": {"image": "app:1", "user": "1000",
                              "secrets": [{"source": first}, {"source": second}]}},
                     secrets={first: {"content": "one"}, second: {"content": "two"}})
    secrets = sorted(name for kind, name in objs if kind == "Secret")
    assert len(secrets) == 2 and len(set(secrets)) == 2
    for name in secrets:
        labels = objs[("Secret", name)]["metadata"]["labels"]
        assert len(name) <= 63 and is_label_value(labels["app.kubernetes.io/name"])


def bind(source, target="/etc/app", **extra):
    return {"type": "bind", "source": source, "target": target, **extra}


def test_binds_the_export_cannot_carry_are_reported_and_left_out():
    objs, warnings = export({"app": {"image": "app:1", "user": "1000", "volumes": [
        bind("/srv/unreadable", "/a"), bind("/var/run/docker.sock", "/b"), bind("/proj/huge", "/c"),
        bind("/proj/big", "/d")]}},
        {"/srv/unreadable": HostPath("unreadable"), "/var/run/docker.sock": HostPath("special"),
         "/proj/huge": HostPath("large", skipped=("2 GB",)),
         "/proj/big": HostPath("dir", {"a.bin": b"x" * (1024 * 1024)})})
    hint = "(hostPath volumes are refused by Pod Security; bake the files into the image or put them under the " \
           "project directory)"
    assert f"app: volume /srv/unreadable -> /a: bind mount not exported: it could not be read {hint}" in warnings
    assert f"app: volume /var/run/docker.sock -> /b: bind mount not exported: it is a socket or device, which has " \
           f"no Kubernetes equivalent {hint}" in warnings
    assert f"app: volume /proj/huge -> /c: bind mount not exported: it holds 2 GB, more than a ConfigMap/Secret " \
           f"holds (1 MiB) {hint}" in warnings
    assert "app: volume /proj/big -> /d: bind mount not exported: its 1048576 bytes exceed what a ConfigMap/Secret " \
           "holds (1 MiB); bake the files into the image or use a volume" in warnings
    assert "volumes" not in pod_of(objs, "Deployment", "app")


def test_a_bind_of_a_missing_or_empty_directory_is_data_that_starts_empty():
    objs, warnings = export({"app": {"image": "app:1", "user": "1000", "volumes": [
        bind("/proj/missing", "/data"), bind("/proj/empty", "/cache", read_only=True)]}},
        {"/proj/missing": HostPath("missing"), "/proj/empty": HostPath("dir", {})})
    assert "app: volume /proj/missing -> /data: the host directory does not exist; it becomes the claim " \
           "app-missing (1Gi, starts empty)" in warnings
    assert "app: volume /proj/empty -> /cache: the host directory is empty; mounted as an empty read-only " \
           "emptyDir" in warnings
    assert ("PersistentVolumeClaim", "app-missing") in objs


def test_bind_options_concern_the_host_and_are_reported():
    _, warnings = export({"app": {"image": "app:1", "user": "1000", "volumes": [
        bind("/proj/conf", read_only=True, bind={"propagation": "rshared", "create_host_path": True})]}},
        {"/proj/conf": HostPath("dir", {"a.conf": b"a"})})
    for key in ("create_host_path", "propagation"):
        assert f"app: volume /proj/conf -> /etc/app: bind.{key} is not mapped (it concerns the host's mount, which " \
               "a pod does not have)" in warnings


@pytest.mark.parametrize("source, files", [
    ("/proj/tls", {"ca.crt": b"-----BEGIN CERTIFICATE-----"}),            # a certificates directory
    pytest.param("C:\\proj\\tls", {"ca.crt": b"-----BEGIN CERTIFICATE-----"}, id="windows-tls"),  # as on Windows
    ("/proj/run/secrets", {"token": b"t"}),
    ("/proj/conf", {"db_password.txt": b"pw"}),                           # a file named like a secret
    ("/proj/conf", {"server.key": b"k"}), ("/proj/conf", {"keystore.JKS": b"k"}),
    ("/proj/config", {"loki.yaml": b"storage:\n  s3: s3://loki:supersecret@minio.:9000/loki\n"}),  # a URL password
])
def test_files_that_are_secrets_go_to_a_secret(source, files):
    objs, _ = export({"app": {"image": "app:1", "user": "1000", "volumes": [bind(source, read_only=True)]}},
                     {source: HostPath("dir", files)})
    assert {k for k, n in objs if k in ("Secret", "ConfigMap") and n != "app-env"} == {"Secret"}


def test_plain_configuration_files_go_to_a_config_map():
    objs, _ = export({"app": {"image": "app:1", "user": "1000", "volumes": [bind("/proj/conf", read_only=True)]}},
                     {"/proj/conf": HostPath("dir", {"nginx.conf": b"x", "mime.types": b"y"})})
    assert {k for k, n in objs if k in ("Secret", "ConfigMap") and n != "app-env"} == {"ConfigMap"}


@pytest.mark.parametrize("size, limit", [("0", None), (0, None), ("", None), ("1k", "1Ki"), ("64m", "64Mi")])
def test_a_tmpfs_size_0_means_no_limit(size, limit):
    objs, _ = export({"app": {"image": "app:1", "user": "1000", "volumes": [
        {"type": "tmpfs", "target": "/scratch", "tmpfs": {"size": size}}]}})
    volume = pod_of(objs, "Deployment", "app")["volumes"][0]
    assert volume["emptyDir"] == {"medium": "Memory", **({"sizeLimit": limit} if limit else {})}


@pytest.mark.parametrize("job", [
    {"image": "migrate:1", "user": "1000", "restart": "no", "expose": ["9999"]},         # restart "no"
    {"image": "migrate:1", "user": "1000", "restart": "on-failure", "expose": ["9999"]},  # restarts only on failure
    {"image": "migrate:1", "user": "1000", "deploy": {"mode": "replicated-job"}},        # headless, no port
])
def test_a_plain_depends_on_a_one_shot_job_is_not_waited_for(job):
    """A Job's pod is not ready once it has finished, so its Service has no endpoint: a wait for it
    (nc -z, nslookup) would hold every later start of the dependent (a reschedule, a rollout) for ever.
    Compose's service_started needs only that the job was started."""
    objs, warnings = export({"migrate": job, "app": {"image": "app:1", "user": "1000", "expose": ["8080"],
                                                       "depends_on": {"migrate": {"condition": "service_started"}}}})
    assert ("Job", "migrate") in objs
    assert "initContainers" not in pod_of(objs, "Deployment", "app")
    assert any(w.startswith("app: depends on one-shot migrate (service_started)") for w in warnings), warnings


def test_one_host_port_on_two_addresses_is_one_node_port_for_one_service():
    """Compose publishes 30080 on two host addresses for two services; a node port is the cluster's:
    the first keeps it, the second is left to the cluster (reported), so the API server takes both."""
    result = convert({"name": "t", "services": {
        "a": {"image": "a:1", "user": "1000", "ports": [{"target": 80, "published": "30080", "host_ip": "10.0.0.1"}]},
        "b": {"image": "b:1", "user": "1000", "ports": [{"target": 80, "published": "30080", "host_ip": "10.0.0.2"}]},
    }}, profile="t", host_paths={}, env={}, options=Options(expose="nodeport"))
    assert check_manifests(result.manifests, "restricted") == []
    services = {o["metadata"]["name"]: o["spec"]["ports"] for o in result.manifests if o["kind"] == "Service"}
    assert services["a-public"][0]["nodePort"] == 30080 and "nodePort" not in services["b-public"][0]
    assert any(w.startswith("b: host port 30080 is a's node port too") for w in result.warnings)


def test_a_secret_interpolated_into_a_command_or_probe_is_reported_by_name_never_by_value():
    """Compose writes ${ELASTIC_PASSWORD} into the command as its value: the export cannot move that
    into the Secret, so it says so, naming the variable (the value never reaches a warning)."""
    value = "canary-pw-0042"
    result = convert({"name": "t", "services": {
        "setup": {"image": "es:8", "user": "1000", "restart": "no", "environment": {"ELASTIC_PASSWORD": value},
                  "command": ["sh", "-c", f"curl -u elastic:{value} http://es01:9200"]},
        "realtime": {"image": "rt:1", "user": "1000", "environment": {"API_KEY": "key-0043-long"},
                     "healthcheck": {"test": ["CMD", "curl", "-H", "apikey: key-0043-long", "http://localhost/"]}},
        "plain": {"image": "p:1", "user": "1000", "environment": {"TOKEN": "tok-0044-long"},
                  "command": ["sh", "-c", "echo $$TOKEN"]},
    }}, profile="t", host_paths={}, env={})
    warned = [w for w in result.warnings if "(a secret) is written into" in w]
    assert [w.split(":")[0] for w in warned] == ["realtime", "setup"]
    assert "API_KEY" in warned[0] and "ELASTIC_PASSWORD" in warned[1]
    assert not any(v in w for w in result.warnings for v in (value, "key-0043-long", "tok-0044-long"))


def test_a_missing_host_directory_two_services_write_is_reported_as_no_longer_shared():
    """Mastodon's ./public/system: web and sidekiq share one host folder in Compose; here each gets
    its own claim, so the export says they stop sharing its files."""
    objs, warnings = export({
        "web": {"image": "m:1", "user": "1000", "volumes": [bind("/proj/public/system", "/sys")]},
        "sidekiq": {"image": "m:1", "user": "1000", "volumes": [bind("/proj/public/system", "/sys")]},
        "reader": {"image": "m:1", "user": "1000", "volumes": [bind("/proj/public/system", "/s", read_only=True)]},
    }, {"/proj/public/system": HostPath("missing")})
    assert ("PersistentVolumeClaim", "web-system") in objs and ("PersistentVolumeClaim", "sidekiq-system") in objs
    assert [w for w in warnings if "is shared by" in w] == [
        "host directory /proj/public/system is shared by sidekiq, web: each gets its own claim (ReadWriteOnce), so "
        "they no longer share its files; share data through a service instead, or use a ReadWriteMany class"]


def test_a_url_password_in_a_command_is_not_taken_for_a_secret_variable():
    """Only a variable's own value counts: a URL with some other password names none of them."""
    result = convert({"name": "t", "services": {"app": {
        "image": "a:1", "user": "1000", "environment": {"DB_PASSWORD": "hunter2secret", "API_TOKEN": "tok123456"},
        "command": ["sh", "-c", "curl http://admin:other@example.com/"]}}}, profile="t", host_paths={}, env={})
    assert [w for w in result.warnings if "(a secret) is written into" in w] == []


def kubernetes_expand(text: str, env: dict) -> str:
    """What the kubelet makes of a command or argument (Container.args: "Variable references
    $(VAR_NAME) are expanded using the container's environment. If a variable cannot be resolved,
    the reference in the input string will be unchanged. Double $$ are reduced to a single $")."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                end = text.find(")", i + 2)
                if end != -1:
                    name = text[i + 2:end]
                    out.append(env.get(name, text[i:end + 1]))
                    i = end + 1
                    continue
        out.append(text[i])
        i += 1
    return "".join(out)


@pytest.mark.parametrize("literal", ["echo $$ $HOME $(date) ${X:-d} $ $(PORT) cost: 5$", "$$$$", "a$", "$(", "$)"])
def test_a_command_reaches_the_container_as_compose_passes_it(literal):
    """Compose writes a literal `$` as `$$` (`compose config` keeps it so); after the kubelet's
    expansion the process must get exactly Compose's literal, `$$` (the shell's PID) included."""
    escaped = literal.replace("$", "$$")
    objs, _ = export({"app": {"image": "x", "entrypoint": ["sh", "-c", escaped], "command": [escaped]}})
    container = pod_of(objs, "Deployment", "app")["containers"][0]
    env = {"PORT": "8080", "HOME": "/root"}
    assert [kubernetes_expand(a, env) for a in container["command"]] == ["sh", "-c", literal]
    assert [kubernetes_expand(a, env) for a in container["args"]] == [literal]


def test_the_optional_wait_script_reaches_the_shell_as_written():
    """`required: false`: the init container counts with `$((i+2))` and `$i`; the kubelet must not
    touch them (an unresolvable `$(` is kept only by luck of the lookup)."""
    objs, _ = export({"db": {"image": "x", "expose": ["5432"]},
                      "app": {"image": "x", "depends_on": {"db": {"condition": "service_started", "required": False}}}})
    init = pod_of(objs, "Deployment", "app")["initContainers"][0]
    shell = kubernetes_expand(init["command"][2], {"i": "7"})  # even with a variable named like the counter
    assert init["command"][:2] == ["sh", "-c"] and "i=$((i+2))" in shell and "[ $i -ge " in shell


def test_a_config_whose_text_holds_a_secret_is_a_secret_and_passes_validate():
    """`configs:` content with a URL password (k8s.validate refuses it in a ConfigMap), and a file
    holding a value the env calls secret (passed as `secrets`), are Secrets, mounted where Compose
    mounts the config (/<name>)."""
    model = {"name": "t", "services": {"app": {"image": "app:1", "user": "1000",
                                               "configs": [{"source": "dsn"}, {"source": "plain"}],
                                               "volumes": [bind("/proj/conf", read_only=True)]}},
             "configs": {"dsn": {"content": "url: https://u:pw-in-url@h/"}, "plain": {"content": "level: info"}}}
    result = convert(model, profile="t", host_paths={"/proj/conf": HostPath("dir", {"app.ini": b"pass=db-pw-4711"})},
                     env={}, secrets={"db-pw-4711": "POSTGRES_PASSWORD"})
    assert check_manifests(result.manifests, "restricted") == []
    kinds = {(o["kind"], o["metadata"]["name"]) for o in result.manifests}
    assert ("Secret", "dsn") in kinds and ("ConfigMap", "plain") in kinds and ("ConfigMap", "dsn") not in kinds
    assert not any(k == "ConfigMap" and "conf" in n for k, n in kinds)  # app.ini holds the database password
    pod = next(o for o in result.manifests if o["kind"] == "Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert volumes[mounts["/dsn"]["name"]]["secret"]["secretName"] == "dsn"
    assert volumes[mounts["/plain"]["name"]]["configMap"]["name"] == "plain"


@pytest.mark.parametrize("label, size", [("10G", "10G"), ("500Mi", "500Mi"), ("10GB", "1Gi"), ("0", "1Gi"),
                                         ("x", "1Gi")])
def test_a_volume_size_label_is_a_kubernetes_quantity_or_the_default_with_a_warning(label, size):
    """The API server refuses a claim whose storage is not a quantity (`10GB`); 1Gi is the default."""
    objs, warnings = export({"db": {"image": "x", "user": "1000",
                                    "volumes": [{"type": "volume", "source": "data", "target": "/data"}]}},
                            volumes={"data": {"labels": {"com.sentiric.volume.size": label}}})
    claims = [o for (k, _), o in objs.items() if k in ("StatefulSet", "PersistentVolumeClaim")]
    spec = (claims[0]["spec"]["volumeClaimTemplates"][0]["spec"] if claims[0]["kind"] == "StatefulSet"
            else claims[0]["spec"])
    assert spec["resources"]["requests"]["storage"] == size
    assert any(f"com.sentiric.volume.size {label!r} is not a Kubernetes quantity" in w
               for w in warnings) == (label != size)


@pytest.mark.parametrize("dep", ["db", "d" * 60])  # a long one: the renamed wait is still a DNS label (<= 63)
def test_a_service_named_like_its_wait_container_gets_distinct_container_names(dep):
    """Container names must be unique across containers and initContainers (the API server)."""
    service = f"wait-for-{dep}"[:63]
    objs, _ = export({dep: {"image": "x", "expose": ["5432"]},
                      service: {"image": "x", "depends_on": {dep: {"condition": "service_started"}}}})
    pod = pod_of(objs, "Deployment", service)
    names = [c["name"] for c in pod["containers"] + pod["initContainers"]]
    assert len(names) == len(set(names)) == 2


def test_every_dependency_is_waited_for_after_one_that_is_not():
    """depends_on in name order: a one-shot and an unexported dependency first, then real ones."""
    objs, _ = export({"a-job": {"image": "x", "restart": "no", "command": ["true"]},
                      "b-job": {"image": "x", "restart": "no", "command": ["true"], "expose": ["80"]},
                      "c-udp": {"image": "x", "expose": ["53/udp"]},
                      "db": {"image": "x", "expose": ["5432"]}, "mq": {"image": "x", "expose": ["5672"]},
                      "app": {"image": "x", "depends_on": {
                          "a-job": {"condition": "service_completed_successfully"},
                          "absent": {"condition": "service_started", "required": False},
                          "b-job": {"condition": "service_started"},  # a Job: no endpoint to wait for
                          "c-udp": {"condition": "service_started"},  # nothing to wait for over UDP
                          "db": {"condition": "service_started"}, "mq": {"condition": "service_started"}}}})
    inits = pod_of(objs, "Deployment", "app")["initContainers"]
    assert [c["name"] for c in inits] == ["wait-for-db", "wait-for-mq"]


def test_a_variable_without_a_value_does_not_hide_the_ones_after_it():
    objs, warnings = export({"app": {"image": "x", "environment": {"A_UNSET": None, "B": "1", "C_PASSWORD": "pw"}}})
    assert objs[("ConfigMap", "app-env")]["data"] == {"B": "1"}
    assert objs[("Secret", "app-env")]["stringData"] == {"C_PASSWORD": "pw"}
    assert any("A_UNSET has no value" in w for w in warnings)


def test_a_generated_port_name_never_takes_a_name_the_compose_file_gives():
    """`ports: [{target: 70, name: tcp-80}, {target: 80}]`: Service port names must be unique."""
    objs, warnings = export({"web": {"image": "x", "ports": [{"target": 70, "name": "tcp-80"}, {"target": 80}]}})
    ports = pod_of(objs, "Deployment", "web")["containers"][0]["ports"]
    names = {p["containerPort"]: p["name"] for p in ports}
    assert names[70] == "tcp-80" and names[80] != "tcp-80" and len(set(names.values())) == 2


@pytest.mark.parametrize("restart", ["always", "no"])  # a StatefulSet's claim template; a Job's claim
def test_one_named_volume_mounted_twice_is_one_claim_with_two_mounts(restart):
    """Compose mounts the same volume at both paths (compose-spec 05-services.md, volume.subpath):
    the second mount must see the first one's data, not an empty disk of its own."""
    objs, warnings = export({"web": {"image": "x", "user": "1000", "restart": restart, "volumes": [
        {"type": "volume", "source": "data", "target": "/var/lib/data"},
        {"type": "volume", "source": "data", "target": "/sub", "volume": {"subpath": "a/b"}}]}},
        volumes={"data": {}})
    workload = next(o for (k, _), o in objs.items() if k in ("StatefulSet", "Deployment", "Job"))
    pod = workload["spec"]["template"]["spec"]
    mounts = pod["containers"][0]["volumeMounts"]
    claims = [n for k, n in objs if k == "PersistentVolumeClaim"] + [
        t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])]
    assert len(claims) == 1, (workload["kind"], claims)
    assert {m["mountPath"]: m.get("subPath") for m in mounts} == {"/var/lib/data": None, "/sub": "a/b"}
    assert len({m["name"] for m in mounts}) == 1
    assert not any("is shared by" in w for w in warnings)


def test_a_build_only_service_runs_the_image_compose_builds():
    """Compose names a built image projectName-serviceName as written (docker/compose@f729794
    pkg/api/api.go:801-806): `my_proj-web_app`, which the export must pull, not a cleaned name."""
    result = convert({"name": "my_proj", "services": {"web_app": {"build": {"context": "."}}}}, profile="t")
    deployment = next(o for o in result.manifests if o["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "my_proj-web_app"
    assert deployment["metadata"]["name"] == "web-app"  # object names are DNS labels; the image is Compose's
