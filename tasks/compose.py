"""`compose.*`: lint the profiles' compose files; render the platform files from the catalog."""
from __future__ import annotations

from symphony.cli import settings, task


@task(iterable=["set"], help={
    "profile": "profile to check (default: the active profile)",
    "all": "check every profile",
    "config": "config repo path (default: the usual config source)",
    "set": "override KEY=VALUE in the env used for the check (repeatable)",
})
def check(c, profile=None, all=False, config=None, set=None):
    """Lint compose files: dependencies, cycles, healthchecks, variables, host ports."""
    from symphony.app.composecheck import check_profiles
    from symphony.app.envfile import resolve_profile
    from symphony.cli.flags import one_profile_or_all
    from symphony.infra import state

    one_profile_or_all(profile, all)
    s = settings(c)
    profiles = state.known_profiles() if all else [state.validate_profile(resolve_profile(s, profile))]
    check_profiles(s, profiles, config, set)


@task(help={"check": "do not write; fail if a committed file differs from the catalog"})
def render(c, check=False):
    """Rewrite compose/{core,gateway,prod,dev}.yml from the platform catalog."""
    from symphony.app.composecheck import rendered_files
    from symphony.app.generated import sync_generated

    sync_generated(rendered_files(), check=check, source="compose/catalog/", fix="inv compose.render")
