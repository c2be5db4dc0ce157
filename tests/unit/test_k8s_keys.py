"""Every service key of the Compose Specification is either mapped or reported: the converter's key
table covers the spec's schema, each key that is not mapped produces a warning naming it, and the
README's Kubernetes section lists every key."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from symphony.core.kube import keys
from symphony.core.kube.convert import convert

SPEC = json.loads((Path(__file__).parent.parent.parent / "compose" / "compose-spec.json").read_text())
SERVICE_KEYS = set(SPEC["definitions"]["service"]["properties"])
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()

# one value per key that is not mapped, shaped as `docker compose config --format json` prints it
SAMPLES = {
    "attach": True, "blkio_config": {"weight": 300}, "cgroup": "host", "cgroup_parent": "/custom",
    "cpu_count": 2, "cpu_percent": 50, "cpu_rt_period": 1000, "cpu_rt_runtime": 500, "cpu_shares": 512,
    "cpuset": "0-1", "credential_spec": {"file": "spec.json"}, "develop": {"watch": [{"path": ".", "action": "sync"}]},
    "device_cgroup_rules": ["c 1:3 mr"], "devices": [{"source": "/dev/ttyUSB0", "target": "/dev/ttyUSB0"}],
    "dns": ["8.8.8.8"], "domainname": "example.org", "external_links": ["redis:cache"],
    "gpus": [{"driver": "nvidia", "count": -1}], "ipc": "host", "isolation": "process",
    "logging": {"driver": "syslog"}, "mac_address": "02:42:ac:11:65:43", "mem_swappiness": 10,
    "memswap_limit": "1073741824", "models": {"llm": {}}, "network_mode": "host", "oom_kill_disable": True,
    "oom_score_adj": 500, "pid": "host", "pids_limit": 100, "provider": {"type": "awesomecloud"},
    "pull_refresh_after": "1h", "runtime": "runc", "stop_signal": "SIGINT", "storage_opt": {"size": "1G"},
    "ulimits": {"nofile": {"soft": 100, "hard": 200}}, "use_api_socket": True, "userns_mode": "host", "uts": "host",
    "volumes_from": ["other"],
}


def test_the_key_table_covers_the_compose_spec():
    assert not set(keys.MAPPED) & set(keys.NOT_MAPPED)
    missing = SERVICE_KEYS - set(keys.MAPPED) - set(keys.NOT_MAPPED)
    assert not missing, f"compose-spec service keys with no decision: {sorted(missing)}"
    assert set(SAMPLES) == set(keys.NOT_MAPPED)


@pytest.mark.parametrize("key", sorted(keys.NOT_MAPPED))
def test_a_key_that_is_not_mapped_is_reported(key):
    result = convert({"services": {"svc": {"image": "example/x:1", key: SAMPLES[key]}}}, profile="p")
    assert any(f"`{key}` not mapped (svc): {keys.NOT_MAPPED[key]}" == w for w in result.warnings), result.warnings


def test_an_unknown_key_and_an_extension_are_reported():
    result = convert({"services": {"svc": {"image": "x", "future_key": 1, "x-team": "a"}}}, profile="p")
    assert "svc: compose key `future_key` is not mapped to Kubernetes" in result.warnings
    assert "svc: extension x-team has no Kubernetes meaning; ignored" in result.warnings


def test_the_readme_lists_every_key():
    section = README.split("## Kubernetes (`k8s.*`)", 1)[1].split("\n## ", 1)[0]
    missing = [k for k in sorted(SERVICE_KEYS) if f"`{k}`" not in section]
    assert not missing, f"README's Kubernetes section does not list {missing}"
    assert "nothing is dropped silently" not in section
