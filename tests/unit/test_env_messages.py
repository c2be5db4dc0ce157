"""What the env compiler tells the user when it refuses: the place (file:line:column), the
construct, and what to write instead (README: Configuration, Secrets). In a secret's definition
not even the names it references are shown."""
from __future__ import annotations

import pytest

from symphony.core.envcompiler import compile_env, render_env_file
from symphony.core.envcompiler.model import EnvError
from symphony.core.envcompiler.writer import quote_value
from tests.unit.test_env_bash_oracle import readable_id

DYN = {"DETECTED_IP": "10.1.2.3", "TAG": "latest", "CONFIG_REPO_PATH": "/cfg"}


def compile_profile(tmp_path, text: str, strict: bool = True):
    env = tmp_path / "environments" / "profiles"
    env.mkdir(parents=True, exist_ok=True)
    (env / "p.env").write_text("S=yes\n" + text)
    return compile_env(tmp_path, "p", environ={}, dynamic=DYN, strict=strict)


def refusal(tmp_path, text: str, strict: bool = True) -> tuple[str, str]:
    with pytest.raises(EnvError) as err:
        compile_profile(tmp_path, text, strict)
    return err.value.message, err.value.hint


# (line 2 of profiles/p.env, message, hint)
REFUSALS = [
    ("K+=x", "profiles/p.env:2:2: `K+=` (append) is not supported", "write the whole value: KEY=VALUE"),
    ("K[0]=x", "profiles/p.env:2:2: `K[…]` (an array element) is not supported", "use a plain KEY=VALUE"),
    ("9ab=1", "profiles/p.env:2:1: bad variable name before '='",
     "names are ASCII letters, digits and _, and do not start with a digit"),
    ("just words", "profiles/p.env:2:1: cannot parse this line",
     "expected KEY=VALUE, `export KEY=VALUE`, `source PATH` or a # comment"),
    ("source", "profiles/p.env:2:1: `source` without a path", "write `source common/base.env`"),
    ("source # a comment", "profiles/p.env:2:1: `source` without a path", "write `source common/base.env`"),
    (". ", "profiles/p.env:2:1: `source` without a path", "write `source common/base.env`"),
    ("source $DIR/x.env", "profiles/p.env:2:8: a sourced path must be written literally (no $)",
     "write the path relative to environments/"),
    ("source a.env b.env", "profiles/p.env:2:14: `source` takes exactly one path", "one `source PATH` per line"),
    ("K=${NOPE:=x}", "profiles/p.env:2:3: ${NOPE:=…} assigns in bash; not supported", "write ${NOPE:-…} instead"),
    ("K=${NOPE}", "profiles/p.env:2: K references undefined variable NOPE",
     "define NOPE, write ${NOPE:-default}, or pass --allow-undefined"),
    ("K=${NOPE:?}", "profiles/p.env:2: NOPE: is not set or empty", "define NOPE in the config repo or with --set"),
    ("K=${NOPE?}", "profiles/p.env:2: NOPE: is not set", "define NOPE in the config repo or with --set"),
    # the message of ${V:?msg} shows references by name, never expanded
    ("K=${NOPE:?need ${S:-x} and $S}", "profiles/p.env:2: NOPE: need ${S:-x} and ${S}",
     "define NOPE in the config repo or with --set"),
]
# In a secret's definition the names it references are not shown either.
SECRET_REFUSALS = [
    ("PASSWORD=$RANDOM", "profiles/p.env:2:10: $… is set by bash itself", "reference a variable of the config instead"),
    ("PASSWORD=${RANDOM:-x}", "profiles/p.env:2:10: ${…} is set by bash itself",
     "reference a variable of the config instead"),
    ("PASSWORD=${NOPE:=x}", "profiles/p.env:2:10: ${…:=…} assigns in bash; not supported", "write ${…:-…} instead"),
    ("PASSWORD=${NOPE\n", "profiles/p.env:2:10: unterminated ${…", "close the reference with } on the same line"),
    ("PASSWORD=a${NOPE}b", "profiles/p.env:2: PASSWORD references an undefined variable (the names in a secret's "
                           "definition are not shown)",
     "check the definition of PASSWORD: a literal $ needs single quotes or \\$"),
    ("PASSWORD=${NOPE:?x}", "profiles/p.env:2: PASSWORD requires a variable that is not set (the names in a secret's "
                            "definition are not shown)", "check the definition of PASSWORD"),
]


@pytest.mark.parametrize("line, message, hint", REFUSALS + SECRET_REFUSALS,
                         ids=[readable_id(r[0]) for r in REFUSALS + SECRET_REFUSALS])
def test_a_refusal_names_the_place_the_construct_and_the_fix(tmp_path, line, message, hint):
    assert refusal(tmp_path, line + "\n") == (message, hint)


def test_a_refusal_on_the_last_line_without_a_newline(tmp_path):
    assert refusal(tmp_path, "source")[0] == "profiles/p.env:2:1: `source` without a path"


def test_a_bad_line_is_reported_on_its_own_line_not_the_next(tmp_path):
    message, _ = refusal(tmp_path, "just words\nL=1\n")
    assert message == "profiles/p.env:2:1: cannot parse this line"


def test_every_bad_line_is_reported_at_once(tmp_path):
    message, hint = refusal(tmp_path, "PASSWORD=${NOPE\nx}\nK+=1\n")
    assert message.endswith(":\n"
                            "  profiles/p.env:2:10: unterminated ${…  (close the reference with } on the same line)\n"
                            "  profiles/p.env:3:1: cannot parse this line  (expected KEY=VALUE, `export KEY=VALUE`, "
                            "`source PATH` or a # comment)\n"
                            "  profiles/p.env:4:2: `K+=` (append) is not supported  (write the whole value: KEY=VALUE)")
    assert message.startswith("3 bad lines in the config repo ")
    assert hint == "fix them all, then run again; nothing was written"


def test_allow_undefined_leaves_the_reference_empty_and_says_so(tmp_path):
    c = compile_profile(tmp_path, "K=a${NOPE}b\nPASSWORD=x${GONE}y\n", strict=False)
    assert c.values["K"] == "ab" and c.values["PASSWORD"] == "xy"
    assert c.warnings == ["profiles/p.env:2: K references undefined variable NOPE (left empty)",
                          "profiles/p.env:3: PASSWORD references an undefined variable (left empty)"]


# The writer: a value no form carries the same for bash, python-dotenv and Compose is refused with the reason.
CANNOT = "K: the value cannot be written so that bash, python-dotenv and Compose read it the same: "
WHY_DOUBLE = " (bash expands it inside double quotes; an escaped form is read differently by python-dotenv)"


@pytest.mark.parametrize("value, reason", [
    ("a\x00b", "it contains a NUL byte, which no environment variable can hold"),
    ("a\rb", "it contains a carriage return, which python-dotenv reads as a newline"),
    ("$HOME\\", "it has a trailing backslash (python-dotenv reads single quotes differently) and a $ followed by "
                "a name character or one of ! # $ ( * - ? @ [ {" + WHY_DOUBLE),
    ("it's $HOME", "it has a single quote (python-dotenv reads single quotes differently) and a $ followed by a name "
                   "character or one of ! # $ ( * - ? @ [ {" + WHY_DOUBLE),
    ("it's `id`", "it has a single quote (python-dotenv reads single quotes differently) and a backtick" + WHY_DOUBLE),
    ("x\\\\y$z", "it has two backslashes in a row (python-dotenv reads single quotes differently) and a $ followed "
                 "by a name character or one of ! # $ ( * - ? @ [ {" + WHY_DOUBLE),
])
def test_an_unwritable_value_says_why(value, reason):
    with pytest.raises(EnvError) as err:
        quote_value("K", value)
    assert err.value.message == CANNOT + reason
    assert err.value.hint == "change the value of K (e.g. store it base64-encoded), or mount it as a file"


def test_several_unwritable_values_are_reported_together(tmp_path):
    compile_profile(tmp_path, "A=1\n")
    c = compile_env(tmp_path, "p", environ={}, dynamic=DYN, overrides={"S": "it's $HOME", "A": "a\rb"})
    with pytest.raises(EnvError) as err:
        render_env_file(c, source_label="x")
    lines = err.value.message.split("\n")
    assert lines[0] == "2 values cannot be written:" and len(lines) == 3
    assert lines[1].startswith("  S: the value cannot be written") and lines[2].startswith("  A: the value cannot")
    assert err.value.hint == "change those values, or mount them as files; nothing was written"
