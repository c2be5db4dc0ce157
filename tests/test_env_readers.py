"""Generated files read back identically by bash, python-dotenv and Compose."""
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from symphony.core.envcompiler import compile_env, render_env_file
from symphony.core.envcompiler.model import EnvError
from symphony.core.envcompiler.writer import quote_value
from tests.readers import read_with_bash, read_with_compose, read_with_dotenv

DYN = {"DETECTED_IP": "10.1.2.3", "TAG": "latest", "CONFIG_REPO_PATH": "/cfg"}


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
    (env / "common" / "secrets.env").write_text("POSTGRES_PASSWORD=s3cr3t_pg\nRABBITMQ_PASS=s3cr3t_mq\nJWT_SECRET='a b c $x'\n")
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


def test_bash_and_dotenv_read_the_compiled_values(bench_config):
    compiled, out = bench_config
    keys = list(compiled.values)
    assert read_with_bash(out, keys) == compiled.values
    assert read_with_dotenv(out) == compiled.values


@pytest.mark.docker
def test_compose_reads_the_compiled_values(bench_config, tmp_path):
    compiled, out = bench_config
    keys = list(compiled.values)
    assert read_with_compose(out, keys, tmp_path) == compiled.values


VALUES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=VALUES)
def test_write_then_bash_and_dotenv_read_the_same_or_refuse(tmp_path, value):
    try:
        line = f"K={quote_value('K', value)}\n"
    except EnvError as exc:
        assert exc.message.startswith("K:")
        return
    path = tmp_path / "one.env"
    path.write_text(line)
    assert read_with_bash(path, ["K"]) == {"K": value}
    assert read_with_dotenv(path) == {"K": value}


@pytest.mark.docker
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(VALUES, min_size=1, max_size=8))
def test_write_then_compose_reads_the_same_or_refuse(tmp_path, values):
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose not installed")
    lines, expected = [], {}
    for i, value in enumerate(values):
        try:
            lines.append(f"K{i}={quote_value(f'K{i}', value)}")
            expected[f"K{i}"] = value
        except EnvError:
            continue
    if not expected:
        return
    path = tmp_path / "many.env"
    path.write_text("\n".join(lines) + "\n")
    assert read_with_compose(path, list(expected), tmp_path) == expected
