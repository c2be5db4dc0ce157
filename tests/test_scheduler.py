"""The start scheduler (pure): who may start when, from engine events and snapshots."""
from __future__ import annotations

from symphony.core.scheduler import StartScheduler


def demo():
    return StartScheduler(
        deps={"db": {}, "broker": {}, "migrate": {"db": "service_healthy"},
              "api": {"db": "service_healthy", "migrate": "service_completed_successfully", "broker": "service_started"}},
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
