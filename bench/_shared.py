"""What the benchmarks share: the user's environment, and removing the images a bench built."""
import os
import subprocess
import sys
from contextlib import contextmanager

# The environment is the user's, except PYTHONDONTWRITEBYTECODE: this machine sets it, a user's shell
# does not, and with it set no bytecode is ever cached (the README's install step compiles instead).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests.images
USER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# Invoke's floor: a tasks.py of one task; and the same leaving the last cycle collection out of the
# exit as Symphony's tasks.py does (symphony.core.memory), to compare like for like.
ONE_TASK = 'from invoke import task\n\n\n@task\ndef hello(c):\n    """Say hello."""\n    print("hello")\n'
ONE_TASK_NO_EXIT_COLLECTION = "import atexit\nimport gc\n\natexit.register(gc.freeze)\n" + ONE_TASK


@contextmanager
def images_removed_after(project: str):
    """The demo's images are built per Compose project: leave none of a bench's project behind, nor
    the untagged images its builds left (tests/images.py, shared with the test session)."""
    from tests.images import remove_untagged_since, untagged_images

    before = untagged_images()
    try:
        yield
    finally:
        refs = subprocess.run(["docker", "images", "--filter", f"reference={project}-*", "--format",
                               "{{.Repository}}:{{.Tag}}"], capture_output=True, text=True).stdout.split()
        if refs:
            subprocess.run(["docker", "image", "rm", "-f", *refs], capture_output=True)
        remove_untagged_since(before)
