"""A CNN grid search three ways on one machine: sequential, joblib's loky (2 processes), Dask (2 workers).

The grid: 8 candidates (4 values of ``alpha_l2`` x 2 learning rates) x 3 folds
over ``StandardScaler -> KerasCNNClassifier`` (a small series CNN, a few
epochs) on the embedded MNIST digits. The same ``GridSearchCV`` runs with

1. ``n_jobs=1`` in this process,
2. ``n_jobs=2`` on joblib's default backend (loky: 2 worker processes),
3. joblib's Dask backend on a ``LocalCluster`` of 2 worker processes, 1 thread
   each, with :func:`skcnn.parallel.worker_env`.

On one machine Dask cannot beat loky: the point is the engine's overhead
(target: the Dask search within 1.2x of loky's wall time). Both pools are
started before their search is timed, and both pay for importing TensorFlow in
their fresh workers inside the search; the loky workers get the same thread
settings as the Dask workers (``worker_env()`` in the environment they
inherit), this process keeps TensorFlow's defaults for the sequential run.
The cluster's start-up time is printed on its own line.

Printed: one line per way with wall time and best score, the ratios, and how
many fits (and Dask tasks: joblib batches fits) each Dask worker ran.

Run::

    python benchmarks/bench_distributed.py                 # 1000 digits, 2 epochs
    python benchmarks/bench_distributed.py --digits 600 --epochs 1   # quick look
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import time
import warnings
from collections import Counter


def make_search(n_jobs, epochs, random_state=0):
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skcnn import KerasCNNClassifier

    cnn = KerasCNNClassifier(conv_filters=(16, 32), dense_units=(32,), epochs=epochs, batch_size=64,
                             image_shape=(28, 28, 1), device="cpu", random_state=random_state)
    grid = {"kerascnnclassifier__alpha_l2": [0.0, 1e-4, 1e-3, 1e-2],
            "kerascnnclassifier__learning_rate": [1e-3, 3e-3]}
    return GridSearchCV(make_pipeline(StandardScaler(), cnn), grid, cv=3, n_jobs=n_jobs)


def timed_fit(search, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    return time.perf_counter() - start


def fits_per_worker(stream):
    """Fits and tasks per worker address, from Dask's task stream (a joblib task is a batch of fits)."""
    fits, tasks = Counter(), Counter()
    for task in stream:
        match = re.search(r"batch_of_\w*?_(\d+)_calls", task["key"])
        tasks[task["worker"]] += 1
        fits[task["worker"]] += int(match.group(1)) if match else 1
    return fits, tasks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=1000, help="digits from the embedded subset (default 1000)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per fit (default 2)")
    args = parser.parse_args(argv)

    import joblib
    import numpy as np

    from skcnn.datasets import load_mnist
    from skcnn.parallel import worker_env

    try:
        import distributed
    except ImportError:
        raise SystemExit("needs dask[distributed]: pip install 'skcnn[distributed]'") from None

    X, y = load_mnist(return_X_y=True)
    X, y = X[:args.digits], y[:args.digits]
    n_fits = 8 * 3
    print(f"grid search: 8 candidates x 3 folds = {n_fits} fits of a CNN (16, 32) conv, {args.epochs} epochs, "
          f"on {len(y)} digits; {os.cpu_count()} cores")

    results = {}
    search = make_search(1, args.epochs)
    results["n_jobs=1"] = (timed_fit(search, X, y), search.best_score_)

    # the loky workers inherit this environment: the same thread settings as the Dask workers
    os.environ.update(worker_env())
    joblib.Parallel(n_jobs=2)(joblib.delayed(abs)(i) for i in range(4))  # start the 2 loky workers
    search = make_search(2, args.epochs)
    results["loky n_jobs=2"] = (timed_fit(search, X, y), search.best_score_)

    start = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                       dashboard_address=None, env=worker_env(), silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    client.wait_for_workers(2)
    startup = time.perf_counter() - start
    try:
        search = make_search(-1, args.epochs)
        with distributed.get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
            results["dask 2 workers"] = (timed_fit(search, X, y), search.best_score_)
        fits, tasks = fits_per_worker(stream.data)
    finally:
        client.close()
        cluster.close()

    for name, (seconds, score) in results.items():
        print(f"{name:16s} {seconds:7.1f} s   best mean CV accuracy {score:.4f}")
    print(f"(LocalCluster start-up, not in the Dask time: {startup:.1f} s)")
    seq, loky, dask = (results[k][0] for k in ("n_jobs=1", "loky n_jobs=2", "dask 2 workers"))
    verdict = "within" if dask <= 1.2 * loky else "NOT within"
    print(f"ratios: n_jobs=1 / loky = {seq / loky:.2f}, n_jobs=1 / dask = {seq / dask:.2f}, "
          f"dask / loky = {dask / loky:.2f} ({verdict} the 1.2x target)")
    for i, worker in enumerate(sorted(fits)):
        print(f"dask worker {i}: {fits[worker]} fits in {tasks[worker]} tasks")
    same = np.isclose(results["dask 2 workers"][1], results["n_jobs=1"][1], atol=0.02)
    print(f"best score on Dask {'matches' if same else 'differs from'} the sequential run (tolerance 0.02)")


if __name__ == "__main__":
    main()
