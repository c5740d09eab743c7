"""Run mutmut's mutants of one module or package in warm Python processes, for code whose tests load TensorFlow.

mutmut 3 runs every mutant in a freshly forked worker. When the tests use TensorFlow, that worker
starts TensorFlow's runtime and traces its graphs again, about 14 s a mutant on two cores, and
forking a process whose TensorFlow already ran is not safe. The trampolines mutmut writes read the
active mutant (``MUTANT_UNDER_TEST``) at every call, and code that traces a new ``tf.function`` for
every object it builds sees the active mutant in each trace, so one process can run mutant after
mutant. This script does that, with mutmut's own mutants, its test-to-function map and its result
files, so ``mutmut results`` and ``mutmut show`` report the outcome.

``PATH`` is one module (``skcnn/inspect/_ascent.py``) or a package folder (``skcnn/inspect/_core/``:
every module under it). Usage, in a scratch copy of the tree whose ``setup.cfg`` names the mutated
code (``only_mutate``) and the tests (CONTRIBUTING.md, "Mutation testing")::

    python tools/mutants_in_process.py PATH --prepare                   # mutmut's mutants and its map of tests
    python tools/mutants_in_process.py PATH --workers 2                 # every unchecked mutant
    python tools/mutants_in_process.py PATH --all                       # every mutant again
    python tools/mutants_in_process.py PATH NAME1 NAME2 ...             # just these
    python tools/mutants_in_process.py PATH NAME1 ... --tests FILE      # names before --tests

``--prepare`` does what ``mutmut run`` does before its first mutant (copy the tree into ``mutants/``,
write the mutants, run the tests once to map tests to functions into ``mutmut-stats.json``) and
stops there; a folder where ``mutmut run`` has already done so needs no ``--prepare``.

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


def _sources(path):
    """The modules ``path`` names, relative to the repository root: itself, or every module under a folder."""
    given = Path(path)
    if given.is_dir():
        found = sorted(p.as_posix() for p in given.rglob("*.py") if "__pycache__" not in p.parts)
    elif given.suffix == ".py" and given.is_file():
        found = [given.as_posix()]
    else:
        raise SystemExit(f"PATH must be a module (.py) or a package folder of this tree; got {path!r}")
    if not found:
        raise SystemExit(f"PATH {path!r} holds no Python module")
    return found


def _dotted(source):
    """``skcnn/inspect/_core/__init__.py`` -> ``skcnn.inspect._core``; ``a/b.py`` -> ``a.b``."""
    parts = source[:-3].split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _metas(path):
    """``{meta file: its content}`` for every module of ``path`` that mutmut wrote mutants for."""
    found = {}
    for source in _sources(path):
        meta = Path("mutants") / (source + ".meta")
        if meta.exists():
            found[meta] = json.loads(meta.read_text())
    if not found:
        raise SystemExit(f"no mutants of {path} in mutants/: run with --prepare (or mutmut run) first")
    return found


def _prepare(max_children):
    """What ``mutmut run`` does before its first mutant: write the mutants and the map of tests."""
    try:
        import mutmut.__main__ as mutmut_main
    except ImportError:
        raise SystemExit("--prepare needs mutmut: pip install 'mutmut>=3.8,<4'") from None

    mutmut_main.set_mutant_under_test("mutant_generation")
    os.makedirs("mutants", exist_ok=True)
    mutmut_main.copy_src_dir()
    mutmut_main.copy_also_copy_files()
    mutmut_main.setup_source_paths()
    mutmut_main.store_lines_covered_by_tests()
    mutmut_main.create_mutants(max_children)
    runner = mutmut_main.get_mutant_runner(max_children)
    try:
        mutmut_main.collect_or_load_stats(runner, mutants_caught_by_type_checker={}, apply_config_invalidation=True)
    finally:
        runner.shutdown()
    mutmut_main.set_mutant_under_test("")


def _worker(path, names, out, extra, timeout, fixed_tests):
    """Run ``names`` one after another in this process; write ``{name: [exit_code, seconds]}`` to ``out``."""
    sources = _sources(path)  # read from the repository root, before entering mutants/
    os.chdir("mutants")
    sys.path.insert(0, os.getcwd())
    stats = json.load(open("mutmut-stats.json"))
    tests_by_function = stats["tests_by_mangled_function_name"]
    durations = stats["duration_by_test"]
    if fixed_tests:  # the same tests for every mutant, whatever reached it
        tests_by_function = {_function(name): fixed_tests for name in names}
    import importlib

    for dotted in map(_dotted, sources):
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


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", metavar="PATH",
                        help="the mutated module or package folder, e.g. skcnn/inspect/_ascent.py or skcnn/inspect/_core/")
    parser.add_argument("names", nargs="*", help="mutant names (default: every unchecked mutant)")
    parser.add_argument("--prepare", action="store_true",
                        help="only write mutmut's mutants and its map of tests, as mutmut run does first")
    parser.add_argument("--all", action="store_true", help="run every mutant, checked or not")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds added to 15x the tests' own time")
    parser.add_argument("--pytest-args", default="-m 'not slow'", help="added to every pytest run")
    parser.add_argument("--tests", nargs="+", default=[],
                        help="run these tests for every mutant instead of those that reached its function "
                             "(re-running survivors against new tests only)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    return parser


def _launch(args, shards):
    """One worker process per shard; ``[(process, its result file)]``."""
    here = Path(__file__).resolve()
    procs = []
    for i, shard in enumerate(shards):
        todo, done = Path(f"mutants/inproc-{i}.todo.json"), Path(f"mutants/inproc-{i}.json")
        todo.write_text(json.dumps(shard))
        done.unlink(missing_ok=True)
        procs.append((subprocess.Popen([sys.executable, str(here), args.path, "--worker", str(todo.resolve()),
                                        str(done.resolve()), "--timeout", str(args.timeout),
                                        "--pytest-args", args.pytest_args]
                                       + (["--tests", *args.tests] if args.tests else []),
                                       stdout=open(f"mutants/inproc-{i}.log", "w"), stderr=subprocess.STDOUT), done))
    return procs


def _merge(path, procs, shards):
    """Write the workers' verdicts into mutmut's meta files; a failed worker's mutants stay unchecked."""
    failed = [i for i, (p, _) in enumerate(procs) if p.returncode != 0]
    metas = _metas(path)  # read again: mutmut may have written meanwhile
    meta_of = {name: meta for meta, data in metas.items() for name in data["exit_code_by_key"]}
    for _, done in procs:
        if done.exists():
            for name, (code, seconds) in json.loads(done.read_text()).items():
                metas[meta_of[name]]["exit_code_by_key"][name] = code
                metas[meta_of[name]]["durations_by_key"][name] = seconds
    if failed:
        print(f"worker(s) {failed} failed: see mutants/inproc-N.log; their verdicts are NOT written")
        for i in failed:
            for name in shards[i]:
                metas[meta_of[name]]["exit_code_by_key"][name] = None
    for meta, data in metas.items():
        _save(meta, data)
    codes = Counter(code for data in metas.values() for code in data["exit_code_by_key"].values())
    print("exit codes over all mutants:", dict(codes))


def main():
    args = _parser().parse_intermixed_args()
    import shlex

    extra = shlex.split(args.pytest_args)
    if args.worker:
        names = json.loads(Path(args.worker[0]).read_text())
        _worker(args.path, names, args.worker[1], extra, args.timeout, args.tests)
        return
    if args.prepare:
        _sources(args.path)
        _prepare(max(args.workers, 1))
        return
    codes = {name: code for data in _metas(args.path).values() for name, code in data["exit_code_by_key"].items()}
    names = args.names or [n for n, c in codes.items() if args.all or c is None]
    if not names:
        raise SystemExit("no mutants to run")
    unknown = [n for n in names if n not in codes]
    if unknown:
        raise SystemExit(f"not mutants of {args.path}: {unknown[:3]}")
    shards = [names[i::args.workers] for i in range(args.workers)]
    procs = _launch(args, shards)
    start = time.time()
    while any(p.poll() is None for p, _ in procs):
        time.sleep(10)
        finished = sum(len(json.loads(d.read_text())) for _, d in procs if d.exists())
        print(f"\r{finished}/{len(names)} mutants, {time.time() - start:.0f} s", end="", flush=True)
    print()
    _merge(args.path, procs, shards)


if __name__ == "__main__":
    main()
