"""What the benchmarks share: the user's environment, and removing the images a bench built."""
import os
import subprocess

# The environment is the user's, except PYTHONDONTWRITEBYTECODE: this machine sets it, a user's shell
# does not, and with it set no bytecode is ever cached (the README's install step compiles instead).
USER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def remove_project_images(project: str) -> None:
    """The demo's images are built per Compose project: leave none of a bench's project behind."""
    refs = subprocess.run(["docker", "images", "--filter", f"reference={project}-*", "--format",
                           "{{.Repository}}:{{.Tag}}"], capture_output=True, text=True).stdout.split()
    if refs:
        subprocess.run(["docker", "image", "rm", "-f", *refs], capture_output=True)
