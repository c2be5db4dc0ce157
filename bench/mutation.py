#!/usr/bin/env python3
"""Mutation testing of the pure core with mutmut 3 (run on demand, like the benchmarks).

Each module group is measured on its own, against its own unit tests only, in a fresh copy of the
working tree under build/mutation/<group>/ (so mutmut's mutants/ never lands in the checkout and
two groups never share state). mutmut runs one mutant at a time unless --jobs says otherwise.

A surviving mutant is either killed by a test or listed, with its reason, in
tests/unit/EQUIVALENT_MUTANTS.md. The score of a group is killed / (mutants - equivalent); a
timeout counts as killed (the mutant hangs where the original returns), "no tests" as survived.
An equivalent entry whose mutant no longer survives, or whose mutated line no longer matches, is
reported as stale and fails the run.

The kube group is too large to run whole on demand (~6,200 mutants, ~1.6 s each under mutmut on
one core: about 3 hours): it runs a fixed random sample of 600 (seed 16) unless --full.

Usage:
  python bench/mutation.py                      # every group (kube sampled): about 35 minutes on 2 cores
  python bench/mutation.py scheduler secrets    # some groups
  python bench/mutation.py --show scheduler     # also print each non-equivalent survivor's diff
  python bench/mutation.py --sample 300 --seed 7   # a random sample over the chosen groups (held out)
  python bench/mutation.py --full kube          # every mutant, no sampling
  python bench/mutation.py --list               # the groups, their files and tests
  python bench/mutation.py kube --only '*pss.py' --tests tests/unit/test_k8s_pss.py --full   # iterate on one file
  python bench/mutation.py kube --only '*checks.py' --mutants '*x__name_problem__mutmut_5?'   # just these mutants
Options: --jobs N (mutmut --max-children, default 1), --min PERCENT (default 90).
Exit status: 0 when every group reaches --min and no equivalent entry is stale.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"
EQUIVALENTS = ROOT / "tests" / "unit" / "EQUIVALENT_MUTANTS.md"

KUBE = "symphony/core/kube/"
# group -> (files mutmut mutates, the unit tests that exercise them)
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "scheduler": (["symphony/core/scheduler.py"],
                  ["tests/unit/test_scheduler.py"]),
    "secrets": (["symphony/core/secrets.py"],
                ["tests/unit/test_secrets_classification.py"]),
    "envcompiler": (["symphony/core/envcompiler/*.py"],
                    ["tests/unit/test_env_compiler.py", "tests/unit/test_env_bash_oracle.py",
                     "tests/unit/test_env_confinement.py", "tests/unit/test_env_readers.py",
                     "tests/unit/test_env_messages.py", "tests/unit/test_env_check.py",
                     "tests/unit/test_env_fragments.py"]),
    "kube": ([KUBE + f for f in ("convert.py", "mounts.py", "security.py", "quantities.py", "names.py",
                                 "checks.py", "pss.py")],
             ["tests/unit/test_k8s_names.py", "tests/unit/test_k8s_quantities.py", "tests/unit/test_k8s_pss.py",
              "tests/unit/test_k8s_checks.py", "tests/unit/test_k8s_security.py",
              "tests/unit/test_k8s_convert.py", "tests/unit/test_k8s_convert_keys.py", "tests/unit/test_k8s_mapping.py",
              "tests/unit/test_k8s_golden.py", "tests/unit/test_k8s_kompose.py", "tests/unit/test_k8s_property.py",
              "tests/unit/test_k8s_keys.py"]),
    "state": (["symphony/infra/state.py"],
              ["tests/unit/test_state.py"]),
    "services": (["symphony/core/services.py"],
                 ["tests/unit/test_services.py", "tests/unit/test_scheduler.py", "tests/unit/test_containers.py",
                  "tests/unit/test_healthcheck_consumers.py"]),
    "composelint": (["symphony/core/composelint.py", "symphony/core/yamlio.py"],
                    ["tests/cli/test_compose_lint.py", "tests/unit/test_healthcheck_consumers.py",
                     "tests/unit/test_env_check.py"]),
    "readiness": (["symphony/core/platform/readiness.py"],
                  ["tests/unit/test_platform_catalog.py", "tests/unit/test_readiness_probes.py"]),
}

# groups too large to run whole on demand: a fixed random sample unless --full
DEFAULT_SAMPLE = {"kube": 600}
DEFAULT_SEED = 16
KILLED = {1, 3, 24, -24, 152, 255, 36}           # failed tests, pytest internal error, CPU timeouts
NAME = re.compile(r"`(symphony\.[^`\s]+__mutmut_\d+)`(?:\s*`([^`]*)`)?")


def group_tests(group: str) -> list[str]:
    return [t for t in GROUPS[group][1] if (ROOT / t).exists()]


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    return "[" + ", ".join(toml_value(x) for x in v) + "]"


# --only / --tests (for iterating on one module): narrow the group's files or replace its tests
NARROW: dict[str, list[str]] = {}


def prepare(group: str) -> Path:
    """A fresh copy of the working tree (tracked and new files, as git sees them) with the
    [tool.mutmut] section narrowed to the group."""
    work = WORK / (group + ("-narrowed" if NARROW else ""))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, work / rel)
    text = (ROOT / "pyproject.toml").read_text()
    conf = tomllib.loads(text)["tool"]["mutmut"]
    files, _ = GROUPS[group]
    conf["only_mutate"] = NARROW.get("files") or files
    conf["pytest_add_cli_args_test_selection"] = NARROW.get("tests") or group_tests(group)
    head, sep, tail = text.partition("[tool.mutmut]\n")
    rest = re.search(r"^\[", tail, re.M)
    section = "[tool.mutmut]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in conf.items()) + "\n"
    (work / "pyproject.toml").write_text(head + section + (tail[rest.start():] if rest else ""))
    return work


def mutmut() -> str:
    beside = Path(sys.executable).parent / "mutmut"
    return str(beside) if beside.exists() else (shutil.which("mutmut") or "mutmut")


def all_mutant_names(work: Path) -> list[str]:
    """Every mutant mutmut would make of the group's files (no test run)."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from mutmut.configuration import config\n"
        "from mutmut.utils.file_utils import walk_mutatable_files\n"
        "from mutmut.utils.format_utils import get_mutant_name\n"
        "from mutmut.mutation.file_mutation import mutate_file_contents\n"
        "names = []\n"
        "for p in walk_mutatable_files():\n"
        "    names += [get_mutant_name(p, n) for n in mutate_file_contents(str(p), p.read_text()).mutant_names]\n"
        "json.dump(names, sys.stdout)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=work, capture_output=True, text=True, check=True)
    return [n.replace("__init__.", "") for n in json.loads(out.stdout)]


# mutmut runs each mutant's tests by node id with pytest.main() in a process that has already
# run them once; an id pytest had to escape (a backslash, control or non-ASCII character in an
# explicit id) is then not found, pytest exits 4, and the mutant counts as killed. Refuse those.
_IDS_CHECK = """
import subprocess, sys
import pytest
files = sys.argv[1:]
listed = subprocess.run([sys.executable, "-m", "pytest", "-q", "--co", "-p", "no:cacheprovider", *files],
                        capture_output=True, text=True).stdout.splitlines()
ids = [line for line in listed if "::" in line]
pytest.main(["-q", "--co", "-p", "no:cacheprovider", *files])
if pytest.main(["-q", "--co", "-p", "no:cacheprovider", *ids]) != 0:
    bad = [i for i in ids if pytest.main(["-q", "--co", "-p", "no:cacheprovider", i]) != 0]
    print("UNFINDABLE " + repr(bad))
"""


def unfindable_test_ids(work: Path, tests: list[str]) -> list[str]:
    out = subprocess.run([sys.executable, "-c", _IDS_CHECK, *tests], cwd=work, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("UNFINDABLE "):
            return eval(line[len("UNFINDABLE "):])  # noqa: S307 (our own repr of a list of str)
    return []


def run_group(group: str, jobs: int, names: list[str] | None) -> tuple[Path, dict[str, int | None]]:
    work = prepare(group)
    bad = unfindable_test_ids(work, NARROW.get("tests") or group_tests(group))
    if bad:
        sys.exit(f"{group}: these test ids cannot be run by id a second time in one process (mutmut does), "
                 f"so every mutant they cover would count as killed; give them plain ASCII ids:\n  "
                 + "\n  ".join(bad))
    log = work / "mutmut.log"
    args = [mutmut(), "run", "--max-children", str(jobs)] + (names or [])
    with log.open("w") as out:
        rc = subprocess.run(args, cwd=work, stdout=out, stderr=subprocess.STDOUT).returncode
    results: dict[str, int | None] = {}
    for meta in (work / "mutants").rglob("*.py.meta"):
        results.update(json.loads(meta.read_text())["exit_code_by_key"])
    if names is not None:
        results = {k: v for k, v in results.items() if k in set(names)}
    if rc != 0 or not results or any(v is None for v in results.values()):
        tail = log.read_text(errors="replace")[-3000:]
        sys.exit(f"mutmut failed for {group} (exit {rc}); see {log}\n{tail}")
    return work, results


def diff_of(work: Path, name: str) -> str:
    out = subprocess.run([mutmut(), "show", name], cwd=work, capture_output=True, text=True)
    return out.stdout


def changed_line(diff: str) -> str:
    plus = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return " / ".join(plus)


def load_equivalents() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    if EQUIVALENTS.exists():
        for line in EQUIVALENTS.read_text().splitlines():
            if line.startswith("- "):
                m = NAME.search(line)
                if m:
                    found[m.group(1)] = m.group(2)
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("groups", nargs="*", metavar="GROUP", help=", ".join(GROUPS))
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--min", type=float, default=90.0)
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--only", help="iterate: mutate only the group's files matching this glob")
    ap.add_argument("--tests", help="iterate: run these test files (comma-separated) instead of the group's")
    ap.add_argument("--mutants", help="iterate: run only the mutants whose names match these globs (comma-separated)")
    a = ap.parse_args()
    groups = a.groups or list(GROUPS)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        ap.error(f"unknown group(s) {', '.join(unknown)}; groups: {', '.join(GROUPS)}")
    if a.only or a.tests:
        if len(groups) != 1:
            ap.error("--only and --tests narrow one group")
        import fnmatch

        # the group's patterns expanded, so `--only '*compile.py'` can pick one file of `envcompiler/*.py`
        files = [f for pattern in GROUPS[groups[0]][0]
                 for f in (sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern)) or [pattern])
                 if fnmatch.fnmatch(f, a.only or "*")]
        if not files:
            ap.error(f"--only {a.only!r} matches none of {', '.join(GROUPS[groups[0]][0])}")
        NARROW["files"] = files
        if a.tests:
            NARROW["tests"] = [t.strip() for t in a.tests.split(",") if t.strip()]
        print(f"narrowed (not the group's score): {' '.join(files)}; tests: "
              f"{' '.join(NARROW.get('tests') or group_tests(groups[0]))}")
    if a.list:
        for g in groups:
            size = f" (a sample of {DEFAULT_SAMPLE[g]} unless --full)" if g in DEFAULT_SAMPLE else ""
            print(f"{g}: {' '.join(GROUPS[g][0])}{size}\n    tests: {' '.join(group_tests(g))}")
        return 0

    # which mutants to run: None = all of the group's; every_name: all it has, when known
    chosen: dict[str, list[str] | None] = {g: None for g in groups}
    every_name: dict[str, set[str]] = {}
    if a.mutants:
        import fnmatch

        patterns = [m.strip() for m in a.mutants.split(",") if m.strip()]
        for g in groups:
            names = all_mutant_names(prepare(g))
            every_name[g] = set(names)
            chosen[g] = sorted(n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns))
        print(f"{sum(len(c or []) for c in chosen.values())} mutants matching {', '.join(patterns)}")
    elif a.sample:
        pool = []
        for g in groups:
            names = all_mutant_names(prepare(g))
            every_name[g] = set(names)
            pool += [(g, n) for n in names]
        picked = random.Random(a.seed).sample(pool, min(a.sample, len(pool)))
        chosen = {g: sorted(n for gg, n in picked if gg == g) for g in groups}
        print(f"sample of {len(picked)} of {len(pool)} mutants, seed {a.seed}")
    elif not a.full:
        for g in groups:
            if g in DEFAULT_SAMPLE:
                names = all_mutant_names(prepare(g))
                every_name[g] = set(names)
                chosen[g] = sorted(random.Random(a.seed).sample(names, min(DEFAULT_SAMPLE[g], len(names))))
                print(f"{g}: a sample of {len(chosen[g])} of its {len(names)} mutants, seed {a.seed} (--full for all)")

    equivalents = load_equivalents()
    ok = True
    rows = []
    for g in groups:
        if chosen[g] == []:
            rows.append((g, 0, 0, 0, 0, 0))
            continue
        t0 = time.monotonic()
        work, results = run_group(g, a.jobs, chosen[g])
        every = every_name.get(g, set(results))
        killed = [k for k, v in results.items() if v in KILLED]
        alive = sorted(k for k, v in results.items() if v not in KILLED)
        equiv, survivors = [], []
        for k in alive:
            if k in equivalents:
                recorded = equivalents[k]
                actual = changed_line(diff_of(work, k))
                if recorded is not None and recorded.strip() != actual:
                    print(f"STALE equivalent entry {k}: recorded `{recorded}`, the mutant now is `{actual}`")
                    ok = False
                    survivors.append(k)
                else:
                    equiv.append(k)
            else:
                survivors.append(k)
        # the modules mutated in this run (--only narrows them): entries of other modules are not judged
        prefixes = tuple(f.replace("/", ".").removesuffix(".py").replace("*", "").removesuffix(".") + "."
                         for f in NARROW.get("files") or GROUPS[g][0])
        for k in equivalents:
            if not k.startswith(prefixes):
                continue
            if k not in every:
                print(f"STALE equivalent entry {k}: mutmut makes no such mutant now; remove or renumber it")
                ok = False
            elif k in results and results[k] in KILLED:
                print(f"STALE equivalent entry {k}: it is killed now ({results[k]}); remove it")
                ok = False
        denominator = len(results) - len(equiv)
        score = 100.0 * len(killed) / denominator if denominator else 100.0
        ok &= score >= a.min
        rows.append((g, len(results), len(killed), len(equiv), len(survivors), score))
        print(f"{g}: {len(killed)} killed / {len(results)} mutants, {len(equiv)} equivalent, "
              f"{len(survivors)} surviving -> {score:.1f}%  ({time.monotonic() - t0:.0f} s)", flush=True)
        for k in survivors:
            print(f"  survived ({results[k]}): {k}")
            if a.show:
                print("    " + diff_of(work, k).strip().replace("\n", "\n    "))

    tot = [sum(r[i] for r in rows) for i in (1, 2, 3, 4)]
    den = tot[0] - tot[2]
    print(f"\n{'group':12} {'mutants':>8} {'killed':>7} {'equiv':>6} {'alive':>6} {'score':>7}")
    for g, n, k, e, s, sc in rows:
        print(f"{g:12} {n:8} {k:7} {e:6} {s:6} {sc:6.1f}%")
    print(f"{'all':12} {tot[0]:8} {tot[1]:7} {tot[2]:6} {tot[3]:6} {100.0 * tot[1] / den if den else 100.0:6.1f}%")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
