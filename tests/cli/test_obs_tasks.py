"""obs.* and `start --observability` as a user runs them, where no real backend image exists:
the exact commands (dry run), the Grafana password rule, flag validation."""
from __future__ import annotations

import contextlib
import socket
import subprocess

import pytest
import yaml

from tests.invoke_helpers import ROOT, inv


@contextlib.contextmanager
def taken_port():
    """A loopback port another program holds for as long as the block runs."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield busy.getsockname()[1]


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
    original = secrets.read_text()
    for placeholder in ("secret", "Change-Me", " example "):  # the placeholders env.check warns about: one rule
        secrets.write_text(original.replace("GRAFANA_ADMIN_PASSWORD=admin", f"GRAFANA_ADMIN_PASSWORD='{placeholder}'"))
        res = inv("obs.up", "--profile", "core", "--config", str(config), "--dry-run", state_dir=tmp_path)
        assert res.returncode == 2 and "placeholder" in res.stderr, (placeholder, res.stderr)
        check = inv("env.check", "--profile", "core", "--config", str(config), state_dir=tmp_path)
        assert "GRAFANA_ADMIN_PASSWORD holds a placeholder" in check.stdout + check.stderr
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
    with taken_port() as port:
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


def test_a_service_of_the_other_choice_is_refused_and_a_switch_removes_the_old_choice(tmp_path):
    """Naming a service enables its Compose profile, and Compose keeps a disabled profile's
    containers (they are no orphans): promtail would run beside alloy, reading every log twice."""
    res = inv("obs.up", "-s", "promtail", "--collector", "alloy", "--dry-run", state_dir=tmp_path)
    assert res.returncode == 2 and "-s promtail is not the --collector in use (alloy)" in res.stderr
    res = inv("obs.up", "-s", "jaeger", "--dry-run", state_dir=tmp_path)
    assert res.returncode == 2 and "--tracing jaeger" in res.stderr


@pytest.mark.docker  # the dry run asks the engine which ports its containers hold
def test_switching_the_collector_removes_the_other_one_first(tmp_path):
    env = {"SYMPHONY_PROJECT_PREFIX": "symtest-obsswitch-"}
    res = inv("obs.up", "--collector", "promtail", "--tracing", "jaeger", "--standalone", "--dry-run",
              state_dir=tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    removal = next(i for i, line in enumerate(lines) if " rm --stop --force " in line)
    up = next(i for i, line in enumerate(lines) if " up -d --remove-orphans" in line)
    assert removal < up and lines[removal].endswith("rm --stop --force alloy alloy-init tempo")
    assert "--profile alloy --profile promtail --profile tempo --profile jaeger rm" in lines[removal]
    res = inv("obs.up", "-s", "loki", "--standalone", "--dry-run", state_dir=tmp_path, env=env)
    assert res.returncode == 0 and " rm " not in res.stdout  # one service asked for: nothing else touched


@pytest.mark.parametrize("value", ["abc", "99999", "0", "3100-3101", ""])
def test_a_bad_port_value_names_the_variable(tmp_path, value):
    res = inv("obs.up", "--standalone", "--dry-run", state_dir=tmp_path, env={"LOKI_PORT": value or " "})
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "LOKI_PORT=" in res.stderr and "is not a port number" in res.stderr


@pytest.mark.docker
def test_a_dependency_compose_starts_has_its_port_checked_too(tmp_path):
    """`-s grafana`: Compose starts prometheus and loki with it (depends_on)."""
    with taken_port() as port:
        res = inv("obs.up", "-s", "grafana", "--standalone", "--dry-run", state_dir=tmp_path,
                  env={"PROMETHEUS_PORT": str(port), "SYMPHONY_PROJECT_PREFIX": "symtest-obsdep-"})
    assert res.returncode == 2 and f"127.0.0.1:{port} (for prometheus) is already in use" in res.stderr


@pytest.mark.docker
def test_start_with_observability_refuses_a_taken_port_before_writing_anything(tmp_path):
    with taken_port() as port:
        res = inv("start", "--offline", "--observability", "--set", f"GRAFANA_PORT={port}", state_dir=tmp_path,
                  env={"SYMPHONY_PROJECT_PREFIX": "symtest-obsfirst-", "SENTIRIC_NETWORK": "symtest-obsfirst-net"})
    assert res.returncode == 2 and f"127.0.0.1:{port} (for grafana)" in res.stderr, res.stdout + res.stderr
    assert not (tmp_path / ".env.generated").exists() and not (tmp_path / ".profile.state").exists()
    assert "+ (write" not in res.stdout
    network = subprocess.run(["docker", "network", "inspect", "symtest-obsfirst-net"], capture_output=True)
    if network.returncode == 0:  # the old order created it before refusing: leave nothing behind, then fail
        subprocess.run(["docker", "network", "rm", "symtest-obsfirst-net"], capture_output=True)
    assert network.returncode != 0, "the refused start created the platform network"
