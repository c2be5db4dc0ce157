"""Symphony: the Invoke entry point for the Sentiric platform.

Invoke loads this file as the module ``tasks``; setting ``__path__`` makes it the
package whose submodules live in ``tasks/`` (which has no ``__init__.py``), so
``inv``, pytest and plain ``python -c 'import tasks.state'`` resolve the same modules.
"""
import os

__path__ = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "tasks")]

from tasks.collection import build_namespace  # noqa: E402  (needs __path__ first)

ns = build_namespace()
