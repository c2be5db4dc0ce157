"""The scrape plan predicted from a compose model follows the rule in prometheus.yml: only a
declared metrics endpoint is a target, once per container."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from symphony.app.platform import platform_catalog
from symphony.core.observability.scrape import scrape_plan
from tests.invoke_helpers import ROOT, inv


def test_only_a_declared_metrics_endpoint_is_scraped_once():
    model = {"services": {
        "agent": {"labels": {"com.sentiric.metrics.port": "12032"}, "expose": ["12031", "12032"]},
        "db": {"labels": {"com.sentiric.metrics.enabled": "false", "com.sentiric.metrics.port": "9187"}},
        "media": {"ports": [{"target": 50052, "protocol": "tcp"}], "expose": ["13031", "50000-50100/udp"]},
        "web": {"expose": ["80"],
                "labels": {"com.sentiric.metrics.port": "8080", "com.sentiric.metrics.path": "/stats"}},
        "shouty": {"labels": {"com.sentiric.metrics.enabled": "FALSE", "com.sentiric.metrics.port": "9100"}},
    }}
    plan = scrape_plan(model)
    assert plan["agent"] == {"ports": ["12032"], "path": "/metrics", "reason": "metrics endpoint declared"}
    assert plan["db"]["ports"] == [] and plan["db"]["reason"] == "opted out"
    assert plan["media"]["ports"] == [] and plan["media"]["reason"] == "no metrics endpoint declared"  # gRPC/RTP ports
    assert plan["web"] == {"ports": ["8080"], "path": "/stats", "reason": "metrics endpoint declared"}
    assert plan["shouty"]["ports"] == ["9100"]  # Prometheus' regex "false" is case-sensitive, so is the plan


@pytest.mark.parametrize("profile", sorted(platform_catalog().profiles))
def test_every_platform_target_is_a_metrics_endpoint_the_catalog_names(profile, tmp_path):
    """The compose files' labels say exactly what the catalog's facts say: no gRPC, SIP or UI
    port is planned as a target, and every service with a metrics endpoint is."""
    from symphony.infra.runner import Runner

    env_file = tmp_path / "env"
    assert inv("env.generate", "--profile", profile, "--output", str(env_file), state_dir=tmp_path).returncode == 0
    res = subprocess.run([*Runner(echo=False).compose_base, "-f", str(ROOT / f"compose/{profile}.yml"),
                          "--env-file", str(env_file), "config", "--format", "json"],
                         capture_output=True, text=True, env=dict(os.environ))
    assert res.returncode == 0, res.stderr
    model = json.loads(res.stdout)
    plan = scrape_plan(model)
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines()
               if "=" in line and not line.startswith("#"))
    catalog = platform_catalog()
    for name, entry in plan.items():
        svc = catalog.services[name]
        if svc.metrics:
            port = svc.port(svc.metrics.port)
            expected = env[port.config_variable].strip("'") if port.config_variable else str(port.port)
            assert entry["ports"] == [expected] and entry["path"] == svc.metrics.path, name
        else:
            assert entry["ports"] == [], name
