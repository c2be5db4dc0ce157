"""kompose's CI fixtures (the compose files its tests.sh converts, 44 directories; copied under
tests/k8s_cases/kompose, see SOURCES.md) as inputs no one here wrote: each exports through the same
path as `inv k8s.export --file` and the result passes `k8s.validate` (schemas, API checks, Pod
Security restricted). Files kompose merges (`-f a -f b`, COMPOSE_FILE) are merged here too."""
from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest

from symphony.app.export import load_compose_model, read_host_paths, write_export
from symphony.app.kubevalidate import validate_directory
from symphony.core.kube.convert import Options, convert
from symphony.core.kube.layouts import render_layout
from symphony.errors import UsageError
from symphony.infra.runner import Runner

KOMPOSE = Path(__file__).parent.parent / "k8s_cases" / "kompose"
MERGED = {"multiple-files": ["first.yaml", "second.yaml"],
          "compose-file-env-variable": ["compose.yaml", "alternative-compose.yaml"]}
PROFILES = {"no-profile-warning": ["test"]}  # every service is profiled: refused without a profile (below)


def fixtures() -> list[tuple[str, list[Path]]]:
    found = []
    for directory in sorted(p for p in KOMPOSE.rglob("*") if p.is_dir()):
        files = sorted(f for f in directory.iterdir() if f.is_file() and f.suffix in (".yaml", ".yml"))
        rel = directory.relative_to(KOMPOSE).as_posix()
        if not files:
            continue
        if rel in MERGED:
            found.append((rel, [directory / f for f in MERGED[rel]]))
        else:
            found += [(f"{rel}/{f.name}", [f]) for f in files]
    return found


def test_the_fixture_set_is_complete():
    dirs = {Path(case).parent.as_posix() if Path(case).suffix else case for case, _ in fixtures()}
    assert len(dirs) == 44 and len(fixtures()) == 51  # 53 files, two pairs merged


@functools.lru_cache(maxsize=None)
def _loaded(case: str, files: tuple[Path, ...]):
    """Compose's resolution of a fixture, once per process (the files do not change during a run)."""
    profiles = PROFILES.get(case.split("/")[0], [])
    return load_compose_model(None, Runner(echo=False), "kompose", [str(f) for f in files], [], None, profiles)


@pytest.mark.parametrize("case,files", fixtures(), ids=[c for c, _ in fixtures()])
def test_kompose_fixture_exports_and_validates(case, files, tmp_path):
    model, profile, roots, env, _, warnings = copy.deepcopy(_loaded(case, tuple(files)))
    result = convert(model, profile=profile, options=Options(),
                     host_paths=read_host_paths(model, roots), env=env)
    out = tmp_path / "out"
    write_export(out, render_layout("manifests", result.manifests, profile=profile, namespace=None))
    problems, count, _ = validate_directory(out, "1.31", "restricted")
    assert not problems, problems
    assert count == len(result.manifests) > 0
    names = set(model["services"])
    services = {o["metadata"]["labels"]["app.kubernetes.io/name"] for o in result.manifests if o["kind"] == "Service"}
    assert len(services) == len(names)  # every compose service is reachable by a Service


def test_all_profiled_fixture_is_refused_without_a_profile():
    files = [str(KOMPOSE / "no-profile-warning" / "compose.yaml")]
    with pytest.raises(UsageError) as err:
        load_compose_model(None, Runner(echo=False), "kompose", files, [], None, [])
    assert "every service" in err.value.message and "web" in err.value.message and "--compose-profile" in err.value.hint
