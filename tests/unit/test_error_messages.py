"""File-system errors are one line naming the path, and name SYMPHONY_STATE_DIR when that is where
the path came from (a read-only state directory is a setting to fix, not a mystery)."""
from __future__ import annotations

import errno

from symphony.cli import os_error_message


def test_a_path_in_the_state_dir_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("SYMPHONY_STATE_DIR", str(tmp_path))
    text = os_error_message(PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".env.generated")))
    assert text.startswith(f"error: {tmp_path / '.env.generated'}: Permission denied")
    assert "SYMPHONY_STATE_DIR" in text and str(tmp_path) in text


def test_other_paths_get_the_plain_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("SYMPHONY_STATE_DIR", str(tmp_path / "state"))
    text = os_error_message(FileNotFoundError(errno.ENOENT, "No such file or directory", "/nowhere/x"))
    assert "/nowhere/x" in text and "SYMPHONY_STATE_DIR" not in text
    assert os_error_message(OSError(errno.EIO, "Input/output error")) == "error: Input/output error"
