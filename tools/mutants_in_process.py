"""Run mutmut's mutants of one module in warm Python processes, for modules whose tests load TensorFlow.

mutmut 3 runs every mutant in a freshly forked worker. For ``skcnn/inspect/_ascent.py`` that worker
starts TensorFlow's runtime and traces its graphs again, about 14 s a mutant on two cores, and
forking a process whose TensorFlow already ran is not safe. The trampolines mutmut writes read the
active mutant (``MUTANT_UNDER_TEST``) at every call, and the engine traces new ``tf.function``\\ s for
every ``GradientAscent``, so one process can run mutant after mutant. This script does that, with
mutmut's own mutants, its test-to-function map and its result file, so ``mutmut results`` and
``mutmut show`` report the outcome.

Usage, in the scratch copy where ``mutmut run`` has generated ``mutants/`` and finished its stats
(``mutmut-stats.json``; stop ``mutmut run`` with Ctrl-C once it starts on the mutants, or let it
finish the cheap ones first)::

    python tools/mutants_in_process.py skcnn/inspect/_ascent.py --workers 2            # every unchecked mutant
    python tools/mutants_in_process.py skcnn/inspect/_ascent.py --all                  # every mutant again
    python tools/mutants_in_process.py skcnn/inspect/_ascent.py NAME1 NAME2 ...        # just these
    python tools/mutants_in_process.py skcnn/inspect/_ascent.py NAME1 ... --tests FILE  # names before --tests

Each mutant runs the tests that reached its function, stopping at the first failure: first the
tests that killed most of that function's earlier mutants per second they take, then the fastest.
Every worker checks, before its first mutant and after its last, that the same tests pass with no
mutant active, so a kill cannot come from a process that earlier mutants broke.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

KILLED, SURVIVED, NO_TESTS, TIMEOUT = 1, 0, 33, 36


class _Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Timeout


class _Failures:
    """A pytest plugin that notes which tests failed."""

    def __init__(self):
        self.nodeids = []

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.nodeids.append(report.nodeid)


def _pytest(tests, extra, failures=None):
    import pytest

    return pytest.main(["-x", "-q", "--no-header", "-p", "no:randomly", "-p", "no:cacheprovider",
                        "-W", "ignore", *extra, *tests], plugins=[failures] if failures else [])


def _function(name):
    """The mangled function name of a mutant: ``module.x_f__mutmut_3`` -> ``module.x_f``."""
    return name.rsplit("__mutmut_", 1)[0]


def _save(path, data):
    """Write JSON whole or not at all: the parent reads a worker's file while it runs, and an
    interrupted write of mutmut's result file would lose every verdict in it."""
    from skcnn._io import atomic_write

    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(data)))


def _worker(module, names, out, extra, timeout, fixed_tests):
    """Run ``names`` one after another in this process; write ``{name: [exit_code, seconds]}`` to ``out``."""
    os.chdir("mutants")
    sys.path.insert(0, os.getcwd())
    stats = json.load(open("mutmut-stats.json"))
    tests_by_function = stats["tests_by_mangled_function_name"]
    durations = stats["duration_by_test"]
    if fixed_tests:  # the same tests for every mutant, whatever reached it
        tests_by_function = {_function(name): fixed_tests for name in names}
    import importlib

    dotted = module[:-3].replace("/", ".")
    loaded = importlib.import_module(dotted)
    if not Path(loaded.__file__).resolve().is_relative_to(Path.cwd().resolve()):
        raise SystemExit(f"{dotted} was imported from {loaded.__file__}, not from the mutants")
    all_tests = sorted({t for name in names for t in tests_by_function.get(_function(name), ())},
                       key=lambda t: durations.get(t, 0.0))
    os.environ["MUTANT_UNDER_TEST"] = ""
    if _pytest(all_tests, extra) != 0:
        raise SystemExit("the tests fail with no mutant active")
    signal.signal(signal.SIGALRM, _on_alarm)
    results = {}
    kills = {}  # function -> {test: mutants of that function it killed}: those tests go first
    for name in names:
        function = _function(name)
        killers = kills.setdefault(function, {})
        tests = sorted(tests_by_function.get(function, ()),
                       key=lambda t: (-killers.get(t, 0) / max(durations.get(t, 0.0), 0.05), durations.get(t, 0.0)))
        if not tests:
            results[name] = [NO_TESTS, 0.0]
            continue
        os.environ["MUTANT_UNDER_TEST"] = name
        start = time.perf_counter()
        signal.alarm(int(timeout + 15 * sum(durations.get(t, 1.0) for t in tests)))
        failures = _Failures()
        try:
            code = _pytest(tests, extra, failures)
        except _Timeout:
            code = TIMEOUT
        finally:
            signal.alarm(0)
            os.environ["MUTANT_UNDER_TEST"] = ""
        results[name] = [KILLED if code in (1, 3) else code, time.perf_counter() - start]
        for test in failures.nodeids:
            killers[test] = killers.get(test, 0) + 1
        try:
            import keras

            keras.backend.clear_session()
        except ImportError:
            pass
        gc.collect()
        _save(out, results)
    if _pytest(all_tests, extra) != 0:
        raise SystemExit("the tests fail with no mutant active after the mutants ran: verdicts not trusted")
    _save(out, results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="the mutated module, e.g. skcnn/inspect/_ascent.py")
    parser.add_argument("names", nargs="*", help="mutant names (default: every unchecked mutant)")
    parser.add_argument("--all", action="store_true", help="run every mutant, checked or not")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds added to 15x the tests' own time")
    parser.add_argument("--pytest-args", default="-m 'not slow'", help="added to every pytest run")
    parser.add_argument("--tests", nargs="+", default=[],
                        help="run these tests for every mutant instead of those that reached its function "
                             "(re-running survivors against new tests only)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_intermixed_args()
    import shlex

    extra = shlex.split(args.pytest_args)
    if args.worker:
        names = json.loads(Path(args.worker[0]).read_text())
        _worker(args.module, names, args.worker[1], extra, args.timeout, args.tests)
        return
    meta_path = Path("mutants") / (args.module + ".meta")
    meta = json.loads(meta_path.read_text())
    codes = meta["exit_code_by_key"]
    names = args.names or [n for n, c in codes.items() if args.all or c is None]
    if not names:
        raise SystemExit("no mutants to run")
    unknown = [n for n in names if n not in codes]
    if unknown:
        raise SystemExit(f"not mutants of {args.module}: {unknown[:3]}")
    shards = [names[i::args.workers] for i in range(args.workers)]
    here = Path(__file__).resolve()
    procs = []
    for i, shard in enumerate(shards):
        todo, done = Path(f"mutants/inproc-{i}.todo.json"), Path(f"mutants/inproc-{i}.json")
        todo.write_text(json.dumps(shard))
        done.unlink(missing_ok=True)
        procs.append((subprocess.Popen([sys.executable, str(here), args.module, "--worker", str(todo.resolve()),
                                        str(done.resolve()), "--timeout", str(args.timeout),
                                        "--pytest-args", args.pytest_args]
                                       + (["--tests", *args.tests] if args.tests else []),
                                       stdout=open(f"mutants/inproc-{i}.log", "w"), stderr=subprocess.STDOUT), done))
    start = time.time()
    while any(p.poll() is None for p, _ in procs):
        time.sleep(10)
        finished = sum(len(json.loads(d.read_text())) for _, d in procs if d.exists())
        print(f"\r{finished}/{len(names)} mutants, {time.time() - start:.0f} s", end="", flush=True)
    print()
    failed = [i for i, (p, _) in enumerate(procs) if p.returncode != 0]
    meta = json.loads(meta_path.read_text())  # mutmut may have written meanwhile
    for _, done in procs:
        if done.exists():
            for name, (code, seconds) in json.loads(done.read_text()).items():
                meta["exit_code_by_key"][name] = code
                meta["durations_by_key"][name] = seconds
    if failed:
        print(f"worker(s) {failed} failed: see mutants/inproc-N.log; their verdicts are NOT written")
        for i in failed:
            for name in shards[i]:
                meta["exit_code_by_key"][name] = None
    _save(meta_path, meta)
    print("exit codes over all mutants:", dict(Counter(meta["exit_code_by_key"].values())))


if __name__ == "__main__":
    main()
