"""MLPScratchClassifier against scikit-learn's MLPClassifier on the embedded MNIST subset.

Setup: 4000/1000 stratified split (random_state=0), StandardScaler,
float32 input for both, hidden layers (70, 30), sigmoid ("logistic"), sgd,
batch 500, momentum 0.9, a fixed number of epochs (no early stop). The two
estimators are fitted alternately in one process, ``--repeats`` times each;
the script prints the median time per epoch of each, their ratio and both test
accuracies. It also times a bare NumPy forward and backward pass over one
epoch (contiguous batches, ``scipy.special.expit``, no update): the floor.
Finally it fits both estimators with their own defaults and prints time and
test accuracy.

skcnn limits BLAS to one thread inside its own methods (``SKCNN_BLAS_THREADS``,
see the performance page of the user guide); scikit-learn and the floor run
with ``--threads`` BLAS threads (default 1, ``0`` keeps the library's
default), set around their runs only. Timings are noisy on a shared machine:
read the medians and the ratios.

``--load N`` then measures skcnn's epoch on a busy machine: N Python processes
(multiprocessing) spin beside it, switched on and off between fits, so quiet
and loaded fits alternate; it prints the median epoch of each and their ratio,
and the same with BLAS's default threads (``SKCNN_BLAS_THREADS=0``, skcnn's
earlier default), for reference. The busy processes are children of the
benchmark, in its session: on an otherwise quiet machine the measurement and
the spinners share the cores evenly (three busy threads on two cores: 1.5x is
what a fair share gives one of them). ``--load-own-session`` starts them in a
session of their own instead, as a job from another terminal: Linux's
scheduler (autogroup) then shares the CPU between sessions first, which on a
machine where other sessions run too gives the benchmark a larger share; on
a quiet machine the two came out alike here (1.45 and 1.41 with 2 spinners,
medians of 5; a run of 3 gave 1.83 in a session of their own).

Run::

    python benchmarks/bench_mlp.py            # 200 epochs, 3 repeats
    python benchmarks/bench_mlp.py --epochs 20 --repeats 1   # quick look
    python benchmarks/bench_mlp.py --epochs 20 --skip-defaults --load 2   # 2 busy processes
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import time
import warnings

import numpy as np
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skcnn import MLPScratchClassifier
from skcnn.datasets import load_mnist

HIDDEN = (70, 30)
BATCH = 500
MOMENTUM = 0.9
LEARNING_RATE = 0.5  # best of 0.1, 0.2, 0.5 for both (sklearn: 0.908, 0.912, 0.911)
ALPHA_L2 = 1.0  # skcnn's best L2 penalty for sigmoid nodes; sklearn keeps its alpha=1e-4


def load_split():
    digits = load_mnist()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=1000, stratify=digits.target, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return (scaler.transform(X_train).astype(np.float32), scaler.transform(X_test).astype(np.float32),
            y_train, y_test)


def peers_blas(threads):
    """BLAS threads for scikit-learn and the floor: ``threads`` (0: the library's default), scoped."""
    return threadpool_limits(threads, "blas") if threads > 0 else contextlib.nullcontext()


def spin(switch, stop, ready, own_session):
    """A busy process: burns a core while ``switch`` is set, until ``stop`` is set."""
    if own_session and hasattr(os, "setsid"):
        os.setsid()  # a job of its own, as one started from another terminal
    ready.release()
    while not stop.is_set():
        if not switch.wait(0.05):
            continue
        x = 0
        for i in range(200_000):  # about 5 ms between looks at the events
            x += i


@contextlib.contextmanager
def busy_processes(n, own_session=True):
    """Start ``n`` spinning processes (idle until switched on); yield their on/off switch; stop them."""
    ctx = multiprocessing.get_context("spawn")
    switch, stop, ready = ctx.Event(), ctx.Event(), ctx.Semaphore(0)
    workers = [ctx.Process(target=spin, args=(switch, stop, ready, own_session), daemon=True) for _ in range(n)]
    for w in workers:
        w.start()
    try:
        for _ in workers:  # spawn imports this script (and skcnn) in each: wait until all have started
            if not ready.acquire(timeout=120):
                raise RuntimeError("a busy process did not start within 120 s")
        yield switch
    finally:
        stop.set()
        switch.set()
        for w in workers:
            w.join(5)
            if w.is_alive():
                w.terminate()
                w.join()


@contextlib.contextmanager
def skcnn_threads(value):
    """``SKCNN_BLAS_THREADS=value`` inside (None: as the user has it)."""
    old = os.environ.get("SKCNN_BLAS_THREADS")
    if value is not None:
        os.environ["SKCNN_BLAS_THREADS"] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SKCNN_BLAS_THREADS", None)
        else:
            os.environ["SKCNN_BLAS_THREADS"] = old


def load_ratio(n_busy, make, X, y, repeats, own_session=True):
    """Median ms per epoch quiet and beside ``n_busy`` spinning processes, for skcnn's setting and BLAS's."""
    times = {(setting, loaded): [] for setting in ("skcnn", "blas default") for loaded in (False, True)}
    with busy_processes(n_busy, own_session) as switch:
        make().fit(X, y)  # warm-up, not timed
        for _ in range(repeats):
            for setting, value in (("skcnn", None), ("blas default", "0")):
                for loaded in (False, True):
                    if loaded:
                        switch.set()
                        time.sleep(0.2)
                    with skcnn_threads(value):
                        est = make()
                        seconds, _ = timed_fit(est, X, y)
                    switch.clear()
                    time.sleep(0.1)
                    times[setting, loaded].append(1000 * seconds / est.n_iter_)
    return {key: statistics.median(v) for key, v in times.items()}, times


def timed_fit(estimator, X, y):
    """Wall-clock and CPU seconds (all threads of this process) of ``estimator.fit(X, y)``."""
    start, cpu = time.perf_counter(), time.process_time()
    estimator.fit(X, y)
    return time.perf_counter() - start, time.process_time() - cpu


def bare_epoch(X, T, weights, batch=BATCH):
    """One epoch of plain forward and backward passes: the cost of the arithmetic itself."""
    (W1, b1), (W2, b2), (W3, b3) = weights
    for start in range(0, X.shape[0], batch):
        x, t = X[start:start + batch], T[start:start + batch]
        a1 = expit(x @ W1 + b1)
        a2 = expit(a1 @ W2 + b2)
        a3 = expit(a2 @ W3 + b3)
        d3 = (a3 - t) / x.shape[0]
        d2 = (d3 @ W3.T) * a2 * (1 - a2)
        d1 = (d2 @ W2.T) * a1 * (1 - a1)
        grads = (x.T @ d1, d1.sum(0), a1.T @ d2, d2.sum(0), a2.T @ d3, d3.sum(0))
    return grads


def floor_per_epoch(X, y, repeats):
    rng = np.random.default_rng(0)
    sizes = (X.shape[1], *HIDDEN, 10)
    weights = [(rng.uniform(-1, 1, (i, o)).astype(np.float32) / np.float32(np.sqrt(i)), np.zeros(o, np.float32))
               for i, o in zip(sizes[:-1], sizes[1:])]
    T = np.eye(10, dtype=np.float32)[y]
    times, cpu = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(20):
            bare_epoch(X, T, weights)
        times.append((time.perf_counter() - start) / 20)
        cpu.append((time.process_time() - cpu_start) / 20)
    return statistics.median(times), statistics.median(cpu)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads of scikit-learn and the floor (0: library default)")
    parser.add_argument("--load", type=int, default=0, metavar="N",
                        help="also time skcnn's epoch beside N busy processes (loaded/quiet ratio)")
    parser.add_argument("--load-epochs", type=int, default=20, help="epochs of each fit with --load")
    parser.add_argument("--load-own-session", action="store_true",
                        help="start the busy processes in a session of their own (default: this session)")
    parser.add_argument("--skip-defaults", action="store_true", help="skip the fits with default parameters")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X_train, X_test, y_train, y_test = load_split()

    def make_ours(epochs):
        return MLPScratchClassifier(
            hidden_layer_sizes=HIDDEN, activation="sigmoid", solver="sgd", batch_size=BATCH, momentum=MOMENTUM,
            learning_rate=LEARNING_RATE, alpha_l2=ALPHA_L2, max_iter=epochs, n_iter_no_change=epochs + 1,
            tol=0.0, random_state=0,
        )

    ours = make_ours(args.epochs)
    theirs = MLPClassifier(
        hidden_layer_sizes=HIDDEN, activation="logistic", solver="sgd", batch_size=BATCH, momentum=MOMENTUM,
        learning_rate_init=LEARNING_RATE, max_iter=args.epochs, n_iter_no_change=args.epochs + 1, tol=0.0,
        random_state=0,
    )
    per_epoch = {"skcnn": [], "sklearn": []}
    cpu_per_epoch = {"skcnn": [], "sklearn": []}
    accuracy = {}
    for _ in range(args.repeats):
        for name, est in (("skcnn", ours), ("sklearn", theirs)):
            with peers_blas(args.threads if name == "sklearn" else 0):
                seconds, cpu = timed_fit(est, X_train, y_train)
                accuracy[name] = est.score(X_test, y_test)
            per_epoch[name].append(seconds / est.n_iter_)
            cpu_per_epoch[name].append(cpu / est.n_iter_)
    with peers_blas(args.threads):
        floor, floor_cpu = floor_per_epoch(X_train, y_train, args.repeats)
    cpu_ms = {name: 1000 * statistics.median(v) for name, v in cpu_per_epoch.items()}
    ms = {name: 1000 * statistics.median(v) for name, v in per_epoch.items()}
    print(f"setup: hidden {HIDDEN}, sigmoid, sgd, batch {BATCH}, momentum {MOMENTUM}, lr {LEARNING_RATE}, "
          f"skcnn alpha_l2 {ALPHA_L2}, "
          f"{args.epochs} epochs, float32, {args.repeats} repeats, BLAS threads: skcnn "
          f"{os.environ.get('SKCNN_BLAS_THREADS') or 'its own (1)'}, sklearn and floor {args.threads or 'default'}")
    print(f"time per epoch: skcnn {ms['skcnn']:.2f} ms, sklearn {ms['sklearn']:.2f} ms, "
          f"ratio skcnn/sklearn {ms['skcnn'] / ms['sklearn']:.2f} (target <= 0.80)")
    print(f"bare NumPy forward+backward epoch (floor): {1000 * floor:.2f} ms, "
          f"skcnn/floor {ms['skcnn'] / (1000 * floor):.2f} (target <= 1.20), "
          f"sklearn/floor {ms['sklearn'] / (1000 * floor):.2f}")
    print(f"CPU time per epoch (steadier than wall-clock on a shared machine): skcnn {cpu_ms['skcnn']:.2f} ms, "
          f"sklearn {cpu_ms['sklearn']:.2f} ms, floor {1000 * floor_cpu:.2f} ms; skcnn/sklearn "
          f"{cpu_ms['skcnn'] / cpu_ms['sklearn']:.2f}, skcnn/floor {cpu_ms['skcnn'] / (1000 * floor_cpu):.2f}")
    print(f"test accuracy: skcnn {accuracy['skcnn']:.4f}, sklearn {accuracy['sklearn']:.4f}")
    print("all repeats (ms per epoch): " + "; ".join(
        f"{name} " + ", ".join(f"{1000 * v:.1f}" for v in values) for name, values in per_epoch.items()))

    if not args.skip_defaults:
        default_times = {"skcnn": [], "sklearn": []}
        for _ in range(args.repeats):
            for name, est in (("skcnn", MLPScratchClassifier(random_state=0)),
                              ("sklearn", MLPClassifier(random_state=0))):
                with peers_blas(args.threads if name == "sklearn" else 0):
                    default_times[name].append(timed_fit(est, X_train, y_train)[0])
                    accuracy[name] = est.score(X_test, y_test)
                accuracy[name + " epochs"] = est.n_iter_
        t = {name: statistics.median(v) for name, v in default_times.items()}
        print(f"defaults: skcnn MLPScratchClassifier() {t['skcnn']:.2f} s, {accuracy['skcnn epochs']} epochs, "
              f"test accuracy {accuracy['skcnn']:.4f} (target >= 0.93); sklearn MLPClassifier() "
              f"{t['sklearn']:.2f} s, {accuracy['sklearn epochs']} epochs, test accuracy "
              f"{accuracy['sklearn']:.4f}; time ratio {t['skcnn'] / t['sklearn']:.2f} (target <= 1.00)")

    if args.load > 0:
        ms, times = load_ratio(args.load, lambda: make_ours(args.load_epochs), X_train, y_train, args.repeats,
                               own_session=args.load_own_session)
        where = "a session of their own" if args.load_own_session else "this session"
        print(f"busy machine: {args.load} spinning processes ({where}) on {os.cpu_count()} cores, "
              f"{args.load_epochs} epochs a fit, quiet and loaded fits alternating, {args.repeats} repeats")
        for setting, label in (("skcnn", "skcnn (its BLAS threads)"),
                               ("blas default", "skcnn, SKCNN_BLAS_THREADS=0 (BLAS's default threads)")):
            quiet, loaded = ms[setting, False], ms[setting, True]
            target = " (target <= 1.50)" if setting == "skcnn" else ""
            print(f"{label}: epoch quiet {quiet:.2f} ms, loaded {loaded:.2f} ms, loaded/quiet {loaded / quiet:.2f}"
                  f"{target}")
        print("all repeats (ms per epoch): " + "; ".join(
            f"{setting} {'loaded' if loaded else 'quiet'} " + ", ".join(f"{v:.1f}" for v in values)
            for (setting, loaded), values in times.items()))


if __name__ == "__main__":
    main()
