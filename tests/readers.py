"""The three readers a generated env file must satisfy: bash, python-dotenv, Compose."""
import json
import os
import subprocess
from pathlib import Path


def read_with_bash(path: Path, keys) -> dict:
    script = 'set -a; source "$1"; shift; for k in "$@"; do printf "%s\\0" "${!k}"; done'
    out = subprocess.run(["bash", "-c", script, "bash", str(path), *keys], capture_output=True, check=True,
                         env={"PATH": os.environ["PATH"]}).stdout
    return dict(zip(keys, out.decode().split("\0")[:-1], strict=False))


def read_with_dotenv(path: Path) -> dict:
    from dotenv import dotenv_values

    return {k: v or "" for k, v in dotenv_values(path, interpolate=False).items()}


def read_with_compose(path: Path, keys, workdir: Path) -> dict:
    """`docker compose --env-file` interpolates ${KEY} into a service's environment."""
    compose = workdir / "readers-compose.yml"
    env_lines = "".join(f"      {k}: ${{{k}}}\n" for k in keys)
    compose.write_text(f"services:\n  reader:\n    image: busybox:1.35\n    environment:\n{env_lines}")
    out = subprocess.run(["docker-compose", "-f", str(compose), "--env-file", str(path), "config", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    env = json.loads(out)["services"]["reader"]["environment"]
    return {k: (env.get(k) or "").replace("$$", "$") for k in keys}  # config escapes literal $ as $$
