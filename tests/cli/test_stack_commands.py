"""The commands the stack tasks run, from the in-process harness (no engine): what a user's
`stop`, `restart`, `clean`, `obs.down` and `k8s.apply` would send to docker, compose and kubectl."""
from __future__ import annotations

import json

from tests.cli.harness import run_tasks

PROJECT = "sentiric-demo"


def container(service, state="running", health="healthy", depends=""):
    labels = {"com.docker.compose.service": service, "com.docker.compose.project": PROJECT}
    if depends:
        labels["com.docker.compose.depends_on"] = depends
    return {"Id": service, "Name": f"/{PROJECT}-{service}-1", "State": {"Status": state, "Health": {"Status": health},
            "ExitCode": 0, "StartedAt": "2026-11-26T10:00:00Z"},
            "Config": {"Labels": labels, "Image": f"img/{service}", "Healthcheck": {"Test": ["CMD", "true"]}},
            "NetworkSettings": {"Ports": {}}}


def test_stop_keeps_volumes_and_stop_volumes_yes_removes_them(monkeypatch, tmp_path):
    out = run_tasks(monkeypatch, tmp_path, "stop")
    assert out.code == 0, out.stderr
    assert out.runner.commands(r"compose -p sentiric-demo down") == [
        "docker compose -p sentiric-demo down --remove-orphans"]
    assert "volumes kept" in out.stdout
    out = run_tasks(monkeypatch, tmp_path, "stop", "--volumes", "--yes",
                    answers=[(r"docker volume ls", [(0, "sentiric-demo_datastore-data\n", ""), (0, "", "")])])
    assert out.code == 0, out.stderr
    assert out.runner.commands(r" down ") == ["docker compose -p sentiric-demo down --remove-orphans --volumes"]
    assert "sentiric-demo_datastore-data" in out.stdout  # listed before it goes


def test_stop_volumes_without_a_terminal_and_without_yes_removes_nothing(monkeypatch, tmp_path):
    out = run_tasks(monkeypatch, tmp_path, "stop", "--volumes",
                    answers=[(r"docker volume ls", (0, "sentiric-demo_datastore-data\n", ""))])
    assert out.code == 2 and "--yes" in out.stderr
    assert out.runner.commands(r" down ") == []


def test_restart_stops_dependents_first_and_refuses_when_a_kept_dependency_is_down(monkeypatch, tmp_path):
    states = [container("datastore"), container("user-service", depends="datastore:service_healthy:false"),
              container("api-gateway", depends="user-service:service_healthy:false")]
    answers = [(r"docker ps -aq", (0, "datastore\nuser-service\napi-gateway\n", "")),
               (r"docker inspect", (0, json.dumps(states), ""))]
    out = run_tasks(monkeypatch, tmp_path, "restart", "--dry-run", answers=answers)
    assert out.code == 0, out.stderr
    assert "compose -p sentiric-demo stop api-gateway user-service datastore" in out.stdout  # dependents first
    assert "in dependency order: datastore, user-service, api-gateway" in out.stdout
    states[1] = container("user-service", state="exited", health="", depends="datastore:service_healthy:false")
    answers[1] = (r"docker inspect", (0, json.dumps(states), ""))
    out = run_tasks(monkeypatch, tmp_path, "restart", "-s", "api-gateway", answers=answers)
    assert out.code == 1 and "api-gateway needs user-service" in out.stderr and "nothing was stopped" in out.stderr
    assert out.runner.commands(r" stop ") == []


def test_clean_removes_only_what_the_plan_found_and_says_what_it_kept(monkeypatch, tmp_path):
    answers = [(r"docker ps -a --filter label=com.docker.compose.project --format",
                (0, "c1\tsentiric-demo-api-1\tsentiric-demo\nc2\tother-web-1\tsomeone-else\n", "")),
               (r"docker volume ls", (0, "sentiric-demo_data\tsentiric-demo\nmine\tsomeone-else\n", "")),
               (r"docker network ls", (0, "", "")), (r"docker images", (0, "", ""))]
    out = run_tasks(monkeypatch, tmp_path, "clean", "--yes", answers=answers)
    assert out.code == 0, out.stderr
    assert out.runner.commands(r"docker (rm|volume rm)") == ["docker rm -f -v c1",
                                                             "docker volume rm sentiric-demo_data"]


def test_clean_removes_only_the_images_its_own_projects_built(monkeypatch, tmp_path):
    images = ("i1\tsentiric-demo-api:latest\ni2\tother-demo-api:latest\ni3\tsentiric-demo-old:latest\n"
              "i4\tother-demo-old:latest\ni5\tsentiric-demox-api:latest\n")
    labels = ("sha256:i1\tsentiric-demo\nsha256:i2\tother-demo\nsha256:i3\t<no value>\n"  # i3, i4, i5: built
              "sha256:i4\t<no value>\nsha256:i5\t<no value>\n")                       # before the label
    answers = [(r"docker ps -a --filter label=com.docker.compose.project --format", (0, "", "")),
               (r"docker volume ls", (0, "", "")), (r"docker network ls", (0, "", "")),
               (r"docker images", (0, images, "")), (r"docker image inspect", (0, labels, "")),
               (r"docker ps -a --filter ancestor=", (0, "", ""))]
    out = run_tasks(monkeypatch, tmp_path, "clean", "--yes", answers=answers)
    assert out.code == 0, out.stderr
    assert out.runner.commands(r"docker image rm") == ["docker image rm sentiric-demo-api:latest "
                                                       "sentiric-demo-old:latest"]


def test_k8s_apply_dry_run_prints_the_kubectl_command(monkeypatch, tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "a.yaml").write_text("kind: ConfigMap\n")
    out = run_tasks(monkeypatch, tmp_path, "k8s.apply", str(tmp_path / "export"), "--context", "prod", "--dry-run")
    assert out.code == 0, out.stderr
    assert (f"+ kubectl --context prod apply --server-side --field-manager=symphony -R -f {tmp_path / 'export'}"
            in out.stdout)


def test_the_services_status_lists_come_from_the_profile_file_and_a_broken_one_lists_none(monkeypatch, tmp_path):
    from symphony.app import profiles
    from symphony.infra import state

    cases = {"services:\n  web: {image: w}\n  2: {image: n}\n": ["2", "web"],  # YAML's number is a name
             "services: [web]\n": [], "- just a list\n": [], "services:\n  a: [unclosed\n": [], "": []}
    for text, expected in cases.items():
        (tmp_path / "p.yml").write_text(text)
        monkeypatch.setattr(state, "compose_file", lambda profile: tmp_path / f"{profile}.yml")
        assert profiles.declared_services("p") == expected, text
    assert profiles.declared_services("absent") == []
