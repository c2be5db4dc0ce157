"""Generated files read back identically by bash, python-dotenv and Compose."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from tasks.envcompiler import compile_env, render_env_file
from tasks.envcompiler.model import EnvError
from tasks.envcompiler.writer import quote_value
from tests.readers import read_with_bash, read_with_compose, read_with_dotenv

MAKE_CONFIG = Path(__file__).resolve().parents[2] / "shared" / "bench" / "make_config.py"
DYN = {"DETECTED_IP": "10.1.2.3", "TAG": "latest", "CONFIG_REPO_PATH": "/cfg"}


@pytest.fixture(scope="module")
def bench_config(tmp_path_factory):
    if not MAKE_CONFIG.exists():
        pytest.skip(f"{MAKE_CONFIG} not found")
    root = tmp_path_factory.mktemp("cfg")
    subprocess.run([sys.executable, str(MAKE_CONFIG), str(root), "12"], check=True)
    compiled = compile_env(root, "dev", environ={}, dynamic=DYN)
    out = root / "out.env"
    out.write_text(render_env_file(compiled, source_label="bench"))
    return compiled, out


def test_bench_shape_compiles_to_what_the_definitions_mean(bench_config):
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
