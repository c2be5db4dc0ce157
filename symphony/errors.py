"""Exceptions that carry Symphony's exit-code contract.

0 ok · the child's own code passed through · 2 usage or configuration error ·
127 a required tool missing or unreachable · 130 interrupted · 143 terminated (SIGTERM).
"""

EXIT_USAGE = 2
EXIT_TOOL_MISSING = 127
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports it


class SymphonyError(Exception):
    """An error the user can act on; printed without a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "", exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def render(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(SymphonyError):
    """Bad arguments, bad configuration, bad input file."""

    exit_code = EXIT_USAGE


class ToolMissing(SymphonyError):
    """A binary is not installed, or the Docker daemon does not answer."""

    exit_code = EXIT_TOOL_MISSING


class CommandFailed(SymphonyError):
    """A child process failed; its exit code is passed through."""

    def __init__(self, argv_text: str, code: int, detail: str = ""):
        message = f"command failed with exit code {code}: {argv_text}"
        if detail:
            message += f"\n{detail}"
        super().__init__(message, exit_code=code if 0 < code < 256 else 1)
        self.code = code


class LockTimeout(SymphonyError):
    exit_code = 75  # EX_TEMPFAIL: try again later
