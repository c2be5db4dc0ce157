"""Symphony: the Invoke entry point for the Sentiric platform.

Invoke loads this file as the module ``tasks``; setting ``__path__`` makes it the
package whose submodules live in ``tasks/`` (which has no ``__init__.py``), so
``inv``, pytest and plain ``python -c "import tasks.stack"`` resolve the same modules. The
library the tasks call is the package ``symphony/`` (core, infra, app layers).
"""
import os

__path__ = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "tasks")]

from symphony.cli.namespace import build_namespace  # noqa: E402  (needs __path__ first)

ns = build_namespace()
