"""k8s.export end to end on every profile, determinism, the env property, bad input."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from symphony.core.kube.convert import convert
from symphony.infra import state
from tests.invoke_helpers import ROOT, inv


def load_dir(path):
    objs = []
    for f in sorted(path.rglob("*.yaml")):
        objs += [d for d in yaml.safe_load_all(f.read_text()) if d]
    return objs


@pytest.mark.parametrize("profile", state.known_profiles())
def test_every_profile_exports_and_validates(profile, tmp_path):
    """Generic over whatever the profile's compose file holds: the export passes the API checks and
    Pod Security `restricted`, every compose service is reachable by its name, nothing is readable
    by others, and the objects follow `kubectl -n` (no namespace pinned)."""
    out = tmp_path / "out"
    res = inv("k8s.export", "--profile", profile, "--output", str(out), state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (out / "WARNINGS.txt").exists()
    assert {oct(p.stat().st_mode & 0o777) for p in out.rglob("*") if p.is_file() and p.name != ".symphony-export"} \
        == {"0o600"}
    model = yaml.safe_load(state.compose_file(profile).read_text())
    relaxed = {name for name, svc in model["services"].items()
               if (svc.get("labels") or {}).get("com.sentiric.k8s.pod-security") == "baseline"}
    res = inv("k8s.validate", str(out), "--pod-security", "restricted", state_dir=tmp_path)
    failing = {re.search(r"(?:Deployment|StatefulSet|Job)/([a-z0-9-]+):", line).group(1)
               for line in res.stdout.splitlines() if line.startswith("fail") and "Pod Security restricted" in line}
    # every pod passes `restricted`, except a service whose image runs as root, relaxed to baseline on purpose
    assert failing == (relaxed & failing) and (res.returncode == 0) == (not failing), res.stdout + res.stderr
    res = inv("k8s.validate", str(out), "--pod-security", "baseline", state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "example-only" not in res.stdout + res.stderr  # secret values never printed
    objs = load_dir(out)
    assert "Namespace" not in {o["kind"] for o in objs} and all("namespace" not in o["metadata"] for o in objs)
    services = {o["metadata"]["name"] for o in objs if o["kind"] == "Service"}
    workloads = {o["metadata"]["name"] for o in objs if o["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet")}
    for name in model["services"]:
        assert name in services and name in workloads, name  # the profiles' names are already DNS labels
    for obj in objs:
        pod = (obj.get("spec") or {}).get("template", {}).get("spec")
        if pod:
            assert pod["enableServiceLinks"] is False and pod["automountServiceAccountToken"] is False
            for c in pod["containers"] + pod.get("initContainers", []):
                assert c["resources"], (obj["metadata"]["name"], c["name"])


def test_env_of_every_service_lands_once_with_the_compiled_value(tmp_path):
    """Property over the real profiles: each env key a service uses is in exactly one of its
    ConfigMap or Secret, with the value the env compiler produced."""
    from symphony.core.envcompiler import compile_env

    for profile in ("prod", "demo"):
        out = tmp_path / profile
        assert inv("k8s.export", "--profile", profile, "--output", str(out), state_dir=tmp_path).returncode == 0
        objs = {(o["kind"], o["metadata"]["name"]): o for o in load_dir(out)}
        compiled = compile_env(state.ENV_DIR, profile).values
        model = yaml.safe_load(state.compose_file(profile).read_text())
        for name, svc in model["services"].items():
            for key, ref in (svc.get("environment") or {}).items():
                config = (objs.get(("ConfigMap", f"{name}-env")) or {}).get("data") or {}
                secret = (objs.get(("Secret", f"{name}-env")) or {}).get("stringData") or {}
                assert (key in config) != (key in secret), (profile, name, key)
                if ref == f"${{{key}}}":
                    assert (config.get(key) or secret.get(key)) == compiled[key], (profile, name, key)


names = st.from_regex(r"[A-Z][A-Z0-9_]{0,20}", fullmatch=True)
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
suffixes = st.sampled_from(["", "_PASSWORD", "_TOKEN", "_KEY", "_KEY_PATH", "_URL"])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.tuples(names, suffixes).map("".join), values, max_size=12))
def test_property_each_key_exactly_once_with_its_value(env):
    from symphony.core.secrets import is_secret

    escaped = {k: v.replace("$", "$$") for k, v in env.items()}  # as `compose config` prints them
    model = {"services": {"svc": {"image": "x", "environment": escaped}}}
    objs = {o["kind"]: o for o in convert(model, profile="p").manifests}
    config = (objs.get("ConfigMap") or {}).get("data") or {}
    secret = (objs.get("Secret") or {}).get("stringData") or {}
    assert set(config) | set(secret) == set(env) and not set(config) & set(secret)
    # secret: by the rule, or holding a secret's value under another name (README "Secrets"); plain:
    # sharing not one character with any secret value (nor its JSON/repr escapes); else either
    secrets = [v for k, v in env.items() if is_secret(k, v) and v.strip()]
    for key, value in env.items():
        assert (config.get(key), secret.get(key)).count(value) == 1
        if is_secret(key, value) or value in secrets:
            assert secret.get(key) == value, key
        elif not any(set(value) & (set(s) | set(json.dumps(s)) | set(repr(s))) for s in secrets):
            assert config.get(key) == value, key


def test_a_secret_passed_under_a_plain_name_goes_into_the_secret():
    """`DB_CONN: ${POSTGRES_PASSWORD}`, a DSN read from secrets.env: the value is the env's secret
    whatever the name in the service (the compiler's classification, passed as `secrets`)."""
    model = {"services": {"svc": {"image": "x", "environment": {
        "DB_CONN": "pg-pass-value", "DSN": "https://dsn-key-value@o1.ingest.example/1",
        "URL": "amqp://app:pg-pass-value@mq", "MULTI": "line-one-value\nline-two-value", "LEVEL": "info"}}}}
    given = {"pg-pass-value": "POSTGRES_PASSWORD", "https://dsn-key-value@o1.ingest.example/1": "SENTRY_DSN",
             "line-one-value\nline-two-value": "INTERNAL_API_TOKEN"}
    objs = {o["kind"]: o for o in convert(model, profile="p", secrets=given).manifests}
    assert objs["ConfigMap"]["data"] == {"LEVEL": "info"}
    assert set(objs["Secret"]["stringData"]) == {"DB_CONN", "DSN", "URL", "MULTI"}
    plain = {o["kind"]: o for o in convert(model, profile="p").manifests}  # nothing known: only the name rule
    assert set(plain["ConfigMap"]["data"]) == {"DB_CONN", "DSN", "MULTI", "LEVEL"}


def export_bytes(tmp_path, seed: str) -> dict[str, bytes]:
    out = tmp_path / f"seed-{seed}"
    env = dict(os.environ, PYTHONHASHSEED=seed, SYMPHONY_STATE_DIR=str(tmp_path), NO_COLOR="1")
    subprocess.run([sys.executable, "-m", "invoke", "k8s.export", "--profile", "prod", "--output", str(out)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_output_is_byte_identical_across_runs_and_hash_seeds(tmp_path):
    first, second = export_bytes(tmp_path, "1"), export_bytes(tmp_path, "4242")
    assert first == second and len(first) > 10


def test_bad_input_is_a_clear_error(tmp_path):
    res = inv("k8s.export", "--format", "jsonnet", state_dir=tmp_path)
    assert res.returncode == 2 and "manifests, kustomize, helm" in res.stderr
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("mine")
    res = inv("k8s.export", "--output", str(precious), state_dir=tmp_path)
    assert res.returncode == 2 and "refusing to overwrite" in res.stderr
    assert (precious / "notes.txt").read_text() == "mine"
    for version in ("abc", "1.10", "9.99"):
        res = inv("k8s.validate", str(tmp_path), "--kubernetes-version", version, state_dir=tmp_path)
        assert res.returncode == 2 and "1.25 .. 1.37" in res.stderr
    compose_file = tmp_path / "one.yml"
    compose_file.write_text("services:\n  a:\n    image: x\n")
    res = inv("k8s.export", "--file", str(compose_file), "--env-file", str(tmp_path / "nope.env"), state_dir=tmp_path)
    assert res.returncode == 2 and "--env-file" in res.stderr and "nope.env: no such file" in res.stderr
    res = inv("k8s.validate", str(tmp_path / "missing"), state_dir=tmp_path)
    assert res.returncode == 2 and "not a directory" in res.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n"
                                   "data: {A_PASSWORD: x}\n")
    res = inv("k8s.validate", str(broken), state_dir=tmp_path)
    assert res.returncode == 1
    assert "ConfigMap/Bad_Name: name is not a DNS-1123 subdomain" in res.stdout
    assert "A_PASSWORD looks secret but sits in a ConfigMap" in res.stdout


def test_apply_and_diff_without_a_cluster(tmp_path):
    out = tmp_path / "out"
    assert inv("k8s.export", "--profile", "demo", "--output", str(out), state_dir=tmp_path).returncode == 0
    dry = inv("k8s.apply", str(out), "--dry-run", "--context", "staging", state_dir=tmp_path)
    assert dry.returncode == 0
    assert f"+ kubectl --context staging apply --server-side --field-manager=symphony -R -f {out}" in dry.stdout
    ns = inv("k8s.apply", str(out), "--dry-run", "--namespace", "team-a", state_dir=tmp_path)
    assert ns.returncode == 0 and f"apply --server-side --field-manager=symphony -n team-a -R -f {out}" in ns.stdout
    env = {"KUBECONFIG": str(tmp_path / "no-kubeconfig")}
    for task in ("k8s.apply", "k8s.diff"):
        res = inv(task, str(out), state_dir=tmp_path, env=env)
        assert res.returncode == 2 and "no current context" in res.stderr and "Traceback" not in res.stderr


def test_kustomize_is_one_base_and_an_overlay_per_profile_that_rebuild_the_manifests(tmp_path):
    import shutil

    out = tmp_path / "k"
    res = inv("k8s.export", "--format", "kustomize", "--output", str(out), state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert {p.name for p in (out / "overlays").iterdir()} == set(state.known_profiles())
    assert list(out.glob("base/*/kustomization.yaml"))  # objects shared by profiles live once
    # Secrets inside: every directory level is private, whatever the umask (mkdir sets the last one's mode)
    assert {oct(p.stat().st_mode & 0o777) for p in [out, *out.rglob("*")] if p.is_dir()} == {"0o700"}
    if not shutil.which("kubectl"):
        pytest.skip("kubectl not installed: overlays written, not built")
    for profile in ("prod", "gateway", "demo"):
        built = subprocess.run(["kubectl", "kustomize", str(out / "overlays" / profile)],
                               capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
        plain_dir = tmp_path / f"plain-{profile}"
        assert inv("k8s.export", "--profile", profile, "--output", str(plain_dir), state_dir=tmp_path).returncode == 0
        key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
        rebuilt = {key(o): o for o in yaml.safe_load_all(built.stdout) if o and o["kind"] != "Namespace"}
        plain = {key(o): o for o in load_dir(plain_dir) if o["kind"] != "Namespace"}
        assert rebuilt == plain, profile  # (the overlay also labels the Namespace with its profile)
        check_dir = tmp_path / f"built-{profile}"
        check_dir.mkdir()
        (check_dir / "all.yaml").write_text(built.stdout)
        assert inv("k8s.validate", str(check_dir), state_dir=tmp_path).returncode == 0
    whole = inv("k8s.validate", str(out), state_dir=tmp_path)  # each overlay built and validated on its own
    assert whole.returncode == 0, whole.stdout
    tree = inv("k8s.apply", str(out), "--dry-run", state_dir=tmp_path)
    assert tree.returncode == 2 and "apply one overlay" in tree.stderr


def test_export_of_a_plain_compose_file_with_its_env_file(tmp_path):
    compose = tmp_path / "app.yml"
    compose.write_text("services:\n  web:\n    image: example/web:${WEB_TAG}\n    expose: ['80']\n"
                       "    environment: {API_TOKEN: '${TOKEN}'}\n")
    env_file = tmp_path / "app.env"
    env_file.write_text("WEB_TAG=2.0\nTOKEN=t0k3n-value\n")
    out = tmp_path / "out"
    res = inv("k8s.export", "--file", str(compose), "--env-file", str(env_file), "--output", str(out),
              state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "t0k3n-value" not in res.stdout + res.stderr
    objs = {(o["kind"], o["metadata"]["name"]): o for o in load_dir(out)}
    assert objs["Deployment", "web"]["spec"]["template"]["spec"]["containers"][0]["image"] == "example/web:2.0"
    assert objs["Secret", "web-env"]["stringData"] == {"API_TOKEN": "t0k3n-value"}
    assert inv("k8s.validate", str(out), state_dir=tmp_path).returncode == 0
    res = inv("k8s.export", "--env-file", str(env_file), state_dir=tmp_path)
    assert res.returncode == 2 and "--env-file goes with --file" in res.stderr


@pytest.mark.parametrize("layout", ["manifests", "helm"])
def test_a_secret_the_env_file_names_stays_out_of_configmaps_and_values(tmp_path, layout):
    """An env file env.generate wrote names its secret keys; a service may pass one under a plain
    name (or a secrets fragment's DSN that no name rule catches): no ConfigMap, no values.yaml env."""
    compose = tmp_path / "app.yml"
    compose.write_text("services:\n  web:\n    image: example/web:1\n    expose: ['80']\n"
                       "    environment: {DSN: '${SENTRY_DSN}', DB_CONN: '${PG_PASS}', LEVEL: '${LOG_LEVEL}'}\n")
    env_file = tmp_path / ".env.generated"
    env_file.write_text("# secret keys: PG_PASS SENTRY_DSN\nLOG_LEVEL='info'\n"
                        "PG_PASS='Canary-pg-pass'\nSENTRY_DSN='https://Canary-dsn-key@o1.example/1'\n")
    out = tmp_path / "out"
    res = inv("k8s.export", "--file", str(compose), "--env-file", str(env_file), "--output", str(out),
              "--format", layout, state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Canary" not in res.stdout + res.stderr
    for path in out.rglob("*"):
        if path.is_file() and "Canary" in path.read_text():
            docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
            if layout == "manifests":
                holding = [d for d in docs if "Canary" in yaml.safe_dump(d)]
                assert [d["kind"] for d in holding] == ["Secret"], path
                assert set(holding[0]["stringData"]) == {"DSN", "DB_CONN"}
            else:
                assert path.name == "values.yaml", path
                web = docs[0]["services"]["web"]
                assert set(web["secretEnv"]) == {"DSN", "DB_CONN"} and web["env"] == {"LEVEL": "info"}


def test_rejected_compose_file_bad_names_and_bad_env_keys(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("services:\n  web:\n    image: x\n    depends_on: [ghost]\n")
    res = inv("k8s.export", "--file", str(broken), "--output", str(tmp_path / "o1"), state_dir=tmp_path)
    assert res.returncode == 2 and "Compose rejects" in res.stderr and "ghost" in res.stderr
    assert not (tmp_path / "o1").exists()

    odd = tmp_path / "odd.yml"
    odd.write_text("services:\n  Web_API:\n    image: x\n    expose: ['80']\n"
                   "    environment: {GOOD: '1', 'discovery.type': single-node, 'my-name': '2', '9LIVES': '3',"
                   " '..up': '4'}\n")
    out = tmp_path / "o2"
    res = inv("k8s.export", "--file", str(odd), "--output", str(out), state_dir=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Web_API: renamed 'web-api' (DNS-1035)" in res.stdout
    # Kubernetes' IsEnvVarName: letters, digits, `_ - .`, no leading digit, not `..` first (envFrom skips those)
    assert "'9LIVES' is not a valid variable name" in res.stdout and "'..up' is not" in res.stdout
    assert "discovery.type" not in res.stdout and "my-name" not in res.stdout
    objs = {(o["kind"], o["metadata"]["name"]): o for o in load_dir(out)}
    assert objs["ConfigMap", "web-api-env"]["data"] == {"GOOD": "1", "discovery.type": "single-node", "my-name": "2"}
    assert inv("k8s.validate", str(out), state_dir=tmp_path).returncode == 0


def test_a_re_export_keeps_files_it_did_not_write(tmp_path):
    out = tmp_path / "out"
    assert inv("k8s.export", "--profile", "demo", "--output", str(out), state_dir=tmp_path).returncode == 0
    written = sorted(p.name for p in out.iterdir())
    (out / "my-notes.md").write_text("mine")
    (out / "kustomization.yaml").write_text("resources: []\n")  # a user's own addition beside the export
    res = inv("k8s.export", "--profile", "demo", "--output", str(out), state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (out / "my-notes.md").read_text() == "mine" and (out / "kustomization.yaml").exists()
    assert "kept 2 file(s)" in res.stdout and "my-notes.md" in res.stdout
    assert set(written) <= {p.name for p in out.iterdir()}
