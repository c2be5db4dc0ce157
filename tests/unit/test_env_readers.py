"""Generated files read back identically by bash, python-dotenv and Compose."""
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symphony.core.envcompiler import compile_env, render_env_file
from symphony.core.envcompiler.model import EnvError
from symphony.core.envcompiler.writer import quote_value
from tests.readers import read_with_bash, read_with_compose, read_with_dotenv

DYN = {"DETECTED_IP": "10.1.2.3", "TAG": "latest", "CONFIG_REPO_PATH": "/cfg"}
needs_compose = pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")


def write_platform_shaped_config(root: Path, services: int) -> None:
    """A config repo shaped like the platform's: common base with URLs built from references and
    defaults, quoted secrets, and one fragment per service chaining to the previous one."""
    env = root / "environments"
    for sub in ("common", "services", "profiles"):
        (env / sub).mkdir(parents=True)
    (env / "common" / "base.env").write_text(
        "# base settings\nLOG_LEVEL=info\nMETRICS_PORT=9091 # agent metrics port\n"
        "POSTGRES_USER=sentiric\nPOSTGRES_DB=sentiric_db\nPOSTGRES_HOST=postgres\nPOSTGRES_PORT=5432\n"
        "POSTGRES_URL=postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}/${POSTGRES_DB}?sslmode=disable\n"
        "RABBITMQ_USER=sentiric\n"
        'RABBITMQ_URL="amqp://${RABBITMQ_USER}:${RABBITMQ_PASS}@rabbitmq:5672/%2f"\n'
        'REDIS_URL="redis://${REDIS_HOST:-redis}:${REDIS_PORT:-6379}"\n')
    (env / "common" / "secrets.env").write_text(
        "POSTGRES_PASSWORD=s3cr3t_pg\nRABBITMQ_PASS=s3cr3t_mq\nJWT_SECRET='a b c $x'\n")
    for i in range(services):
        name, upstream = f"SVC{i}", f"SVC{max(i - 1, 0)}"
        (env / "services" / f"svc{i}.env").write_text("\n".join([
            f"# service {i}", f"{name}_HOST=svc-{i}", f"{name}_GRPC_PORT={50000 + i}", f"{name}_HTTP_PORT={8000 + i}",
            f'{name}_GRPC_URL="${{{name}_HOST}}:${{{name}_GRPC_PORT}}"',
            f"{name}_HTTP_URL=http://${{{name}_HOST}}:${{{name}_HTTP_PORT}}/api",
            f"{name}_DB_URL=${{POSTGRES_URL}}", f"{name}_UPSTREAM=${{{upstream}_GRPC_URL}}"]) + "\n")
    (env / "profiles" / "dev.env").write_text("\n".join(
        ["# profile dev", "source common/base.env", "source common/secrets.env"]
        + [f"source services/svc{i}.env" for i in range(services)]) + "\n")


@pytest.fixture(scope="module")
def bench_config(tmp_path_factory):
    root = tmp_path_factory.mktemp("cfg")
    write_platform_shaped_config(root, 12)
    compiled = compile_env(root, "dev", environ={}, dynamic=DYN)
    out = root / "out.env"
    out.write_text(render_env_file(compiled, source_label="test"))
    return compiled, out


def test_platform_shaped_config_compiles_to_what_the_definitions_mean(bench_config):
    compiled, _ = bench_config
    v = compiled.values
    assert v["POSTGRES_URL"] == "postgres://sentiric:s3cr3t_pg@postgres:5432/sentiric_db?sslmode=disable"
    assert v["RABBITMQ_URL"] == "amqp://sentiric:s3cr3t_mq@rabbitmq:5672/%2f"
    assert v["REDIS_URL"] == "redis://redis:6379"
    assert v["JWT_SECRET"] == "a b c $x"
    assert v["METRICS_PORT"] == "9091"
    for i in range(12):
        assert v[f"SVC{i}_GRPC_URL"] == f"svc-{i}:{50000 + i}"
        assert v[f"SVC{i}_HTTP_URL"] == f"http://svc-{i}:{8000 + i}/api"
        assert v[f"SVC{i}_DB_URL"] == v["POSTGRES_URL"]
        assert v[f"SVC{i}_UPSTREAM"] == f"svc-{max(i - 1, 0)}:{50000 + max(i - 1, 0)}"


def test_platform_shaped_config_compiles_to_what_bash_makes_of_it(bench_config, tmp_path_factory):
    """The expected values come from bash sourcing the same fragments (secrets first, since bash
    resolves references in file order and the compiler against final values)."""
    import os
    import subprocess

    compiled, out = bench_config
    root = Path(compiled.config_root) / "environments"
    keys = [k for k in compiled.values if k not in DYN]
    script = ('set -a; source common/secrets.env; source profiles/dev.env; '
              'for k in "$@"; do printf "%s\\0" "${!k}"; done')
    res = subprocess.run(["bash", "-c", script, "bash", *keys], cwd=root, capture_output=True, check=True,
                         env={"PATH": os.environ["PATH"]})
    assert not res.stderr
    assert dict(zip(keys, res.stdout.decode().split("\0")[:-1], strict=True)) == {k: compiled.values[k] for k in keys}


def test_bash_and_dotenv_read_the_compiled_values(bench_config):
    compiled, out = bench_config
    keys = list(compiled.values)
    assert read_with_bash(out, keys) == compiled.values
    assert read_with_dotenv(out) == compiled.values


@needs_compose
def test_compose_reads_the_compiled_values(bench_config, tmp_path):
    compiled, out = bench_config
    keys = list(compiled.values)
    assert read_with_compose(out, keys, tmp_path) == compiled.values


VALUES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
# Values made mostly of what quoting is about, so both the writer's forms and its refusals are hit.
TRICKY = st.lists(st.sampled_from(list("ab $'\"\\`\n#={}!-_@*?[(%:~\t\r\x00\u00a0\u2028") + ["${", "$a", "\\\\"]),
                  max_size=10).map("".join)
NEXT = 'NEXT="after"'  # a later line with a double quote: python-dotenv must not read on into it


def write_values(path: Path, values: list[str]) -> dict:
    """Write every value the writer accepts into one file; returns what must be read back."""
    lines, expected = [], {}
    for i, value in enumerate(values):
        try:
            lines.append(f"K{i}={quote_value(f'K{i}', value)}")
            expected[f"K{i}"] = value
        except EnvError as exc:
            assert exc.message.startswith(f"K{i}: the value cannot be written")
    path.write_text("\n".join([*lines, NEXT]) + "\n")
    expected["NEXT"] = "after"
    return expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(VALUES, TRICKY), min_size=1, max_size=12))
def test_write_then_bash_and_dotenv_read_the_same(tmp_path, values):
    path = tmp_path / "many.env"
    expected = write_values(path, values)
    assert read_with_bash(path, list(expected)) == expected
    assert read_with_dotenv(path) == expected


@needs_compose
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(VALUES, TRICKY), min_size=1, max_size=12))
def test_write_then_compose_reads_the_same(tmp_path, values):
    path = tmp_path / "many.env"
    expected = write_values(path, values)
    assert read_with_compose(path, list(expected), tmp_path) == expected


def candidate_forms(value: str) -> list[str]:
    """Every way one could write `value` on a line, independent of the writer."""
    esc_dq = value.replace("\\", "\\\\").replace('"', '\\"')
    forms = [f"'{value}'", f'"{esc_dq}"', '"' + esc_dq.replace("$", "\\$").replace("`", "\\`") + '"',
             "".join("\\" + c if not c.isalnum() else c for c in value), value]
    return list(dict.fromkeys(forms))


def read_by_all(path: Path, keys, workdir: Path, compose: bool) -> list[dict]:
    results = []
    for reader in (lambda: read_with_bash(path, keys), lambda: read_with_dotenv(path),
                   *([lambda: read_with_compose(path, keys, workdir)] if compose else [])):
        try:
            results.append(reader())
        except Exception:  # a reader that fails on the file does not read it the same
            results.append(None)
    return results


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=TRICKY)
def test_refused_values_have_no_form_all_readers_read_the_same(tmp_path, value):
    """A refusal must be true: no candidate form is read back as the value by every reader."""
    try:
        quote_value("K", value)
        return
    except EnvError:
        pass
    no_form_reads_the_same(tmp_path, value)


@pytest.mark.parametrize("value", ["it's $HOME", "it's ${X}", "it's `id`", "a\rb", "$HOME\\", "x\\\\y`z",
                                   "o'k$1", "o'k$$", "$HOME's", "it's $ and $HOME $"])
def test_each_kind_of_refusal_is_true(tmp_path, value):
    with pytest.raises(EnvError):
        quote_value("K", value)
    no_form_reads_the_same(tmp_path, value)


def no_form_reads_the_same(tmp_path, value):
    compose = shutil.which("docker-compose") is not None
    for form in candidate_forms(value):
        if "\x00" in form:
            continue  # a NUL cannot even be passed to bash: no form carries it
        path = tmp_path / "candidate.env"
        path.write_text(f"K={form}\n{NEXT}\n")
        results = read_by_all(path, ["K", "NEXT"], tmp_path, compose)
        assert not all(r == {"K": value, "NEXT": "after"} for r in results), (value, form)


@pytest.mark.parametrize("value", ["it's \"quoted\"", "\\\\server\\share", "C:\\dir\\sub", "C:\\dir\\", "it's 5$",
                                   "line one\nline two", "pa$$word", "5$", "trailing space ", "x'y\\\\z",
                                   "a$%b's", "#not a comment", "tab\there"])
def test_values_the_torture_report_found_refused_are_written(tmp_path, value):
    path = tmp_path / "v.env"
    expected = write_values(path, [value])
    assert expected["K0"] == value
    assert read_with_bash(path, list(expected)) == expected and read_with_dotenv(path) == expected
    if shutil.which("docker-compose"):
        assert read_with_compose(path, list(expected), tmp_path) == expected
