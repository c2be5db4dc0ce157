"""The start scheduler (pure): who may start when, from engine events and snapshots."""
from __future__ import annotations

from symphony.core.scheduler import StartScheduler


def demo():
    return StartScheduler(
        deps={"db": {}, "broker": {}, "migrate": {"db": "service_healthy"},
              "api": {"db": "service_healthy", "migrate": "service_completed_successfully",
                      "broker": "service_started"}},
        has_healthcheck={"db": True, "broker": True, "migrate": False, "api": True},
        one_shots={"migrate"},
    )


def test_dependencies_gate_each_start():
    s = demo()
    assert s.startable() == ["broker", "db"]
    s.mark_started(["broker", "db"])
    assert s.startable() == []
    s.observe("broker", "start")
    s.observe("db", "start")
    assert s.startable() == []                      # db is running, not yet healthy
    assert s.observe("db", "health_status: healthy") == "healthy"
    assert s.startable() == ["migrate"]             # api still waits for the job
    s.mark_started(["migrate"])
    s.observe("migrate", "start")
    assert s.observe("migrate", "die", 0) == "completed"
    assert s.startable() == ["api"]                 # broker only had to be started
    s.mark_started(["api"])
    s.observe("api", "start")
    assert not s.done() and s.pending() == ["api", "broker"]
    s.observe("broker", "health_status: healthy")
    s.observe("api", "health_status: healthy")
    assert s.done() and s.failed() == []


def test_failures_are_named_with_a_reason():
    s = demo()
    s.mark_started(["db", "broker"])
    s.observe("db", "health_status: unhealthy")
    s.observe("broker", "die", 137)
    assert s.failed() == ["broker", "db"]
    assert s.reason == {"db": "unhealthy", "broker": "exited with code 137"}
    s2 = demo()
    s2.observe("db", "health_status: healthy")
    s2.mark_started(["migrate"])
    s2.observe("migrate", "die", 3)
    assert s2.failed() == ["migrate"] and "api" not in s2.startable()


def test_snapshots_reconcile_missed_events_and_old_jobs_run_again():
    s = demo()
    # already running and healthy from an earlier start: nothing to start again
    assert s.observe_state("db", "running", "healthy", 0) == "healthy"
    # a job that completed in an earlier run is started again, like `compose up` does
    assert s.observe_state("migrate", "exited", "", 0) is None
    assert "migrate" in s.startable()
    s.mark_started(["migrate"])
    # its "die" event was missed: the next snapshot says it exited 0
    assert s.observe_state("migrate", "exited", "", 0) == "completed"
    assert s.observe("ghost", "start") is None      # other projects' events are ignored


def test_a_job_still_running_holds_back_what_waits_for_its_completion():
    s = demo()
    s.observe("db", "health_status: healthy")
    s.mark_started(["db", "broker", "migrate"])
    s.observe("broker", "start")
    s.observe("migrate", "start")                   # running, not yet exited
    assert "api" not in s.startable()
    s.observe("migrate", "die", 0)
    assert s.startable() == ["api"]


def test_a_service_without_healthcheck_is_ready_once_running():
    s = StartScheduler(deps={"web": {}, "proxy": {"web": "service_started"}},
                       has_healthcheck={"web": False, "proxy": False}, one_shots=set())
    s.mark_started(["web"])
    s.observe("web", "start")
    assert s.ready("web") and s.startable() == ["proxy"]
    s.mark_started(["proxy"])
    s.observe("proxy", "start")
    assert s.done()                                 # `start` returns instead of waiting for health


def test_an_already_healthy_dependency_satisfies_service_started():
    s = demo()
    assert s.observe_state("broker", "running", "healthy", 0) == "healthy"
    assert s.satisfied("broker", "service_started")
    assert s.observe_state("db", "running", "healthy", 0) == "healthy"
    assert "migrate" in s.startable()


def test_an_unhealthy_snapshot_is_a_failure_at_once():
    s = demo()
    assert s.observe_state("db", "running", "unhealthy", 0) == "failed"
    assert s.failed() == ["db"] and s.reason["db"] == "unhealthy"


def test_settled_services_count_as_they_are():
    from symphony.core.services import Dependency, ServiceSpec

    specs = {"db": ServiceSpec("db", True, False),
             "migrate": ServiceSpec("migrate", False, True, (Dependency("db", "service_healthy"),)),
             "api": ServiceSpec("api", True, False, (Dependency("db", "service_healthy"),
                                                    Dependency("migrate", "service_completed_successfully")))}
    s = StartScheduler.for_services(specs, ["db", "migrate", "api"], settled=["db", "migrate"])
    s.observe_state("db", "running", "healthy", 0)
    s.observe_state("migrate", "exited", "", 0)     # ran in the earlier start: completed, not re-run
    assert s.status["migrate"] == "completed" and s.startable() == ["api"]
    failed = StartScheduler.for_services(specs, ["db", "migrate", "api"], settled=["db", "migrate"])
    failed.observe_state("db", "running", "healthy", 0)
    failed.observe_state("migrate", "exited", "", 1)
    assert failed.failed() == ["migrate"] and failed.startable() == []


def web_and_proxy(web_healthcheck=False):
    return StartScheduler(deps={"web": {}, "proxy": {"web": "service_started"}},
                          has_healthcheck={"web": web_healthcheck, "proxy": False}, one_shots=set())


def test_built_from_the_model_a_service_with_a_healthcheck_is_ready_only_when_healthy():
    from symphony.core.services import specs_from_compose

    model = {"services": {"db": {"healthcheck": {"test": ["CMD", "pg_isready"]}}, "web": {}}}
    s = StartScheduler.for_services(specs_from_compose(model), ["db", "web"])
    s.mark_started(["db", "web"])
    s.observe("db", "start")
    s.observe("web", "start")
    assert s.pending() == ["db"]                    # web has no healthcheck: running is ready
    s.observe("db", "health_status: healthy")
    assert s.done()


def test_an_optional_dependency_the_model_does_not_define_holds_nothing_back():
    from symphony.core.services import specs_from_compose

    # Compose spec: `required: false` -> a missing dependency is only warned about
    model = {"services": {"api": {"depends_on": {"cache": {"condition": "service_healthy", "required": False}}}}}
    s = StartScheduler.for_services(specs_from_compose(model), ["api"])
    assert s.startable() == ["api"]


def test_a_service_found_running_without_healthcheck_is_ready_at_once():
    s = web_and_proxy()
    assert s.observe_state("web", "running", "", 0) == "running"
    assert s.ready("web") and s.startable() == ["proxy"]


def test_a_healthcheck_the_image_brings_counts_once_healthy():
    # the compose model declares no healthcheck, the image's HEALTHCHECK makes the engine report health
    s = web_and_proxy()
    assert s.observe_state("web", "running", "healthy", 0) == "healthy"
    assert s.ready("web") and s.startable() == ["proxy"]
    t = web_and_proxy()
    t.mark_started(["web"])
    t.observe("web", "start")
    t.observe("web", "health_status: healthy")
    assert t.ready("web")


def test_a_container_the_engine_is_restarting_is_not_started_again():
    s = web_and_proxy()
    s.observe_state("web", "restarting", "", 0)
    assert "web" not in s.startable()


def test_a_running_service_that_exits_fails_even_when_only_a_snapshot_shows_it():
    # found running from an earlier start, then gone: its die event was missed
    s = web_and_proxy()
    s.observe_state("web", "running", "", 0)
    assert s.observe_state("web", "exited", "", 1) == "failed"
    assert s.failed() == ["web"] and s.reason["web"] == "exited with code 1" and not s.done()
    # started by the engine itself (a restart policy), seen by its start event only
    t = web_and_proxy()
    t.observe("web", "start")
    assert t.observe_state("web", "exited", "", 2) == "failed"
    # found healthy from an earlier start, then gone
    h = demo()
    h.observe_state("db", "running", "healthy", 0)
    assert h.observe_state("db", "exited", "", 137) == "failed" and h.failed() == ["db"]
    # Docker's "dead" state is an exit too
    u = web_and_proxy()
    u.observe_state("web", "running", "", 0)
    assert u.observe_state("web", "dead", "", 137) == "failed" and u.failed() == ["web"]


def test_what_is_already_known_is_not_reported_again():
    # every reconcile snapshot repeats the state: the progress shows each change once
    s = demo()
    assert s.observe_state("db", "running", "healthy", 0) == "healthy"
    assert s.observe_state("db", "running", "healthy", 0) is None
    assert s.observe("db", "health_status: healthy") is None
    s.mark_started(["broker"])
    assert s.observe("broker", "start") == "running"
    assert s.observe_state("broker", "running", "starting", 0) is None


def test_a_job_that_already_completed_satisfies_service_started():
    s = StartScheduler(deps={"seed": {}, "app": {"seed": "service_started"}},
                       has_healthcheck={"seed": False, "app": False}, one_shots={"seed"})
    s.mark_started(["seed"])
    # a quick job: its start and die events were missed, the snapshot finds it exited 0
    assert s.observe_state("seed", "exited", "", 0) == "completed"
    assert s.startable() == ["app"]
