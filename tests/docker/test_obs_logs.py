"""One log stream per container: what the collectors read is what the ENGINE lists for their
Docker API filters. Alloy and Promtail cannot run here, but their discovery is Prometheus' moby
discovery (Promtail vendors it, grafana/loki@v3.5.0 vendor/github.com/prometheus/prometheus/
discovery/moby/docker.go; Alloy converts its filter blocks to it, grafana/alloy@v1.8.3
internal/component/discovery/docker/docker.go), and the real Prometheus here runs that same
code: given the collectors' own filters it must list exactly the containers labelled `tail` on
the platform network, never a driver-logged one, an unlabelled one or one elsewhere."""
from __future__ import annotations

import json
import os
import urllib.request

import pytest
import yaml

from symphony.app.observability import runtime_config_text
from tests.docker.test_obs_live import eventually
from tests.invoke_helpers import ROOT
from tests.stack_helpers import docker, free_port, unique_prefix
from tests.standins import build_prometheus

pytestmark = pytest.mark.docker
SOCKET = "/var/run/docker.sock"


def discovered(port: int) -> list[str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/targets?state=any", timeout=5) as resp:
        data = json.load(resp)["data"]
    return [t["discoveredLabels"]["__meta_docker_container_name"].lstrip("/")
            for t in data["activeTargets"] + data["droppedTargets"]]


@pytest.mark.skipif(not os.path.exists(SOCKET), reason="the engine's socket is not on this machine")
def test_the_collectors_filters_list_only_tail_labelled_containers_on_the_network(tmp_path):
    image = build_prometheus(ROOT)
    prefix = unique_prefix("logs")
    net, side = f"{prefix}net", f"{prefix}side"
    promtail = yaml.safe_load(runtime_config_text("promtail/promtail.yml",
                                                  (ROOT / "observability/promtail/promtail.yml").read_text(), net))
    config_dir = tmp_path / "prometheus"
    config_dir.mkdir(mode=0o755)
    config_dir.chmod(0o755)
    (config_dir / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1h"},
        "scrape_configs": [{"job_name": "collector",
                            "docker_sd_configs": promtail["scrape_configs"][0]["docker_sd_configs"]}],
    }))
    (config_dir / "prometheus.yml").chmod(0o644)
    containers = {  # name -> (networks, labels)
        "tail": ([net], ["com.sentiric.logs.collector=tail"]),
        "tail-two-nets": ([net, side], ["com.sentiric.logs.collector=tail"]),
        "driver": ([net], ["com.sentiric.logs.collector=driver"]),
        "unlabelled": ([net], []),
        "tail-elsewhere": ([side], ["com.sentiric.logs.collector=tail"]),
    }
    port = free_port()
    names = [f"{prefix}{n}" for n in containers] + [f"{prefix}prometheus"]
    try:
        docker("network", "create", net)
        docker("network", "create", side)
        for name, (networks, labels) in containers.items():
            docker("run", "-d", "--name", prefix + name, "--network", networks[0],
                   *[a for label in labels for a in ("--label", label)], "--entrypoint", "/bin/sleep", image, "600")
            for extra in networks[1:]:
                docker("network", "connect", extra, prefix + name)
        docker("run", "-d", "--name", f"{prefix}prometheus", "--user", "65534",
               "--group-add", str(os.stat(SOCKET).st_gid),
               "-v", f"{SOCKET}:/var/run/docker.sock:ro", "-v", f"{config_dir}:/etc/prometheus:ro",
               "-p", f"127.0.0.1:{port}:9090", image)
        wanted = {prefix + "tail", prefix + "tail-two-nets"}
        found = eventually(lambda: (lambda seen: seen if wanted <= set(seen) else None)(discovered(port)), 60,
                           "the tail-labelled containers discovered")
        # one target per network of a container: the collectors tail each container id once
        assert sorted(set(found)) == sorted([prefix + "tail", prefix + "tail-two-nets"]), found
    finally:
        docker("rm", "-f", *names, check=False)
        docker("network", "rm", net, side, check=False)
