"""Canary secrets under the names ISSUE 11 lists reach no env.* output: stdout, stderr, error
messages, old values (env.diff) and overridden ones (env.explain) included."""
import re

import pytest

from tests.invoke_helpers import inv

CANARIES = {
    "SECRET_KEY_BASE": "canary-skb-0001",
    "DB_PASSWD": "canary-dbp-0002",
    "PASSWORD_PEPPER": "canary-pep-0003",
    "GITHUB_TOKEN_RO": "canary-ghr-0004",
    "SMTP_CREDENTIALS": "canary-smtp-0005",
    "ODDLY_NAMED": "canary-odd-0006",  # secret only because secrets.env defines it
    "SHORT_PASS": "q7",  # short: masked where it stands as a token
}
OLD_DB_PASSWD = "canary-old-0007"  # overridden by secrets.env (read last)


@pytest.fixture
def config(tmp_path):
    env = tmp_path / "cfg" / "environments"
    (env / "profiles").mkdir(parents=True)
    (env / "common").mkdir()
    (env / "profiles" / "canary.env").write_text("source common/base.env\n")
    (env / "common" / "base.env").write_text(
        f"DB_PASSWD={OLD_DB_PASSWD}\nDB_URL=pg://app:${{DB_PASSWD}}@db/x\n"
        "SMTP_URL=smtp://mailer:${SMTP_CREDENTIALS}@mail/\nQ_URL=amqp://u:${SHORT_PASS}@mq/\n"
        "SIGNED=${SECRET_KEY_BASE}.${PASSWORD_PEPPER}\nPLAIN=hello\n")
    (env / "common" / "secrets.env").write_text("".join(f"{k}={v}\n" for k, v in CANARIES.items()))
    return tmp_path / "cfg"


def leaks(res, extra=()) -> list[str]:
    out = res.stdout + res.stderr
    found = [c for c in [*CANARIES.values(), OLD_DB_PASSWD, *extra] if len(c) >= 6 and c in out]
    found += [c for c in CANARIES.values() if len(c) < 6 and re.search(rf"(?<!\w){re.escape(c)}(?!\w)", out)]
    return found


def run(config, tmp_path, *args):
    return inv(*args, "--config", str(config), state_dir=tmp_path)


def test_generate_show_explain_check_print_no_secret(config, tmp_path):
    res = run(config, tmp_path, "env.generate", "--profile", "canary")
    assert res.returncode == 0, res.stderr
    assert not leaks(res)
    written = (tmp_path / ".env.generated").read_text()
    assert all(v in written for v in CANARIES.values())
    res = run(config, tmp_path, "env.show", "--profile", "canary")
    assert res.returncode == 0 and "PLAIN='hello'" in res.stdout
    for key in [*CANARIES, "DB_URL", "SMTP_URL", "Q_URL", "SIGNED"]:
        assert f"{key}=******" in res.stdout, key
    assert not leaks(res)
    for key in [*CANARIES, "DB_URL", "SIGNED", "Q_URL"]:
        res = run(config, tmp_path, "env.explain", key, "--profile", "canary")
        assert res.returncode == 0, res.stderr
        assert not leaks(res), (key, res.stdout)
    res = run(config, tmp_path, "env.explain", "DB_PASSWD", "--profile", "canary")
    assert "overridden  common/base.env:1" in res.stdout and "final  common/secrets.env:2" in res.stdout
    res = run(config, tmp_path, "env.explain", "DB_URL", "--profile", "canary")
    assert "(uses DB_PASSWD)" in res.stdout and "built from a secret" in res.stdout
    res = run(config, tmp_path, "env.check", "--all", "--strict")
    assert "DB_PASSWD is defined with different values" in res.stdout
    assert not leaks(res)


def test_diff_masks_the_old_side_after_a_rotation(config, tmp_path):
    assert run(config, tmp_path, "env.generate", "--profile", "canary").returncode == 0
    rotated = {k: v.replace("canary-", "rotated-") if len(v) > 2 else "r9" for k, v in CANARIES.items()}
    (config / "environments" / "common" / "secrets.env").write_text("".join(f"{k}={v}\n" for k, v in rotated.items()))
    res = run(config, tmp_path, "env.diff", "--profile", "canary")
    assert res.returncode == 0
    assert "~ DB_URL: ****** -> ******" in res.stdout and "~ SIGNED: ****** -> ******" in res.stdout
    assert not leaks(res, extra=[v for v in rotated.values() if len(v) > 2])


def test_set_of_a_secret_is_masked(config, tmp_path):
    res = run(config, tmp_path, "env.show", "--profile", "canary", "--set", "DB_PASSWD=canary-set-0008")
    assert res.returncode == 0 and not leaks(res, extra=["canary-set-0008"])


@pytest.mark.parametrize("fragment,text,needle", [
    ("common/base.env", "X=${UNSET_X:?db password is ${DB_PASSWD}}\n", "db password is ${DB_PASSWD}"),
    ("common/secrets.env", "DB_PASSWD canary-typo-0009\n", "common/secrets.env:8:1: cannot parse"),
    ("common/secrets.env", "DB_PASSWD=abc${canary-unterm-0010\n", "common/secrets.env:8:14"),
    ("common/secrets.env", "DB_PASSWD='canary-open-0011\n", "unterminated single quote"),
    ("common/secrets.env", "canary-name-0012=x\n", "bad variable name"),
    ("common/secrets.env", "DB_PASSWD=canary-$(id)-0013\n", "$(...) would run a command"),
    ("common/secrets.env", "DB_PASSWD=pa${canaryref0014}word\n", "DB_PASSWD references an undefined variable"),
    ("common/secrets.env", "DB_PASSWD=pa${canaryreq0015:?canary-msg-0016}\n", "DB_PASSWD requires a variable"),
    ("common/secrets.env", "DB_PASSWD=pa${canaryunt0017\n", "unterminated ${…"),
    ("common/secrets.env", "DB_PASSWD=x${canarysub0018/a/b}\n", "unsupported expansion ${…"),
    ("common/secrets.env", "DB_PASSWD=\"canary-cr\r-0014\"\n", "DB_PASSWD: the value cannot be written"),
    # a stray blank before a quoted multi-line key: bash runs the quoted text as a command, so its
    # lines are not lines of the fragment (read as such, they were reported with their text)
    ("profiles/canary.env", 'JWT_PRIVATE_KEY= "-----BEGIN-----\ncanarypem0019+=\ncanary-pem-0020 x\n-----END-----"\n',
     "unquoted blank inside a value"),
])
def test_error_messages_carry_no_secret(config, tmp_path, fragment, text, needle):
    path = config / "environments" / fragment
    path.write_text(path.read_text() + text)
    writes_only = "cannot be written" in needle  # show and check only print it, masked
    for task in ("env.generate", "env.show", "env.check"):
        res = run(config, tmp_path, task, "--profile", "canary")
        assert "Traceback" not in res.stderr
        if task == "env.generate" or not writes_only:
            assert res.returncode != 0
            assert needle in res.stdout + res.stderr, (task, res.stdout, res.stderr)
        extra = re.findall(r"canary-[a-z]+-\d{4}", text) + re.findall(r"canary[a-z]+\d{4}", text)
        assert not leaks(res, extra=extra), (task, res.stdout + res.stderr)


def test_check_strict_reports_placeholder_and_misplaced_secrets_by_any_secret_name(config, tmp_path):
    env = config / "environments" / "common"
    (env / "secrets.env").write_text("SECRET_KEY_BASE=changeme\nDB_PASSWD=x-real-0001\n")
    (env / "base.env").write_text("GITHUB_TOKEN_RO=canary-ghr-0004\nSMTP_CREDENTIALS=canary-smtp-0005\n")
    res = run(config, tmp_path, "env.check", "--profile", "canary", "--strict")
    assert res.returncode == 1
    assert "SECRET_KEY_BASE holds a placeholder secret" in res.stdout
    assert "GITHUB_TOKEN_RO looks secret but is defined outside common/secrets.env" in res.stdout
    assert "SMTP_CREDENTIALS looks secret" in res.stdout
    assert not leaks(res)


def test_a_stray_blank_before_a_quoted_value_is_one_error_not_one_per_line_of_the_value(config, tmp_path):
    path = config / "environments" / "profiles" / "canary.env"
    path.write_text(path.read_text() + 'KEY= "line one\nCANARY+=\nnot a command\n# nor a comment\n"\nAFTER=$(id)\n')
    res = run(config, tmp_path, "env.generate", "--profile", "canary")
    assert res.returncode == 2
    errors = re.findall(r"profiles/canary\.env:(\d+):\d+:", res.stdout + res.stderr)
    assert errors == ["2", "7"], res.stdout + res.stderr  # the blank, then the next command bash reads


def test_a_rotated_secret_is_masked_in_diff_after_it_left_the_secrets_fragment(config, tmp_path):
    """The old file says which keys were secret when it was written (`# secret keys:`)."""
    res = run(config, tmp_path, "env.generate", "--profile", "canary")
    assert res.returncode == 0, res.stderr
    secrets = config / "environments" / "common" / "secrets.env"
    secrets.write_text(secrets.read_text().replace("ODDLY_NAMED=canary-odd-0006\n", ""))
    base = config / "environments" / "common" / "base.env"
    base.write_text(base.read_text() + "ODDLY_NAMED=now-plain\n")
    res = run(config, tmp_path, "env.diff", "--profile", "canary")
    assert res.returncode == 0, res.stderr
    assert "~ ODDLY_NAMED: ****** -> ******" in res.stdout
    assert not leaks(res)


def test_an_overridden_url_password_is_masked_in_explain_and_check(config, tmp_path):
    base = config / "environments" / "common" / "base.env"
    base.write_text(base.read_text() + "DATABASE_URL=postgres://app:canary-url-0021@db/app\n")
    (config / "environments" / "common" / "local.env").write_text("DATABASE_URL=sqlite:///x.db\n")
    profile = config / "environments" / "profiles" / "canary.env"
    profile.write_text(profile.read_text() + "source common/local.env\n")
    res = run(config, tmp_path, "env.explain", "DATABASE_URL", "--profile", "canary")
    assert res.returncode == 0 and "postgres://app:******@db/app" in res.stdout, res.stdout + res.stderr
    check = run(config, tmp_path, "env.check", "--profile", "canary")
    assert "postgres://app:******@db/app" in check.stdout + check.stderr
    for res in (check, run(config, tmp_path, "env.show", "--profile", "canary")):
        assert not leaks(res, extra=["canary-url-0021"])


@pytest.mark.parametrize("url,shown", [
    ("https://ci:canary-tok-0022@127.0.0.1:1/cfg.git", "https://ci:******@127.0.0.1:1/cfg.git"),
    ("https://canary-tok-0023@127.0.0.1:1/cfg.git", "https://******@127.0.0.1:1/cfg.git"),  # a bare token
])
def test_credentials_in_the_config_repo_url_are_masked_in_every_config_output(tmp_path, url, shown):
    import subprocess

    repo = tmp_path / "cfg"
    assert inv("config.init", str(repo), state_dir=tmp_path).returncode == 0
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", url], check=True)
    res = inv("config.status", "--path", str(repo), state_dir=tmp_path)
    assert shown in res.stdout, res.stdout + res.stderr
    outputs = [res]
    for extra in (["--dry-run"], []):  # the echoed command, then the warning that it cannot be cloned
        outputs.append(inv("config.sync", "--url", url, "--path", str(tmp_path / "new"), *extra, state_dir=tmp_path))
        assert shown in outputs[-1].stdout + outputs[-1].stderr
    token = url.split("@")[0].rsplit(":", 1)[-1].lstrip("/")
    for res in outputs:
        assert token not in res.stdout + res.stderr
