"""k8s.export's command line as a user runs it: multi-file input, compose profiles, the export
options, refusals (exit 2, a clear message, nothing written), and validate on what export wrote."""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.helm_subset import render
from tests.invoke_helpers import inv

MEANINGS = Path(__file__).parent.parent / "k8s_cases" / "meanings"


def load_dir(path: Path) -> dict:
    objs = {}
    for f in sorted(path.rglob("*.yaml")):
        for d in yaml.safe_load_all(f.read_text()):
            if d:
                objs[d["kind"], d["metadata"]["name"]] = d
    return objs


def export(tmp_path, *args, out="out"):
    target = tmp_path / out
    res = inv("k8s.export", *args, "--output", str(target), state_dir=tmp_path)
    return res, target


def test_several_files_merge_like_compose_f(tmp_path):
    res, out = export(tmp_path, "--file", str(MEANINGS / "base.yml"), "--file", str(MEANINGS / "override.yml"))
    assert res.returncode == 0, res.stderr
    objs = load_dir(out)
    api = objs["Deployment", "api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["image"] == "example/api:2"  # the later file wins, as with `docker compose -f base -f override`
    assert objs["ConfigMap", "api-env"]["data"] == {"LOG_LEVEL": "debug"}
    assert ("Deployment", "worker") in objs and ("Service", "api") in objs


def test_a_file_whose_services_are_all_profiled_is_refused_unless_a_profile_is_enabled(tmp_path):
    res, out = export(tmp_path, "--file", str(MEANINGS / "profiled.yml"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "every service of" in res.stderr and "debug-shell, trace" in res.stderr and "--compose-profile" in res.stderr
    assert not out.exists()
    res, out = export(tmp_path, "--file", str(MEANINGS / "profiled.yml"), "--compose-profile", "debug", out="o2")
    assert res.returncode == 0, res.stderr
    assert {("Deployment", "debug-shell"), ("Deployment", "trace")} <= set(load_dir(out))


def test_secret_values_from_compose_secrets_never_reach_the_console(tmp_path):
    out = tmp_path / "s"
    res = inv("k8s.export", "--file", str(MEANINGS / "secrets_configs.yml"), "--output", str(out), state_dir=tmp_path,
              env={"API_TOKEN": "env-token-value"})
    assert res.returncode == 0, res.stderr
    text = res.stdout + res.stderr + (out / "WARNINGS.txt").read_text()
    assert "env-token-value" not in text and "db-file-secret-value" not in text
    assert "env-token-value" in "".join(p.read_text() for p in out.glob("*.yaml")) or any(
        "ZW52LXRva2VuLXZhbHVl" in p.read_text() for p in out.glob("*.yaml"))  # base64 in the Secret (0600)
    assert "API_TOKEN" not in os.environ
    unset = inv("k8s.export", "--file", str(MEANINGS / "secrets_configs.yml"), "--output", str(tmp_path / "u"),
                state_dir=tmp_path)
    assert unset.returncode == 0  # Compose itself refuses to start the service then: reported, not mounted
    assert ("secret api_token: variable API_TOKEN is not set; not mounted"
            in (tmp_path / "u" / "WARNINGS.txt").read_text())


def test_services_of_disabled_profiles_are_reported(tmp_path):
    res, out = export(tmp_path, "--file", str(MEANINGS / "optional_deps.yml"))
    assert res.returncode == 0, res.stderr
    assert "services metrics are in compose profiles that are not enabled: not exported" in \
        (out / "WARNINGS.txt").read_text()


def test_colliding_names_are_a_usage_error_and_nothing_is_written(tmp_path):
    res, out = export(tmp_path, "--file", str(MEANINGS / "collision.yml"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "'web_app'" in res.stderr and "'web-app'" in res.stderr and "both become Service 'web-app'" in res.stderr
    assert "rename one of them" in res.stderr
    assert not out.exists()


def test_bad_option_values_are_usage_errors(tmp_path):
    f = str(MEANINGS / "published.yml")
    cases = [
        (["--expose", "public"], "--expose 'public' is not one of cluster, nodeport, loadbalancer, ingress"),
        (["--expose", "ingress"], "--expose ingress needs --ingress-domain"),
        (["--ingress-domain", "x.org"], "goes with --expose ingress"),
        (["--image-pull-secret", "Reg_Cred"], "--image-pull-secret 'Reg_Cred' is not a valid Secret name"),
        (["--relax", "web"], "--relax 'web' is not SERVICE=LEVEL"),
        (["--relax", "web=root"], "is not SERVICE=LEVEL with LEVEL one of restricted, baseline, privileged"),
        (["--relax", "ghost=baseline"], "no service 'ghost' in the export"),
        (["--default-requests", "cpu=lots"], "--default-requests 'cpu=lots': expected cpu=QUANTITY,memory=QUANTITY"),
        (["--namespace", "Team_A"], "--namespace 'Team_A' is not a DNS-1123 label"),
        (["--compose-profile", "x", "--profile", "demo"], None),
    ]
    for extra, message in cases:
        args = extra if extra[-1] == "demo" else ["--file", f, *extra]
        res, out = export(tmp_path, *args)
        assert res.returncode == 2, (extra, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr
        if message:
            assert message in res.stderr, (extra, res.stderr)
        assert not out.exists()


def test_every_new_flag_has_help():
    res = inv("--help", "k8s.export")
    assert res.returncode == 0
    for flag in ("--file", "--env-file", "--compose-profile", "--namespace", "--expose", "--ingress-domain",
                 "--image-pull-secret", "--relax", "--default-requests"):
        line = next(line for line in res.stdout.splitlines() if line.strip().startswith(flag) or f" {flag}" in line)
        assert len(line.split(None, 1)) > 1 and line.rstrip().split()[-1] != flag, line  # a help text follows
    for short in ("-c STRING, --config", "-e, --env-file", "-f, --file", "-n STRING, --namespace",
                  "-o STRING, --output", "-p STRING, --profile", "-r STRING, --format"):
        assert short in res.stdout, short  # the short flags users already type keep their meaning
    assert "--pod-security" in inv("--help", "k8s.validate").stdout
    assert "--namespace" in inv("--help", "k8s.apply").stdout


def test_pinned_namespace_carries_pod_security_labels_and_validate_reads_them(tmp_path):
    res, out = export(tmp_path, "--file", str(MEANINGS / "security.yml"), "--namespace", "team-a",
                      "--image-pull-secret", "regcred")
    assert res.returncode == 0, res.stderr
    objs = load_dir(out)
    labels = objs["Namespace", "team-a"]["metadata"]["labels"]
    # one service is relaxed to privileged, so the namespace must admit privileged pods; warn/audit stay restricted
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert all(o["metadata"].get("namespace") == "team-a" for k, o in objs.items() if k[0] != "Namespace")
    assert objs["Deployment", "plain"]["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    ok = inv("k8s.validate", str(out), state_dir=tmp_path)
    assert ok.returncode == 0, ok.stdout
    assert "uses Secret regcred, which is not in this set" in ok.stdout  # a note, not a failure
    strict = inv("k8s.validate", str(out), "--pod-security", "restricted", state_dir=tmp_path)
    assert strict.returncode == 1
    assert "Deployment/privileged: Pod Security restricted: container privileged: privileged: true is forbidden" \
        in strict.stdout
    assert "(relaxed to privileged on purpose" in strict.stdout
    failures = [line for line in strict.stdout.splitlines() if line.startswith("fail")]
    assert failures and not [line for line in failures if "Deployment/plain" in line]


def test_a_62_character_service_exports_and_validates(tmp_path):
    name = "s" + "x" * 61
    compose = tmp_path / "long.yml"
    compose.write_text(f"services:\n  {name}:\n    image: example/x:1\n    restart: always\n    expose: ['80']\n"
                       f"    environment: {{MODE: fast, API_TOKEN: t0ken-value}}\n    volumes: [data:/data]\n"
                       "volumes:\n  data: {}\n")
    res, out = export(tmp_path, "--file", str(compose))
    assert res.returncode == 0, res.stderr
    objs = load_dir(out)
    assert ("ConfigMap", f"{name}-env") in objs and ("Secret", f"{name}-env") in objs  # 66 characters: valid
    sts = [o for k, o in objs.items() if k[0] == "StatefulSet"][0]
    assert len(sts["metadata"]["name"]) <= 52
    res = inv("k8s.validate", str(out), state_dir=tmp_path)
    assert res.returncode == 0, res.stdout


def test_helm_chart_escapes_template_syntax_from_compose(tmp_path):
    res, chart = export(tmp_path, "--file", str(MEANINGS / "braces.yml"), "--format", "helm")
    assert res.returncode == 0, res.stderr
    template = (chart / "templates" / "app.yaml").read_text()
    assert "{{.Time}}" not in template and '{{ "{{" }}' in template
    values = yaml.safe_load((chart / "values.yaml").read_text())
    objs = {(d["kind"], d["metadata"]["name"]): d for path in sorted((chart / "templates").glob("*.yaml"))
            for d in yaml.safe_load_all(render(path.read_text(), values, "ns")) if d}
    pod = objs["Deployment", "app"]["spec"]["template"]
    assert pod["spec"]["containers"][0]["args"] == ["--format", "{{json .}}"]  # rendered back to the text
    assert pod["metadata"]["annotations"]["com.example.template"] == "{{ .Service }}"
    assert values["services"]["app"]["env"] == {"LOG_FORMAT": "{{.Time}} {{ .Level }}"}  # values are not templates


def test_the_project_dot_env_feeds_environment_sourced_secrets_as_compose_reads_it(tmp_path):
    """Without --env-file Compose reads `.env` beside the (first) compose file: a secret whose
    `environment:` names a variable there is mounted, not reported as unset."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yaml").write_text((MEANINGS / "secrets_configs.yml").read_text())
    (project / ".env").write_text("API_TOKEN=dotenv-token-value\n")
    out = tmp_path / "out"
    res = inv("k8s.export", "--file", str(project / "compose.yaml"), "--output", str(out), state_dir=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "API_TOKEN is not set" not in (out / "WARNINGS.txt").read_text()
    assert "dotenv-token-value" not in res.stdout + res.stderr
    written = "".join(p.read_text() for p in out.glob("*.yaml"))
    assert "dotenv-token-value" in written or "ZG90ZW52LXRva2VuLXZhbHVl" in written


def test_alternative_and_dangerous_options_are_refused(tmp_path):
    for args, needle in ((("k8s.export", "--profile", "demo", "--file", str(MEANINGS / "secrets_configs.yml")),
                          "--profile and --file are alternatives"),
                         (("compose.check", "--profile", "demo", "--all"), "--profile and --all are alternatives"),
                         (("k8s.export", "--namespace", "kube-system"), "one Kubernetes itself uses"),
                         (("k8s.export", "--namespace", "default"), "one Kubernetes itself uses"),
                         (("k8s.export", "--namespace", "kube-flannel"), "one Kubernetes itself uses")):
        res = inv(*args, "--output", str(tmp_path / "o"), state_dir=tmp_path) if args[0] == "k8s.export" else \
            inv(*args, state_dir=tmp_path)
        assert res.returncode == 2 and needle in res.stderr, (args, res.stderr)
    assert not (tmp_path / "o").exists()


def test_a_compose_file_name_that_is_no_label_value_still_gives_valid_labels(tmp_path):
    """The file's name stands for the profile in `app.kubernetes.io/instance` (a label value: at most 63
    characters of [A-Za-z0-9-_.], alphanumeric at both ends)."""
    for name in ("My Compose.yaml", "x" * 70 + ".yaml"):
        folder = tmp_path / name[:10].strip()
        folder.mkdir()
        (folder / name).write_text("services:\n  web:\n    image: nginx:1.27\n    expose: ['80']\n")
        out = folder / "out"
        res = inv("k8s.export", "--file", str(folder / name), "--output", str(out), state_dir=tmp_path)
        assert res.returncode == 0, res.stderr
        assert inv("k8s.validate", str(out), state_dir=tmp_path).returncode == 0
        instance = load_dir(out)["Deployment", "web"]["metadata"]["labels"]["app.kubernetes.io/instance"]
        assert len(instance) <= 63 and instance.startswith("sentiric-") and " " not in instance


def test_a_dot_env_that_is_not_utf8_is_named_with_its_line(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n")
    (project / ".env").write_bytes(b"A=1\nB=caf\xe9\n")
    res = inv("k8s.export", "--file", str(project / "compose.yaml"), "--output", str(tmp_path / "o"),
              state_dir=tmp_path)
    assert "Traceback" not in res.stderr
    assert res.returncode == 2 and f"{project / '.env'}:2: not UTF-8 text" in res.stderr, res.stderr
