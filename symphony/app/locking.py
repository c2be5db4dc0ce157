"""`stack_locked`: what every command that changes a running stack holds (see infra/lock.py)."""
from __future__ import annotations

import contextlib

from symphony.infra import console as ui
from symphony.infra import lock, state


@contextlib.contextmanager
def stack_locked(runner, what: str, timeout: float):
    """The state directory's lock, then the engine's. A dry run changes nothing and takes neither."""
    if runner.dry_run:
        yield
        return

    def waiting(holder):
        ui.status("info", f"waiting for another Symphony command to finish (pid {holder.pid}: {holder.command})")

    engine_lock = lock.engine_lock_file(runner.engine_id())
    with lock.stack_lock(what, state.LOCK_FILE, timeout=timeout, on_wait=waiting):
        with lock.stack_lock(what, engine_lock, timeout=timeout, on_wait=waiting):
            yield
