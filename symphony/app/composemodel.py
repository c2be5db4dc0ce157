"""The compose model as Compose itself resolves it (`config --format json`)."""
from __future__ import annotations

import json
from pathlib import Path

from symphony.errors import UsageError


def load_model(runner, files: list[Path], env_files: list[Path], project: str) -> dict:
    """Ask Compose for the fully resolved model; a file Compose rejects is a usage error."""
    res = runner.compose(project, files, env_files, "config", "--format", "json", mutating=False, capture=True,
                         check=False)
    if res.code != 0:
        raise UsageError(
            f"Compose rejects {', '.join(str(f) for f in files)}:\n{res.stderr.strip()}",
            hint="fix the file, then check it with `inv compose.check`",
        )
    return json.loads(res.stdout)


def profile_model(settings, runner, profile: str, *, config=None, sets=()) -> tuple[dict, object]:
    """(model, compiled env) of a profile for tasks that only read it (k8s export, obs.plan,
    doctor): the env goes to a private temp file (0600) that is removed before returning."""
    import tempfile

    from symphony.app.envfile import compile_profile, render, write_env_file
    from symphony.infra import state

    compiled, source = compile_profile(settings, profile, config, sets)
    with tempfile.TemporaryDirectory(prefix="symphony-model-") as scratch:
        env_file = write_env_file(render(compiled, source), Path(scratch) / ".env.generated")
        model = load_model(runner, [state.compose_file(profile)], [env_file], state.project_name(profile))
    return model, compiled
