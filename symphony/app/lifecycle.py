"""`stop` and `clean`: remove what a profile (or every Symphony project) created, keeping data
unless asked, and never touching other projects' resources."""
from __future__ import annotations

from symphony.errors import SymphonyError
from symphony.infra import console as ui
from symphony.infra import state


def stop_profile(runner, profile: str, volumes: bool, yes: bool) -> None:
    from symphony.infra.engine import project_volumes

    project = state.project_name(profile)
    args = ["down", "--remove-orphans"]
    if volumes:
        names = project_volumes(runner, project)
        if names:
            ui.confirm(f"delete {len(names)} volume(s) of profile {profile}, with all their data:", names, yes,
                       runner.dry_run)
        args.append("--volumes")
    res = runner.compose(project, [], [], *args, capture=True, check=False)
    if res.code != 0:
        raise SymphonyError(f"compose could not stop profile {profile}:\n" + ui.mask(res.stderr.strip()),
                            exit_code=res.code)
    if volumes and not runner.dry_run:
        kept = project_volumes(runner, project)  # Compose says "Resource is still in use" and exits 0
        if kept:
            users = volume_users(runner, kept)
            raise SymphonyError(f"profile {profile} stopped, but {len(kept)} volume(s) could not be deleted: "
                                + "; ".join(f"{v} (used by {', '.join(users.get(v, [])) or 'another container'})"
                                            for v in kept),
                                hint="stop or remove those containers, then `inv stop --volumes` again")
    if not runner.dry_run:
        ui.status("ok", f"profile {profile} stopped"
                  + ("" if volumes else "; volumes kept (`inv stop --volumes` deletes them)"))


def volume_users(runner, volumes) -> dict[str, list[str]]:
    """Volume -> the names of the containers (any project's) that mount it."""
    users = {}
    for volume in volumes:
        out = runner.query(["docker", "ps", "-a", "--filter", f"volume={volume}", "--format", "{{.Names}}"],
                           check=False).stdout
        users[volume] = out.split()
    return users


def clean_all(runner, yes: bool) -> None:
    from symphony.app.cleanup import plan_cleanup

    plan = plan_cleanup(runner)
    if plan.empty:
        ui.status("ok", "nothing of Symphony's to remove")
        return
    ui.confirm("clean will remove only what belongs to Symphony's projects:", plan.describe(), yes, runner.dry_run)
    failures = []
    for argv in plan.commands():
        res = runner.run(argv, capture=True, check=False)
        if res.code != 0:
            failures.append(ui.mask(res.stderr.strip().splitlines()[-1] if res.stderr.strip() else " ".join(argv)))
    if runner.dry_run:
        return
    state.clear_active_profile()
    if failures:
        raise SymphonyError("clean removed what it could; these failed:\n  " + "\n  ".join(failures))
    ui.status("ok", "cleaned; other projects' containers, volumes and images were not touched")
