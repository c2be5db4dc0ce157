"""The layers hold: task modules are thin Invoke shells over symphony.app (they never import each
other, so a collection can be read alone), and the package's own contracts (import-linter,
configured in pyproject.toml) are kept. import-linter cannot analyse tasks/ itself: `tasks` is
the module tasks.py by design (Invoke's entry point), so this test reads the imports with ast."""
from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TASK_MODULES = sorted((ROOT / "tasks").glob("*.py"))


def imported_modules(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, node.lineno))
    return found


@pytest.mark.parametrize("path", TASK_MODULES, ids=lambda p: p.name)
def test_a_task_module_imports_no_other_task_module_and_no_core_internals(path):
    for module, line in imported_modules(path):
        assert not (module == "tasks" or module.startswith("tasks.")), f"{path.name}:{line} imports {module}"
        assert not module.startswith("symphony.core.kube.") or module == "symphony.core.kube.security", \
            f"{path.name}:{line}: the Kubernetes converter is reached through symphony.app.export"


def test_task_modules_stay_thin():
    """A task turns flags into one application call: no task module grows a library again."""
    for path in TASK_MODULES:
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= 45, (f"{path.name}:{node.lineno} {node.name} is {length} lines: "
                                      "move logic to symphony.app")


@pytest.mark.skipif(not shutil.which("lint-imports"), reason="import-linter is not installed (requirements-dev.txt)")
def test_import_contracts_are_kept():
    res = subprocess.run(["lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
