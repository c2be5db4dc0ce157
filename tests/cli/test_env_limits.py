"""Cost is linear and bounded: big values compile in seconds, runaway expansion fails fast."""
import time

import pytest

from symphony.core.envcompiler import compile as compile_mod
from symphony.core.envcompiler import compile_env, render_env_file
from symphony.core.envcompiler.model import EnvError

DYN = {"DETECTED_IP": "10.1.2.3", "TAG": "latest", "CONFIG_REPO_PATH": "/cfg"}
MB10 = 10 * 1024 * 1024


def profile(tmp_path, text: str):
    env = tmp_path / "environments" / "profiles"
    env.mkdir(parents=True, exist_ok=True)
    (env / "p.env").write_text(text)
    return tmp_path


def comp(root, **kw):
    return compile_env(root, "p", environ={}, dynamic=DYN, **kw)


@pytest.mark.parametrize("quoting", ["unquoted", "single", "double", "secret-url"])
def test_a_10_mb_value_compiles_and_writes_in_seconds(tmp_path, quoting):
    big = ("abc123-_./" * (MB10 // 10))[:MB10]
    line = {"unquoted": f"BIG={big}", "single": f"BIG='{big}'", "double": f'BIG="{big}"',
            "secret-url": f"BIG=pg://u:{big}@h/x"}[quoting]
    root = profile(tmp_path, f"A=1\n{line}\nREF=${{BIG}}\nDB_PASSWORD={big[:1000]}\n")
    start = time.perf_counter()
    compiled = comp(root)
    text = render_env_file(compiled, source_label="t")
    elapsed = time.perf_counter() - start
    assert big in compiled.values["BIG"] and compiled.values["REF"] == compiled.values["BIG"]
    assert len(text) > 2 * MB10
    assert elapsed < 10, f"10 MB value took {elapsed:.1f}s"


def test_doubling_references_fail_fast_naming_the_variable(tmp_path):
    lines = ["A0=xxxxxxxxxxxxxxxx"] + [f"A{i}=${{A{i - 1}}}${{A{i - 1}}}" for i in range(1, 40)]
    root = profile(tmp_path, "\n".join(lines) + "\n")
    start = time.perf_counter()
    with pytest.raises(EnvError) as err:
        comp(root)
    assert time.perf_counter() - start < 5
    assert "expands to more than 16,777,216 characters" in err.value.message
    assert "profiles/p.env:22: A21" in err.value.message  # 16 x 2**21 characters


def test_the_values_of_a_profile_are_bounded_in_total(tmp_path):
    big = "x" * (15 * 1024 * 1024)
    refs = "".join(f"R{i}=${{BIG}}\n" for i in range(6))
    root = profile(tmp_path, f"BIG={big}\n{refs}")
    with pytest.raises(EnvError, match="add up to more than 67,108,864 characters"):
        comp(root)


def test_a_literal_over_the_value_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(compile_mod, "MAX_VALUE_CHARS", 1000)
    root = profile(tmp_path, "A=" + "y" * 1001 + "\n")
    with pytest.raises(EnvError, match="profiles/p.env:1: A expands to more than 1,000 characters"):
        comp(root)


def test_a_fragment_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(compile_mod, "MAX_FRAGMENT_BYTES", 100)
    root = profile(tmp_path, "A=" + "y" * 200 + "\n")
    with pytest.raises(EnvError, match="larger than 100 bytes"):
        comp(root)


def test_a_reference_chain_of_50000_keys_needs_no_recursion(tmp_path):
    lines = ["K0=start"] + [f"K{i}=${{K{i - 1}}}" for i in range(1, 50000)]
    root = profile(tmp_path, "\n".join(reversed(lines)) + "\n")  # every reference points forward
    start = time.perf_counter()
    compiled = comp(root)
    assert compiled.values["K49999"] == "start"
    assert time.perf_counter() - start < 20


def test_show_and_check_with_20000_secret_keys_take_seconds(tmp_path):
    from tests.invoke_helpers import inv

    env = tmp_path / "cfg" / "environments"
    (env / "profiles").mkdir(parents=True)
    (env / "common").mkdir()
    (env / "common" / "secrets.env").write_text(
        "".join(f"SVC{i}_PASSWORD=canary-{i:05d}-x{i * 7919}\n" for i in range(20000)))
    (env / "profiles" / "big.env").write_text(
        "".join(f"SVC{i}_URL=pg://u:${{SVC{i}_PASSWORD}}@h/x\n" for i in range(0, 20000, 10)))
    for task in ("env.show", "env.check"):
        start = time.perf_counter()
        res = inv(task, "--profile", "big", "--config", str(tmp_path / "cfg"), state_dir=tmp_path)
        elapsed = time.perf_counter() - start
        assert res.returncode == 0, res.stderr
        assert "canary-" not in res.stdout + res.stderr
        assert elapsed < 15, f"{task} took {elapsed:.1f}s"


def test_nesting_is_bounded_with_a_clear_error(tmp_path):
    root = profile(tmp_path, "A=" + "${U:-" * 5000 + "x" + "}" * 5000 + "\n")
    with pytest.raises(EnvError, match="nested deeper than 64 levels"):
        comp(root)
    env = tmp_path / "environments"
    (env / "profiles" / "p.env").write_text("source f0.env\n")
    for i in range(200):
        (env / f"f{i}.env").write_text(f"source f{i + 1}.env\nA{i}=1\n")
    (env / "f200.env").write_text("Z=1\n")
    with pytest.raises(EnvError, match="`source` nested deeper than 64 levels"):
        comp(root)


def test_a_million_lines_compile_linearly(tmp_path):
    def timed(n):
        root = profile(tmp_path / str(n), "".join(f"K{i}=http://v{i}:80/x # c\n" for i in range(n)))
        start = time.perf_counter()
        assert len(comp(root).values) == n + 3
        return time.perf_counter() - start
    # The small size's best of three: one slow run on a loaded machine must not pass for a
    # quadratic cost (which would be ~100x here, not ~10x).
    small = min(timed(20_000) for _ in range(3))
    big = timed(200_000)
    assert big < 30 and big / small < 25, (small, big)  # 10x the lines: about 10x the time
