"""Symphony's small shared state: repo paths, the state directory, profiles, the active profile."""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from symphony.errors import UsageError
from symphony.infra.files import write_file

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = REPO_ROOT / "compose"
ENV_DIR = REPO_ROOT / "env"
OBSERVABILITY_DIR = REPO_ROOT / "observability"
# Where per-checkout state lives; tests (and people running two checkouts' stacks
# side by side) point SYMPHONY_STATE_DIR elsewhere.
STATE_DIR = Path(os.environ.get("SYMPHONY_STATE_DIR") or REPO_ROOT)
# Where the service checkouts live (`dev` builds them, `platform.audit` reads them): sentiric-<name>
SOURCES_DIR = Path(os.environ.get("SYMPHONY_SOURCES_DIR") or REPO_ROOT.parent).expanduser()
STATE_FILE = STATE_DIR / ".profile.state"
LOCK_FILE = STATE_DIR / ".symphony.lock"
ENV_OUTPUT = STATE_DIR / ".env.generated"

DEFAULT_PROFILE = "demo"
# Compose project = prefix + profile; every resource Symphony owns carries that project label.
PROJECT_PREFIX = os.environ.get("SYMPHONY_PROJECT_PREFIX") or "sentiric-"
# The network every profile and the observability stack share. Symphony creates it and tells
# Compose its name (SENTIRIC_NETWORK in the child's environment), so both always agree; the tests
# use their own so they never touch a developer's running stack.
DEFAULT_NETWORK = "sentiric-net"
NETWORK_NAME = os.environ.get("SENTIRIC_NETWORK") or DEFAULT_NETWORK
_PROFILE_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")  # fullmatch: "demo\n" is no name


def known_profiles(compose_dir: Path = COMPOSE_DIR) -> list[str]:
    """Profiles are the compose files `compose/<profile>.yml`; `_*.yml` are shared parts."""
    if not compose_dir.is_dir():
        return []
    return sorted(
        p.stem
        for p in compose_dir.glob("*.yml")
        if _PROFILE_NAME.fullmatch(p.stem)   # (which also leaves out the shared parts, `_*.yml`)
    )


def compose_file(profile: str, compose_dir: Path = COMPOSE_DIR) -> Path:
    return compose_dir / f"{profile}.yml"


def project_name(profile: str) -> str:
    return f"{PROJECT_PREFIX}{profile}"


def validate_profile(profile: str, compose_dir: Path = COMPOSE_DIR, source: str = "") -> str:
    profiles = known_profiles(compose_dir)
    if profile not in profiles:
        where = f" in {source}" if source else ""
        raise UsageError(
            f"unknown profile {profile!r}{where}",
            hint=f"valid profiles: {', '.join(profiles) or '(none found in ' + str(compose_dir) + ')'}",
        )
    return profile


def read_active_profile(
    state_file: Path = STATE_FILE, compose_dir: Path = COMPOSE_DIR, default: str = DEFAULT_PROFILE
) -> str:
    """The profile recorded by the last `start`; a missing file means the default."""
    if state_file.is_symlink() or (state_file.exists() and not state_file.is_file()):  # a FIFO would block a read
        raise UsageError(f"{state_file} is not a regular file, so it holds no profile",
                         hint="remove it (`inv start --profile NAME` writes it again), or set SYMPHONY_STATE_DIR")
    try:
        raw = state_file.read_bytes()
    except FileNotFoundError:
        return default
    try:
        value = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        value = None
    if not value or not _PROFILE_NAME.fullmatch(value):
        shown = raw[:40].decode("utf-8", "replace").strip() or "(empty)"
        raise UsageError(
            f"{state_file}: garbled profile state {shown!r}",
            hint=(
                f"valid profiles: {', '.join(known_profiles(compose_dir))}; "
                f"fix it with `inv start --profile NAME`, or delete {state_file.name} to use {default!r}"
            ),
        )
    return validate_profile(value, compose_dir, source=str(state_file))


def write_active_profile(profile: str, state_file: Path = STATE_FILE, compose_dir: Path = COMPOSE_DIR) -> None:
    validate_profile(profile, compose_dir)
    write_file(state_file, profile + "\n")


def clear_active_profile(state_file: Path = STATE_FILE) -> None:
    with contextlib.suppress(FileNotFoundError):
        state_file.unlink()
