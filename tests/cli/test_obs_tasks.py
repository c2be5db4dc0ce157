"""obs.* and `start --observability` as a user runs them, where no real backend image exists:
the exact commands (dry run), the Grafana password rule, flag validation."""
from __future__ import annotations

import pytest
import yaml

from tests.invoke_helpers import ROOT, inv


@pytest.mark.docker  # the dry run still asks the engine which profiles are running
def test_start_with_observability_prints_both_stacks_and_the_override(tmp_path):
    res = inv("start", "--offline", "--observability", "--tracing", "jaeger", "--collector", "promtail", "--dry-run",
              state_dir=tmp_path, env={"SYMPHONY_PROJECT_PREFIX": "symtest-obsdry-"})
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert "-p symtest-obsdry-obs -f" in out
    assert "--profile promtail --profile jaeger up -d --remove-orphans --wait" in out
    assert "GRAFANA_ADMIN_PASSWORD=******" in out and "example-only" not in out
    # the configured password is set in Grafana's database on every up, through its CLI and stdin
    assert "docker exec -i '<grafana container>' grafana cli admin reset-admin-password --password-from-stdin" in out
    assert ".compose.observability.yml" in out and "-f " + str(tmp_path / ".compose.observability.yml") in out
    assert not (tmp_path / ".compose.observability.yml").exists()  # a dry run writes nothing


def test_log_driver_needs_observability_and_a_known_driver(tmp_path):
    res = inv("start", "--offline", "--log-driver", "loki", state_dir=tmp_path)
    assert res.returncode == 2 and "needs --observability" in res.stderr
    res = inv("start", "--offline", "--observability", "--log-driver", "fluentd", state_dir=tmp_path)
    assert res.returncode == 2 and "only `loki`" in res.stderr
    res = inv("obs.up", "--collector", "fluentbit", "--dry-run", state_dir=tmp_path)
    assert res.returncode == 2 and "alloy, promtail, none" in res.stderr


def test_grafana_admin_password_must_be_real_outside_demo(tmp_path):
    config = tmp_path / "cfg"
    assert inv("config.init", str(config), state_dir=tmp_path).returncode == 0
    secrets = config / "environments/common/secrets.env"
    secrets.write_text(secrets.read_text().replace("GRAFANA_ADMIN_PASSWORD=example-only-grafana-password",
                                                   "GRAFANA_ADMIN_PASSWORD=admin"))
    res = inv("obs.up", "--profile", "core", "--config", str(config), "--dry-run", state_dir=tmp_path)
    assert res.returncode == 2 and "GRAFANA_ADMIN_PASSWORD" in res.stderr and "secrets.env" in res.stderr
    res = inv("obs.up", "--profile", "demo", "--config", str(config), "--standalone", "--dry-run", state_dir=tmp_path)
    assert res.returncode == 0, res.stderr  # the demo may keep a throwaway password


def test_override_instruments_every_prod_service(tmp_path):
    from symphony.core.observability.override import stack_override

    model = yaml.safe_load((ROOT / "compose" / "prod.yml").read_text())
    override = stack_override(model, log_driver="loki")
    assert set(override["services"]) == set(model["services"])
    assert {s["environment"]["OTEL_SERVICE_NAME"] for s in override["services"].values()} == set(model["services"])


@pytest.mark.docker
def test_obs_up_names_a_taken_port_and_says_when_nothing_runs(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = inv("obs.up", "-s", "prometheus", "--dry-run", state_dir=tmp_path,
                  env={"PROMETHEUS_PORT": str(port), "SYMPHONY_PROJECT_PREFIX": "symtest-obsport-"})
    assert res.returncode == 2
    assert f"127.0.0.1:{port} (for prometheus) is already in use" in res.stderr and "PROMETHEUS_PORT" in res.stderr
    res = inv("obs.up", "-s", "prometheus", "--dry-run", state_dir=tmp_path,
              env={"SYMPHONY_PROJECT_PREFIX": "symtest-obsnone-"})
    assert res.returncode == 1
    assert "no Symphony profile is running on this engine" in res.stderr and "--standalone" in res.stderr
    res = inv("obs.up", "-s", "prometheus", "--standalone", "--dry-run", state_dir=tmp_path,
              env={"SYMPHONY_PROJECT_PREFIX": "symtest-obsnone-"})
    assert res.returncode == 0, res.stderr
    assert "+ DOCKER_SOCKET_GID=" in res.stdout and "up -d --remove-orphans --wait prometheus" in res.stdout
    assert inv("obs.up", "-s", "graphite", "--dry-run", state_dir=tmp_path).returncode == 2


@pytest.mark.docker
def test_loki_driver_without_the_plugin_is_refused_before_anything_starts(tmp_path):
    import subprocess

    plugins = subprocess.run(["docker", "plugin", "ls", "--format", "{{.Name}}"], capture_output=True, text=True).stdout
    if "loki" in plugins:
        pytest.skip("the loki driver plugin is installed here")
    res = inv("start", "--offline", "--observability", "--log-driver", "loki", state_dir=tmp_path,
              env={"SYMPHONY_PROJECT_PREFIX": "symtest-lokidrv-"})
    assert res.returncode == 1
    assert "loki logging driver plugin is not installed" in res.stderr and "docker plugin install" in res.stderr
    assert not (tmp_path / ".profile.state").exists()


def test_plan_prints_what_prometheus_will_scrape_per_service(tmp_path):
    res = inv("obs.plan", "--profile", "demo", state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = {line.split()[1]: line for line in res.stdout.splitlines() if line.strip()}
    assert ":8080/metrics" in lines["api-gateway"] and "metrics endpoint declared" in lines["api-gateway"]
    assert "-" in lines["migrate"].split()[2] and "no metrics endpoint declared" in lines["migrate"]
    assert not list(tmp_path.glob("**/.env.generated"))  # the env it needed is gone, the state dir untouched
    res = inv("obs.plan", "--profile", "nosuch", state_dir=tmp_path)
    assert res.returncode == 2 and "nosuch" in res.stderr
