"""Reading a profile's fragments (README: Configuration): what is read, in which order, what is
refused and what the refusal says (which file, which line, what to do); and what env.explain /
env.show present of the result: every definition of a key with its place, the references, the
values Symphony adds (dynamic, TAG from the environment, --set)."""
import os
import stat

import pytest

from symphony.core.envcompiler import compile_env
from symphony.core.envcompiler.compile import MAX_FRAGMENT_BYTES, MAX_SOURCE_DEPTH, MAX_TOTAL_CHARS, MAX_VALUE_CHARS
from symphony.core.envcompiler.model import Definition, EnvError, Lit, Ref

DYN = {"DETECTED_IP": "10.1.2.3", "TAG": "latest", "CONFIG_REPO_PATH": "/cfg"}
LIMIT = f"{MAX_FRAGMENT_BYTES:,}"  # 67,108,864 as the message prints it


@pytest.fixture
def cfg(tmp_path):
    """A config repo with an environments/ directory; files are written with write()."""
    root = tmp_path / "cfg"
    (root / "environments" / "profiles").mkdir(parents=True)
    return root


def write(root, **files):
    for rel, text in files.items():
        path = root / "environments" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())


def compiled(root, profile="p", **kw):
    kw.setdefault("dynamic", DYN)
    kw.setdefault("environ", {})
    return compile_env(root, profile, **kw)


def refusal(root, profile="p", **kw) -> tuple[str, str]:
    with pytest.raises(EnvError) as err:
        compiled(root, profile, **kw)
    return err.value.message, err.value.hint


# --- reading one fragment -------------------------------------------------------------------------

MISSING_HINT = "fix the path (relative to environments/) or create the file"
NOT_REGULAR_HINT = "a fragment must be a plain text file"
OUTSIDE_HINT = ("fragments must live in environments/ of the config repo (symlinks included); "
                "to add a file from elsewhere name it with symphony.extra_env_files")


def test_a_missing_fragment_names_the_source_line_and_the_path(cfg):
    write(cfg, **{"profiles/p.env": "A=1\nsource common/nope.env\n"})
    assert refusal(cfg) == ("profiles/p.env:2: sourced fragment environments/common/nope.env does not exist",
                            MISSING_HINT)


def test_a_profile_that_is_a_dangling_symlink_is_named_itself(cfg):
    (cfg / "environments" / "profiles" / "p.env").symlink_to("gone.env")
    assert refusal(cfg) == ("environments/profiles/p.env does not exist", MISSING_HINT)


def test_a_path_through_a_file_cannot_be_read(cfg):
    write(cfg, **{"profiles/p.env": "source common/base.env/x.env\n", "common/base.env": "B=1\n"})
    assert refusal(cfg) == ("profiles/p.env:1: sourced fragment environments/common/base.env/x.env: "
                            "cannot read (Not a directory)", "check the file and its permissions")


def test_a_symlink_loop_cannot_be_read(cfg):
    (cfg / "environments" / "loop.env").symlink_to("loop.env")
    write(cfg, **{"profiles/p.env": "source loop.env\n"})
    assert refusal(cfg) == ("profiles/p.env:1: sourced fragment environments/loop.env: "
                            "cannot read (Too many levels of symbolic links)", "check the file and its permissions")


def test_a_fifo_or_a_directory_is_not_a_regular_file(cfg):
    os.mkfifo(cfg / "environments" / "pipe.env")  # opened without blocking (test_env_confinement waits for it)
    (cfg / "environments" / "dir.env").mkdir()
    for target in ("pipe.env", "dir.env"):
        write(cfg, **{"profiles/p.env": f"A=1\nsource {target}\n"})
        assert refusal(cfg) == (f"profiles/p.env:2: sourced fragment environments/{target} is not a regular file",
                                NOT_REGULAR_HINT)


def test_a_profile_that_is_a_directory_is_named_itself(cfg):
    (cfg / "environments" / "profiles" / "p.env").mkdir()
    assert refusal(cfg) == ("environments/profiles/p.env is not a regular file", NOT_REGULAR_HINT)


def test_a_fragment_over_the_size_limit_is_refused_before_it_is_read(cfg):
    write(cfg, **{"profiles/p.env": "source big.env\n", "big.env": "A=1\n"})
    os.truncate(cfg / "environments" / "big.env", MAX_FRAGMENT_BYTES + 1)  # sparse: nothing big is written
    assert refusal(cfg) == (f"profiles/p.env:1: sourced fragment environments/big.env is larger than {LIMIT} bytes",
                            "a fragment holds settings; mount large data as a file instead")


def test_a_fragment_of_exactly_the_size_limit_is_read(cfg):
    write(cfg, **{"profiles/p.env": "A=1\n"})
    os.truncate(cfg / "environments" / "profiles" / "p.env", MAX_FRAGMENT_BYTES)  # then NUL bytes, sparse
    # read in full: what is refused is its text (the NUL bytes on line 2), not its size
    assert refusal(cfg) == ("profiles/p.env:2:1: NUL byte in the file", "save the fragment as text without NUL bytes")


def test_a_fragment_that_grows_while_it_is_read_is_refused_without_reading_all_of_it(cfg, monkeypatch):
    # A file growing between fstat() and read() cannot be produced on demand: fstat is made to
    # report the size the file had a moment before (0), the read then finds it over the limit.
    # It has grown to 1 TiB (sparse): only a read bounded by the limit returns, and in a moment.
    write(cfg, **{"profiles/p.env": "A=1\n"})
    os.truncate(cfg / "environments" / "profiles" / "p.env", 1 << 40)
    real_fstat = os.fstat

    def fstat_before_growth(fd):
        fields = list(real_fstat(fd))
        fields[stat.ST_SIZE] = 0
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", fstat_before_growth)
    assert refusal(cfg) == (f"environments/profiles/p.env is larger than {LIMIT} bytes",
                            "mount large data as a file instead")


def test_text_that_is_not_utf8_is_refused_with_its_line_and_byte(cfg):
    write(cfg, **{"profiles/p.env": b"A=1\nB=2\nC=caf\xe9\n"})
    assert refusal(cfg) == ("environments/profiles/p.env:3: not UTF-8 text (invalid continuation byte at byte 13)",
                            "save the file as UTF-8")
    write(cfg, **{"profiles/p.env": "source common/base.env\n", "common/base.env": b"\xffA=1\n"})
    assert refusal(cfg) == ("profiles/p.env:1: sourced fragment environments/common/base.env:1: "
                            "not UTF-8 text (invalid start byte at byte 0)", "save the file as UTF-8")
    write(cfg, **{"common/base.env": b"\n\xffA=1\n"})  # the first line is empty: the bad byte is on line 2
    assert refusal(cfg)[0] == ("profiles/p.env:1: sourced fragment environments/common/base.env:2: "
                               "not UTF-8 text (invalid start byte at byte 1)")


def test_a_symlink_leading_outside_environments_is_refused_with_where_it_leads(cfg, tmp_path):
    outside = tmp_path / "host.env"
    outside.write_text("HOST=1\n")
    sibling = cfg / "environments-old"  # shares the prefix "environments" but is outside it
    sibling.mkdir()
    (sibling / "old.env").write_text("OLD=1\n")
    (cfg / "environments" / "host.env").symlink_to(outside)
    (cfg / "environments" / "old.env").symlink_to(sibling / "old.env")
    for name, target in (("host.env", outside), ("old.env", sibling / "old.env")):
        write(cfg, **{"profiles/p.env": f"source {name}\n"})
        assert refusal(cfg) == (f"profiles/p.env:1: sourced fragment environments/{name} resolves to {target}, "
                                "outside the config repo's environments/ directory", OUTSIDE_HINT)
    (cfg / "environments" / "profiles" / "p.env").unlink()
    (cfg / "environments" / "profiles" / "p.env").symlink_to(outside)
    assert refusal(cfg) == (f"environments/profiles/p.env resolves to {outside}, outside the config repo's "
                            "environments/ directory", OUTSIDE_HINT)


def test_a_symlink_inside_environments_is_read_under_the_name_it_was_sourced_by(cfg):
    write(cfg, **{"profiles/p.env": "source common/alias.env\n", "common/base.env": "BASE=1\n"})
    (cfg / "environments" / "common" / "alias.env").symlink_to("base.env")
    env = compiled(cfg)
    assert env.values["BASE"] == "1"
    assert env.fragments == ["profiles/p.env", "common/alias.env"]
    assert env.history["BASE"] == [Definition("BASE", (Lit("1"),), "common/alias.env", 1, "1")]


# --- profiles -------------------------------------------------------------------------------------

NOT_A_NAME = "is not a profile name (a file name in environments/profiles/, without .env)"


@pytest.mark.parametrize("name", ["", "a..b", "../p", "profiles/p", ".p", "p.env/"])
def test_a_profile_is_a_file_name_in_profiles(cfg, name):
    write(cfg, **{"profiles/p.env": "A=1\n", "profiles/dev.env": "A=2\n", "profiles/a..b.env": "A=3\n"})
    assert refusal(cfg, name) == (f"profile {name!r} {NOT_A_NAME}", "profiles in this config repo: a..b, dev, p")


def test_a_missing_profile_lists_the_profiles_there_are(cfg):
    write(cfg, **{"profiles/prod.env": "A=1\n", "profiles/dev.env": "A=2\n", "profiles/notes.txt": "x"})
    assert refusal(cfg, "stage") == (f"profile 'stage' has no file environments/profiles/stage.env in {cfg}",
                                     "profiles in this config repo: dev, prod")
    (cfg / "environments" / "profiles" / "prod.env").unlink()
    (cfg / "environments" / "profiles" / "dev.env").unlink()
    assert refusal(cfg, "stage")[1] == "profiles in this config repo: (none)"
    (cfg / "environments" / "profiles" / "notes.txt").unlink()
    (cfg / "environments" / "profiles").rmdir()
    assert refusal(cfg, "stage") == (f"profile 'stage' has no file environments/profiles/stage.env in {cfg}",
                                     "profiles in this config repo: (none)")


# --- source -----------------------------------------------------------------------------------------

OUTSIDE_SOURCE = ("`source` of a path outside environments/ is refused",
                  "source fragments by their path relative to environments/, e.g. common/base.env")


@pytest.mark.parametrize("path", ["/etc/passwd", "..", "../x.env", "common/../../x.env", "./../x.env"])
def test_source_of_a_path_outside_environments_is_refused(cfg, tmp_path, path):
    (tmp_path / "x.env").write_text("X=1\n")
    write(cfg, **{"profiles/p.env": f"A=1\nsource {path}\n"})
    message, hint = OUTSIDE_SOURCE
    assert refusal(cfg) == (f"profiles/p.env:2: {message}", hint)


def chain(cfg, levels: int) -> None:
    """The profile, then f1.env ... sourcing each other: `levels` files in all."""
    files = {"profiles/p.env": "P=0\nsource f1.env\n" if levels > 1 else "P=0\n"}
    for i in range(1, levels):
        files[f"f{i}.env"] = f"F{i}={i}\n" + (f"source f{i + 1}.env\n" if i + 1 < levels else "")
    write(cfg, **files)


def test_includes_nest_up_to_the_depth_limit(cfg):
    chain(cfg, MAX_SOURCE_DEPTH)
    env = compiled(cfg)
    assert env.fragments == ["profiles/p.env"] + [f"f{i}.env" for i in range(1, MAX_SOURCE_DEPTH)]
    assert env.values[f"F{MAX_SOURCE_DEPTH - 1}"] == str(MAX_SOURCE_DEPTH - 1)


def test_includes_one_level_deeper_than_the_limit_are_refused(cfg):
    chain(cfg, MAX_SOURCE_DEPTH + 1)
    assert refusal(cfg) == (f"f{MAX_SOURCE_DEPTH - 1}.env:2: `source` nested deeper than {MAX_SOURCE_DEPTH} levels",
                            "flatten the includes")


def test_an_include_cycle_names_the_loop(cfg):
    write(cfg, **{"profiles/p.env": "source a.env\n", "a.env": "A=1\nsource b.env\n", "b.env": "B=1\nsource a.env\n"})
    assert refusal(cfg) == ("b.env:2: include cycle: a.env -> b.env -> a.env",
                            "remove one of the `source` lines in the cycle")
    write(cfg, **{"profiles/p.env": "source a.env\n", "a.env": "source profiles/p.env\n"})
    assert refusal(cfg) == ("a.env:1: include cycle: profiles/p.env -> a.env -> profiles/p.env",
                            "remove one of the `source` lines in the cycle")


def test_a_fragment_sourced_twice_is_read_once_with_a_warning(cfg):
    write(cfg, **{"profiles/p.env": "source common/base.env\nHOST=override\nsource services/a.env\n",
                  "common/base.env": "HOST=base\n", "services/a.env": "source common/base.env\nA_URL=http://${HOST}/\n"})
    env = compiled(cfg)
    assert env.values["A_URL"] == "http://override/"
    assert env.fragments == ["profiles/p.env", "common/base.env", "services/a.env"]
    assert env.warnings == ["services/a.env:1: common/base.env is sourced again; it was already read, ignoring the "
                            "repeat (so it cannot undo an override made after the first time)"]


def test_secrets_are_read_last_and_once(cfg):
    write(cfg, **{"profiles/p.env": "source common/base.env\nDB_PASSWORD=from-profile\n",
                  "common/base.env": "URL=pg://u:${DB_PASSWORD}@db/\n", "common/secrets.env": "DB_PASSWORD=s3cret\n"})
    env = compiled(cfg)
    assert env.fragments == ["profiles/p.env", "common/base.env", "common/secrets.env"]
    assert env.values["URL"] == "pg://u:s3cret@db/"  # the secrets file is read after the profile: it wins
    assert [d.where for d in env.history["DB_PASSWORD"]] == ["profiles/p.env:2", "common/secrets.env:1"]
    # sourced by the profile itself, before a fragment with a placeholder: still read last (README's
    # precedence), so the placeholder cannot replace the real secret; the early `source` is named
    write(cfg, **{"profiles/p.env": "source common/secrets.env\nsource common/base.env\n",
                  "common/base.env": "DB_PASSWORD=changeme\n"})
    env = compiled(cfg)
    assert env.fragments == ["profiles/p.env", "common/base.env", "common/secrets.env"]
    assert env.values["DB_PASSWORD"] == "s3cret"
    assert env.warnings == ["profiles/p.env:1: common/secrets.env is read last anyway (after every fragment); "
                            "this `source` is skipped"]


def test_a_fragment_reached_by_a_second_name_is_read_once(cfg):
    """`common2 -> common` (a symlinked directory): the same file by another name is a repeat, so it
    cannot undo the override made after it was first read."""
    write(cfg, **{"profiles/p.env": "source common/base.env\nLOG_LEVEL=debug\nsource common2/base.env\n",
                  "common/base.env": "LOG_LEVEL=info\n"})
    (cfg / "environments" / "common2").symlink_to("common")
    env = compiled(cfg)
    assert env.values["LOG_LEVEL"] == "debug"
    assert env.warnings == ["profiles/p.env:3: common2/base.env is sourced again (the same file as common/base.env); "
                            "it was already read, ignoring the repeat (so it cannot undo an override made after "
                            "the first time)"]


def test_secrets_that_cannot_be_read_are_named_by_their_path(cfg):
    write(cfg, **{"profiles/p.env": "A=1\n"})
    (cfg / "environments" / "common" / "secrets.env").mkdir(parents=True)
    assert refusal(cfg) == ("environments/common/secrets.env is not a regular file", NOT_REGULAR_HINT)


# --- extra env files ----------------------------------------------------------------------------------

def test_extra_env_files_are_read_after_the_secrets(cfg, tmp_path):
    write(cfg, **{"profiles/p.env": "A=1\n", "common/secrets.env": "PW=repo\n"})
    local = tmp_path / "local.env"
    local.write_text("PW=mine\n")
    env = compiled(cfg, extra_files=[local])
    assert env.fragments == ["profiles/p.env", "common/secrets.env", str(local)]
    assert env.values["PW"] == "mine"
    assert env.history["PW"][-1] == Definition("PW", (Lit("mine"),), str(local), 1, "mine")


def test_an_extra_env_file_that_is_missing_is_named(cfg, tmp_path):
    write(cfg, **{"profiles/p.env": "A=1\n"})
    assert refusal(cfg, extra_files=[tmp_path / "nope.env"]) == (
        f"extra env file {tmp_path / 'nope.env'} does not exist",
        "fix the path in symphony.extra_env_files, or create the file")  # not in environments/


def test_source_in_an_extra_env_file_is_refused_with_the_other_bad_lines(cfg, tmp_path):
    write(cfg, **{"profiles/p.env": "A=1\n"})
    local = tmp_path / "local.env"
    local.write_text("source common/base.env\n")
    assert refusal(cfg, extra_files=[local]) == (f"{local}:1: `source` is not allowed in an extra env file",
                                                 "name every extra file in symphony.extra_env_files")
    local.write_text("B=1\nnot a line\n. other.env\n")
    message, hint = refusal(cfg, extra_files=[local])
    assert message == (f"2 bad lines in the config repo {cfg}:\n"
                       f"  {local}:2:1: cannot parse this line  "
                       "(expected KEY=VALUE, `export KEY=VALUE`, `source PATH` or a # comment)\n"
                       f"  {local}:3: `source` is not allowed in an extra env file  "
                       "(name every extra file in symphony.extra_env_files)")
    assert hint == "fix them all, then run again; nothing was written"


def test_bad_lines_of_every_fragment_are_reported_together_with_their_hints(cfg):
    write(cfg, **{"profiles/p.env": "A=1\nB=x$(id)\nsource common/base.env\n",
                  "common/base.env": "C=2\n1X=3\n", "common/secrets.env": "PW=`id`\n"})
    message, hint = refusal(cfg)
    assert message == (
        f"3 bad lines in the config repo {cfg}:\n"
        "  profiles/p.env:2:4: $(...) would run a command; Symphony never executes config  "
        "(write the value itself; for a literal $ write \\$ or use single quotes)\n"
        "  common/base.env:2:1: bad variable name before '='  "
        "(names are ASCII letters, digits and _, and do not start with a digit)\n"
        "  common/secrets.env:1:4: backticks would run a command; Symphony never executes config  "
        "(write the value itself (in single quotes for a literal backtick))")
    assert hint == "fix them all, then run again; nothing was written"


# --- what env.explain / env.show present ---------------------------------------------------------------

def test_the_history_holds_every_definition_with_its_place(cfg):
    """env.explain prints each definition's place (file:line) and the value as written, the
    values Symphony adds (dynamic, TAG from the environment, --set) under their own names."""
    write(cfg, **{"profiles/p.env": "source common/base.env\nHOST=web\nURL=http://${HOST}:$PORT/\n",
                  "common/base.env": "HOST=localhost\nPORT='8080'\n"})
    env = compiled(cfg, environ={"TAG": "1.2", "HOME": "/root"}, overrides={"PORT": "9090"})
    assert env.profile == "p" and env.config_root == str(cfg.resolve())
    assert env.fragments == ["profiles/p.env", "common/base.env"]
    assert env.history == {
        "DETECTED_IP": [Definition("DETECTED_IP", (Lit("10.1.2.3"),), "(dynamic)", 0, "10.1.2.3")],
        "TAG": [Definition("TAG", (Lit("latest"),), "(dynamic)", 0, "latest"),
                Definition("TAG", (Lit("1.2"),), "(environment TAG)", 0, "1.2")],
        "CONFIG_REPO_PATH": [Definition("CONFIG_REPO_PATH", (Lit("/cfg"),), "(dynamic)", 0, "/cfg")],
        "HOST": [Definition("HOST", (Lit("localhost"),), "common/base.env", 1, "localhost"),
                 Definition("HOST", (Lit("web"),), "profiles/p.env", 2, "web")],
        "PORT": [Definition("PORT", (Lit("8080"),), "common/base.env", 2, "'8080'"),
                 Definition("PORT", (Lit("9090"),), "(--set)", 0, "9090")],
        "URL": [Definition("URL", (Lit("http://"), Ref("HOST"), Lit(":"), Ref("PORT"), Lit("/")),
                           "profiles/p.env", 3, "http://${HOST}:$PORT/")],
    }
    assert env.values == {"HOST": "web", "URL": "http://web:9090/", "DETECTED_IP": "10.1.2.3",
                          "CONFIG_REPO_PATH": "/cfg", "TAG": "1.2", "PORT": "9090"}
    assert env.groups == [("profiles/p.env", ["HOST", "URL"]), ("(dynamic)", ["DETECTED_IP", "CONFIG_REPO_PATH"]),
                          ("(environment TAG)", ["TAG"]), ("(--set)", ["PORT"])]
    assert env.warnings == [] and env.secrets == {}


def test_tag_from_the_environment_yields_to_the_config_with_a_warning(cfg):
    write(cfg, **{"profiles/p.env": "A=1\nTAG=2.0\n"})
    env = compiled(cfg, environ={"TAG": "1.2"})
    assert env.values["TAG"] == "2.0"
    assert [d.file for d in env.history["TAG"]] == ["(dynamic)", "profiles/p.env"]
    assert env.warnings == ["TAG from your environment is ignored: the config sets TAG at profiles/p.env:2 "
                            "(override it with --set TAG=...)"]


def test_tag_from_the_environment_without_dynamic_defaults(cfg):
    write(cfg, **{"profiles/p.env": "IMAGE=app:$TAG\n"})
    env = compiled(cfg, dynamic={}, environ={"TAG": "1.2"})
    assert env.history["TAG"] == [Definition("TAG", (Lit("1.2"),), "(environment TAG)", 0, "1.2")]
    assert env.values == {"IMAGE": "app:1.2", "TAG": "1.2"}


def test_without_given_dynamic_values_symphony_computes_them(cfg):
    write(cfg, **{"profiles/p.env": "A=1\n"})
    env = compile_env(cfg, "p", environ={"TAG": "7"})
    assert [d.file for d in env.history["TAG"]] == ["(dynamic)", "(environment TAG)"]
    assert env.values["TAG"] == "7" and env.values["CONFIG_REPO_PATH"] == str(cfg.resolve())


@pytest.mark.parametrize("key, message, hint", [
    ("1X", "--set: '1X' is not a variable name", "names are letters, digits and _"),
    ("A-B", "--set: 'A-B' is not a variable name", "names are letters, digits and _"),
    ("RANDOM", "--set RANDOM=…: RANDOM is a variable bash sets itself", "rename the variable"),
])
def test_a_set_override_must_be_a_variable_of_the_config(cfg, key, message, hint):
    write(cfg, **{"profiles/p.env": "A=1\n"})
    assert refusal(cfg, overrides={key: "x"}) == (message, hint)


def test_references_and_users_of_a_key(cfg):
    """env.explain prints `references` (the names a final value uses, in order) and `used by`."""
    write(cfg, **{"profiles/p.env": "A=1\nB=${A}-${C:-x}\nC=${A+${D}}$A\nD=${E:+$A}\nE=\n"})
    env = compiled(cfg)
    assert env.values["B"] == "1-" + env.values["C"] and env.values["C"] == "1"
    assert env.references == {"DETECTED_IP": [], "TAG": [], "CONFIG_REPO_PATH": [], "A": [],
                              "B": ["A", "C"], "C": ["A", "D", "A"], "D": ["E"], "E": []}  # E is empty: $A is not used


@pytest.mark.parametrize("uses_first", [False, True], ids=["names defined before use", "used before defined"])
def test_a_value_built_from_a_secret_is_secret_through_a_chain_and_records_its_references(cfg, uses_first):
    """README, Secrets (4): a value built from a secret is one, also through a value built from a
    secret; a value built from plain values is not. Same whichever order the fragment defines them in."""
    lines = ["DB_PASSWORD=pw", "HOST=db", "DSN=${HOST}:${DB_PASSWORD}", "URL=x${DSN}/y", "PLAIN=${HOST}-$HOST"]
    write(cfg, **{"profiles/p.env": "\n".join(reversed(lines) if uses_first else lines) + "\n"})
    env = compiled(cfg, dynamic={})
    assert env.values == {"DB_PASSWORD": "pw", "HOST": "db", "DSN": "db:pw", "URL": "xdb:pw/y", "PLAIN": "db-db"}
    assert env.secrets == {"DB_PASSWORD": "name marks a secret", "DSN": "built from a secret",
                           "URL": "built from a secret"}
    assert env.references == {"DB_PASSWORD": [], "HOST": [], "DSN": ["HOST", "DB_PASSWORD"], "URL": ["DSN"],
                              "PLAIN": ["HOST", "HOST"]}


# --- resolution ------------------------------------------------------------------------------------

def test_a_reference_cycle_away_from_the_first_key_names_its_places(cfg):
    write(cfg, **{"profiles/p.env": "A=$B\nB=x${C}\nC=${D:-y}\nD=$B\n"})
    assert refusal(cfg) == ("reference cycle: B -> C -> D -> B (B at profiles/p.env:2, C at profiles/p.env:3, "
                            "D at profiles/p.env:4)", "break the cycle by writing one value literally")


@pytest.mark.parametrize("value, expected", [
    # bash: ${V?w} fails only when V is unset, ${V:?w} also when it is empty; ${V:+w} is empty then
    ("${E?oops}", ""), ("${E-d}", ""), ("${E:-d}", "d"), ("${E:+w}", ""), ("${E+w}", "w"),
    ("${NOPE:+w}", ""), ("${NOPE+w}", ""), ("${NOPE-d}", "d"), ("${S:+w}", "w"), ("${S?x}", "s"),
])
def test_conditional_expansions_on_empty_and_unset(cfg, value, expected):
    write(cfg, **{"profiles/p.env": f"E=\nS=s\nK={value}\n"})
    env = compiled(cfg)
    assert env.values["K"] == expected
    assert "K" not in env.secrets


def test_required_on_an_empty_value_with_the_colon(cfg):
    write(cfg, **{"profiles/p.env": "E=\nK=${E:?is empty}\n"})
    assert refusal(cfg) == ("profiles/p.env:2: E: is empty", "define E in the config repo or with --set")


def test_an_undefined_reference_inside_an_alternate_names_its_place(cfg):
    write(cfg, **{"profiles/p.env": "A=1\nK=${A+x${NOPE}}\n"})
    assert refusal(cfg) == ("profiles/p.env:2: K references undefined variable NOPE",
                            "define NOPE, write ${NOPE:-default}, or pass --allow-undefined")
    write(cfg, **{"profiles/p.env": "E=\nK=${E:-${NOPE}}\n"})
    assert refusal(cfg)[0] == "profiles/p.env:2: K references undefined variable NOPE"
    write(cfg, **{"profiles/p.env": "A=1\nK=${A:+${NOPE}}\n"})
    assert refusal(cfg)[0] == "profiles/p.env:2: K references undefined variable NOPE"


def test_with_allow_undefined_an_undefined_reference_is_empty_and_no_secret(cfg):
    write(cfg, **{"profiles/p.env": "K=a${NOPE}b\nPASSWORD=x${GONE}y\n"})
    env = compiled(cfg, strict=False)
    assert env.values == {"K": "ab", "PASSWORD": "xy", **DYN}
    assert env.secrets == {"PASSWORD": "name marks a secret"}
    assert env.warnings == ["profiles/p.env:1: K references undefined variable NOPE (left empty)",
                            "profiles/p.env:2: PASSWORD references an undefined variable (left empty)"]


# --- size limits (README, Limits: a value as written or expanded ≤ 16,777,216 characters, all values ≤ 67,108,864)

MIB = 1024 * 1024
VALUE_HINT = "an env value holds a setting; check for references that repeat a large value"
TOTAL_HINT = "an env file holds settings; mount large data as a file instead"


@pytest.mark.parametrize("a_first", [True, False], ids=["referenced name defined before", "defined after"])
def test_a_value_expanding_to_the_limit_passes_and_one_character_more_is_refused(cfg, a_first):
    # (a name defined after its use is resolved on demand: the limit holds on both ways of resolving)
    assert MAX_VALUE_CHARS == 16 * MIB

    def profile(b_line):
        a_line = f"A={'x' * MIB}"
        return "\n".join([a_line, b_line] if a_first else [b_line, a_line]) + "\n"

    write(cfg, **{"profiles/p.env": profile(f"B={'$A' * 16}")})
    assert len(compiled(cfg, dynamic={}).values["B"]) == MAX_VALUE_CHARS
    write(cfg, **{"profiles/p.env": profile(f"B={'${A}' * 16}y")})
    assert refusal(cfg, dynamic={}) == (f"profiles/p.env:{2 if a_first else 1}: B expands to more than "
                                        f"{MAX_VALUE_CHARS:,} characters", VALUE_HINT)
    write(cfg, **{"profiles/p.env": f"A={'x' * MIB}\nB=${{NOPE:-{'$A' * 17}}}\n"})  # within one reference
    assert refusal(cfg, dynamic={})[0] == f"profiles/p.env:2: B expands to more than {MAX_VALUE_CHARS:,} characters"


def test_a_literal_value_of_the_limit_passes_and_one_character_more_is_refused(cfg):
    write(cfg, **{"profiles/p.env": f"A={'x' * MAX_VALUE_CHARS}\n"})
    assert len(compiled(cfg, dynamic={}).values["A"]) == MAX_VALUE_CHARS
    write(cfg, **{"profiles/p.env": f"B=1\nA={'x' * (MAX_VALUE_CHARS + 1)}\n"})
    assert refusal(cfg, dynamic={}) == (f"profiles/p.env:2: A expands to more than {MAX_VALUE_CHARS:,} characters",
                                        VALUE_HINT)


def test_values_adding_up_to_the_limit_pass_and_one_character_more_is_refused(cfg):
    assert MAX_TOTAL_CHARS == 64 * MIB
    # 1 MiB + 3 x 16 MiB + 15 MiB = 64 MiB
    profile = f"A={'x' * MIB}\nB1={'$A' * 16}\nB2={'$A' * 16}\nB3={'$A' * 16}\nB4={'$A' * 15}\n"
    write(cfg, **{"profiles/p.env": profile})
    assert sum(map(len, compiled(cfg, dynamic={}).values.values())) == MAX_TOTAL_CHARS
    write(cfg, **{"profiles/p.env": profile + "C=y\n"})
    assert refusal(cfg, dynamic={}) == (f"the values of this profile add up to more than {MAX_TOTAL_CHARS:,} "
                                        "characters (reached at C, profiles/p.env:6)", TOTAL_HINT)
    write(cfg, **{"profiles/p.env": profile + "C=${A}\n"})  # crossed by a reference
    assert refusal(cfg, dynamic={})[0] == (f"the values of this profile add up to more than {MAX_TOTAL_CHARS:,} "
                                           "characters (reached at C, profiles/p.env:6)")


def test_secrets_sourced_early_by_another_name_are_still_read_last(cfg):
    """`alias -> common`: `source alias/secrets.env` is the secrets fragment too, so it is read last."""
    write(cfg, **{"profiles/p.env": "source alias/secrets.env\nsource common/base.env\n",
                  "common/base.env": "DB_PASSWORD=changeme\n", "common/secrets.env": "DB_PASSWORD=s3cret\n"})
    (cfg / "environments" / "alias").symlink_to("common")
    env = compiled(cfg)
    assert env.values["DB_PASSWORD"] == "s3cret"
    assert env.warnings == ["profiles/p.env:1: alias/secrets.env is read last anyway (after every fragment); "
                            "this `source` is skipped"]
