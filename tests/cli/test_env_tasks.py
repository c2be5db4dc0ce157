"""`inv env.*` as users run it: files, modes, exit codes, and no secret on the console."""
import stat

import pytest

from tests.invoke_helpers import inv

SECRETS = ["s3cret-pg-value", "mq-pass-value", "tok-123456"]


@pytest.fixture
def config(tmp_path):
    env = tmp_path / "cfg" / "environments"
    (env / "profiles").mkdir(parents=True)
    (env / "common").mkdir()
    (env / "profiles" / "demo.env").write_text("source common/base.env\n")
    (env / "common" / "base.env").write_text(
        "DB_URL=postgres://app:${DB_PASSWORD}@db/x\nMQ=amqp://u:${MQ_PASS}@mq/\nPLAIN=hello\n")
    (env / "common" / "secrets.env").write_text(
        f"DB_PASSWORD={SECRETS[0]}\nMQ_PASS={SECRETS[1]}\nAPI_TOKEN={SECRETS[2]}\n")
    return tmp_path / "cfg"


def no_secret_in(res):
    for s in SECRETS:
        assert s not in res.stdout + res.stderr


def test_generate_writes_0600_and_says_which_source(config, tmp_path):
    res = inv("env.generate", "--profile", "demo", "--config", str(config), state_dir=tmp_path)
    assert res.returncode == 0, res.stderr
    out = tmp_path / ".env.generated"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert f"{config} (--config)" in res.stdout
    assert f"DB_URL='postgres://app:{SECRETS[0]}@db/x'" in out.read_text()
    no_secret_in(res)


def test_show_masks_unless_reveal(config, tmp_path):
    res = inv("env.show", "--profile", "demo", "--config", str(config), state_dir=tmp_path)
    assert res.returncode == 0 and "PLAIN='hello'" in res.stdout and "DB_URL=******" in res.stdout
    no_secret_in(res)
    revealed = inv("env.show", "--profile", "demo", "--config", str(config), "--reveal", state_dir=tmp_path)
    assert SECRETS[0] in revealed.stdout


def test_explain_and_diff_mask_secrets(config, tmp_path):
    res = inv("env.explain", "DB_URL", "--profile", "demo", "--config", str(config), state_dir=tmp_path)
    assert res.returncode == 0 and "common/base.env:1" in res.stdout and "DB_PASSWORD" in res.stdout
    no_secret_in(res)
    inv("env.generate", "--profile", "demo", "--config", str(config), state_dir=tmp_path)
    (config / "environments" / "common" / "secrets.env").write_text(
        "DB_PASSWORD=changed-pg-value\nMQ_PASS=x\nAPI_TOKEN=y\n")
    res = inv("env.diff", "--profile", "demo", "--config", str(config), state_dir=tmp_path)
    assert "~ DB_URL: ****** -> ******" in res.stdout and "changed-pg-value" not in res.stdout
    no_secret_in(res)


@pytest.mark.parametrize("breakage,needle", [
    (("common/base.env", "A=$(id)\n"), "common/base.env:1"),
    (("common/base.env", "A='open\n"), "common/base.env:1"),
    (("common/secrets.env", "garbage line\n"), "common/secrets.env:1"),
    (("profiles/demo.env", "source common/missing.env\n"), "profiles/demo.env:1"),
    (("common/base.env", "A=${B}\nB=${A}\n"), "A -> B -> A"),
    (("common/base.env", "A=${NOPE}\n"), "undefined variable NOPE"),
])
def test_bad_input_exits_2_and_keeps_previous_output(config, tmp_path, breakage, needle):
    assert inv("env.generate", "--profile", "demo", "--config", str(config), state_dir=tmp_path).returncode == 0
    out = tmp_path / ".env.generated"
    before = out.read_bytes()
    rel, text = breakage
    (config / "environments" / rel).write_text(text)
    res = inv("env.generate", "--profile", "demo", "--config", str(config), state_dir=tmp_path)
    assert res.returncode == 2
    assert needle in res.stderr and "Traceback" not in res.stderr
    assert out.read_bytes() == before
    no_secret_in(res)


def test_missing_profile_and_unwritable_output(config, tmp_path):
    res = inv("env.generate", "--profile", "nope", "--config", str(config), state_dir=tmp_path)
    assert res.returncode == 2 and "profiles in this config repo: demo" in res.stderr
    res = inv("env.generate", "--profile", "demo", "--config", str(config),
              "--output", str(tmp_path / "no" / "dir" / "f"), state_dir=tmp_path)
    assert res.returncode == 2 and "cannot write" in res.stderr and "Traceback" not in res.stderr


def test_set_overrides_and_bad_set(config, tmp_path):
    res = inv("env.generate", "--profile", "demo", "--config", str(config), "--set", "PLAIN=bye", state_dir=tmp_path)
    assert res.returncode == 0 and "PLAIN='bye'" in (tmp_path / ".env.generated").read_text()
    res = inv("env.generate", "--profile", "demo", "--config", str(config), "--set", "1X=y", state_dir=tmp_path)
    assert res.returncode == 2


def test_check_flags_undefined_compose_variables_and_stray_secrets(config, tmp_path):
    (config / "environments" / "common" / "base.env").write_text("PLAIN=1\nOTHER_TOKEN=abc\n")
    res = inv("env.check", "--profile", "demo", "--config", str(config), state_dir=tmp_path)
    # compose/demo.yml uses variables this tiny config does not define
    assert res.returncode == 1
    assert "OTHER_TOKEN looks secret but is defined outside common/secrets.env" in res.stdout
    assert "compose/demo.yml" in res.stdout


def test_embedded_default_config_checks_clean(tmp_path):
    res = inv("env.check", "--all", state_dir=tmp_path)
    assert res.returncode == 0, res.stdout
    assert "embedded default" in res.stdout


def test_output_never_replaces_a_symlink_or_a_directory(config, tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n")
    link = tmp_path / "link.env"
    link.symlink_to(target)
    res = inv("env.generate", "--profile", "demo", "--config", str(config), "--output", str(link), state_dir=tmp_path)
    assert res.returncode == 2 and "is a symlink; refusing to replace it" in res.stderr
    assert link.is_symlink() and target.read_text() == "keep me\n"
    (tmp_path / "adir").mkdir()
    res = inv("env.generate", "--profile", "demo", "--config", str(config), "--output", str(tmp_path / "adir"),
              state_dir=tmp_path)
    assert res.returncode == 2 and "is a directory" in res.stderr


def test_a_bad_set_never_echoes_its_value(config, tmp_path):
    for arg in ("1DB_PASSWORD=canary-set-4242", "canary-set-4242"):
        res = inv("env.generate", "--profile", "demo", "--config", str(config), "--set", arg, state_dir=tmp_path)
        assert res.returncode == 2 and "canary-set-4242" not in res.stdout + res.stderr


def test_extra_env_files_from_invoke_config_are_read_and_masked(config, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    local = home / "local.secrets.env"
    local.write_text("LOCAL_ONLY=canary-local-5151\nPLAIN=from-local\n")
    (home / ".invoke.yaml").write_text(f"symphony:\n  extra_env_files: [{local}]\n")
    res = inv("env.show", "--profile", "demo", "--config", str(config), state_dir=tmp_path, env={"HOME": str(home)})
    assert res.returncode == 0, res.stderr
    assert "LOCAL_ONLY=******" in res.stdout and "PLAIN=******" in res.stdout  # every key of a secrets file
    assert "canary-local-5151" not in res.stdout + res.stderr


def _git(*args, cwd):
    import subprocess

    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "PATH": __import__("os").environ["PATH"], "HOME": str(cwd)}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def _source_line(tmp_path):
    return next(line for line in (tmp_path / ".env.generated").read_text().splitlines() if line.startswith("# source:"))


@pytest.mark.parametrize("layout", ["checkout", "subdirectory of a checkout"])
def test_the_header_names_the_config_commit_and_a_dirty_tree(config, tmp_path, layout):
    """What the file was generated from: the short commit git itself prints, `-dirty` when a
    fragment has uncommitted changes, also when the config is a folder inside a larger repo."""
    repo = config if layout == "checkout" else tmp_path
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-qm", "config", cwd=repo)
    short = _git("rev-parse", "--short", "HEAD", cwd=repo)
    limits = {"GIT_CEILING_DIRECTORIES": str(repo.parent)}
    assert inv("env.generate", "--profile", "demo", "--config", str(config), state_dir=tmp_path,
               env=limits).returncode == 0
    assert _source_line(tmp_path).endswith(f" @ {short}")
    (config / "environments" / "common" / "base.env").write_text("PLAIN=changed\n")
    assert inv("env.generate", "--profile", "demo", "--config", str(config), state_dir=tmp_path,
               env=limits).returncode == 0
    assert _source_line(tmp_path).endswith(f" @ {short}-dirty")


def test_a_config_outside_any_checkout_has_no_commit_in_the_header(config, tmp_path):
    res = inv("env.generate", "--profile", "demo", "--config", str(config), state_dir=tmp_path,
              env={"GIT_CEILING_DIRECTORIES": str(config.parent)})
    assert res.returncode == 0, res.stderr
    line = _source_line(tmp_path)
    assert line == f"# source:  {config} (--config)", line


def test_diff_refuses_what_is_not_a_generated_env_file_and_waits_on_nothing(config, tmp_path):
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    garbled = tmp_path / "garbled.env"
    garbled.write_bytes(b"A='1'\n# \xff\xfe\n")
    unparseable = tmp_path / "unparseable.env"  # python-dotenv skips it with a warning, and diff said nothing
    unparseable.write_text("A='1'\nB=\"unterminated\nfoo bar\n")
    for output, needle in ((fifo, "is not a regular file"), (tmp_path, "is not a regular file"),
                           (garbled, "garbled.env:2: not UTF-8 text"),
                           (unparseable, "unparseable.env:2: python-dotenv cannot parse this line")):
        res = inv("env.diff", "--profile", "demo", "--config", str(config), "--output", str(output),
                  state_dir=tmp_path, timeout=30)  # a FIFO read would block: the timeout fails the test
        assert res.returncode == 2 and needle in res.stderr, (output, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr


def test_check_refuses_what_generate_cannot_write_and_both_name_the_line(config, tmp_path):
    profile = config / "environments" / "profiles" / "demo.env"
    profile.write_text(profile.read_text() + "MSG=\"it's \\$HOME\"\nCR='a\rb'\n")
    lines = profile.read_text().splitlines()
    msg_line = f"profiles/demo.env:{next(i for i, t in enumerate(lines, 1) if t.startswith('MSG='))}"
    check = inv("env.check", "--profile", "demo", "--config", str(config), state_dir=tmp_path)
    generate = inv("env.generate", "--profile", "demo", "--config", str(config), state_dir=tmp_path)
    assert check.returncode == 1 and generate.returncode == 2
    for res in (check, generate):
        out = res.stdout + res.stderr
        assert f"{msg_line}: MSG: the value cannot be written" in out, out
        assert ": CR: the value cannot be written" in out and "carriage return" in out
    assert not (tmp_path / ".env.generated").exists()


def test_an_output_that_names_no_file_is_refused_and_nothing_is_written(config, tmp_path):
    for output in ("", f"{tmp_path}/new-dir/"):  # "" was the default file; "new-dir/" became a file new-dir
        for task in ("env.generate", "env.diff"):
            res = inv(task, "--profile", "demo", "--config", str(config), "--output", output, state_dir=tmp_path)
            assert res.returncode == 2 and "names no file" in res.stderr, (task, output, res.stderr)
    assert not (tmp_path / ".env.generated").exists() and not (tmp_path / "new-dir").exists()


def test_the_inspecting_tasks_take_allow_undefined_as_the_error_hint_says(config, tmp_path):
    profile = config / "environments" / "profiles" / "demo.env"
    profile.write_text(profile.read_text() + "LATER=${NOT_DEFINED}\n")
    for task in (("env.show",), ("env.diff",), ("env.explain", "LATER")):
        refused = inv(*task, "--profile", "demo", "--config", str(config), state_dir=tmp_path)
        assert refused.returncode == 2 and "pass --allow-undefined" in refused.stderr, (task, refused.stderr)
        res = inv(*task, "--profile", "demo", "--config", str(config), "--allow-undefined", state_dir=tmp_path)
        assert res.returncode == 0, (task, res.stderr)


def test_check_names_an_empty_value_a_platform_service_refuses(tmp_path):
    """The catalog's `empty:` facts: every TENANT_ID reader of core exits on an empty one
    (src/config.rs `is_empty()` -> exit 1), sip-registrar retries an empty REDIS_URL for ever."""
    import shutil

    from symphony.app.platform import platform_catalog
    from symphony.infra.state import ENV_DIR

    config = tmp_path / "cfg"
    shutil.copytree(ENV_DIR, config)
    profile = config / "environments" / "profiles" / "core.env"
    profile.write_text(profile.read_text() + "TENANT_ID=\nREDIS_URL=\n")
    res = inv("env.check", "--profile", "core", "--config", str(config), state_dir=tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    lines = [line for line in res.stdout.splitlines() if "is empty, but" in line]
    tenant = next(line for line in lines if "TENANT_ID is empty" in line)
    catalog = platform_catalog()
    readers = sorted(n for n in catalog.profiles["core"] for e in catalog.services[n].env
                     if e.value == "${TENANT_ID}" and e.empty == "exits")
    assert readers and all(f"{n} exits when its TENANT_ID is empty" in tenant for n in readers)
    redis = next(line for line in lines if "REDIS_URL is empty" in line)
    assert "sip-registrar-service never becomes ready when its REDIS_URL is empty" in redis
    assert "profiles/core.env:" in tenant  # where the empty value is defined
    ok = inv("env.check", "--profile", "core", state_dir=tmp_path)  # the embedded config sets them
    assert "is empty, but" not in ok.stdout
