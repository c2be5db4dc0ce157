"""compose.check's core on small files (no Docker), and the real profiles through `inv`."""
from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from symphony.app.composecheck import compose_schema
from symphony.app.platform import platform_catalog
from symphony.core.composelint import check_compose, host_ports, interpolate, schema_findings
from symphony.core.platform.composegen import render
from tests.invoke_helpers import inv


def findings(text, env=None):
    return [(f.level, f.where, f.message)
            for f in check_compose(textwrap.dedent(text), "x.yml", env or {}, compose_schema())]


def errors(text, env=None):
    return [(w, m) for level, w, m in findings(text, env) if level == "error"]


HEALTHY = "healthcheck: {test: [CMD, 'true']}"  # quoted: a YAML boolean is no command (the schema says so)


def test_a_dependency_absent_from_the_profile_is_named_with_its_line():
    errs = errors(f"""
        services:
          api:
            image: a
            {HEALTHY}
            depends_on:
              user: {{condition: service_healthy}}
        """)
    assert errs == [("x.yml:7", "api depends on user, which is not in this profile; add user or remove the dependency")]


def test_service_healthy_on_a_service_whose_healthcheck_is_switched_off():
    for off in ("{disable: true}", '{test: ["NONE"]}'):
        errs = errors(f"""
            services:
              db: {{image: d, healthcheck: {off}}}
              api:
                image: a
                {HEALTHY}
                depends_on: {{db: {{condition: service_healthy}}}}
            """)
        assert errs == [("x.yml:7", "api waits for db to be healthy, but db's healthcheck is switched off "
                                    '(disable: true or test: ["NONE"]), so it never becomes healthy')]


def test_service_healthy_on_a_service_that_declares_no_healthcheck_is_left_to_its_image():
    # Compose runs the image's HEALTHCHECK when the file declares none, or only its timings: the file
    # alone cannot tell, so the lint does not refuse it (start asks the created container).
    for declared in ("", ", healthcheck: {interval: 5s}"):
        errs = errors(f"""
            services:
              db: {{image: d{declared}}}
              api:
                image: a
                {HEALTHY}
                depends_on: {{db: {{condition: service_healthy}}}}
            """)
        assert errs == []


def test_dependency_cycle_prints_the_chain():
    errs = errors(f"""
        services:
          a: {{image: a, {HEALTHY}, depends_on: {{b: {{condition: service_healthy}}}}}}
          b: {{image: b, {HEALTHY}, depends_on: {{c: {{condition: service_healthy}}}}}}
          c: {{image: c, {HEALTHY}, depends_on: {{a: {{condition: service_healthy}}}}}}
        """)
    assert ("x.yml:3", "dependency cycle: a -> b -> c -> a") in errs


def test_undefined_variables_and_defaults():
    text = f"""
        services:
          a:
            image: "a:${{TAG:-latest}}"
            {HEALTHY}
            environment: {{X: "${{DEFINED}}", Y: "${{MISSING}}", Z: "$${{LITERAL}}"}}
        """
    errs = errors(text, {"DEFINED": "1"})
    assert len(errs) == 1 and errs[0][0] == "x.yml:6" and "${MISSING}" in errs[0][1]


def test_duplicate_host_ports_after_interpolation_and_ranges():
    text = f"""
        services:
          a: {{image: a, {HEALTHY}, ports: ["127.0.0.1:${{A_PORT}}:80"]}}
          b: {{image: b, {HEALTHY}, ports: ["8000-8010:9000-9010"]}}
          c: {{image: c, {HEALTHY}, ports: ["8005:80/udp", "8005:80"]}}
        """
    errs = errors(text, {"A_PORT": "8003"})
    assert [m for _, m in errs] == [
        "host port 8003/tcp is published by both a and b",  # they clash only once A_PORT is known
        "host port 8005/tcp is published by both b and c",  # 8005/udp is a different port
    ]


def test_container_name_and_restarting_one_shot_jobs_are_errors():
    errs = errors(f"""
        services:
          job: {{image: j, restart: always}}
          api:
            image: a
            container_name: api
            {HEALTHY}
            depends_on: {{job: {{condition: service_completed_successfully}}}}
        """)
    messages = " | ".join(m for _, m in errs)
    assert "pins container_name" in messages and "one-shot jobs need restart" in messages


def test_long_running_service_without_healthcheck_is_a_warning():
    found = findings("""
        services:
          a: {image: a}
        """)
    assert found == [("warn", "x.yml:3", "a is long-running but declares no healthcheck (its image may have one), "
                                         "so nothing in this file can wait for it to be ready")]


def test_broken_yaml_names_the_line():
    found = findings("services:\n  a: [unclosed\n")
    assert found[0][0] == "error" and found[0][1].startswith("x.yml:") and "not valid YAML" in found[0][2]


def test_interpolation_and_port_parsing():
    assert interpolate("${A:-x}-${B}-$${C}", {"B": "2"}) == "x-2-${C}"
    assert host_ports("${P:-8080}:80", {}) == [(8080, "tcp", "")]
    assert host_ports("80", {}) == []
    assert host_ports({"published": "53", "protocol": "udp"}, {}) == [(53, "udp", "")]
    assert host_ports("127.0.0.1:5432:5432", {}) == [(5432, "tcp", "127.0.0.1")]
    assert host_ports("[::1]:8080:80/udp", {}) == [(8080, "udp", "[::1]")]
    # the Compose Specification, ports long syntax: a published range "means the actual port is assigned a
    # remaining available port, within the set range"; the short syntax's range:range binds each
    assert host_ports({"published": "9000-9001", "target": 9000, "host_ip": "${IP}"}, {"IP": "10.0.0.1"}) == []
    assert host_ports({"published": "9000", "target": 80, "host_ip": "${IP}"}, {"IP": "10.0.0.1"}) == \
        [(9000, "tcp", "10.0.0.1")]
    assert host_ports("${IP}:9000-9001:9000-9001", {"IP": "10.0.0.1"}) == \
        [(9000, "tcp", "10.0.0.1"), (9001, "tcp", "10.0.0.1")]
    assert host_ports({"published": "${P:-7000}", "target": 80}, {}) == [(7000, "tcp", "")]
    assert host_ports({"target": 80}, {}) == [] and host_ports("${P}:80", {}) == []  # none: any free port


def test_catalog_profiles_are_closed_and_gateway_has_no_dependencies():
    catalog = platform_catalog()
    for profile, members in catalog.profiles.items():
        model = render(catalog, profile)
        assert set(model["services"]) == set(members)
        for _name, svc in model["services"].items():
            assert "container_name" not in svc
            assert set(svc.get("depends_on", {})) <= set(members)
            if "healthcheck" in svc:
                assert svc["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
            else:  # nothing to probe: said so, so that nothing waits for a health it never reports
                assert svc["labels"]["com.sentiric.readiness"] == "running"
    assert not any("depends_on" in s for s in render(catalog, "gateway")["services"].values())
    assert {"sip-sbc-service", "api-gateway"}.isdisjoint(catalog.profiles["core"])


def test_every_profile_passes_compose_check(tmp_path):
    res = inv("compose.check", "--all", state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 error(s), 0 warning(s)" in res.stdout


# Files Compose refuses for their shape, each with the line a finding must point at and what it must
# say. Compose's own refusal is checked too (its message has no line, and comes after the env is written).
MISSHAPEN = [
    ("services:\n  a:\n    image: x\n    depends_on: db\n  db: {image: y}\n",
     "x.yml:4", "services.a.depends_on must be a list or a mapping"),
    ("services:\n  a:\n    image: x\n    depends_on: {db: service_healthy}\n  db: {image: y}\n",
     "x.yml:4", "services.a.depends_on.db must be a mapping"),
    ("services:\n  a:\n    image: x\n    depends_on:\n      db:\n  db: {image: y}\n",
     "x.yml:5", "services.a.depends_on.db must be a mapping"),
    ("services:\n  a:\n    image: x\n    depends_on:\n      db: {condition: service_healthly}\n  db: {image: y}\n",
     "x.yml:5", "services.a.depends_on.db.condition must be one of 'service_started', 'service_healthy', "
                "'service_completed_successfully'"),
    ("services:\n  a: [1, 2]\n", "x.yml:2", "services.a must be a mapping"),
    ("services:\n  a:\n", "x.yml:2", "services.a must be a mapping"),
    ("services:\n  a:\n    image: x\n    healthcheck: curl -f http://a/\n", "x.yml:4",
     "services.a.healthcheck must be a mapping"),
    ("services:\n  a:\n    image: x\n    healthcheck:\n      test: [CMD, true]\n", "x.yml:5",
     "services.a.healthcheck.test.1 must be a string"),
    ("services:\n  a:\n    image: x\n    ports: '80:80'\n", "x.yml:4", "services.a.ports must be a list"),
    ("services:\n  a:\n    image: x\n    labels: one\n", "x.yml:4", "services.a.labels must be a mapping or a list"),
    ("services:\n  a:\n    image: x\n    restart: 5\n", "x.yml:4", "services.a.restart must be a string"),
    ("services:\n  a:\n    image: x\n    imagee: y\n    environmnet: {A: '1'}\n", "x.yml:5",
     "services.a has unknown key(s): environmnet, imagee"),
    ("services:\n  a:\n    image: x\n    depends_on:\n      db: {restart: true}\n  db: {image: y}\n",
     "x.yml:5", "services.a.depends_on.db needs `condition:`"),
    ("services:\n  ok: {image: x}\n  my api: {image: x}\n  my db: {image: x}\n", "x.yml:3",
     "services has name(s) Compose does not allow (^[a-zA-Z0-9._-]+$): my api, my db"),
    ("services:\n  a: {image: x}\nvolumes: [data]\n", "x.yml:3", "volumes must be a mapping"),
    ("services:\n  a: {image: x}\nvolume: {data: {}}\n", "x.yml:3", "the file has unknown key(s): volume"),
    ("services:\n  a:\n    image: x\n    ports: [[80]]\n", "x.yml:4",
     "services.a.ports.0 must be a number or a string or a mapping"),
    ("services:\n  a:\n    image: x\n    ulimits:\n      nofile: {}\n", "x.yml:5",
     "services.a.ulimits.nofile needs `soft:`, `hard:`"),
    ("services:\n  a:\n    image: x\n    ulimits:\n      nofile: [1]\n", "x.yml:5",
     "services.a.ulimits.nofile must be an integer or a string or a mapping"),
]


def test_shape_findings_come_in_line_order(tmp_path):
    # jsonschema reports in its schema's order (services before volumes); a reader wants the file's
    assert findings("volumes: [data]\nservices:\n  a: {image: x, ports: '80'}\n") == [
        ("error", "x.yml:1", "volumes must be a mapping (Compose Specification)"),
        ("error", "x.yml:3", "services.a.ports must be a list (Compose Specification)")]


@pytest.mark.parametrize("text, where, message", MISSHAPEN)
def test_a_misshapen_file_is_named_with_its_line_as_compose_would_refuse_it(tmp_path, text, where, message):
    assert findings(text) == [("error", where, message + " (Compose Specification)")]
    (tmp_path / "compose.yml").write_text(text)
    refused = subprocess.run(["docker-compose", "-p", "lint", "-f", "compose.yml", "config", "-q"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0, f"Compose accepts what the lint refuses: {text!r}"


def test_the_shape_check_never_echoes_a_value():
    text = "services:\n  a:\n    image: x\n    environment:\n      API_TOKEN: [canary-3f9a1c]\n"
    found = findings(text)
    assert found == [("error", "x.yml:5", "services.a.environment.API_TOKEN must be a string or a number or a "
                                          "boolean or empty (Compose Specification)")]
    assert "canary-3f9a1c" not in repr(found)


def _compose_files_from_elsewhere():
    root = Path(__file__).resolve().parent.parent / "k8s_cases"
    return sorted(p for p in [*root.glob("*.yml"), *(root / "kompose").rglob("*.y*ml")])


def test_every_file_compose_accepts_has_the_right_shape(tmp_path):
    """kompose's fixtures (compose files from many projects) and the export's cases: whatever Compose
    accepts, the shape check accepts (the rules may still warn)."""
    checked = 0
    for path in _compose_files_from_elsewhere():
        doc = yaml.safe_load(path.read_text())
        if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
            continue
        accepted = subprocess.run(["docker-compose", "-p", "lint", "-f", path.name, "config", "-q"], cwd=path.parent,
                                  capture_output=True, text=True, timeout=60).returncode == 0
        if accepted:
            assert schema_findings(doc, compose_schema(), lambda *_, where=str(path): where) == [], path
            checked += 1
    assert checked >= 40  # the corpus, not an empty glob


def test_healthcheck_tests_with_nothing_to_run_or_none_as_a_command():
    found = findings("""
        services:
          a:
            image: a
            healthcheck:
              test: [CMD]
          b:
            image: b
            healthcheck: {test: NONE}
        """)
    assert ("error", "x.yml:6", "a's healthcheck test has no command after CMD (Docker 20.10's engine crashes "
                                "running it); add the command, or write test: [\"NONE\"] to switch the check "
                                "off") in found
    assert ("warn", "x.yml:9", "b's healthcheck runs `NONE` as a shell command, which fails: to switch the image's "
                               'healthcheck off write test: ["NONE"] or disable: true') in found


def test_a_job_may_retry_on_failure_but_not_restart_after_success():
    def job_errors(restart):
        return [m for _, m in errors(f"""
            services:
              job: {{image: j, {restart}}}
              api:
                image: a
                {HEALTHY}
                depends_on: {{job: {{condition: service_completed_successfully}}}}
            """)]
    assert job_errors("restart: on-failure") == [] and job_errors("restart: 'on-failure:3'") == []
    assert job_errors("restart: 'no'") == []
    for policy in ("restart: always", "restart: unless-stopped", "deploy: {restart_policy: {condition: any}}"):
        assert len(job_errors(policy)) == 1 and "restarts even after it succeeds" in job_errors(policy)[0], policy


def test_the_same_port_on_two_addresses_is_no_clash_but_on_every_address_it_is():
    text = f"""
        services:
          a: {{image: a, {HEALTHY}, ports: ["127.0.0.1:8080:80"]}}
          b: {{image: b, {HEALTHY}, ports: ["127.0.0.2:8080:80"]}}
          c: {{image: c, {HEALTHY}, ports: ["8080:80"]}}
        """
    assert [m for _, m in errors(text)] == ["host port 8080/tcp is published by both a and c"]


def test_service_names_yaml_reads_as_numbers_are_names():
    assert findings(f"services:\n  1: {{image: a, {HEALTHY}}}\n  2: {{image: b, {HEALTHY}, depends_on: ['1']}}\n") == [
        ("warn", "x.yml:3", "2 only waits for 1 to start although 1 has a healthcheck; use service_healthy")]


INTERPOLATED = ["${P}", "${P:-d1}", "${P-d2}", "$P", "${P:+r1}", "${P+r2}", "x${P}y", "$${P}", "$$P", "p$$",
                "${P:-${Q:-nest}}", "${P:-$Q}", "${Q:-a}-${P:-b}", "${P?must}", "${P:?must}", "${P:-}", "{${P}}"]


@pytest.mark.parametrize("env", [{"Q": "q"}, {"P": "", "Q": "q"}, {"P": "v", "Q": "q"}, {"P": "a$b}c{"},
                                 {"Q": "${P}q}x{$$"}, {}],
                         ids=["unset", "empty", "set", "value-with-syntax", "default-with-syntax", "nothing"])
def test_interpolation_is_compose_s(tmp_path, env):
    """Every form, as Compose itself resolves it (`config --format json`, which writes a literal $ as $$)."""
    forms = [f for f in INTERPOLATED if not ("?" in f and "P" not in env) and not (":?" in f and not env.get("P"))]
    (tmp_path / "c.yml").write_text(yaml.safe_dump(
        {"services": {"s": {"image": "x", "environment": {f"V{i}": f for i, f in enumerate(forms)}}}}))
    (tmp_path / "e.env").write_text("".join(f"{k}='{v}'\n" for k, v in env.items()))
    res = subprocess.run(["docker-compose", "-p", "interp", "-f", "c.yml", "--env-file", "e.env", "config", "--format",
                          "json"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    resolved = json.loads(res.stdout)["services"]["s"]["environment"]
    assert {f: interpolate(f, env) for f in forms} == {f: resolved[f"V{i}"].replace("$$", "$")
                                                       for i, f in enumerate(forms)}


def test_every_rule_points_at_its_line_in_line_order():
    found = findings("""
        services:
          job:
            image: j
            restart: always
          seed:
            image: s
            deploy:
              restart_policy:
                condition: any
          api:
            image: a
            container_name: api
            healthcheck: {test: [CMD, 'true']}
            depends_on:
              ghost: {condition: service_started}
              job: {condition: service_completed_successfully}
              seed: {condition: service_completed_successfully}
          web:
            image: w
            labels: ["com.sentiric.readiness=running=yes", "note", "k=a=b"]
            ports: ["0.0.0.0:8080:80", "127.0.0.1:8080:80", "abc:81", "127.0.0.1:9090:90", "127.0.0.1:9090:91"]
            depends_on: [cycle1]
          cycle1:
            image: c
            labels: {com.sentiric.readiness: running}
            depends_on: [cycle2]
          cycle2:
            image: c
            labels: {com.sentiric.readiness: running}
            depends_on: [cycle1]
          off:
            image: o
            healthcheck: {disable: true, test: NONE}
        """)
    assert found == [
        ("error", "x.yml:5", 'job is awaited with service_completed_successfully but restarts even after it succeeds '
                             '(always); one-shot jobs need restart: "no" or on-failure'),
        ("error", "x.yml:10", "seed is awaited with service_completed_successfully but restarts even after it succeeds "
                              '(restart_policy: any); one-shot jobs need restart: "no" or on-failure'),
        ("error", "x.yml:13", "api pins container_name, so two profiles or checkouts collide; remove it (the project "
                              "name isolates)"),
        # the rest of api's dependencies are still read after the missing one
        ("error", "x.yml:16", "api depends on ghost, which is not in this profile; add ghost or remove the dependency"),
        # on every address, then on one: a clash; the same port on one address twice: a clash
        ("error", "x.yml:22", "web publishes host port 8080/tcp twice"),
        ("error", "x.yml:22", "web publishes 'abc:81': not a port or port range: 'abc'"),
        ("error", "x.yml:22", "web publishes host port 9090/tcp twice"),
        ("error", "x.yml:27", "dependency cycle: cycle1 -> cycle2 -> cycle1"),  # once, though web leads into it
        # `off` is a name (YAML 1.2, as Compose reads it); its check is off, and a string NONE beside disable is moot
        ("warn", "x.yml:32", "off is long-running but declares no healthcheck (its image may have one), so nothing in "
                             "this file can wait for it to be ready"),
    ]


@pytest.mark.parametrize("text", ["- a list\n", "services: [a, b]\n", "services: {}\n", "name: x\n", ""])
def test_what_is_not_a_compose_file_is_said_so(text):
    assert findings(text) == [("error", "x.yml", "no `services:` mapping: this is not a compose file")]


@pytest.mark.parametrize("text, where, problem", [
    ("services:\n  a: [unclosed\n", "x.yml:3", "did not find expected ',' or ']'"),
    ("services:\n  a: b\n  c: \x01\n", "x.yml:3", "control characters are not allowed"),  # from a position
    ("\nservices:\n  a: \x01\n", "x.yml:3", "control characters are not allowed"),
])
def test_a_file_that_is_not_yaml_is_named_with_what_the_parser_says(text, where, problem):
    assert findings(text) == [("error", where, f"not valid YAML: {problem}")]


def test_a_key_written_twice_is_refused_as_compose_refuses_it(tmp_path):
    text = "services:\n  a:\n    image: x\n    image: y\n  b: {image: z}\n  b: {image: w}\n"
    assert findings(text) == [
        ("error", "x.yml:4", "services.a.image is written twice (lines 3 and 4): Compose refuses the file; keep one"),
        ("error", "x.yml:6", "services.b is written twice (lines 5 and 6): Compose refuses the file; keep one")]
    (tmp_path / "compose.yml").write_text(text)
    assert subprocess.run(["docker-compose", "-p", "lint", "-f", "compose.yml", "config", "-q"], cwd=tmp_path,
                          capture_output=True, timeout=60).returncode != 0


def test_scalars_are_read_as_compose_reads_them(tmp_path):
    """go-yaml v3 (YAML 1.2), not PyYAML's YAML 1.1: `restart: no` is "no", `22:22` is not base 60."""
    from symphony.core import yamlio

    yamlio._LOADER.clear()  # built once per process: build it here, from the code under test
    scalars = {"a": "yes", "b": "no", "c": "on", "d": "off", "e": "y", "f": "true", "g": "True", "h": "FALSE",
               "i": "22:22", "j": "1:20:30", "k": "0755", "l": "0o755", "m": "0x1F", "n": "0b101", "o": "1_000",
               "p": "1e3", "q": ".5", "r": "~", "s": "null", "t": "+12", "u": "1.", "v": "-0", "w": "1.2.3",
               "x": "-0o17", "z": "1.5e-3", "aa": "-017", "ab": "08", "ac": "+0x1F", "ad": "-0b11", "ae": "7",
               "af": "-5", "ag": "0", "ah": "1__0", "ai": "1:20.5", "aj": "01234567"}
    text = "services:\n  a: {image: x}\nx-v:\n" + "".join(f"  {k}: {v}\n" for k, v in scalars.items())
    (tmp_path / "compose.yml").write_text(text)
    res = subprocess.run(["docker-compose", "-p", "lint", "-f", "compose.yml", "config", "--format", "json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert yamlio.load_yaml(text)["x-v"] == json.loads(res.stdout)["x-v"]
    assert findings("services:\n  a:\n    image: x\n    restart: no\n    labels: {com.sentiric.readiness: on}\n") == []


MERGES_AND_TAGS = """\
x-a: &a
  restart: "no"
  user: "1000"
  environment: {FROM_A: a}
x-b: &b
  restart: always
  user: "2000"
  labels: {from-b: b}
  environment: {FROM_B: b}
x-base: &base
  image: nginx:1.27
  restart: always
  ports: ["8080:80"]
  environment: {FOO: bar, DROPME: x}
services:
  job:
    <<: [*a, *b]
    image: alpine:3.20
  own:
    <<: [*a, *b]
    image: alpine:3.20
    user: "3000"
  reset:
    <<: *base
    ports: !reset []
    environment:
      DROPME: !reset null
      EXTRA: !override y
  override:
    <<: *base
    ports: !override ["8081:80"]
"""


def test_merge_keys_and_compose_tags_are_read_as_compose_reads_them(tmp_path):
    """`<<: [*a, *b]`: the mapping's own keys win, then the earlier merged one (YAML's merge key, as
    go-yaml reads it; PyYAML 6.0.4 lets the later win); `!reset` drops a key, `!override` is the value."""
    from symphony.core import yamlio

    yamlio._LOADER.clear()
    (tmp_path / "compose.yml").write_text(MERGES_AND_TAGS)
    res = subprocess.run(["docker-compose", "-p", "lint", "-f", "compose.yml", "config", "--format", "json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    theirs = json.loads(res.stdout)["services"]
    ours = yamlio.load_yaml(MERGES_AND_TAGS)["services"]
    for name, svc in theirs.items():
        for key in ("restart", "user", "environment", "labels"):
            assert ours[name].get(key) == svc.get(key), (name, key)
        assert [p.split(":")[0] for p in ours[name].get("ports", [])] == [p["published"] for p in svc.get("ports", [])]
    # tags in every place a value can stand: Compose's own and any other (go-yaml reads a tagged scalar as a
    # string, a `!reset` item of a list is dropped)
    tagged = ("services:\n  s: {image: x}\nx-l: [!foo 5, !override 6, !reset 7, !foo true, !foo {a: 1}, !foo [2]]\n"
              "x-b: &b {p: !override 7, q: !reset 1, r: 2}\nx-c: {<<: *b, r: !reset 3}\nx-n: !override 5\n"
              "x-m: !foo 5\nx-r: !reset 1\n")
    (tmp_path / "tagged.yml").write_text(tagged)
    res = subprocess.run(["docker-compose", "-p", "lint", "-f", "tagged.yml", "config", "--format", "json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    theirs = {k: v for k, v in json.loads(res.stdout).items() if k.startswith("x-")}
    assert {k: v for k, v in yamlio.load_yaml(tagged).items() if k.startswith("x-")} == theirs
    assert errors("services:\n  s:\n    image: !unknown x\n    user: !foo 5\n") == []  # "5", as Compose reads it
    # a merge of what is not a mapping: Compose refuses it, and so does the lint (no crash)
    assert errors("name: p\nx-a: &a [1]\nservices:\n  s:\n    <<: *a\n    image: x\n") == [
        ("x.yml:2", "not valid YAML: expected a mapping for merging, but found scalar")]  # the item of *a
    (tmp_path / "bad.yml").write_text("x-a: &a [1]\nservices:\n  s:\n    <<: *a\n    image: x\n")
    assert subprocess.run(["docker-compose", "-p", "lint", "-f", "bad.yml", "config", "-q"], cwd=tmp_path,
                          capture_output=True, timeout=60).returncode != 0
    # so the one-shot job (restart "no" from the first mapping) awaited to complete is no lint error
    text = MERGES_AND_TAGS + ("  app:\n    image: x\n    healthcheck: {test: [CMD, 'true']}\n"
                              "    depends_on: {job: {condition: service_completed_successfully}}\n")
    assert errors(text) == []


def test_a_dependency_from_an_included_file_is_left_to_compose(tmp_path):
    (tmp_path / "db.yml").write_text("services:\n  db: {image: d, healthcheck: {test: [CMD, 'true']}}\n")
    text = f"include: [db.yml]\nservices:\n  api:\n    image: a\n    {HEALTHY}\n    depends_on:\n" \
           "      db: {condition: service_healthy}\n"
    assert errors(text) == []
    (tmp_path / "compose.yml").write_text(text)
    assert subprocess.run(["docker-compose", "-p", "lint", "-f", "compose.yml", "config", "-q"], cwd=tmp_path,
                          capture_output=True, timeout=60).returncode == 0  # Compose finds db where it is
    assert errors(text.replace("include: [db.yml]\n", "")) == [
        ("x.yml:6", "api depends on db, which is not in this profile; add db or remove the dependency")]


def test_keys_merged_from_an_anchor_point_where_the_anchor_wrote_them(tmp_path):
    text = ("x-job: &job\n  image: j\n  restart: always\n"
            "services:\n  job:\n    <<: *job\n  api:\n    image: a\n    healthcheck: {test: [CMD, 'true']}\n"
            "    depends_on: {job: {condition: service_completed_successfully}}\n")
    assert errors(text) == [("x.yml:3", 'job is awaited with service_completed_successfully but restarts even after '
                                        'it succeeds (always); one-shot jobs need restart: "no" or on-failure')]
    merged_services = "x-all: &all\n  services:\n    a: {image: x}\n<<: *all\n"  # even the services themselves
    assert findings(merged_services) == [("warn", "x.yml:3", "a is long-running but declares no healthcheck (its "
                                          "image may have one), so nothing in this file can wait for it to be ready")]
    for i, accepted in enumerate((text, merged_services)):
        (tmp_path / f"c{i}.yml").write_text(accepted)
        assert subprocess.run(["docker-compose", "-p", "lint", "-f", f"c{i}.yml", "config", "-q"], cwd=tmp_path,
                              capture_output=True, timeout=60).returncode == 0


def test_a_list_of_merged_anchors_and_a_dependency_listed_on_its_own_line():
    text = ("x-a: &a {image: a}\nx-b: &b\n  restart: always\n"
            "services:\n  job:\n    <<: [*a, *b]\n  api:\n    image: x\n    healthcheck: {test: [CMD, 'true']}\n"
            "    depends_on:\n      job: {condition: service_completed_successfully}\n"
            "  web:\n    image: w\n    labels: {com.sentiric.readiness: running}\n    depends_on:\n      - api\n"
            "      - ghost\n")
    assert errors(text) == [
        ("x.yml:3", 'job is awaited with service_completed_successfully but restarts even after it succeeds (always); '
                    'one-shot jobs need restart: "no" or on-failure'),
        ("x.yml:17", "web depends on ghost, which is not in this profile; add ghost or remove the dependency")]


def test_an_alias_of_its_own_container_ends_in_a_finding_not_a_crash():
    from symphony.core.envcompiler.lint import compose_variables

    text = "services:\n  a:\n    image: x\n    labels: &l {k: *l}\n"
    assert findings(text) == [("error", "x.yml:4", "services.a.labels.k names an anchor it is inside (a cycle): "
                                                   "Compose refuses the file")]
    assert findings("x-a: {a: 1, a: 2}\nservices:\n  s: {image: x, labels: {com.sentiric.readiness: running}}\n") == [
        ("error", "x.yml:1", "x-a.a is written twice (lines 1 and 1): Compose refuses the file; keep one")]
    assert compose_variables("a: &x [*x, '${V}']\n") == {"V": (1, False)}
    assert findings("x-a: &a\n  <<: *a\nservices:\n  s: {image: x}\n") == [
        ("error", "x.yml:1", "x-a names an anchor it is inside (a cycle): Compose refuses the file")]


def test_key_lines_are_the_lines_of_keys_and_list_items():
    from symphony.core.yamlio import key_lines

    assert key_lines("a:\n  b: 1\n  c:\n    - x\n    - y\nd: [z]\n") == {
        ("a",): 1, ("a", "b"): 2, ("a", "c"): 3, ("a", "c", "x"): 4, ("a", "c", "y"): 5, ("d",): 6, ("d", "z"): 6}


def test_a_host_range_for_one_container_port_binds_any_free_one_so_it_clashes_with_nothing(tmp_path):
    """`18080-18090:80`: Docker binds one free port of the range (a range published for a range binds
    each). So a fixed 18085 elsewhere is no clash, and Compose accepts the file."""
    text = ("services:\n  a:\n    image: x\n    labels: {com.sentiric.readiness: running}\n"
            "    ports: ['18080-18090:80']\n  b:\n    image: x\n    labels: {com.sentiric.readiness: running}\n"
            "    ports: ['18085:80']\n")
    assert errors(text) == []
    (tmp_path / "compose.yml").write_text(text)
    assert subprocess.run(["docker-compose", "-p", "lint", "-f", "compose.yml", "config", "-q"], cwd=tmp_path,
                          capture_output=True, timeout=60).returncode == 0
    assert errors(text.replace("18080-18090:80", "18080-18090:80-90")) == [  # each port: 18085 is taken twice
        ("x.yml:9", "host port 18085/tcp is published by both a and b")]


def test_a_service_that_extends_another_is_not_told_it_lacks_a_healthcheck():
    text = ("services:\n  base:\n    image: x\n    healthcheck: {test: [CMD, 'true']}\n"
            "  web:\n    extends: base\n  plain:\n    image: y\n")
    assert [(w, m.split(" ")[0]) for _, w, m in findings(text) if "declares no healthcheck" in m] == [
        ("x.yml:7", "plain")]  # web may inherit one (Compose resolves extends); plain declares none


@pytest.mark.parametrize("text, where", [
    ("services:\n  a:\n    image: x\n    labels: {k: !!int foo}\n", "x.yml:4"),
    ("name: p\nservices:\n  a:\n    image: x\nx-t: !!timestamp foo\n", "x.yml:5"),
])
def test_a_value_its_tag_cannot_make_is_a_yaml_error_at_its_line_not_a_crash(text, where, tmp_path):
    assert [(level, w) for level, w, m in findings(text) if "not valid YAML" in m] == [("error", where)]
    (tmp_path / "c.yml").write_text(text)  # Compose refuses such a file too
    assert subprocess.run(["docker-compose", "-p", "lint", "-f", "c.yml", "config", "-q"], cwd=tmp_path,
                          capture_output=True, timeout=60).returncode != 0


def test_an_anchor_inside_its_own_list_is_a_cycle_not_a_crash():
    """`x: &a [*a]`: docker-compose says "cycle detected: node at path x-loop.0.0 references node at
    path x-loop.0" (v5.6.1); a list's items are walked like a mapping's values."""
    found = errors("services:\n  a:\n    image: x\nx-loop: &a [*a]\n")
    assert found == [("x.yml:4", "x-loop names an anchor it is inside (a cycle): Compose refuses the file")]


def test_an_alias_bomb_is_refused_at_once():
    """Nine aliases per level, eleven levels: 9**11 nodes once expanded (docker-compose v5.6.1 was
    still reading it after a minute). Refused in well under the time a user would wait."""
    import time

    levels = ["services:\n  a:\n    image: x\n", "x-l0: &l0 [a, b, c, d, e, f, g, h, i]\n"]
    levels += [f"x-l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 12)]
    start = time.monotonic()
    found = errors("".join(levels))
    assert time.monotonic() - start < 10
    assert len(found) == 1 and "expands to more than 250,000 nodes" in found[0][1]


def test_a_key_written_twice_inside_a_list_item_is_refused_too():
    """go-yaml refuses a repeated key in any mapping, one inside a sequence too."""
    found = errors("services:\n  a:\n    image: x\n    ports:\n      - target: 80\n        target: 81\n")
    assert any("written twice" in m and w == "x.yml:6" for w, m in found), found


def test_a_compose_file_that_is_not_text_or_not_a_file_is_named(tmp_path):
    from symphony.errors import UsageError
    from symphony.infra.files import read_text_file

    latin = tmp_path / "latin.yml"
    latin.write_bytes(b"services:\n  a:\n    image: x\n    environment: {X: \"\xff\xfe\"}\n")
    with pytest.raises(UsageError, match=r"latin.yml:4: not UTF-8 text"):
        read_text_file(latin)
    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="is a FIFO"):  # would block for ever
        read_text_file(fifo)
    res = inv("k8s.export", "--file", str(tmp_path), "--output", str(tmp_path / "out"), state_dir=tmp_path)
    assert res.returncode == 2 and "is a directory, not a compose file" in res.stderr, res.stderr
    res = inv("k8s.export", "--file", str(latin), "--output", str(tmp_path / "out"), state_dir=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr and "Compose rejects" in res.stderr, res.stderr
