"""The stack's pure parts: engine JSON → states, readiness, heartbeat, status rows, dev builds."""
from __future__ import annotations

from datetime import datetime, timezone

from symphony.app.devbuild import build_override
from symphony.core.containers import parse_inspect, secret_env_values, status_rows, table, uptime


def container(service, status="running", health=None, exit_code=0, one_shot=False, ports=None, log=None):
    labels = {"com.docker.compose.service": service, "com.docker.compose.project": "p"}
    if one_shot:
        labels["com.sentiric.one-shot"] = "true"
    state = {"Status": status, "ExitCode": exit_code, "StartedAt": "2026-11-24T10:00:00.123456789Z"}
    if health:
        state["Health"] = {"Status": health, "Log": [{"Output": o} for o in (log or [])]}
    return {"Name": f"/p-{service}-1", "Config": {"Labels": labels, "Image": f"img/{service}"}, "State": state,
            "RestartCount": 0, "NetworkSettings": {"Ports": ports or {}}}


def test_readiness_rules():
    db, job, bad_job, web, sick = parse_inspect([
        container("db", health="healthy"), container("job", "exited", one_shot=True),
        container("job2", "exited", exit_code=3, one_shot=True), container("web"),
        container("x", health="unhealthy", log=["first", "connection refused\n"]),
    ])
    assert db.ready and job.ready and web.ready and not bad_job.ready and not sick.ready
    assert bad_job.failed and sick.failed and not job.failed
    assert job.shown_health == "completed" and bad_job.shown_health == "failed (3)"
    assert sick.last_check == "connection refused"


def test_ports_drop_the_ipv6_twin_and_oneoff_containers_are_ignored():
    run = container("cli")
    run["Config"]["Labels"]["com.docker.compose.oneoff"] = "True"
    ports = {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"}, {"HostIp": "::", "HostPort": "18080"}]}
    states = parse_inspect([container("api", ports=ports), run])
    assert [s.service for s in states] == ["api"]
    assert states[0].ports == ("0.0.0.0:18080->8080/tcp",)


def test_status_rows_show_services_not_created_yet():
    now = datetime(2026, 11, 24, 10, 1, 5, tzinfo=timezone.utc)
    rows = status_rows(parse_inspect([container("db", health="healthy")]), ["api", "db"], now)
    assert [(r["service"], r["state"], r["health"], r["uptime"]) for r in rows] == [
        ("api", "not created", "-", "-"), ("db", "running", "healthy", "1m04s")]  # started at .123s: floor
    lines = table(rows, ["service", "state"])
    assert lines[0].split() == ["SERVICE", "STATE"] and lines[1].split() == ["api", "not", "created"]


def test_uptime_units():
    start = "2026-11-24T10:00:00Z"
    at = lambda s: datetime.fromtimestamp(datetime(2026, 11, 24, 10, tzinfo=timezone.utc).timestamp() + s, timezone.utc)  # noqa: E731
    assert [uptime(start, at(s)) for s in (5, 65, 3600 * 2 + 60, 86400 * 3 + 3600)] == ["5s", "1m05s", "2h01m", "3d01h"]
    assert uptime("0001-01-01T00:00:00Z", at(0)) == "-"


def test_a_job_awaited_with_completed_successfully_is_one_shot_without_a_label():
    job = container("migrate", "exited")
    api = container("api")
    api["Config"]["Labels"]["com.docker.compose.depends_on"] = "migrate:service_completed_successfully:false"
    states = {s.service: s for s in parse_inspect([job, api])}
    assert states["migrate"].one_shot and states["migrate"].ready and states["migrate"].shown_health == "completed"
    assert not states["api"].one_shot


def test_an_image_healthcheck_counts_and_none_does_not():
    with_hc, none_hc = container("a"), container("b")
    with_hc["Config"]["Healthcheck"] = {"Test": ["CMD-SHELL", "true"]}
    none_hc["Config"]["Healthcheck"] = {"Test": ["NONE"]}
    a, b = parse_inspect([with_hc, none_hc])
    assert a.has_healthcheck and not b.has_healthcheck


def test_heartbeat_names_who_is_starting_and_who_waits():
    from symphony.app.start_on_events import heartbeat_line
    from symphony.core.scheduler import StartScheduler

    s = StartScheduler(deps={"db": {}, "api": {"db": "service_healthy"}}, has_healthcheck={"db": True, "api": True},
                       one_shots=set())
    s.mark_started(["db"])
    s.observe("db", "start")
    assert heartbeat_line(s, {"db": 3.0}, 43.0) == "  still waiting 43s: api (waits for db), db (running, 40s)"


def test_dev_builds_existing_checkouts_and_uses_images_for_the_rest(tmp_path):
    (tmp_path / "sentiric-user-service").mkdir()
    (tmp_path / "sentiric-user-service" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "sentiric-media-service").mkdir()  # a checkout without a Dockerfile is not buildable
    model = {"services": {
        "user-service": {"x-sentiric-source": "sentiric-user-service"},
        "media-service": {"x-sentiric-source": "sentiric-media-service"},
        "evil": {"x-sentiric-source": "../../etc"},   # only a directory name inside the sources dir counts
        "postgres": {"image": "postgres:16-alpine"},
    }}
    override, built, images = build_override(model, tmp_path, "sentiric-dev")
    assert built == [("user-service", str(tmp_path / "sentiric-user-service"))]
    assert images == ["evil", "media-service"]
    assert override["services"]["user-service"]["build"]["context"] == str(tmp_path / "sentiric-user-service")
    assert override["services"]["user-service"]["build"]["labels"] == {"com.sentiric.built-by": "symphony",
                                                                         "com.sentiric.project": "sentiric-dev"}
    assert set(override["services"]) == {"user-service"}


def test_the_secret_values_of_the_containers_env_are_those_the_secret_rule_names():
    items = [{"Config": {"Env": ["POSTGRES_PASSWORD=pw-0001", "BROKER_URL=amqp://u:pw-0002@mq/", "PATH=/bin",
                                 "API_TOKEN=", "LOG_LEVEL=info", "EQUALS_KEY=a=b"]}},
             {"Config": {"Env": None}}, {"Config": {}}, {}]
    assert secret_env_values(items) == {"pw-0001", "amqp://u:pw-0002@mq/", "a=b"}


def test_a_plain_name_the_compose_file_fills_from_a_secret_is_masked_with_the_value_the_container_got():
    """`SUBV: ${SUB_B}` with SUB_B from secrets.env, then SUB_B rotated: the container still holds
    the old value under a plain name; logs masks it by what the compose file says it is."""
    from symphony.core.containers import secret_environment
    from symphony.core.yamlio import parse

    doc = parse("services:\n  leaky:\n    image: x\n    environment:\n      SUBV: ${SUB_B}\n"
                "      CONN: 'pg://app@db?pw=${DB_PASSWORD:-x}'\n      LEVEL: ${LOG_LEVEL}\n"
                "  other:\n    image: x\n    environment: [SUBV=plain, 'LIST=${SUB_B}']\n").document
    named = secret_environment(doc, {"SUB_B"})
    assert named == {"leaky": {"SUBV", "CONN"}, "other": {"LIST"}}
    items = [{"Config": {"Labels": {"com.docker.compose.service": "leaky"},
                         "Env": ["SUBV=old-rotated-value", "CONN=pg://app@db?pw=pw-9", "LEVEL=info"]}},
             {"Config": {"Labels": {"com.docker.compose.service": "other"}, "Env": ["SUBV=plain-value"]}}]
    assert secret_env_values(items, named) == {"old-rotated-value", "pg://app@db?pw=pw-9"}
    assert secret_env_values(items) == set()  # by the name rule alone: nothing
