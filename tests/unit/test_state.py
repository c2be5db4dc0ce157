import multiprocessing
import os
import time

import pytest

from symphony.errors import LockTimeout, UsageError
from symphony.infra import lock, state


@pytest.fixture
def compose_dir(tmp_path):
    d = tmp_path / "compose"
    d.mkdir()
    for name in ("demo", "core", "_shared"):
        (d / f"{name}.yml").write_text("services: {}\n")
    return d


def test_profiles_are_discovered_from_compose_files(compose_dir):
    assert state.known_profiles(compose_dir) == ["core", "demo"]
    (compose_dir / "edge.yml").write_text("services: {}\n")
    assert "edge" in state.known_profiles(compose_dir)


def test_missing_state_file_means_default(tmp_path, compose_dir):
    assert state.read_active_profile(tmp_path / "nope", compose_dir, default="demo") == "demo"


def test_state_round_trip_is_atomic_and_validated(tmp_path, compose_dir):
    f = tmp_path / ".profile.state"
    state.write_active_profile("core", f, compose_dir)
    assert f.read_text() == "core\n"
    assert state.read_active_profile(f, compose_dir) == "core"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(UsageError):
        state.write_active_profile("nosuch", f, compose_dir)
    assert f.read_text() == "core\n"


@pytest.mark.parametrize("garbage", [b"\x00\xff\xfe", b"dev; rm -rf /", b"", b"Core Profile\n"])
def test_garbled_state_names_file_and_valid_profiles(tmp_path, compose_dir, garbage):
    f = tmp_path / ".profile.state"
    f.write_bytes(garbage)
    with pytest.raises(UsageError) as err:
        state.read_active_profile(f, compose_dir)
    text = err.value.render()
    assert str(f) in text and "core, demo" in text
    assert err.value.exit_code == 2


def test_unknown_profile_in_state_file(tmp_path, compose_dir):
    f = tmp_path / ".profile.state"
    f.write_text("gateway\n")
    with pytest.raises(UsageError) as err:
        state.read_active_profile(f, compose_dir)
    assert "gateway" in err.value.message and "core, demo" in err.value.hint


def _hold_lock(lock_file, seconds, ready):
    with lock.stack_lock("inv start --profile demo", lock_file=lock_file):
        ready.set()
        time.sleep(seconds)


def test_second_locker_waits_with_message_then_proceeds(tmp_path):
    lock_path = tmp_path / "lock"
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(lock_path, 1.0, ready))
    holder.start()
    assert ready.wait(10)
    told = []
    started = time.monotonic()
    with lock.stack_lock("inv stop", lock_file=lock_path, timeout=20, on_wait=told.append):
        waited = time.monotonic() - started
    holder.join()
    assert waited >= 0.5
    assert told and told[0].command == "inv start --profile demo" and told[0].pid == str(holder.pid)


def test_second_locker_times_out(tmp_path):
    lock_path = tmp_path / "lock"
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(lock_path, 3.0, ready))
    holder.start()
    assert ready.wait(10)
    with pytest.raises(LockTimeout) as err:
        with lock.stack_lock("inv stop", lock_file=lock_path, timeout=0.5):
            pass
    holder.join()
    assert "inv start --profile demo" in err.value.message


def test_lock_is_released_when_holder_dies(tmp_path):
    lock_path = tmp_path / "lock"
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(lock_path, 60, ready))
    holder.start()
    assert ready.wait(10)
    os.kill(holder.pid, 9)
    holder.join()
    with lock.stack_lock("inv start", lock_file=lock_path, timeout=2):
        pass


def test_one_engine_one_lock_file_whatever_the_checkout(tmp_path):
    first = lock.engine_lock_file("ENGINE:ID:ONE", tmp_path / "locks")
    assert first == lock.engine_lock_file("ENGINE:ID:ONE", tmp_path / "locks")
    assert first != lock.engine_lock_file("ENGINE:ID:TWO", tmp_path / "locks")
    assert (tmp_path / "locks").stat().st_mode & 0o777 == 0o700


def test_a_lock_directory_others_can_write_is_refused(tmp_path):
    shared = tmp_path / "locks"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(UsageError) as err:
        lock.engine_lock_file("ENGINE", shared)
    assert str(shared) in err.value.message


def test_a_lock_directory_that_is_a_file_is_named_and_not_to_be_removed(tmp_path):
    """The user's own file: the hint must not tell them to delete it."""
    mine = tmp_path / "notes.txt"
    mine.write_text("mine")
    with pytest.raises(UsageError) as err:
        lock.engine_lock_file("ENGINE", mine)
    assert "is not a regular file" not in err.value.message and "not a directory" in err.value.message
    assert "remove" not in err.value.hint and mine.read_text() == "mine"


def test_a_symlinked_lock_file_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    (tmp_path / "lock").symlink_to(target)
    with pytest.raises(UsageError):
        with lock.stack_lock("inv start", lock_file=tmp_path / "lock", timeout=1):
            pass
    assert target.read_text() == "keep"


def test_only_valid_profile_names_are_profiles(compose_dir):
    # compose/<profile>.yml; `_*.yml` are shared parts, and a name Symphony could not use is no profile
    for name in ("compose.override", "Prod", "my profile", "9lives"):
        (compose_dir / f"{name}.yml").write_text("services: {}\n")
    assert state.known_profiles(compose_dir) == ["core", "demo"]
    assert all(state.compose_file(p, compose_dir).is_file() for p in state.known_profiles(compose_dir))
    assert state.compose_file("core", compose_dir) == compose_dir / "core.yml"


def test_the_profile_written_is_checked_against_the_given_compose_files(tmp_path, compose_dir):
    (compose_dir / "edge.yml").write_text("services: {}\n")
    f = tmp_path / ".profile.state"
    state.write_active_profile("edge", f, compose_dir)
    assert state.read_active_profile(f, compose_dir) == "edge"
    assert f.stat().st_mode & 0o777 == 0o644       # data, readable, not executable


def test_an_unknown_profile_is_named_and_so_is_the_file_that_holds_it(tmp_path, compose_dir):
    with pytest.raises(UsageError) as err:
        state.validate_profile("nosuch", compose_dir)
    assert err.value.message == "unknown profile 'nosuch'" and err.value.hint == "valid profiles: core, demo"
    f = tmp_path / ".profile.state"
    f.write_text("gateway\n")
    with pytest.raises(UsageError) as err:
        state.read_active_profile(f, compose_dir)
    assert err.value.message == f"unknown profile 'gateway' in {f}"


def test_without_any_profile_the_hint_says_where_none_was_found(tmp_path):
    empty = tmp_path / "compose"
    empty.mkdir()
    with pytest.raises(UsageError) as err:
        state.validate_profile("demo", empty)
    assert err.value.hint == f"valid profiles: (none found in {empty})"


@pytest.mark.parametrize("content, shown", [(b"", "(empty)"), (b"  \n", "(empty)"),
                                            (b"dev; rm -rf /\n", "dev; rm -rf /"), (b"Core Profile\n", "Core Profile")])
def test_a_garbled_state_file_is_shown_as_it_is(tmp_path, compose_dir, content, shown):
    f = tmp_path / ".profile.state"
    f.write_bytes(content)
    with pytest.raises(UsageError) as err:
        state.read_active_profile(f, compose_dir)
    assert err.value.message == f"{f}: garbled profile state {shown!r}"


def test_clearing_the_profile_twice_is_fine(tmp_path, compose_dir):
    f = tmp_path / ".profile.state"
    state.write_active_profile("core", f, compose_dir)
    state.clear_active_profile(f)
    state.clear_active_profile(f)
    assert not f.exists()
    assert state.read_active_profile(f, compose_dir, default="demo") == "demo"


@pytest.mark.parametrize("kind", ["directory", "fifo", "symlink"])
def test_a_state_file_that_is_no_regular_file_is_refused_without_reading_it(tmp_path, compose_dir, kind):
    """A FIFO would block the read for ever; a directory or a link holds no profile Symphony wrote."""
    path = tmp_path / ".profile.state"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        (tmp_path / "elsewhere").write_text("demo\n")
        path.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UsageError) as err:
        state.read_active_profile(path, compose_dir)
    assert err.value.message == f"{path} is not a regular file, so it holds no profile"
    assert err.value.hint == "remove it (`inv start --profile NAME` writes it again), or set SYMPHONY_STATE_DIR"
