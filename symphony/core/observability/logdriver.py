"""The loki Docker logging driver: one rule for "is it usable", one install command (pure).

`start --log-driver loki` writes `logging: {driver: loki}`, so the engine needs an ENABLED plugin
known by the name `loki` (installed with `--alias loki`); a plugin installed under its own
name, or disabled, cannot serve that driver. Grafana publishes the plugin per architecture
(`3.5.0-amd64`, `3.5.0-arm64`; there is no plain `3.5.0` tag).
"""
from __future__ import annotations

LOKI_DRIVER_VERSION = "3.5.0"
ALIAS = "loki"
ARCHES = {"amd64": "amd64", "x86_64": "amd64", "arm64": "arm64", "aarch64": "arm64"}


def install_command(engine_arch: str) -> str:
    arch = ARCHES.get((engine_arch or "").lower(), "amd64")
    return (f"docker plugin install grafana/loki-docker-driver:{LOKI_DRIVER_VERSION}-{arch} "
            f"--alias {ALIAS} --grant-all-permissions")


def plugin_problem(plugin_lines: str) -> str | None:
    """None when an enabled plugin answers to `loki`; else what is wrong. `plugin_lines` is
    `docker plugin ls --format '{{.Name}} {{.Enabled}}'`."""
    found = []
    for line in plugin_lines.splitlines():
        name, _, enabled = line.strip().partition(" ")
        if name:
            found.append((name.split(":")[0], enabled.strip() == "true", name))
    for short, enabled, _ in found:
        if short == ALIAS and enabled:
            return None
    if any(short == ALIAS for short, _, _ in found):
        return "the loki logging driver plugin is installed but disabled (`docker plugin enable loki`)"
    other = [full for short, _, full in found if "loki-docker-driver" in short]
    if other:
        return (f"the loki driver plugin is installed as {other[0]}, not under the alias `loki` that the "
                "compose files use (remove it and install it again with --alias loki)")
    return "the loki logging driver plugin is not installed"
