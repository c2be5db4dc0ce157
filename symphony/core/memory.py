"""The cycle collector paused for a burst of object-making, so its cost stays linear in the input."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a burst makes many small acyclic objects (a profile of
    1,000 services is ~100,000 of them): the collector would rescan them several times for
    nothing. Reference counting still frees everything; nesting keeps the outermost setting."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
