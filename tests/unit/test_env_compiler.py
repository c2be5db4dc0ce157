"""The env compiler core: parsing, final-value resolution, errors with file:line."""
import pytest

from symphony.core.envcompiler import compile_env, render_env_file
from symphony.core.envcompiler.model import EnvError

DYN = {"DETECTED_IP": "10.1.2.3", "TAG": "latest", "CONFIG_REPO_PATH": "/cfg"}


def make(tmp_path, profile="p", **files):
    env = tmp_path / "environments"
    for rel, text in files.items():
        rel = rel.replace("__", "/")
        path = env / (rel[:-4] + ".env" if rel.endswith("_env") else rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
    return tmp_path


def comp(root, profile="p", **kw):
    return compile_env(root, profile, environ={}, dynamic=DYN, **kw)


def test_secrets_defined_last_still_fill_urls(tmp_path):
    root = make(tmp_path, profiles__p_env="source common/base.env\n",
                common__base_env="URL=postgres://${U}:${PW}@${HOST}:5432/db\nU=app\nHOST=postgres\n",
                common__secrets_env="PW=s3cret\n")
    assert comp(root).values["URL"] == "postgres://app:s3cret@postgres:5432/db"


def test_profile_override_changes_every_url_built_from_it(tmp_path):
    root = make(tmp_path, profiles__p_env="source common/base.env\nHOST=db.internal\n",
                common__base_env="HOST=postgres\nURL=pg://${HOST}/x\n")
    assert comp(root).values["URL"] == "pg://db.internal/x"


def test_names_with_digits_are_expanded(tmp_path):
    root = make(tmp_path, profiles__p_env="SVC1_HOST=a\nSVC12_PORT=8\nS3_URL=${SVC1_HOST}:$SVC12_PORT\n")
    assert comp(root).values["S3_URL"] == "a:8"


@pytest.mark.parametrize("raw,expected", [
    ("'a $b \"c\"'", 'a $b "c"'),
    ('"x \\" \\$y \\\\ z"', 'x " $y \\ z'),
    ("9091 # metrics port", "9091"),
    ("a#b", "a#b"),
    ('"v # not a comment"', "v # not a comment"),
    ("'$HOME'", "$HOME"),
    ("%2f@?", "%2f@?"),
    ("${UNSET:-dflt}", "dflt"),
    ("${EMPTY:-dflt}", "dflt"),
    ("${EMPTY-dflt}", ""),
    ("${SET:+alt}", "alt"),
    ("${EMPTY:+alt}", ""),
    ("${EMPTY+alt}", "alt"),
    ("${UNSET+alt}", ""),
    ("${UNSET:-${SET}-x}", "yes-x"),
    ("", ""),
    ("pre'lit $x'\"$SET\"", "prelit $xyes"),
])
def test_value_syntax(tmp_path, raw, expected):
    root = make(tmp_path, profiles__p_env=f"SET=yes\nEMPTY=\nexport K={raw}\n")
    assert comp(root).values["K"] == expected


def test_crlf_and_bom_are_tolerated(tmp_path):
    root = make(tmp_path, profiles__p_env=b"\xef\xbb\xbfA=1\r\nB='x y'\r\n# c\r\n")
    assert comp(root).values["A"] == "1" and comp(root).values["B"] == "x y"


def test_set_overrides_win_and_dynamic_values(tmp_path):
    root = make(tmp_path, profiles__p_env="HOST=a\nURL=http://${HOST}/${TAG}\nIP=${DETECTED_IP}\n")
    c = compile_env(root, "p", overrides={"HOST": "b"}, environ={"TAG": "1.2"}, dynamic=DYN)
    assert c.values["URL"] == "http://b/1.2" and c.values["IP"] == "10.1.2.3"


def host_default_route_addresses() -> set[str]:
    """The IPv4 addresses of the interface the host's default route leaves by (from `ip`,
    independent of the compiler's socket trick), or {"127.0.0.1"} without a default route."""
    import shutil
    import subprocess

    if not shutil.which("ip"):
        pytest.skip("iproute2 `ip` is not installed")
    route = subprocess.run(["ip", "-4", "route", "show", "default"], capture_output=True, text=True).stdout.split()
    if "dev" not in route:
        return {"127.0.0.1"}
    dev = route[route.index("dev") + 1]
    if "src" in route:
        return {route[route.index("src") + 1]}
    addrs = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", dev], capture_output=True, text=True).stdout
    return {line.split()[3].split("/")[0] for line in addrs.splitlines() if len(line.split()) > 3}


def test_detected_ip_is_the_address_of_the_default_route():
    from symphony.core.envcompiler.dynamic import detect_ip

    assert detect_ip() in host_default_route_addresses()


def expect_error(root, *fragments):
    with pytest.raises(EnvError) as err:
        comp(root)
    text = err.value.render()
    for f in fragments:
        assert f in text, text
    return text


def test_missing_profile(tmp_path):
    root = make(tmp_path, profiles__dev_env="A=1\n")
    expect_error(root, "profile 'p'", "profiles in this config repo: dev")


def test_every_bad_line_of_every_fragment_is_reported_at_once(tmp_path):
    root = make(tmp_path, profiles__p_env='A=1\nB=x$(id)\nsource common/base.env\n',
                common__base_env='C=2\nTHIS IS BAD\n1X=3\nD="open\nE=1\n')
    text = expect_error(root, "4 bad lines", "profiles/p.env:2:4: $(...) would run a command",
                        "common/base.env:2:1: cannot parse this line", "common/base.env:3:1: bad variable name",
                        "common/base.env:4:3: unterminated double quote")
    assert text.count("\n  hint:") == 1
    assert "THIS" not in text and "1X" not in text  # fragment text is never echoed: it may be a secret


def test_missing_fragment(tmp_path):
    root = make(tmp_path, profiles__p_env="A=1\nsource common/nope.env\n")
    expect_error(root, "profiles/p.env:2", "common/nope.env does not exist")


def test_include_cycle(tmp_path):
    root = make(tmp_path, profiles__p_env="source a.env\n", a_env="source b.env\n", b_env="source a.env\n")
    expect_error(root, "b.env:1", "include cycle: a.env -> b.env -> a.env")


def test_reference_cycle_prints_chain_with_places(tmp_path):
    root = make(tmp_path, profiles__p_env="A=${B}\nB=x${C}\nC=$A\n")
    expect_error(root, "A -> B -> C -> A", "A at profiles/p.env:1", "C at profiles/p.env:3")


def test_undefined_reference(tmp_path):
    root = make(tmp_path, profiles__p_env="A=1\nB=${NOPE}\n")
    expect_error(root, "profiles/p.env:2", "undefined variable NOPE")
    assert comp(root, strict=False).values["B"] == ""


def test_required_message(tmp_path):
    root = make(tmp_path, profiles__p_env="B=${NOPE:?set the db password}\n")
    expect_error(root, "profiles/p.env:1", "set the db password")


@pytest.mark.parametrize("line,needle", [
    ("A=$(rm -rf /)", "never executes"),
    ("A=`id`", "backticks"),
    ('A="x`id`"', "backticks"),
    ("A='open", "unterminated single quote"),
    ('A="open', "unterminated double quote"),
    ("1BAD=x", "bad variable name"),
    ("A-B=x", "bad variable name"),
    ("A=two words", "unquoted blank"),
    ("just garbage", "cannot parse"),
    ("A=${B", "unterminated"),
    ("A=$1", "special parameter"),
])
def test_bad_lines_name_file_and_line(tmp_path, line, needle):
    root = make(tmp_path, profiles__p_env=f"OK=1\n{line}\n")
    expect_error(root, "profiles/p.env:2", needle)


def test_garbage_in_secrets_env(tmp_path):
    root = make(tmp_path, profiles__p_env="A=1\n", common__secrets_env="PW=ok\n\x00\x01 garbage here\n")
    expect_error(root, "common/secrets.env:2")


def test_non_utf8_fragment(tmp_path):
    root = make(tmp_path, profiles__p_env=b"A=\xff\xfe\n")
    expect_error(root, "profiles/p.env", "UTF-8")


def test_output_is_deterministic_and_grouped(tmp_path):
    root = make(tmp_path, profiles__p_env="source common/base.env\nB=2\n", common__base_env="A=1\n")
    text1 = render_env_file(comp(root), source_label="x")
    text2 = render_env_file(comp(root), source_label="x")
    assert text1 == text2
    assert "# --- from common/base.env\nA='1'" in text1 and "# --- from profiles/p.env\nB='2'" in text1


def test_unwritable_value_names_the_key(tmp_path):
    root = make(tmp_path, profiles__p_env="A=ok\n")
    c = compile_env(root, "p", overrides={"BAD": "it's $x"}, environ={}, dynamic=DYN)
    with pytest.raises(EnvError) as err:
        render_env_file(c, source_label="x")
    assert err.value.message.startswith("(--set): BAD:")  # where the value came from, then the key


def test_a_fragment_sourced_twice_does_not_undo_an_override(tmp_path):
    root = make(tmp_path, profiles__p_env="source common/base.env\nHOST=override\nsource services/a.env\n",
                common__base_env="HOST=base\n", services__a_env="source common/base.env\nA_URL=http://${HOST}/\n")
    compiled = comp(root)
    assert compiled.values["HOST"] == "override" and compiled.values["A_URL"] == "http://override/"
    assert any("sourced again" in w for w in compiled.warnings)


def test_tag_from_the_environment_is_a_default_the_config_can_set(tmp_path):
    root = make(tmp_path, profiles__p_env="IMAGE=app:${TAG}\n")
    assert compile_env(root, "p", environ={"TAG": "1.2"}, dynamic=DYN).values["IMAGE"] == "app:1.2"
    root = make(tmp_path, profiles__p_env="TAG=2.0\nIMAGE=app:${TAG}\n")
    compiled = compile_env(root, "p", environ={"TAG": "1.2"}, dynamic=DYN)
    assert compiled.values["IMAGE"] == "app:2.0"
    assert any("TAG from your environment is ignored" in w and "profiles/p.env:1" in w for w in compiled.warnings)
    compiled = compile_env(root, "p", environ={"TAG": "1.2"}, dynamic=DYN, overrides={"TAG": "3"})
    assert compiled.values["IMAGE"] == "app:3"


def test_required_message_never_expands_references(tmp_path):
    root = make(tmp_path, profiles__p_env="B=${NOPE:?db password is ${DB_PASSWORD}}\n",
                common__secrets_env="DB_PASSWORD=canary-pw-31337\n")
    text = expect_error(root, "profiles/p.env:1", "NOPE: db password is ${DB_PASSWORD}")
    assert "canary-pw-31337" not in text


def test_secret_classification_of_the_compiled_env(tmp_path):
    root = make(tmp_path, profiles__p_env="source common/base.env\n",
                common__base_env="DB_URL=pg://app:${DB_PASSWD}@db/x\nUSE_TLS=${TLS_TOKEN:+yes}\nTLS_KEY_PATH=/k\n"
                                 "PLAIN=hello\nCOPY=${PLAIN}\nRAW_URL=amqp://u:p4ss@mq/\n",
                common__secrets_env="DB_PASSWD=pw-canary-1\nTLS_TOKEN=tok-canary-2\nODD_NAME=odd-canary-3\n")
    secrets = comp(root).secrets
    assert secrets["DB_PASSWD"] == "defined in a secrets fragment"
    assert secrets["ODD_NAME"] == "defined in a secrets fragment"  # any key of secrets.env
    assert secrets["DB_URL"] == "built from a secret"
    assert secrets["RAW_URL"] == "URL with credentials"
    for key in ("USE_TLS", "TLS_KEY_PATH", "PLAIN", "COPY"):  # ${S:+yes} copies nothing of S
        assert key not in secrets


def test_without_a_route_the_detected_ip_is_loopback():
    """In a network namespace of its own (no interface up, no route), as on a machine offline."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if not shutil.which("unshare") or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        pytest.skip("cannot make a network namespace here (unshare -n)")
    from symphony.core.envcompiler.dynamic import detect_ip

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(["unshare", "-n", sys.executable, "-c",
                          "from symphony.core.envcompiler.dynamic import detect_ip; print(detect_ip())"],
                         cwd=root, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "127.0.0.1"
    assert detect_ip() in host_default_route_addresses()     # and here, with the host's routes, the route's


def test_the_values_symphony_computes(tmp_path):
    from symphony.core.envcompiler.dynamic import detect_ip

    real = tmp_path / "real"
    make(real, profiles__p_env="IMAGE=app:${TAG}\nWHERE=${CONFIG_REPO_PATH}\nIP=${DETECTED_IP}\n")
    (tmp_path / "link").symlink_to(real)
    values = compile_env(tmp_path / "link", "p", environ={}).values
    assert values["IMAGE"] == "app:latest"
    assert values["WHERE"] == str(real.resolve())          # the config repo itself, not the link to it
    assert values["IP"] == detect_ip()


def test_the_values_to_mask_include_overridden_secrets_but_not_what_surrounds_one(tmp_path):
    root = make(tmp_path, profiles__p_env="source common/base.env\nDB_PASSWORD=new-pass\n",
                common__base_env="DB_URL=pg://app:${DB_PASSWORD}@db/x\nDB_PASSWORD=old-pass\n"
                                 "RAW=amqp://u:p4ss@mq/\nPLAIN=hello\nPREFIX=pre\nAPI_KEY=${PREFIX}-k3y\n",
                common__secrets_env="ODD=odd-value\nEMPTY_ONE=\n")
    masked = comp(root).secret_values()
    # a rotated-away password is still masked wherever it turns up (old logs, old files)
    assert {"new-pass", "old-pass", "pg://app:new-pass@db/x", "amqp://u:p4ss@mq/", "odd-value", "pre-k3y",
            "-k3y"} <= set(masked)
    # the text around a secret in a value built from it is no secret: masking it would blank out every "@db/x"
    assert not {"pg://app:", "@db/x", "hello", ""} & set(masked)


def test_the_generated_file_says_what_it_is_and_bash_reads_only_values(tmp_path):
    import os
    import subprocess

    root = make(tmp_path, profiles__p_env="source common/base.env\nB=2\n", common__base_env="A=1\n")
    text = render_env_file(comp(root), source_label="git@host:cfg.git\nrm -rf /", commit="0123abc")
    assert text.split("\n")[:5] == [
        "# Generated by Symphony `inv env.generate` - do not edit; change the config repo and regenerate.",
        "# Read it with bash (set -a; source), docker compose --env-file, or python-dotenv with interpolate=False.",
        "# profile: p",
        "# source:  git@host:cfg.git rm -rf / @ 0123abc",   # a newline in the label cannot start a command line
        "# mode 0600: this file holds secrets.",
    ]
    assert "\n\n# --- from common/base.env\nA='1'\n\n# --- from profiles/p.env\nB='2'\n" in text
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert render_env_file(comp(root), source_label="local").split("\n")[3] == "# source:  local"
    path = tmp_path / "out.env"
    path.write_text(text)
    res = subprocess.run(["bash", "-c", 'set -a; source "$1"; printf "%s" "$A$B"', "bash", str(path)],
                         capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
    assert res.stderr == "" and res.stdout == "12"


def test_the_one_step_line_readers_give_what_the_full_parser_gives(monkeypatch):
    """The one-step line reader is an optimisation only: every line it takes (blank, comment,
    KEY=plain, KEY="${A}:${B}", `source PATH`) parses to the same entry through the general parser."""
    import re

    import symphony.core.envcompiler.parse as parse_module

    text = ('A="${H}:${P}"\nB=http://${H}:${P}/api # c\nC="a b ; ${X} ~ #"\nD=${Y}\nE="${Z}" # x\nF=""\n'
            'G=plain\nexport H="${A}x"\nI=${A}${B}\nJ="$"\nK=a${B}#c\nL="${A:-d}"\nM="\\$X"\nN=\n'
            'source common/a.env\n. b.env # c\nsource c#d.env\n  # indented comment\nO=1 # c\nP="" ')
    fast = parse_module.parse_fragment(text, "t.env")
    # only blank lines and comments stay on the fast path: every definition takes the general one
    monkeypatch.setattr(parse_module, "_FAST_LINE", re.compile(r"[ \t]*(?:#[^\n]*)?(?=\n|\Z)"))
    assert parse_module.parse_fragment(text, "t.env") == fast


def test_the_one_step_line_reader_agrees_with_the_full_parser_on_random_lines(monkeypatch):
    """Lines built from the characters that change how bash reads a line (quotes, $, #, blanks,
    backslashes, metacharacters, `source`/`.`/`export` words): the one-step reader either leaves a
    line to the full parser or reads it exactly as the full parser does, refusals included."""
    import random
    import re

    import symphony.core.envcompiler.parse as parse_module

    pieces = ["A", "B_1", "x", "=", "==", '"', "'", "${A}", "${B_1}", "$", "$A", "#", " # c", " ", "\t", "\\",
              "~", ";", "*", "{", "}", "(", ":", "/", ".", "é", "\r", "export ", "source ", ". ", "RANDOM",
              "${RANDOM}", "-", "a.env", "common/b.env"]
    rng = random.Random(12)
    lines = []
    for _ in range(3000):
        start = rng.choice(["A=", "export B_1=", "source ", ". ", "", "  ", "#", "RANDOM="])
        lines.append(start + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))))

    def read(text):
        problems: list = []
        entries = parse_module.parse_fragment(text, "t.env", problems)
        return entries, [p.message for p in problems]

    fast = [read(line + "\n") for line in lines]
    monkeypatch.setattr(parse_module, "_FAST_LINE", re.compile(r"[ \t]*(?:#[^\n]*)?(?=\n|\Z)"))
    full = [read(line + "\n") for line in lines]
    differing = [(line, f, g) for line, f, g in zip(lines, fast, full, strict=True) if f != g]
    assert not differing, differing[:3]
    assert sum(1 for entries, _ in fast if entries) > 500  # the lines do exercise definitions and sources


def test_a_compiled_env_shown_in_a_traceback_or_log_names_no_value(tmp_path):
    """repr(CompiledEnv) is what a debugger, a log line or pytest's assertion rewriting prints."""
    root = make(tmp_path, profiles__p_env="HOST=canary-host-4711\nsource common/secrets.env\n",
                common__secrets_env="DB_PASSWORD=canary-pw-0815\n")
    shown = repr(comp(root))
    assert "canary-pw-0815" not in shown and "canary-host-4711" not in shown
    assert "'p'" in shown and "values" in shown  # still says which profile it is


def test_the_generated_file_names_its_secret_keys_and_only_those(tmp_path):
    """env.diff and logs read later which keys were secret when the file was written (the config may
    have moved on); names only, in the order they are written, after the header."""
    root = make(tmp_path, profiles__p_env="A=1\nDB_PASSWORD=pw\nURL=pg://u:${DB_PASSWORD}@h\n",
                common__secrets_env="ODD=x\n")
    lines = render_env_file(comp(root), source_label="local").split("\n")
    assert lines[5] == "# secret keys: DB_PASSWORD URL ODD"
    plain = make(tmp_path / "plain", profiles__p_env="A=1\n")
    written = render_env_file(comp(plain), source_label="x").split("\n")
    assert not any(line.startswith("# secret keys:") for line in written)
