"""What the benchmarks share: the user's environment, and removing the images a bench built."""
import json
import os
import subprocess
from contextlib import contextmanager

# The environment is the user's, except PYTHONDONTWRITEBYTECODE: this machine sets it, a user's shell
# does not, and with it set no bytecode is ever cached (the README's install step compiles instead).
USER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# Invoke's floor: a tasks.py of one task; and the same leaving the last cycle collection out of the
# exit as Symphony's tasks.py does (symphony.core.memory), to compare like for like.
ONE_TASK = 'from invoke import task\n\n\n@task\ndef hello(c):\n    """Say hello."""\n    print("hello")\n'
ONE_TASK_NO_EXIT_COLLECTION = "import atexit\nimport gc\n\natexit.register(gc.freeze)\n" + ONE_TASK


@contextmanager
def images_removed_after(project: str):
    """The demo's images are built per Compose project: leave none of a bench's project behind, nor
    the untagged images its parallel builds left (two services built from one Dockerfile at once: one
    build's result takes the tag, the other's stays untagged), which carry Symphony's build label."""
    untagged_before = _untagged()
    try:
        yield
    finally:
        refs = subprocess.run(["docker", "images", "--filter", f"reference={project}-*", "--format",
                               "{{.Repository}}:{{.Tag}}"], capture_output=True, text=True).stdout.split()
        if refs:
            subprocess.run(["docker", "image", "rm", "-f", *refs], capture_output=True)
        left = [i for i in _untagged() - untagged_before if _built_by_symphony(i)]
        if left:
            subprocess.run(["docker", "image", "rm", *left], capture_output=True)


def _untagged() -> set[str]:
    return set(subprocess.run(["docker", "images", "-q", "--no-trunc", "--filter", "dangling=true"],
                              capture_output=True, text=True).stdout.split())


def _built_by_symphony(image_id: str) -> bool:
    out = subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", image_id],
                         capture_output=True, text=True).stdout
    return (json.loads(out or "null") or {}).get("com.sentiric.built-by") == "symphony"
