"""symphony.core.memory: the cycle collector is paused inside the block and left as it was found,
and the collection at exit leaves out what the program made."""
import gc
import subprocess
import sys
from pathlib import Path

import pytest

from symphony.core.memory import no_cycle_collection

REPO = Path(__file__).resolve().parents[2]
# Registered first, so it runs last (atexit is last-in, first-out): how many objects the final
# collection will skip, printed after every other exit handler ran.
REPORT_AT_EXIT = "import atexit, gc; atexit.register(lambda: print('frozen', gc.get_freeze_count()))\n"


def frozen_at_exit(code: str) -> tuple[int, str]:
    res = subprocess.run([sys.executable, "-c", REPORT_AT_EXIT + code], cwd=REPO, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    last = res.stdout.splitlines()[-1]
    assert last.startswith("frozen ")
    return int(last.split()[1]), res.stdout


@pytest.fixture(autouse=True)
def restore_gc():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_enabled_again_after():
    gc.enable()
    with no_cycle_collection():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_enables_it_again():
    gc.enable()
    with pytest.raises(KeyError), no_cycle_collection():
        raise KeyError("x")
    assert gc.isenabled()


def test_nesting_keeps_the_outermost_setting_and_a_disabled_collector_stays_disabled():
    gc.enable()
    with no_cycle_collection():
        with no_cycle_collection():
            pass
        assert not gc.isenabled()  # the inner block does not switch it back on early
    assert gc.isenabled()
    gc.disable()
    with no_cycle_collection():
        pass
    assert not gc.isenabled()  # a caller who had it off keeps it off


def test_what_exists_at_exit_is_left_out_of_the_last_collection():
    made = "keep = [[i] for i in range(5000)]\n"
    skipped, _ = frozen_at_exit("from symphony.core.memory import skip_the_collection_at_exit\n"
                                "skip_the_collection_at_exit()\n" + made)
    assert skipped >= 5000  # the objects made after the call are frozen too: it acts at exit
    assert frozen_at_exit(made)[0] == 0  # Python's own default: everything is walked once more


def test_every_inv_call_skips_it_and_still_prints_everything():
    """Through Invoke as `inv` runs it (the entry point tasks.py arranges it)."""
    skipped, out = frozen_at_exit("import sys\nfrom invoke.main import program\n"
                                  "sys.argv = ['inv', '--list']\nprogram.run(exit=False)\n")
    assert skipped > 10_000  # Invoke, the standard library it loads and Symphony's modules
    assert "env.generate" in out and "k8s.export" in out
