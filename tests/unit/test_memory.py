"""symphony.core.memory: the cycle collector is paused inside the block and left as it was found."""
import gc

import pytest

from symphony.core.memory import no_cycle_collection


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
