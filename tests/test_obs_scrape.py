"""The scrape plan predicted from a compose model matches the rules in prometheus.yml, and no
profile has a service that discovery would turn into several targets."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from symphony.infra import state
from symphony.core.observability.scrape import scrape_plan, several_targets
from tests.invoke_helpers import ROOT, inv


def test_labels_choose_port_and_path_and_udp_adds_no_target():
    model = {"services": {
        "agent": {"labels": {"com.sentiric.metrics.port": "9091"}, "expose": ["50051", "9091"]},
        "db": {"labels": {"com.sentiric.metrics.enabled": "false"}, "expose": ["5432"]},
        "media": {"ports": [{"target": 50052, "protocol": "tcp"}, {"target": 10000, "protocol": "udp"}],
                  "expose": ["10000-10100/udp"]},
        "web": {"expose": ["80", "8080-8081"], "labels": {"com.sentiric.metrics.path": "/stats"}},
        "worker": {},
    }}
    plan = scrape_plan(model)
    assert plan["agent"] == {"ports": ["9091"], "path": "/metrics", "reason": "metrics-port label"}
    assert plan["db"]["ports"] == [] and plan["db"]["reason"] == "opted out"
    assert plan["media"]["ports"] == ["50052"]
    assert plan["web"] == {"ports": ["80", "8080", "8081"], "path": "/stats", "reason": "each exposed TCP port"}
    assert plan["worker"]["ports"] == [] and "image EXPOSE" in plan["worker"]["reason"]
    assert several_targets(model) == ["web"]


@pytest.mark.parametrize("profile", state.known_profiles())
def test_no_profile_service_becomes_several_targets(profile, tmp_path):
    from symphony.infra.runner import Runner

    env_file = tmp_path / "env"
    assert inv("env.generate", "--profile", profile, "--output", str(env_file), state_dir=tmp_path).returncode == 0
    res = subprocess.run([*Runner(echo=False).compose_base, "-f", str(ROOT / f"compose/{profile}.yml"),
                          "--env-file", str(env_file), "config", "--format", "json"],
                         capture_output=True, text=True, env=dict(os.environ))
    assert res.returncode == 0, res.stderr
    assert several_targets(json.loads(res.stdout)) == []
