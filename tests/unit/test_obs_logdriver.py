"""The loki logging driver plugin: one rule, used by `doctor` and by `start --log-driver loki`, and
an install command that names a tag Grafana publishes.

Facts, from grafana/loki@v3.5.0:
- the plugin is pushed per architecture, tagged `<version>-<platform_short>`: amd64 and arm64
  (.github/release-workflows.jsonnet: `build.dockerPlugin(..., platform=[linux/amd64, linux/arm64])`;
  .github/vendor/github.com/grafana/loki-release/workflows/build.libsonnet, dockerPlugin: `tags:
  ...:${version}-${platform_short}`), so there is no plain `3.5.0` tag;
- compose files say `driver: loki`, which the engine resolves to a plugin named `loki` (installed
  with `--alias loki`); `docker plugin ls` shows it as `loki:latest`.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from symphony.core.observability.logdriver import install_command, plugin_problem
from symphony.errors import SymphonyError

# `docker plugin ls --format '{{.Name}} {{.Enabled}}'` in the situations a user meets
ALIASED = "loki:latest true\n"
ALIASED_DISABLED = "loki:latest false\n"
UNALIASED = "grafana/loki-docker-driver:3.5.0-amd64 true\n"
OTHER_PLUGIN = "vieux/sshfs:latest true\n"


@pytest.mark.parametrize("arch, tag", [("amd64", "3.5.0-amd64"), ("x86_64", "3.5.0-amd64"), ("arm64", "3.5.0-arm64"),
                                       ("aarch64", "3.5.0-arm64")])
def test_install_command_names_the_published_tag_for_the_engines_architecture(arch, tag):
    command = install_command(arch)
    assert command == f"docker plugin install grafana/loki-docker-driver:{tag} --alias loki --grant-all-permissions"


def test_only_an_enabled_plugin_under_the_alias_loki_is_usable():
    assert plugin_problem(ALIASED) is None
    assert plugin_problem(OTHER_PLUGIN + ALIASED) is None
    disabled = plugin_problem(ALIASED_DISABLED)
    assert "disabled" in disabled and "docker plugin enable loki" in disabled
    unaliased = plugin_problem(UNALIASED)
    assert "grafana/loki-docker-driver:3.5.0-amd64" in unaliased and "--alias loki" in unaliased
    assert plugin_problem("") == "the loki logging driver plugin is not installed"
    assert plugin_problem(OTHER_PLUGIN) == "the loki logging driver plugin is not installed"


@dataclass
class Answer:
    stdout: str
    code: int = 0


class EngineWithPlugins:
    """Answers the two read-only questions the rule asks of the engine."""

    dry_run = False
    context = None

    def __init__(self, plugins: str, arch: str = "arm64"):
        self.plugins, self.arch = plugins, arch

    def query(self, argv, check=True):
        if argv[:3] == ["docker", "plugin", "ls"]:
            return Answer(self.plugins)
        if argv[:2] == ["docker", "version"]:
            return Answer(self.arch + "\n")
        raise AssertionError(f"unexpected command {argv}")


@pytest.mark.parametrize("plugins", [ALIASED, ALIASED_DISABLED, UNALIASED, ""])
def test_doctor_accepts_exactly_what_start_accepts(plugins):
    from symphony.app.doctor import _check_engine
    from symphony.app.observability import require_loki_plugin

    engine = EngineWithPlugins(plugins)
    engine.engine_version = lambda: "20.10"
    engine.compose_version = lambda: "2.30"
    engine.compose_base = ["docker", "compose"]
    check = next(c for c in _check_engine(engine) if c.name == "loki-driver")
    try:
        require_loki_plugin(engine)
        started = True
    except SymphonyError as exc:
        started = False
        assert exc.hint == check.fix == install_command("arm64")  # the same per-architecture command
    assert (check.status == "ok") is started
