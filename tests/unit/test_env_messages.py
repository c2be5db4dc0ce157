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
    ("K=${S:+<(id)}", "profiles/p.env:2:8: <(…) or >(…) inside ${…} is a process substitution in bash: it would run "
     "a command", "write the value in single quotes, or escape the character with a backslash"),
    ('K="${NOPE:->(id)}"', "profiles/p.env:2:12: <(…) or >(…) inside ${…} is a process substitution in bash: it would "
     "run a command", "move the default out of the double quotes, in single quotes"),
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


EXPORT_ALONE = ("profiles/p.env:2:1: `export` without an assignment", "write `export KEY=VALUE`")
UNTERMINATED = "close the reference with }"
LAST_LINE_REFUSALS = [  # (the last line, no newline after it; message; hint)
    ("source", "profiles/p.env:2:1: `source` without a path", "write `source common/base.env`"),
    (".", "profiles/p.env:2:1: `source` without a path", "write `source common/base.env`"),
    ("export", *EXPORT_ALONE),
    ("export ", *EXPORT_ALONE),
    ("export K", *EXPORT_ALONE),
    ("export K=1 L", "profiles/p.env:2:12: unquoted blank inside a value: bash would run the rest of the line as a "
                     "command", 'quote the value: KEY="a b" or KEY=\'a b\''),
    ("K=${", "profiles/p.env:2:3: unterminated ${", UNTERMINATED),
    ("K=${\\", "profiles/p.env:2:3: ${ without a variable name is not supported",
     "use ${NAME} with a valid variable name"),
    ("K=${S", "profiles/p.env:2:3: unterminated ${S", UNTERMINATED),
    ("K=${S\\\n", "profiles/p.env:2:3: unterminated ${S", UNTERMINATED),
    ("PASSWORD=${S", "profiles/p.env:2:10: unterminated ${…", UNTERMINATED),
    ("K=${S:-\\", "profiles/p.env:2:3: unterminated ${", UNTERMINATED),
    ('K="${S:-\\', "profiles/p.env:2:4: unterminated ${", UNTERMINATED),
    ('K="${S:-a\\', "profiles/p.env:2:4: unterminated ${", UNTERMINATED),
]


@pytest.mark.parametrize("line, message, hint", LAST_LINE_REFUSALS, ids=[readable_id(r[0]) for r in LAST_LINE_REFUSALS])
def test_a_refusal_on_the_last_line_without_a_newline(tmp_path, line, message, hint):
    assert refusal(tmp_path, line) == (message, hint)


def refusal_of_file(tmp_path, text: str) -> tuple[str, str]:
    """The refusal of profiles/p.env holding exactly `text`."""
    env = tmp_path / "environments" / "profiles"
    env.mkdir(parents=True, exist_ok=True)
    (env / "p.env").write_bytes(text.encode())
    with pytest.raises(EnvError) as err:
        compile_env(tmp_path, "p", environ={}, dynamic=DYN)
    return err.value.message, err.value.hint


def test_a_nul_byte_at_the_very_start_of_a_file(tmp_path):
    assert refusal_of_file(tmp_path, "\x00K=1\n") == ("profiles/p.env:1:1: NUL byte in the file",
                                                      "save the fragment as text without NUL bytes")


def test_a_file_with_a_nul_byte_is_reported_with_the_bad_lines_of_the_others(tmp_path):
    (tmp_path / "environments" / "common").mkdir(parents=True)
    (tmp_path / "environments" / "common" / "x.env").write_bytes(b"A=\x00\n")
    message, _ = refusal_of_file(tmp_path, "K+=1\nsource common/x.env\n")
    assert message.split("\n")[1:] == [
        "  profiles/p.env:1:2: `K+=` (append) is not supported  (write the whole value: KEY=VALUE)",
        "  common/x.env:1:3: NUL byte in the file  (save the fragment as text without NUL bytes)"]


def test_names_in_a_message_are_hidden_only_in_a_secrets_definition(tmp_path):
    """Outside any value (a `source` line), before or after a secret's definition, names are shown."""
    shown = ("profiles/p.env:1:8: ${RANDOM} is set by bash itself", "reference a variable of the config instead")
    assert refusal_of_file(tmp_path, "source ${RANDOM}/a.env\n") == shown
    message, _ = refusal_of_file(tmp_path, "PASSWORD='x'\nsource ${RANDOM}/a.env\n")
    assert message == "profiles/p.env:2:8: ${RANDOM} is set by bash itself"


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
    assert lines[1].startswith("  (--set): S: the value cannot be written")
    assert lines[2].startswith("  (--set): A: the value cannot")
    assert err.value.hint == "change those values, or mount them as files; nothing was written"


# Every construct the compiler refuses, on line 2 of a fragment whose line 3 is bad too: the
# place and construct, what to write instead, and whether the rest of the file is still read
# (after an unterminated quote or ${ everything that follows is inside it for bash: reporting
# the lines after would only be noise, so that refusal is the only one).
EVERY_REFUSAL = [  # (line 2, message, hint, nothing after it is reported)
    ('K=$(id)', 'profiles/p.env:2:3: $(...) would run a command; Symphony never executes config',
     'write the value itself; for a literal $ write \\$ or use single quotes', False),
    ('K=`id`', 'profiles/p.env:2:3: backticks would run a command; Symphony never executes config',
     'write the value itself (in single quotes for a literal backtick)', False),
    ('K=$[1+2]', 'profiles/p.env:2:3: $[...] is arithmetic in bash',
     'write the result, or quote the $', False),
    ("K=$'a\\nb'", "profiles/p.env:2:3: $'...' (ANSI-C quoting) is not supported",
     'write the characters themselves in quotes', False),
    ('K=$"x"', 'profiles/p.env:2:3: $"..." (locale translation) is not supported',
     'drop the $ before the quote', False),
    ('K=$$', 'profiles/p.env:2:3: $$ is a bash special parameter, not a variable',
     'for a literal $ write \\$ or use single quotes', False),
    ('K=pid$$x', 'profiles/p.env:2:6: $$ is a bash special parameter, not a variable',
     'for a literal $ write \\$ or use single quotes', False),
    ('K=$1', 'profiles/p.env:2:3: $1 is a bash special parameter, not a variable',
     'for a literal $ write \\$ or use single quotes', False),
    ('K=$@', 'profiles/p.env:2:3: $@ is a bash special parameter, not a variable',
     'for a literal $ write \\$ or use single quotes', False),
    ('K=${#S}', 'profiles/p.env:2:3: ${#…} (length) is not supported',
     'use ${NAME} with a valid variable name', False),
    ('K=${!S}', 'profiles/p.env:2:3: ${!…} (indirection) is not supported',
     'use ${NAME} with a valid variable name', False),
    ('K=${S:=x}', 'profiles/p.env:2:3: ${S:=…} assigns in bash; not supported',
     'write ${S:-…} instead', False),
    ('K=${S/a/b}', 'profiles/p.env:2:3: unsupported expansion ${S…}',
     'supported: ${V} ${V:-d} ${V-d} ${V:+a} ${V+a} ${V:?msg} ${V?msg}', False),
    ('K=~', 'profiles/p.env:2:3: an unquoted ~ here is replaced by a home directory in bash',
     "quote it ('~') or write the path itself", False),
    ('K=~/x', 'profiles/p.env:2:3: an unquoted ~ here is replaced by a home directory in bash',
     "quote it ('~') or write the path itself", False),
    ('K=a:~/x', 'profiles/p.env:2:5: an unquoted ~ here is replaced by a home directory in bash',
     "quote it ('~') or write the path itself", False),
    ('K=${UNSET:-~}', 'profiles/p.env:2:12: an unquoted ~ here is replaced by a home directory in bash',
     "quote it ('~') or write the path itself", False),
    ('K="${UNSET:-\'$S\'}"',
     'profiles/p.env:2:13: single quotes holding $, \\, ", ` or a newline inside "${…}"'
     ' (bash keeps the quotes and still expands)',
     "move the default out of the double quotes: KEY=${NAME:-'…'}", False),
    ('K=a;b', "profiles/p.env:2:4: an unquoted ';' is shell syntax in bash, not part of a value",
     'write the value in single quotes, or escape the character with a backslash', False),
    ('K=a&b', "profiles/p.env:2:4: an unquoted '&' is shell syntax in bash, not part of a value",
     'write the value in single quotes, or escape the character with a backslash', False),
    ('K=a|b', "profiles/p.env:2:4: an unquoted '|' is shell syntax in bash, not part of a value",
     'write the value in single quotes, or escape the character with a backslash', False),
    ('K=(a b)', "profiles/p.env:2:3: an unquoted '(' is shell syntax in bash, not part of a value",
     'write the value in single quotes, or escape the character with a backslash', False),
    ('K=a>b', "profiles/p.env:2:4: an unquoted '>' is shell syntax in bash, not part of a value",
     'write the value in single quotes, or escape the character with a backslash', False),
    ('K=two words',
     'profiles/p.env:2:7: unquoted blank inside a value:'
     ' bash would run the rest of the line as a command',
     'quote the value: KEY="a b" or KEY=\'a b\'', False),
    ('K=x rm -rf /',
     'profiles/p.env:2:5: unquoted blank inside a value:'
     ' bash would run the rest of the line as a command',
     'quote the value: KEY="a b" or KEY=\'a b\'', False),
    ('K+=x', 'profiles/p.env:2:2: `K+=` (append) is not supported',
     'write the whole value: KEY=VALUE', False),
    ('K[0]=x', 'profiles/p.env:2:2: `K[…]` (an array element) is not supported',
     'use a plain KEY=VALUE', False),
    ('_=x', 'profiles/p.env:2:1: _ is a variable bash sets itself; it would not read back as written',
     'rename the variable', False),
    ('UID=x', 'profiles/p.env:2:1: UID is a variable bash sets itself; it would not read back as written',
     'rename the variable', False),
    ('SHELLOPTS=x', 'profiles/p.env:2:1: SHELLOPTS is a variable bash sets itself; it would not read back as written',
     'rename the variable', False),
    ('RANDOM=x', 'profiles/p.env:2:1: RANDOM is a variable bash sets itself; it would not read back as written',
     'rename the variable', False),
    ('POSIXLY_CORRECT=1',
     'profiles/p.env:2:1: POSIXLY_CORRECT is a variable bash sets itself'
     '; it would not read back as written',
     'rename the variable', False),
    ('K=$RANDOM', 'profiles/p.env:2:3: $RANDOM is set by bash itself',
     'reference a variable of the config instead', False),
    ('K=${SECONDS}', 'profiles/p.env:2:3: ${SECONDS} is set by bash itself',
     'reference a variable of the config instead', False),
    ('export K', 'profiles/p.env:2:1: `export` without an assignment',
     'write `export KEY=VALUE`', False),
    ("K='open", 'profiles/p.env:2:3: unterminated single quote',
     'close the quote', True),
    ('K="open', 'profiles/p.env:2:3: unterminated double quote',
     'close the quote', True),
    ('K=${S', 'profiles/p.env:2:3: unterminated ${S',
     'close the reference with } on the same line', False),
    ('source $DIR/x.env', 'profiles/p.env:2:8: a sourced path must be written literally (no $)',
     'write the path relative to environments/', False),
    ('source a.env b.env', 'profiles/p.env:2:14: `source` takes exactly one path',
     'one `source PATH` per line', False),
    ('K=a\x00b', 'profiles/p.env:2:4: NUL byte in the file',
     'save the fragment as text without NUL bytes', True),
    ('K=${}', 'profiles/p.env:2:3: ${ without a variable name is not supported',
     'use ${NAME} with a valid variable name', False),
    ('K=${%x}', 'profiles/p.env:2:3: ${ without a variable name is not supported',
     'use ${NAME} with a valid variable name', False),
    ('K=${1}', 'profiles/p.env:2:3: ${1…} (a bash special parameter) is not supported',
     'use ${NAME} with a valid variable name', False),
    ('K=${#}', 'profiles/p.env:2:3: ${#…} (length) is not supported',
     'use ${NAME} with a valid variable name', False),
    ('K=${', 'profiles/p.env:2:3: ${ without a variable name is not supported',
     'use ${NAME} with a valid variable name', False),
    ('K="${S:-abc', 'profiles/p.env:2:4: unterminated ${',
     'close the reference with }', True),
    ('K=${S:-abc', 'profiles/p.env:2:3: unterminated ${',
     'close the reference with }', True),
    ('K="${S:-\'open}"', 'profiles/p.env:2:9: unterminated single quote inside "${…}"',
     'close the quote', True),
    ('K="${S:-a`b}"', 'profiles/p.env:2:10: backticks would run a command; Symphony never executes config',
     'escape it as \\` or use single quotes', False),
    ('K="${S:-\'a\\"b\'}"',
     'profiles/p.env:2:9: single quotes holding $, \\, ", ` or a newline inside "${…}"'
     ' (bash keeps the quotes and still expands)',
     "move the default out of the double quotes: KEY=${NAME:-'…'}", False),
    ('K="${S:-\'$x\'}"',
     'profiles/p.env:2:9: single quotes holding $, \\, ", ` or a newline inside "${…}"'
     ' (bash keeps the quotes and still expands)',
     "move the default out of the double quotes: KEY=${NAME:-'…'}", False),
    ('PASSWORD=${RANDOM}', 'profiles/p.env:2:10: ${…} is set by bash itself',
     'reference a variable of the config instead', False),
    ("K=$'x'", "profiles/p.env:2:3: $'...' (ANSI-C quoting) is not supported",
     'write the characters themselves in quotes', False),
    ('K=`', 'profiles/p.env:2:3: backticks would run a command; Symphony never executes config',
     'write the value itself (in single quotes for a literal backtick)', False),
    ('K="`"', 'profiles/p.env:2:4: backticks would run a command; Symphony never executes config',
     'escape it as \\` or use single quotes', False),
    ('K=(', "profiles/p.env:2:3: an unquoted '(' is shell syntax in bash, not part of a value",
     'write the value in single quotes, or escape the character with a backslash', False),
    ('K=~user', 'profiles/p.env:2:3: an unquoted ~ here is replaced by a home directory in bash',
     "quote it ('~') or write the path itself", False),
    ('K=$(', 'profiles/p.env:2:3: $(...) would run a command; Symphony never executes config',
     'write the value itself; for a literal $ write \\$ or use single quotes', False),
    ('PASSWORD=${S/x}', 'profiles/p.env:2:10: unsupported expansion ${……}',
     'supported: ${V} ${V:-d} ${V-d} ${V:+a} ${V+a} ${V:?msg} ${V?msg}', False),
    ('K="${S:-"open}"', 'profiles/p.env:2:4: unterminated ${',
     'close the reference with }', True),
    ('export', 'profiles/p.env:2:1: `export` without an assignment',
     'write `export KEY=VALUE`', False),
    ('export 1K=x', "profiles/p.env:2:8: bad variable name before '='",
     'names are ASCII letters, digits and _, and do not start with a digit', False),
    ('export K#c=1', "profiles/p.env:2:8: bad variable name before '='",   # (# inside a word starts no comment)
     'names are ASCII letters, digits and _, and do not start with a digit', False),
    ('export K#c', 'profiles/p.env:2:8: cannot parse this line',
     'expected KEY=VALUE, `export KEY=VALUE`, `source PATH` or a # comment', False),
    ('export K+=1', 'profiles/p.env:2:9: `K+=` (append) is not supported',
     'write the whole value: KEY=VALUE', False),
    ('export K L=1', 'profiles/p.env:2:1: `export` without an assignment', 'write `export KEY=VALUE`', False),
    ('export K\tL=1', 'profiles/p.env:2:1: `export` without an assignment', 'write `export KEY=VALUE`', False),
    ('export # c', 'profiles/p.env:2:1: `export` without an assignment', 'write `export KEY=VALUE`', False),
    ('@ x', 'profiles/p.env:2:1: cannot parse this line',
     'expected KEY=VALUE, `export KEY=VALUE`, `source PATH` or a # comment', False),
    ('.x', 'profiles/p.env:2:1: cannot parse this line',
     'expected KEY=VALUE, `export KEY=VALUE`, `source PATH` or a # comment', False),
    ('.', 'profiles/p.env:2:1: `source` without a path', 'write `source common/base.env`', False),
    ('source\ta.env b.env', 'profiles/p.env:2:14: `source` takes exactly one path',
     'one `source PATH` per line', False),
    ('K="${S:-"x', 'profiles/p.env:2:9: unterminated double quote', 'close the quote', True),
    ('K=a\x00b\x00c', 'profiles/p.env:2:4: NUL byte in the file', 'save the fragment as text without NUL bytes', True),
    ('K=${S}${S}' + '${U:-' * 65 + 'x' + '}' * 65, 'profiles/p.env:2:331: ${…} nested deeper than 64 levels',
     'simplify the value', True),
    ('K=1 2', 'profiles/p.env:2:5: unquoted blank inside a value: bash would run the rest of the line as a command',
     'quote the value: KEY="a b" or KEY=\'a b\'', False),
    ('K=1 L', 'profiles/p.env:2:5: unquoted blank inside a value: bash would run the rest of the line as a command',
     'quote the value: KEY="a b" or KEY=\'a b\'', False),
    ('. ', 'profiles/p.env:2:1: `source` without a path',
     'write `source common/base.env`', False),
    ('source', 'profiles/p.env:2:1: `source` without a path',
     'write `source common/base.env`', False),
    ('K="${S:=x}"', 'profiles/p.env:2:4: ${S:=…} assigns in bash; not supported',
     'write ${S:-…} instead', False),
    ('K=${S=x}', 'profiles/p.env:2:3: ${S=…} assigns in bash; not supported',
     'write ${S:-…} instead', False),
    ('K="${S:-${S"', 'profiles/p.env:2:9: unsupported expansion ${S…}',
     'supported: ${V} ${V:-d} ${V-d} ${V:+a} ${V+a} ${V:?msg} ${V?msg}', False),
    ('K=${S:-${S', 'profiles/p.env:2:8: unterminated ${S',
     'close the reference with } on the same line', False),
    ('K="$S"x"', 'profiles/p.env:2:8: unterminated double quote',
     'close the quote', True),
]


@pytest.mark.parametrize("line, message, hint, alone", EVERY_REFUSAL,
                         ids=[readable_id(r[0]) for r in EVERY_REFUSAL])
def test_every_refusal_with_its_fix_and_what_is_read_after_it(tmp_path, line, message, hint, alone):
    got, got_hint = refusal(tmp_path, line + "\nK+=1\n")
    if alone:
        assert (got, got_hint) == (message, hint)
    else:
        assert got.split("\n")[1:] == [f"  {message}  ({hint})",
                                       "  profiles/p.env:3:2: `K+=` (append) is not supported  (write the whole "
                                       "value: KEY=VALUE)"]
        assert got.startswith("2 bad lines in the config repo ")


@pytest.mark.parametrize("text, lines", [
    ("A=$(x) \\\nB=$(y)\nC=$(z)\n", [2, 4]),           # a backslash-newline continues the command
    ("A=$(x) 'a\nB=$(y)'\nC=$(z)\n", [2, 4]),          # a single-quoted word runs over the newline
    ('A=$(x) "a\\"\nB=$(y)"\nC=$(z)\n', [2, 4]),       # \\" inside double quotes does not close them
    ("A=$(x) # it's\nB=$(y)\n", [2, 3]),                # a comment ends at the newline, quote or not
    ("A=$(x) a#'b\nB=$(y)'\nC=$(z)\n", [2, 4]),        # a # inside a word starts no comment
    ("A=$(x);# it's\nB=$(y)\n", [2, 3]),                # after ; a # starts one
    ("A=$(x) 'open\nB=$(y)\n", [2]),                    # an unclosed quote runs to the end of the file
    ("A=$(x) \\a\nB=$(y)\n", [2, 3]),                   # a backslash escapes one character, not two
    ("A=$(x) 'a'\nB=$(y) 'b'\nC=$(z)\n", [2, 3, 4]),     # a quote closes at the next quote
    ("A=$(x) ''\nB=$(y)\n", [2, 3]),                     # '' is closed at once
    ('A=$(x) ""\nB=$(y)\n', [2, 3]),                     # and so is ""
    ('A=$(x) "\\a"\nB=$(y)\n', [2, 3]),                 # a backslash in double quotes escapes one
    ("A=$(x) X#'q\nB=$(y)'\nC=$(z)\n", [2, 4]),         # a # after a letter starts no comment
])
def test_after_a_refusal_reading_resumes_where_bash_reads_the_next_command(tmp_path, text, lines):
    """Where bash's next command starts (bash's quoting, backslash-newlines and comments: the lines
    skipped belong to the command that was refused), so the text of a quoted value is never read,
    and reported, as lines of its own."""
    import re

    with pytest.raises(EnvError) as err:
        compile_profile(tmp_path, text)
    found = [int(n) for n in re.findall(r"profiles/p\.env:(\d+):\d+:", err.value.message)]
    assert found == lines  # (compile_profile puts `S=yes` on line 1)
