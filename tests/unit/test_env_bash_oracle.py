"""The env compiler reads a fragment the way bash does: bash itself is the oracle.

Every accepted fragment is also sourced by `bash -c 'set -a; source …'` (clean environment,
HOME set to a marker, in a temp dir) and every value must be the one bash ends with. A refused
fragment must name file:line:column and the construct. Bash runs only fragments the compiler
accepted, i.e. ones that (by the compiler's own guarantee) execute nothing.
"""
import os
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symphony.core.envcompiler import compile_env
from symphony.core.envcompiler.model import EnvError

DYN = {"DETECTED_IP": "10.1.2.3", "TAG": "latest", "CONFIG_REPO_PATH": "/cfg"}
HOME = "/home/oracle-home"


def bash_reads(env_dir, keys) -> dict:
    """What bash has for `keys` after `set -a; source profiles/p.env` (None: unset)."""
    script = ('set -a; source profiles/p.env; '
              'for k in "$@"; do if [ -n "${!k+x}" ]; then printf "1%s\\0" "${!k}"; else printf "0\\0"; fi; done')
    res = subprocess.run(["bash", "-c", script, "bash", *keys], cwd=env_dir, capture_output=True, timeout=20,
                         stdin=subprocess.DEVNULL,
                         env={"PATH": os.environ["PATH"], "HOME": HOME, "LC_ALL": "C.UTF-8"})
    assert not res.stderr, res.stderr.decode(errors="replace")
    fields = res.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]
    return {k: (f[1:] if f[0] == "1" else None) for k, f in zip(keys, fields, strict=True)}


def compile_text(root, text: str):
    env = root / "environments" / "profiles"
    env.mkdir(parents=True, exist_ok=True)
    (env / "p.env").write_bytes(text.encode("utf-8"))
    return compile_env(root, "p", environ={}, dynamic=DYN, strict=False)


def same_as_bash(root, text: str) -> dict:
    compiled = compile_text(root, text)
    keys = [k for k in compiled.values if k not in DYN]
    got = {k: compiled.values[k] for k in keys}
    assert got == bash_reads(root / "environments", keys), text
    return got


def readable_id(text: str) -> str:
    """A test id without escapes (a backslash, a control or non-ASCII character shows as ?): pytest
    escapes those in ids, and an escaped id is not found again by a second run in the same process
    (mutmut runs each mutant's tests by id that way)."""
    return "".join(c if " " <= c <= "~" and c != "\\" else "?" for c in text)


# Each case: the fragment, then what bash (and so the compiler) gives for K.
CASES = [
    ("K=abc\\ \n", "abc "),                       # an escaped trailing blank is kept
    ("K=abc\\\ndef\n", "abcdef"),                 # a trailing backslash joins lines
    ('K="ab\\\ncd"\n', "abcd"),
    ("K='ab\\\ncd'\n", "ab\\\ncd"),               # ... but not inside single quotes
    ('K="line1\nline2"\n', "line1\nline2"),      # quotes span lines
    ("K='a\n#not a comment'\n", "a\n#not a comment"),
    ("K=x\u00a0\n", "x\u00a0"),                   # NBSP is not a blank for bash
    ("K=x\x0c\n", "x\x0c"),                       # nor is a form feed
    ("K=x\x0b\n", "x\x0b"),
    ('K="${UNSET:-\'x y\'}"\n', "'x y'"),         # bash keeps single quotes inside "${…}"
    ("K=${UNSET:-'x y'}\n", "x y"),
    ('K="${UNSET:-"x y"}"\n', "x y"),
    ("K=${UNSET:-a b}\n", "a b"),
    ("K=${UNSET:-a #b}\n", "a #b"),
    ('K="${UNSET:-a\\}b}"\n', "a}b"),
    ('K="${UNSET:-a\\b}"\n', "a\\b"),
    ("K=${UNSET:-a\\b}\n", "ab"),
    ("K=${UNSET-dflt}\n", "dflt"),
    ("E=\nK=${E-dflt}\n", ""),
    ("V=set\nK=${V:?must be set}\n", "set"),      # :? with V set is V
    ("V=set\nK=${V?must be set}\n", "set"),
    ("K=5$\n", "5$"),                             # a lone $ stays
    ("K=$\n", "$"),
    ('K="$"\n', "$"),
    ("K=pa$%word\n", "pa$%word"),
    ("K=secret$\n", "secret$"),
    ('K="it\'s 5$"\n', "it's 5$"),
    ("K=a$/b\n", "a$/b"),
    ('K="a$ b"\n', "a$ b"),
    ("K=\\~\n", "~"),
    ("K=a~\n", "a~"),
    ('K="~"\n', "~"),
    ("K=a#b\n", "a#b"),
    ("K=x #comment\n", "x"),
    ("K=x\\\n#c\n", "x#c"),
    ("K=a\\;b\n", "a;b"),
    ("K=${UNSET:-(x)}\n", "(x)"),
    ("K='${S}'\"$S\"\n", "${S}yes"),
    ("export \\\nK=1\n", "1"),
    ("K=1 L=2\n", "1"),
    ("\\\nK=1\n", "1"),
    ("K=\\\n", ""),
    ("K=x\\\\\n", "x\\"),
    ('K="a\\\'b"\n', "a\\'b"),
    ('K="${UNSET:-a\\\'b}"\n', "a\\'b"),
    ("K=${UNSET:-${UNSET2:-'q w'}}\n", "q w"),
    ('K="${UNSET:-\\`}"\n', "`"),
    ("K=\n", ""),
    ("K=''\n", ""),
    ("K=x\\", "x\\"),                               # a backslash at the very end of the file
    # the word of ${V op word} inside double quotes: expansions, escapes, quotes bash keeps
    ('K="${UNSET:-$S}"\n', "yes"),
    ('K="${UNSET:-${S}x}"\n', "yesx"),
    ('K="${UNSET:-${UNSET2:-$S}}"\n', "yes"),
    ('K="${UNSET:-a\\"b}"\n', 'a"b'),
    ('K="${UNSET:-a\\$b}"\n', "a$b"),
    ('K="${UNSET:-a\\\\b}"\n', "a\\b"),
    ('K="${UNSET:-a\\\nb}"\n', "ab"),
    ('K="${UNSET:-$}"\n', "$"),
    ('K="${S:+"$S-x"}"\n', "yes-x"),
    ("K=\"${S:+'q'}\"\n", "'q'"),
    ('K="${UNSET-x y}"\n', "x y"),
    ('K="a${S}b$S"\n', "ayesbyes"),
    ('K="$S$"\n', "yes$"),
    ('K="a\\`b"\n', "a`b"),
    ('K="a\\\\"\n', "a\\"),
    # the word of ${V op word} unquoted
    ('K=${UNSET:-"a b"c}\n', "a bc"),
    ("K=${UNSET:-a\\ b}\n", "a b"),
    ("K=${UNSET:-$S}\n", "yes"),
    ("K=${UNSET:-${UNSET2-z}}\n", "z"),
    ("K=${UNSET:-'$S'}\n", "$S"),
    ("K=${S:+a:b}\n", "a:b"),
    # several assignments and their separators
    ("export K=1 L=2\n", "1"),
    ("K=1\tL=2\n", "1"),
    ("K=1 # c\n", "1"),
    ("K=a\\\nb\n", "ab"),
    ("export\tK=1\n", "1"),
    ("export\tK='1'\n", "1"),
    ("K=${S}${S}\n", "yesyes"),
    ('K="x"\'y\'z\n', "xyz"),
    # a value at the very end of the file, continuation lines and comments around statements
    ("K=x\\y", "xy"),
    ("K='x'", "x"),
    ("K='x' # c", "x"),
    ("K='x' \\\n# c\n", "x"),
    ("K=1\n\\\n", "1"),
    ("\\\n\nK=1\n", "1"),
    ("\\\n# c\nK=1\n", "1"),
    (" \\\n#c\nK=1\n", "1"),
    # where an unquoted ~ is a home directory: at the start and after ':' only
    ("K=a}~\n", "a}~"),
    ("K=a:'x'~\n", "a:x~"),
    ("K=a:\\~\n", "a:~"),
    # $' opens nothing inside double quotes; single quotes bash keeps inside "${…}"
    ('K="a$\'b"\n', "a$'b"),
    ("K=\"${UNSET:-'a'$S'b'}\"\n", "'a'yes'b'"),
    ('K="${UNSET:-\'\'}"\n', "''"),
    ('K="${UNSET:-"a"\'x\'}"\n', "a'x'"),
    ('K="${UNSET:-\'X\'}"\n', "'X'"),
    # inside ${…} a quoted or escaped <( is text, and so is a < or > that opens nothing
    ("K=${UNSET-\\<(}\n", "<("),
    ('K=${UNSET-"<("}\n', "<("),
    ("K=${UNSET-'>('}\n", ">("),
    ("K=${UNSET-<x>}\n", "<x>"),
    ('K="${UNSET-a<b>c}"\n', "a<b>c"),
    ('K="${UNSET-\\<(}"\n', "\\<("),
    # bash joins a backslash-newline before it reads the operator
    ("K=${UNSET:\\\n-d}\n", "d"),
    ("K=${S:\\\n\\\n+a}\n", "a"),
    ('K="${UNSET:\\\n-d}"\n', "d"),
    # ${…} nested as deep as the parser goes (64 levels), after references that came back out
    ("K=${S}${S}" + "${UNSET:-" * 64 + "x" + "}" * 64 + "\n", "yesyesx"),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[readable_id(c[0])[:40] for c in CASES])
def test_values_are_what_bash_reads(tmp_path, text, expected):
    got = same_as_bash(tmp_path, "S=yes\n" + text)
    assert got["K"] == expected


def test_plus_checks_only_whether_defined_no_false_cycle(tmp_path):
    """`${X+w}` never reads X's value, so X=${Y}, Y=${X+w} is no cycle (bash: Y=w, X=w)."""
    got = same_as_bash(tmp_path, "X=defined\nY=${X+w}\nX=${Y}\n")
    assert got == {"X": "w", "Y": "w"}


def test_secrets_defined_after_use_fill_values_unlike_a_plain_bash_run(tmp_path):
    """The one documented difference in evaluation order: a reference resolves against the final
    value of what it names (secrets.env is read last). Bash agrees once the order is natural."""
    compiled = compile_text(tmp_path, "URL=db://u:${PW}@h\nPW=s3cret\n")
    assert compiled.values["URL"] == "db://u:s3cret@h"
    same_as_bash(tmp_path, "PW=s3cret\nURL=db://u:${PW}@h\n")


REFUSED = [
    ("K=$(id)", "$(...) would run a command"),
    ("K=`id`", "backticks"),
    ("K=$[1+2]", "$[...] is arithmetic"),
    ("K=$'a\\nb'", "$'...' (ANSI-C quoting)"),
    ('K=$"x"', '$"..." (locale translation)'),
    ("K=$$", "$$ is a bash special parameter"),
    ("K=pid$$x", "$$ is a bash special parameter"),
    ("K=$1", "$1 is a bash special parameter"),
    ("K=$@", "$@ is a bash special parameter"),
    ("K=${#S}", "${#…} (length)"),
    ("K=${!S}", "${!…} (indirection)"),
    ("K=${S:=x}", "assigns in bash"),
    ("K=${S/a/b}", "unsupported expansion ${S…}"),
    ("K=${UNSET-<(id)}", "process substitution"),   # bash runs id
    ("K=${UNSET->(id)}", "process substitution"),
    ("K=${UNSET-a<(id)b}", "process substitution"),
    ("K=${S:+<(id)}", "process substitution"),
    ("K=${UNSET-${UNSET-<(id)}}", "process substitution"),
    ("K=${UNSET-<\\\n(id)}", "process substitution"),
    ('K="${UNSET-<(id)}"', "process substitution"),  # bash parses it (an unclosed one is its syntax error)
    ("K=${UNSET-<(}", "process substitution"),         # bash: syntax error
    ("PIPESTATUS=5", "PIPESTATUS is a variable bash sets itself"),
    ("SHLVL=5", "SHLVL is a variable bash sets itself"),
    ("K=~", "unquoted ~"),
    ("K=~/x", "unquoted ~"),
    ("K=a:~/x", "unquoted ~"),
    ("K=${UNSET:-~}", "unquoted ~"),
    ('K="${UNSET:-\'$S\'}"', "single quotes holding $"),
    ("K=a;b", "unquoted ';'"),
    ("K=a&b", "unquoted '&'"),
    ("K=a|b", "unquoted '|'"),
    ("K=(a b)", "unquoted '('"),
    ("K=a>b", "unquoted '>'"),
    ("K=two words", "unquoted blank"),
    ("K=x rm -rf /", "unquoted blank"),
    ("K+=x", "`K+=` (append)"),
    ("K[0]=x", "an array element"),
    ("_=x", "_ is a variable bash sets itself"),
    ("UID=x", "UID is a variable bash sets itself"),
    ("SHELLOPTS=x", "SHELLOPTS is a variable bash sets itself"),
    ("RANDOM=x", "RANDOM is a variable bash sets itself"),
    ("POSIXLY_CORRECT=1", "POSIXLY_CORRECT is a variable bash sets itself"),
    ("K=$RANDOM", "$RANDOM is set by bash itself"),
    ("K=${SECONDS}", "${SECONDS} is set by bash itself"),
    ("export K", "`export` without an assignment"),
    ("K='open", "unterminated single quote"),
    ('K="open', "unterminated double quote"),
    ("K=${S", "unterminated ${S"),
    ("source $DIR/x.env", "a sourced path must be written literally"),
    ("source a.env b.env", "`source` takes exactly one path"),
    ("K=a\x00b", "NUL byte"),
]


@pytest.mark.parametrize("line,needle", REFUSED, ids=[readable_id(r[0]) for r in REFUSED])
def test_constructs_bash_reads_otherwise_are_refused_by_name(tmp_path, line, needle):
    with pytest.raises(EnvError) as err:
        compile_text(tmp_path, f"S=yes\n{line}\n")
    assert needle in err.value.message and "profiles/p.env:2:" in err.value.message


def test_set_refuses_names_bash_sets(tmp_path):
    compile_text(tmp_path, "A=1\n")
    with pytest.raises(EnvError, match="bash sets itself"):
        compile_env(tmp_path, "p", environ={}, dynamic=DYN, overrides={"UID": "1"})


# Fragments made of the pieces that matter to bash's reader, at random.
PIECES = ["a", "b", "1", " ", "\t", "\n", ";", "&", "|", "<", ">", "(", ")", "'", '"', "\\", "$", "{", "}", ":",
          "-", "+", "?", "=", "#", "~", "/",
          "%", "@", "*", "[", "]", ",", ".", "^", "\u00a0", "\x0c", "é", "S", "E", "U", "_",
          "${S", "${U", "${E", ":-", ":+", "$S", "$U", "\\\n", "'x y'", '"x y"', "${U:-", "}"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map("".join))
def test_random_fragments_are_read_as_bash_reads_them_or_refused(tmp_path, body):
    text = f"S=yes\nE=\nK={body}\nZ=end\n"
    try:
        compiled = compile_text(tmp_path, text)
    except EnvError as exc:
        assert "profiles/p.env:" in exc.message and "Traceback" not in exc.message, exc.message
        return
    keys = ["S", "E", "K", "Z"] + [k for k in compiled.values if k not in DYN and k not in ("S", "E", "K", "Z")]
    assert {k: compiled.values.get(k) for k in keys} == bash_reads(tmp_path / "environments", keys), text


@pytest.mark.parametrize("line", [
    "source common/x.env", ". common/x.env", "source common/x.env # the shared part", 'source "common"/\'x.env\'',
])
def test_a_source_line_is_read_as_bash_reads_it(tmp_path, line):
    common = tmp_path / "environments" / "common"
    common.mkdir(parents=True)
    (common / "x.env").write_text("FROM_X=x\n")
    got = same_as_bash(tmp_path, f"S=yes\n{line}\nAFTER=1\n")
    assert got == {"S": "yes", "FROM_X": "x", "AFTER": "1"}
    assert same_as_bash(tmp_path, f"S=yes\n{line}") == {"S": "yes", "FROM_X": "x"}   # the last line, no newline


def test_names_split_by_a_backslash_newline_are_one_name(tmp_path):
    got = same_as_bash(tmp_path, "S=yes\nAB\\\nC=1\nK=$AB\\\nC-${S\\\n}\nexport \\\nL=2 M\\\n=3\n")
    assert got == {"S": "yes", "ABC": "1", "K": "1-yes", "L": "2", "M": "3"}
