"""Run Symphony's tasks in-process, as `inv` would, with the runner replaced by one that records
every command and answers queries from a script (the way tox tests its CLI): fast, and the
commands a task runs are data a test can assert on. Nothing reaches Docker, git or kubectl.
"""
from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field

from symphony.infra.runner import Result, Runner


@dataclass
class FakeRunning:
    argv: list[str]
    result: Result

    def wait(self, check: bool = True) -> Result:
        return self.result

    def done(self) -> bool:
        return True

    def stop(self) -> None:
        pass


@dataclass
class RecordingRunner(Runner):
    """A Runner whose commands are recorded; `answers` maps a regex over the shown command line to
    (exit code, stdout, stderr), or to a list of them for successive calls. Mutating commands in a
    dry run are only printed, as the real Runner does; `which` finds every tool."""

    answers: list[tuple[str, tuple[int, str, str]]] = field(default_factory=list)
    calls: list[list[str]] = field(default_factory=list)

    def which(self, tool: str) -> str:
        return f"/usr/bin/{tool}"

    def engine_api(self):
        return None  # every engine question goes through the recorded CLI

    def start(self, argv, *, mutating=True, capture=False, env=None, cwd=None, stdin=None, quiet=False):
        argv = list(argv)
        if mutating and self.dry_run:
            from symphony.infra import console

            console.say("+ " + self.display(argv, env))
            return FakeRunning(argv, Result(argv, 0, dry_run=True))
        self.calls.append(argv)
        line = " ".join(argv)
        for pattern, answer in self.answers:
            if re.search(pattern, line):
                if isinstance(answer, list):  # one answer per call, in order; the last one repeats
                    answer = answer.pop(0) if len(answer) > 1 else answer[0]
                code, out, err = answer
                return FakeRunning(argv, Result(argv, code, out, err))
        return FakeRunning(argv, Result(argv, 0, "", ""))

    @property
    def compose_base(self) -> list[str]:
        return ["docker", "compose"]

    def commands(self, pattern: str) -> list[str]:
        return [" ".join(c) for c in self.calls if re.search(pattern, " ".join(c))]


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    runner: RecordingRunner


def run_tasks(monkeypatch, tmp_path, *argv: str, answers=(), stdin_tty: bool = False) -> Outcome:
    """`inv ARGV...` in this process with state in `tmp_path`; returns the exit code, the output
    and the runner (its `.calls`)."""
    import sys

    import invoke

    from symphony.infra import state

    for name, value in (("STATE_DIR", tmp_path), ("STATE_FILE", tmp_path / ".profile.state"),
                        ("LOCK_FILE", tmp_path / ".symphony.lock"), ("ENV_OUTPUT", tmp_path / ".env.generated")):
        monkeypatch.setattr(state, name, value)
    monkeypatch.setenv("SYMPHONY_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setenv("NO_COLOR", "1")
    holder: dict = {}

    def fake_parse_context(c, context, dry_run):
        dry = bool(dry_run) or bool(getattr(getattr(c.config, "run", None), "dry", False))
        runner = RecordingRunner(dry_run=dry, context=context,
                                 answers=[*answers, (r"docker version --format", (0, "28.0.0\n", "")),
                                          (r"docker info --format \{\{\.ID\}\}", (0, "TEST:ENGINE:ID\n", ""))])
        holder["runner"] = runner
        return runner

    monkeypatch.setattr("symphony.infra.runner.parse_context", fake_parse_context)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: stdin_tty, raising=False)
    import tasks as entry

    program = invoke.Program(namespace=entry.ns, name="inv", binary="inv")
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            program.run(["inv", *argv], exit=True)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (1 if exc.code else 0)
    return Outcome(code, out.getvalue(), err.getvalue(), holder.get("runner", RecordingRunner()))
