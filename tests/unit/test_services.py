"""The one service model (core.services): what Compose's files and the engine's containers say,
read as the Compose specification defines it.

Where it matters the input is Compose's own resolution of a file (`docker-compose config --format
json`, what `start` reads), so the model is checked against what Compose really produces.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml

from symphony.core.containers import ContainerState
from symphony.core.services import (
    DECLARED,
    DEPENDS_ON_LABEL,
    DISABLED,
    FROM_IMAGE,
    NO_COMMAND,
    ONE_SHOT_LABEL,
    Dependency,
    PublishedPort,
    ServiceSpec,
    health_waits_without_healthcheck,
    healthcheck_active,
    healthcheck_kind,
    parse_depends_label,
    parse_port_range,
    published_ports,
    specs_from_compose,
    specs_from_containers,
    start_order,
    with_dependencies,
    with_engine_healthchecks,
    with_restart_dependents,
)

needs_compose = pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")

COMPOSE = {"services": {
    "db": {"image": "postgres:16", "healthcheck": {"test": ["CMD", "pg_isready"]},
           "ports": ["127.0.0.1:5432:5432"]},
    "mq": {"image": "rabbitmq:3", "ports": ["5672", "15672:15672", "0:9999"]},
    "sip": {"image": "sip:1", "ports": ["5060-5061:5060-5061/udp",
                                        {"target": 80, "published": "8080", "host_ip": "::1"},
                                        {"target": 5070, "published": "41000-41002", "protocol": "udp"}]},
    "migrate": {"image": "app:1", "depends_on": {"db": {"condition": "service_healthy"}}},
    "seed": {"image": "app:1", "labels": {ONE_SHOT_LABEL: "true"}, "depends_on": ["migrate"]},
    "api": {"image": "app:1", "healthcheck": {"test": "wget -q -O- http://127.0.0.1/health"},
            "depends_on": {"db": {"condition": "service_healthy", "restart": True},
                           "migrate": {"condition": "service_completed_successfully"},
                           "mq": {"condition": "service_started", "required": False}}},
    "web": {"image": "web:1", "depends_on": ["api"], "healthcheck": {"disable": True}},
    "worker": {"image": "app:1", "healthcheck": {"test": ["NONE"]}, "labels": {ONE_SHOT_LABEL: "false"},
               "depends_on": {"api": {"condition": "service_started", "restart": True}}},
}}


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """The model as `start` gets it: Compose's own resolution of the file."""
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose not installed")
    d = tmp_path_factory.mktemp("compose")
    (d / "compose.yml").write_text(yaml.safe_dump(COMPOSE))
    out = subprocess.run(["docker-compose", "-p", "t", "-f", "compose.yml", "config", "--format", "json"], cwd=d,
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


# What the engine does with each form (Docker 20.10.24 and Compose v5.6.1 on this machine, and the
# sources: compose-go transformHealthCheckTest turns a string test into ["CMD-SHELL", text]; moby
# daemon/commit.go `merge` keeps the image's test when the service gives none). The Docker tier
# checks the same table against the engine (tests/docker/test_healthcheck_rule.py).
HEALTHCHECK_FORMS = [
    ({"test": ["CMD", "pg_isready"]}, DECLARED),
    ({"test": ["CMD-SHELL", "curl -f http://localhost/"]}, DECLARED),
    ({"test": "curl -f x"}, DECLARED),                          # a string is a shell command
    ({"test": "NONE"}, DECLARED),                               # ... so this runs `sh -c NONE` and fails
    ({"test": ""}, DECLARED),                                   # ["CMD-SHELL", ""]: `sh -c ""`, healthy
    ({"test": ["CMD", "pg_isready"], "interval": "5s", "disable": False}, DECLARED),
    ({"disable": True, "test": ["CMD", "pg_isready"]}, DISABLED),  # `disable: true` switches it off
    ({"disable": "true"}, DISABLED),
    ({"test": ["NONE"]}, DISABLED),                             # only the list form is the switch
    (None, FROM_IMAGE), ({}, FROM_IMAGE),                       # none: the image's HEALTHCHECK, if any
    ({"interval": "10s"}, FROM_IMAGE), ({"test": []}, FROM_IMAGE),  # timings only: the image's test
    ({"test": ["CMD"]}, NO_COMMAND), ({"test": ["CMD-SHELL"]}, NO_COMMAND),  # nothing to run
]


@pytest.mark.parametrize("healthcheck, kind", HEALTHCHECK_FORMS)
def test_what_each_healthcheck_form_means_to_the_engine(healthcheck, kind):
    assert healthcheck_kind(healthcheck) == kind
    assert healthcheck_active(healthcheck) is (kind == DECLARED)


def test_a_created_container_says_whether_a_healthcheck_runs():
    specs = {"db": ServiceSpec("db", False, False), "api": ServiceSpec("api", True, False,
                                                                       (Dependency("db", "service_healthy"),)),
             "web": ServiceSpec("web", False, False, (Dependency("api", "service_healthy"),))}
    # from the file alone db declares no healthcheck; its image has one, which the created container shows
    assert health_waits_without_healthcheck(specs, specs) == ["api -> db"]
    created = [ContainerState("db", "p-db-1", "created", "", 0, "", "db:1", has_healthcheck=True),
               ContainerState("api", "p-api-1", "created", "", 0, "", "api:1", has_healthcheck=False)]
    engine = with_engine_healthchecks(specs, created)
    assert {n: s.healthcheck for n, s in engine.items()} == {"db": True, "api": False, "web": False}
    assert health_waits_without_healthcheck(engine, engine) == ["web -> api"]
    assert health_waits_without_healthcheck(engine, ["db", "api"]) == []  # web is not being started


@needs_compose
def test_the_model_reads_compose_resolution_as_the_spec_defines_it(resolved):
    specs = specs_from_compose(resolved)
    assert set(specs) == set(COMPOSE["services"])
    assert specs["api"].depends == (Dependency("db", "service_healthy", True, True),
                                    Dependency("migrate", "service_completed_successfully", True, False),
                                    Dependency("mq", "service_started", False, False))
    # the short syntax: started, required, no restart
    assert specs["web"].depends == (Dependency("api", "service_started", True, False),)
    assert {n for n, s in specs.items() if s.healthcheck} == {"db", "api"}
    # jobs: labelled one-shot, or awaited by service_completed_successfully
    assert {n for n, s in specs.items() if s.one_shot} == {"migrate", "seed"}
    assert specs["api"] == ServiceSpec("api", True, False, specs["api"].depends)


def test_the_raw_short_syntax_and_an_empty_model():
    specs = specs_from_compose({"services": {"web": {"depends_on": ["api", "cache"]}, "api": None}})
    assert specs["web"].depends == (Dependency("api"), Dependency("cache"))
    assert specs["api"] == ServiceSpec("api", False, False)
    assert specs_from_compose({}) == {} and specs_from_compose({"services": None}) == {}


def test_the_raw_mapping_syntax_reads_restart_as_compose_does():
    # the schema lets `restart` be a boolean or a string ("true"), `required` only a boolean
    specs = specs_from_compose(yaml.safe_load("""
        services:
          a:
            depends_on:
              db: {condition: service_healthy, restart: "true", required: false}
              mq: {condition: service_started, restart: "false"}
              job: {condition: service_completed_successfully}
        """))
    assert specs["a"].depends == (Dependency("db", "service_healthy", False, True),
                                  Dependency("mq", "service_started", True, False),
                                  Dependency("job", "service_completed_successfully", True, False))
    assert healthcheck_kind("curl -f x") == FROM_IMAGE  # not a mapping (Compose refuses the file): no error here


# The label Compose writes on each container: "name:condition:restart,..." (pkg/compose/create.go)
@pytest.mark.parametrize("label, deps", [
    ("", ()),
    ("db:service_healthy:false", (Dependency("db", "service_healthy"),)),
    ("db:service_healthy:true,migrate:service_completed_successfully:false",
     (Dependency("db", "service_healthy", True, True), Dependency("migrate", "service_completed_successfully"))),
    ("api:service_started:true", (Dependency("api", "service_started", True, True),)),
])
def test_the_engine_label_of_dependencies_is_read(label, deps):
    assert parse_depends_label(label) == deps


def container(service, labels=None, healthcheck=False):
    return ContainerState(service=service, name=f"t-{service}-1", state="running", health="", exit_code=0,
                          started_at="", image="x", labels=labels or {}, has_healthcheck=healthcheck)


def test_what_the_engine_runs_is_the_same_model():
    running = [
        container("db", {DEPENDS_ON_LABEL: ""}, healthcheck=True),
        container("migrate", {DEPENDS_ON_LABEL: "db:service_healthy:false"}),
        container("seed", {ONE_SHOT_LABEL: "true", DEPENDS_ON_LABEL: "migrate:service_started:false"}),
        container("api", {DEPENDS_ON_LABEL: "db:service_healthy:true,migrate:service_completed_successfully:false"},
                  healthcheck=True),
        container("api", {DEPENDS_ON_LABEL: "db:service_healthy:true,migrate:service_completed_successfully:false"},
                  healthcheck=True),                                        # a second replica: one service
        container("web", {}),
    ]
    specs = specs_from_containers(running)
    assert set(specs) == {"db", "migrate", "seed", "api", "web"}
    assert specs["api"].depends == (Dependency("db", "service_healthy", True, True),
                                    Dependency("migrate", "service_completed_successfully"))
    assert specs["db"].depends == () and specs["web"].depends == ()
    assert {n for n, s in specs.items() if s.healthcheck} == {"db", "api"}
    assert {n for n, s in specs.items() if s.one_shot} == {"migrate", "seed"}
    assert specs_from_containers([]) == {}


@pytest.mark.parametrize("text, expected", [
    ("8080", (8080, 8080)), (" 8080 ", (8080, 8080)), (8080, (8080, 8080)), ("41000-41002", (41000, 41002)),
    ("0", (0, 0)), ("65535", (65535, 65535)), ("1-65535", (1, 65535)), ("80-80", (80, 80)),
])
def test_a_port_or_a_port_range(text, expected):
    assert parse_port_range(text) == expected


@pytest.mark.parametrize("text", ["", "http", "-80", "80-x", "x-80", "90-80", "65536", "1-65536", "8080/tcp",
                                  "80:80", "1-2-3"])
def test_what_is_not_a_port_is_refused_naming_it(text):
    with pytest.raises(ValueError) as err:
        parse_port_range(text)
    assert str(err.value) == f"not a port or port range: {text!r}"


@needs_compose
def test_every_published_host_port_is_listed(resolved):
    assert published_ports(resolved) == sorted([
        PublishedPort(5432, "tcp", "127.0.0.1", "db"),
        PublishedPort(15672, "tcp", "0.0.0.0", "mq"),           # "5672" publishes nothing; "0:" is any free port
        PublishedPort(5060, "udp", "0.0.0.0", "sip"), PublishedPort(5061, "udp", "0.0.0.0", "sip"),
        PublishedPort(8080, "tcp", "::1", "sip"),
        # "41000-41002" for the one container port 5070: the engine binds any free one, none is required
    ])
    ranged = {"services": {"rtp": {"ports": [{"target": p, "published": str(p - 10000), "protocol": "udp"}
                                             for p in (50000, 50001)]}}}  # Compose's model of 40000-40001:50000-50001
    assert [p.port for p in published_ports(ranged)] == [40000, 40001]


def test_published_ports_of_a_sparse_model():
    model = {"services": {"a": {"ports": [{"target": 80}, {"target": 81, "published": "8081"}]}, "b": None, "c": {}}}
    assert published_ports(model) == [PublishedPort(8081, "tcp", "0.0.0.0", "a")]
    assert published_ports({}) == []


def specs_of(deps: dict[str, dict[str, tuple]]) -> dict[str, ServiceSpec]:
    """{service: {dependency: (condition, restart)}}"""
    return {name: ServiceSpec(name, False, False, tuple(Dependency(d, c, True, r) for d, (c, r) in ds.items()))
            for name, ds in deps.items()}


CHAIN = specs_of({
    "db": {}, "mq": {}, "migrate": {"db": ("service_healthy", False)},
    "api": {"db": ("service_healthy", True), "migrate": ("service_completed_successfully", False),
            "mq": ("service_started", False)},
    "web": {"api": ("service_started", True)}, "admin": {"api": ("service_started", False)},
})


def test_start_order_puts_every_dependency_first_ties_by_name():
    assert start_order(CHAIN, CHAIN) == ["db", "migrate", "mq", "api", "admin", "web"]
    # only what was asked for, in the same order; unknown names are ignored
    assert start_order(CHAIN, ["web", "api", "db", "ghost"]) == ["db", "api", "web"]
    assert start_order(CHAIN, []) == []


def test_start_order_survives_a_cycle():
    cyclic = specs_of({"a": {"b": ("service_started", False)}, "b": {"a": ("service_started", False)}})
    assert sorted(start_order(cyclic, ["a", "b"])) == ["a", "b"]


def test_with_dependencies_is_transitive():
    assert with_dependencies(CHAIN, ["web"]) == {"web", "api", "db", "migrate", "mq"}
    assert with_dependencies(CHAIN, ["migrate", "ghost"]) == {"migrate", "db"}
    assert with_dependencies(CHAIN, []) == set()


def test_restart_true_dependents_are_restarted_with_their_dependency():
    # Compose spec: `restart: true` -> the dependent restarts when the dependency does (transitively)
    assert with_restart_dependents(CHAIN, ["db"]) == {"db", "api", "web"}
    assert with_restart_dependents(CHAIN, ["api"]) == {"api", "web"}        # admin has restart: false
    assert with_restart_dependents(CHAIN, ["mq"]) == {"mq"}
    assert with_restart_dependents(CHAIN, []) == set()
    # however the services are listed: dependents before what they depend on here
    listed_backwards = dict(reversed(CHAIN.items()))
    assert with_restart_dependents(listed_backwards, ["db"]) == {"db", "api", "web"}


def test_a_host_range_for_one_container_port_picks_one_port():
    """Compose Specification, ports: a published range for one container port is "assigned a
    remaining available port, within the set range"; a range for a range binds each."""
    from symphony.core.services import picks_one_port

    assert picks_one_port("18080-18090", "80") and picks_one_port("18080-18090", 80)
    assert not picks_one_port("9000-9001", "9000-9001") and not picks_one_port("8080", "80")
