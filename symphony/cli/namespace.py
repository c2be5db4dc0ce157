"""Builds the root Invoke namespace: stack tasks at the top, one collection per module."""
from __future__ import annotations

import importlib

from invoke import Collection

from symphony.cli import DEFAULTS

# Collections named like the old Makefile's groups; each lives in tasks/<name>.py.
COLLECTIONS = ("env", "config", "compose", "obs", "k8s")
ROOT_MODULES = ("stack", "doctor")


def build_namespace() -> Collection:
    ns = Collection()
    for name in ROOT_MODULES:
        module = importlib.import_module(f"tasks.{name}")
        for task in Collection.from_module(module).tasks.values():
            ns.add_task(task)
    for name in COLLECTIONS:
        ns.add_collection(Collection.from_module(importlib.import_module(f"tasks.{name}"), name=name))
    # Numbers are registered as None (DEFAULTS still supplies them): Invoke casts an environment
    # variable to the default's type, and a bad INVOKE_SYMPHONY_HEALTH_TIMEOUT would otherwise be
    # a traceback before any task runs; as a string it reaches the task's own validation.
    ns.configure({"symphony": {k: v if isinstance(v, str) else None for k, v in DEFAULTS.items()}})
    return ns
