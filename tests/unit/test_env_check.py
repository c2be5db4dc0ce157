"""`env.check` (core.envcompiler.lint): what it reports about a config repo, beyond what the
compiler already refuses — clashes between shared fragments, placeholder and misplaced secrets,
and compose variables the profile does not define (README: Configuration, Secrets)."""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from symphony.core.envcompiler import compile_env
from symphony.core.envcompiler.lint import compose_variables, lint
from symphony.core.findings import Finding

DYN = {"DETECTED_IP": "10.1.2.3", "TAG": "latest", "CONFIG_REPO_PATH": "/cfg"}


def compiled(tmp_path, **files):
    env = tmp_path / "environments"
    for rel, text in files.items():
        path = env / rel.replace("__", "/").replace("_env", ".env")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return compile_env(tmp_path, "p", environ={}, dynamic=DYN, overrides={"FROM_SET": "x"})


def test_a_clean_config_has_no_finding(tmp_path):
    c = compiled(tmp_path, profiles__p_env="source common/base.env\nLOG_LEVEL=debug\n",
                 common__base_env="LOG_LEVEL=info\nDB_URL=pg://app:${DB_PASSWORD}@db/app\n",
                 common__secrets_env="DB_PASSWORD=s3cr3t-value\n")
    assert lint(c) == []        # a profile overriding a shared value is what profiles are for


def test_two_shared_fragments_that_disagree_are_named_the_last_wins(tmp_path):
    c = compiled(tmp_path, profiles__p_env="source common/base.env\nsource services/a.env\n",
                 common__base_env="HOST=db\nSAME=1\n", services__a_env="HOST=db.internal\nSAME=1\n")
    assert lint(c) == [Finding("warn", "services/a.env:1", "HOST is defined with different values: "
                                                          "common/base.env:1 ('db'), services/a.env:1 ('db.internal'); "
                                                          "the last wins")]


def test_the_last_of_three_disagreeing_fragments_wins(tmp_path):
    c = compiled(tmp_path, profiles__p_env="source common/a.env\nsource common/b.env\nsource common/c.env\n",
                 common__a_env="HOST=a\n", common__b_env="HOST=b\n", common__c_env="HOST=c\n")
    assert [f.where for f in lint(c)] == ["common/c.env:1"]


def test_a_fragment_redefining_its_own_key_and_overrides_of_computed_values_are_no_clash(tmp_path):
    env = tmp_path / "environments"
    (env / "profiles").mkdir(parents=True)
    (env / "common").mkdir()
    (env / "profiles" / "p.env").write_text("source common/base.env\n")
    (env / "common" / "base.env").write_text("URL=http://x\nURL=http://y\nTAG=2.0\nDETECTED_IP=10.0.0.9\n"
                                            "LOG_LEVEL=info\n")
    c = compile_env(tmp_path, "p", environ={"TAG": "1.0"}, dynamic=DYN, overrides={"LOG_LEVEL": "debug"})
    assert lint(c) == []


def test_a_secret_that_clashes_is_named_without_its_values(tmp_path):
    c = compiled(tmp_path, profiles__p_env="source common/base.env\n",
                 common__base_env="X=1\n", common__secrets_env="API_TOKEN=tok-one\nX=2\n",
                 common__more_secrets_env="API_TOKEN=tok-two\n")
    # (more_secrets.env is not read by the profile: only one definition of API_TOKEN counts)
    findings = lint(c)
    assert Finding("warn", "common/secrets.env:2", "X is defined with different values: "
                                                   "common/base.env:1, common/secrets.env:2; the last wins") in findings
    assert not any("tok-" in f.message for f in findings)


@pytest.mark.parametrize("value", ["", "changeme", "CHANGE_ME", "change-me", " todo ", "xxx", "secret", "Password",
                                   "example"])
def test_a_placeholder_secret_is_reported(tmp_path, value):
    c = compiled(tmp_path, profiles__p_env="A=1\n", common__secrets_env=f"DB_PASSWORD='{value}'\n")
    assert lint(c) == [Finding("warn", "common/secrets.env:1",
                               "DB_PASSWORD holds a placeholder secret; set a real value in common/secrets.env")]


def test_a_secret_defined_outside_the_secrets_fragment_is_reported(tmp_path):
    c = compiled(tmp_path, profiles__p_env="source common/base.env\n",
                 common__base_env="JWT_SECRET=r3al-s3cret\nDB_URL=pg://u:${JWT_SECRET}@db/x\nRAW=amqp://u:p4ss@mq/\n")
    # only the secret itself: a URL built from it, or with a password in it, is masked but not "misplaced"
    assert lint(c) == [Finding("warn", "common/base.env:1",
                               "JWT_SECRET looks secret but is defined outside common/secrets.env; move it there")]


def test_a_secret_from_the_command_line_is_neither_placeholder_nor_misplaced(tmp_path):
    env = tmp_path / "environments" / "profiles"
    env.mkdir(parents=True)
    (env / "p.env").write_text("A=1\n")
    c = compile_env(tmp_path, "p", environ={}, dynamic=DYN, overrides={"API_KEY": "k3y-from-set"})
    assert lint(c) == []


def test_compose_variables_the_profile_lacks_are_errors_at_their_first_line(tmp_path):
    c = compiled(tmp_path, profiles__p_env="IMAGE_TAG=1\nPORT=80\n")
    compose = ("services:\n"
               "  app:\n"
               "    image: app:${IMAGE_TAG}\n"
               "    # ${COMMENTED_OUT} is not used\n"
               "    command: echo $${LITERAL} $$LITERAL2 ${MISSING} $ALSO_MISSING\n"
               "    environment:\n"
               "      A: ${MISSING}\n"
               "      B: ${WITH_DEFAULT:-x} ${PLUS+y} ${PORT}\n"
               "      C: ${REQUIRED:?set it}\n")
    lacks = "the compose file uses ${%s} but the profile's env does not define it"
    assert lint(c, compose, "compose/p.yml") == [
        Finding("error", "compose/p.yml:5", lacks % "ALSO_MISSING"),
        Finding("error", "compose/p.yml:5", lacks % "MISSING"),
        Finding("error", "compose/p.yml:9", lacks % "REQUIRED"),
    ]


def test_compose_variables_with_their_first_line_and_whether_every_use_has_a_default():
    assert compose_variables("a: ${A}\nb: ${A:-1}\n") == {"A": (1, False)}    # in either order,
    assert compose_variables("a: ${A:-1}\nb: ${A}\n") == {"A": (2, False)}    # at the use without a default
    assert compose_variables("a: ${A:-1}\nb: ${A:-2}\nc: ${A}\nd: ${A}\n") == {"A": (3, False)}
    text = ("a: ${A:-1}\n"
            "b: ${B-1} ${C:+x} ${D+x} ${E:?no} ${F?no} $G\n"
            "  # ${H}\n"
            "c: ${A} $${I} ${J:-1}\n"
            "d: ${J:-2}\n")
    assert compose_variables(text) == {
        "A": (4, False),            # once without a default (line 4): it needs a value
        "B": (2, True), "C": (2, True), "D": (2, True), "E": (2, False), "F": (2, False), "G": (2, False),
        "J": (4, True),
    }


def test_the_variables_are_those_compose_itself_asks_for(tmp_path):
    """Values only, as Compose interpolates them: not comments, not keys; `$$` is a literal `$`
    however many follow. Compose warns for each variable it needs that has no default."""
    text = ('services:\n'
            '  a:\n'
            '    image: "x:${TAG}"  # pinned by ${COMMENTED}\n'
            '    command: ["echo", "$$LITERAL", "$$$$ALSO_LITERAL", "$$$REAL", "${WITH_DEFAULT:-1}"]\n'
            '    environment:\n'
            '      PLAIN: $PLAINVAR\n'
            '      BLOCK: |\n'
            '        first line\n'
            '        uses ${IN_BLOCK}\n'
            '      ALT: ${ALTV:+x}\n'
            '      FOLDED: >\n'
            '        ${IN_FOLDED}\n'
            '      NESTED: "${SET_OUTER:-${INNER}${INNER2}} ${ALSO}"\n'
            '    labels:\n'
            '      ${NOT_A_KEY_VAR}: v\n'
            '# ${ONLY_IN_COMMENT}\n')
    (tmp_path / "c.yml").write_text(text)
    (tmp_path / "e.env").write_text("SET_OUTER=1\n")  # so Compose never reads INNER
    res = subprocess.run(["docker-compose", "-p", "vars", "-f", "c.yml", "--env-file", "e.env", "config", "-q"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60, env={"PATH": os.environ["PATH"]})
    asked = set(re.findall(r'The \\"([A-Z_]+)\\" variable is not set', res.stderr))
    assert asked == {"TAG", "REAL", "PLAINVAR", "IN_BLOCK", "IN_FOLDED", "ALSO"}, res.stderr  # this Compose itself
    assert compose_variables(text) == {"TAG": (3, False), "REAL": (4, False), "WITH_DEFAULT": (4, True),
                                       "PLAINVAR": (6, False), "IN_BLOCK": (9, False), "ALTV": (10, True),
                                       "IN_FOLDED": (12, False), "SET_OUTER": (13, True), "INNER": (13, True),
                                       "INNER2": (13, True), "ALSO": (13, False)}
    assert {n for n, (_, has_default) in compose_variables(text).items() if not has_default} == asked
    assert compose_variables("services: [unclosed\n") == {}  # not YAML: compose.check says why


def test_a_value_env_generate_cannot_write_is_an_error_at_its_definition(tmp_path):
    """bash, python-dotenv and Compose cannot all read `it's $HOME` back the same: env.check says so
    where it is defined (env.generate refuses it), and a --set value is placed as (--set)."""
    env = tmp_path / "environments" / "profiles"
    env.mkdir(parents=True)
    (env / "p.env").write_text("OK=1\nMSG=fine\nMSG=\"it's \\$HOME\"\n")  # the last definition is the one
    compiled = compile_env(tmp_path, "p", environ={}, dynamic={"DETECTED_IP": "1", "TAG": "t", "CONFIG_REPO_PATH": "/"},
                           overrides={"CR": "a\rb"})
    found = [(f.level, f.where, f.message.split(":")[0]) for f in lint(compiled) if "cannot be written" in f.message]
    assert found == [("error", "profiles/p.env:3", "MSG"), ("error", "(--set)", "CR")]
