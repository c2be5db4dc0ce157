"""Symphony: the Invoke entry point for the Sentiric platform.

Invoke loads this file as the module ``tasks``; setting ``__path__`` makes it the
package whose submodules live in ``tasks/`` (which has no ``__init__.py``), so
``inv``, pytest and plain ``python -c "import tasks.stack"`` resolve the same modules. The
library the tasks call is the package ``symphony/`` (core, infra, app layers).
"""
import os
import sys

__path__ = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "tasks")]

# Invoke stops Python from writing bytecode (so a tasks file leaves no __pycache__ behind), which
# makes every `inv` recompile all of Symphony. Symphony caches its bytecode like any installed
# package (in __pycache__ folders, ignored by git), unless the user's own environment asks Python
# not to (PYTHONDONTWRITEBYTECODE): then the install step's `compileall` is what is reused.
if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
    sys.dont_write_bytecode = False

from symphony.cli.namespace import build_namespace  # noqa: E402  (needs __path__ first)
from symphony.core.memory import skip_the_collection_at_exit  # noqa: E402

skip_the_collection_at_exit()

ns = build_namespace()
