"""Builds the root Invoke namespace: stack tasks at the top, one collection per module."""
from __future__ import annotations

import importlib
from dataclasses import asdict

from invoke import Collection

from symphony.infra.settings import DEFAULTS

# Collections named like the old Makefile's groups; each lives in tasks/<name>.py.
COLLECTIONS = ("env", "config", "compose", "certs", "platform", "obs", "k8s")
ROOT_MODULES = ("stack", "doctor")


def build_namespace() -> Collection:
    ns = Collection()
    for name in ROOT_MODULES:
        module = importlib.import_module(f"tasks.{name}")
        for task in Collection.from_module(module).tasks.values():
            ns.add_task(task)
    for name in COLLECTIONS:
        ns.add_collection(Collection.from_module(importlib.import_module(f"tasks.{name}"), name=name))
    # Every default is a string: Invoke casts an INVOKE_SYMPHONY_* variable to the default's type, and
    # a bad INVOKE_SYMPHONY_HEALTH_TIMEOUT would otherwise be a traceback before any task runs.
    ns.configure({"symphony": {k: (None if isinstance(v, tuple) else v) for k, v in asdict(DEFAULTS).items()}})
    return ns
