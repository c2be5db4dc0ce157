"""Run `inv` as a user would: a subprocess from the repo root, with state in a tmp dir."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def inv(*args, state_dir=None, env=None, timeout=300, cwd=ROOT):
    full_env = dict(os.environ, NO_COLOR="1")
    full_env.pop("SENTIRIC_CONFIG_PATH", None)
    if state_dir is not None:
        full_env["SYMPHONY_STATE_DIR"] = str(state_dir)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=cwd, capture_output=True,
                          text=True, env=full_env, timeout=timeout)


def assert_exit(res, code: int, *needles: str) -> None:
    """`res` ended with `code`, without a traceback, saying each of `needles` on stderr."""
    assert res.returncode == code, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    for needle in needles:
        assert needle in res.stderr, res.stderr
