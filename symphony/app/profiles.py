"""Which profile a command acts on, and which services it declares."""
from __future__ import annotations

from symphony.errors import UsageError
from symphony.infra import state


def active_profile(settings, profile: str | None) -> str:
    """The profile named on the command line, else the one `start` recorded, else the default."""
    if profile is not None:  # `--profile ""` is a mistake, not "the default"
        return state.validate_profile(profile)
    return state.read_active_profile(default=settings.default_profile)


def declared_services(profile: str) -> list[str]:
    """Service names straight from the profile's YAML (no env needed, so status works anytime)."""
    import yaml

    from symphony.core.yamlio import load_yaml

    try:
        doc = load_yaml(state.compose_file(profile).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    services = doc.get("services") if isinstance(doc, dict) else None  # a broken file: compose.check says why
    return sorted(str(name) for name in services) if isinstance(services, dict) else []


def check_services(requested, known, profile: str) -> list[str]:
    unknown = [s for s in requested or () if s not in known]
    if unknown:
        raise UsageError(f"no service {', '.join(map(repr, unknown))} in profile {profile!r}",
                         hint=f"services: {', '.join(sorted(known))}")
    return list(requested or ())
