"""platform.audit on small checkouts the tests build: agreement exits 0; each kind of drift is
named with file:line on the catalog's side and the checkout's, and exits 1."""
from __future__ import annotations

import dataclasses
import textwrap

import pytest

from symphony.app.platform import CATALOG_DIR, platform_catalog
from symphony.core.platform.audit import catalog_lines, compare, dockerfile_facts, read_checkout
from tests.invoke_helpers import inv

DOCKERFILE = textwrap.dedent("""\
    FROM golang:1.24-bullseye AS builder
    RUN apt-get update && apt-get install -y --no-install-recommends git build-essential
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends \\
        netcat-openbsd \\
        curl \\
        ca-certificates \\
        && rm -rf /var/lib/apt/lists/*
    USER appuser
    ENTRYPOINT ["./sentiric-user-service"]
    """)
CONFIG_GO = textwrap.dedent("""\
    package config
    import "os"
    func Load() {
        _ = GetEnvOrFail("POSTGRES_URL")
        _ = GetEnv("USER_SERVICE_GRPC_PORT", "12011")
        _ = GetEnv("USER_SERVICE_HTTP_PORT", "12010")
        _ = GetEnvOrFail("USER_SERVICE_CERT_PATH")
        _ = GetEnvOrFail("USER_SERVICE_KEY_PATH")
        _ = GetEnvOrFail("GRPC_TLS_CA_PATH")
        _ = GetEnvOrFail("SIP_SIGNALING_SERVICE_REALM")
        _ = GetEnv("LOG_LEVEL", "info")
        _ = GetEnv("LOG_FORMAT", "json")
        _ = GetEnv("ENV", "production")
        _, _ = os.LookupEnv("X")
    }
    """)
APP_GO = 'package app\nfunc routes(mux *http.ServeMux) {\n\tmux.HandleFunc("/health", ok)\n}\n'


@pytest.fixture
def checkouts(tmp_path):
    repo = tmp_path / "sentiric-user-service"
    (repo / "internal/config").mkdir(parents=True)
    (repo / "internal/app").mkdir(parents=True)
    (repo / "Dockerfile").write_text(DOCKERFILE)
    (repo / "internal/config/config.go").write_text(CONFIG_GO)
    (repo / "internal/app/app.go").write_text(APP_GO)
    return tmp_path


def audit(path):
    return inv("platform.audit", "--path", str(path), "-s", "user-service")


def test_a_checkout_that_agrees_passes(checkouts):
    res = audit(checkouts)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "user-service: the catalog agrees" in res.stdout


def test_a_tool_the_image_no_longer_installs_fails_naming_both_sides(checkouts):
    dockerfile = checkouts / "sentiric-user-service/Dockerfile"
    dockerfile.write_text(DOCKERFILE.replace("curl \\\n", ""))
    assert "curl" not in dockerfile.read_text()
    res = audit(checkouts)
    assert res.returncode == 1
    catalog_line = catalog_lines((CATALOG_DIR / "user-service.yaml").read_text())[("runtime", "tools")]
    assert f"compose/catalog/user-service.yaml:{catalog_line}" in res.stdout
    assert "the healthcheck runs 'curl', which the image does not have" in res.stdout
    assert f"{dockerfile}:3" in res.stdout  # the final stage's FROM line


def test_a_variable_the_code_stopped_reading_and_a_vanished_route_fail(checkouts):
    config = checkouts / "sentiric-user-service/internal/config/config.go"
    config.write_text(CONFIG_GO.replace('GetEnvOrFail("POSTGRES_URL")', 'GetEnvOrFail("USER_SERVICE_DATABASE_URL")'))
    (checkouts / "sentiric-user-service/internal/app/app.go").write_text(APP_GO.replace('"/health"', '"/healthz"'))
    res = audit(checkouts)
    assert res.returncode == 1
    assert "env POSTGRES_URL: the catalog passes it, the code never reads it" in res.stdout
    assert "health path /health: no route for it in the code" in res.stdout


def test_no_checkout_at_all_is_an_error_not_a_pass(tmp_path):
    res = audit(tmp_path)
    assert res.returncode == 1 and "no service checkout found" in res.stderr


def test_readers_of_each_language_and_the_final_stage():
    files = {
        "Dockerfile": "FROM python:3.11-slim AS base\nFROM node:20-alpine\nEXPOSE 17010\n"
                      "CMD [\"node\", \"--port\", \"17010\"]\n",
        "src/config.rs": 'let p = env::var("MEDIA_SERVICE_GRPC_PORT")?;\nlet q = std::env::var("TENANT_ID");\n',
        "app/settings.py": "import os\nA = os.environ['REDIS_URL']\nB = os.getenv('RABBITMQ_URL', '')\n"
                           "class Settings(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix='STT_')\n"
                           "    model_size: str = 'medium'\n",
        "src/index.js": "const port = process.env.PORT || 17010;\napp.get('/health', ok);\n",
    }
    facts = read_checkout(files, "repo")
    assert facts.base == "node:20-alpine" and {"wget", "nc", "node", "sh"} <= facts.tools and "bash" not in facts.tools
    assert set(facts.env) >= {"MEDIA_SERVICE_GRPC_PORT", "TENANT_ID", "REDIS_URL", "RABBITMQ_URL", "STT_MODEL_SIZE",
                              "PORT"}
    assert facts.env["REDIS_URL"] == "repo/app/settings.py:2" and facts.routes["/health"] == "repo/src/index.js:2"
    assert facts.expose == {17010: "repo/Dockerfile:3"} and 17010 in facts.cmd_ports


def test_a_port_fixed_on_the_command_line_that_the_catalog_lacks_is_drift():
    facts = dockerfile_facts('FROM python:3.11-slim\nCMD ["uvicorn", "app:app", "--port", "14020"]\n', "Dockerfile")
    svc = platform_catalog().services["user-service"]
    found = compare(svc, facts, {}, "user-service.yaml")
    assert any("listens on 14020" in f.what and f.checkout_at == "Dockerfile:2" for f in found)


def test_readers_of_config_libraries_and_hand_made_routing():
    files = {
        "Dockerfile": "FROM debian:bookworm-slim\nRUN apt-get install -y curl\n",
        "src/config.rs": textwrap.dedent("""\
            use config::{Config, Environment};
            #[derive(Deserialize)]
            pub struct AppConfig {
                pub grpc_tls_ca_path: String,
                pub tenant_id: String,
            }
            fn load() { Config::builder().add_source(Environment::default().separator("__")); }
            """),
        "src/main.rs": "tracing_subscriber::fmt().with_env_filter(EnvFilter::from_default_env()).init();\n",
        "src/metrics.rs": '    match (req.method(), req.uri().path()) {\n        (&Method::GET, "/metrics") => ok(),\n'
                          '        (&Method::GET, "/healthz") => ok(),\n        _ => not_found(),\n    }\n'
                          'let key = "/etc/ssl/key.pem";\n',
        "src/config/index.ts": "import FastifyEnv from '@fastify/env';\nconst S = Type.Object({\n"
                               "  PORT: Type.Number({ default: 17010 }),\n  HOST: Type.String(),\n});\n",
    }
    facts = read_checkout(files, "r")
    assert {"GRPC_TLS_CA_PATH", "TENANT_ID", "RUST_LOG", "PORT", "HOST"} <= set(facts.env)
    assert facts.env["GRPC_TLS_CA_PATH"] == "r/src/config.rs:4" and facts.env["PORT"] == "r/src/config/index.ts:3"
    assert {"/metrics", "/healthz"} <= set(facts.routes) and "/etc/ssl/key.pem" not in facts.routes
    assert "/" in read_checkout({"Dockerfile": "FROM nginx:1.25-alpine\n"}, "ui").routes  # nginx serves /


def test_a_wrong_health_path_in_the_catalog_is_drift_unless_every_path_answers():
    svc = platform_catalog().services["user-service"]
    facts = read_checkout({"Dockerfile": DOCKERFILE, "config.go": CONFIG_GO,
                           "app.go": APP_GO.replace("/health", "/up")}, "c")
    assert any("health path /health" in f.what for f in compare(svc, facts, {}, "u.yaml"))
    anything = dataclasses.replace(svc, health=dataclasses.replace(svc.health, any_path=True))
    assert not any("health path" in f.what for f in compare(anything, facts, {}, "u.yaml"))


def test_third_party_services_are_named_as_not_audited_rather_than_skipped_silently(checkouts):
    catalog = platform_catalog()
    third_party = [n for n, svc in catalog.services.items() if not svc.image.startswith("ghcr.io/sentiric/")]
    assert third_party  # postgres, rabbitmq, redis: images pinned by their own tags
    res = inv("platform.audit", "--path", str(checkouts), "-s", "user-service", *[a for n in third_party
                                                                                  for a in ("-s", n)])
    assert res.returncode == 0, res.stdout + res.stderr
    line = next(ln for ln in res.stdout.splitlines() if "not audited" in ln)
    for name in third_party:
        assert f"{name} ({catalog.services[name].image})" in line
    assert "1 checkout(s) agree with the catalog" in res.stdout
