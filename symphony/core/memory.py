"""The cycle collector's cost kept off the user's clock: paused for a burst of object-making, so
compiling stays linear in the input, and left out of the process's exit."""
from __future__ import annotations

import atexit
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


def skip_the_collection_at_exit() -> None:
    """At exit Python runs one more cycle collection over every object still alive: for an `inv`
    call that is all of Invoke and the standard library it imports, ~20 ms of a 120 ms task. The
    program is over by then; freezing those objects (gc.freeze) leaves them out of that last walk.
    Reference counting, the other exit handlers and the flushing of stdout/stderr are unaffected;
    what is given up is finalising objects caught in reference cycles at exit, which Python does not
    promise anyway (Symphony closes what it opens with `with`)."""
    atexit.register(gc.freeze)
