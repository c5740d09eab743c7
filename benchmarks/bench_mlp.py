"""MLPScratchClassifier against scikit-learn's MLPClassifier on the embedded MNIST subset.

Setup (issue 3): 4000/1000 stratified split (random_state=0), StandardScaler,
float32 input for both, hidden layers (70, 30), sigmoid ("logistic"), sgd,
batch 500, momentum 0.9, a fixed number of epochs (no early stop). The two
estimators are fitted alternately in one process, ``--repeats`` times each;
the script prints the median time per epoch of each, their ratio and both test
accuracies. It also times a bare NumPy forward and backward pass over one
epoch (contiguous batches, ``scipy.special.expit``, no update): the floor.
Finally it fits both estimators with their own defaults and prints time and
test accuracy.

BLAS runs on one thread by default (``--threads 0`` keeps the library's
default): on a small shared machine, threads of different processes fight for
cores and wall-clock times scatter. Timings are noisy anyway: read the medians
and the ratios.

Run::

    python benchmarks/bench_mlp.py            # 200 epochs, 3 repeats
    python benchmarks/bench_mlp.py --epochs 20 --repeats 1   # quick look
"""

from __future__ import annotations

import argparse
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


def timed_fit(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start


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
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(20):
            bare_epoch(X, T, weights)
        times.append((time.perf_counter() - start) / 20)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (0: library default)")
    parser.add_argument("--skip-defaults", action="store_true", help="skip the fits with default parameters")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X_train, X_test, y_train, y_test = load_split()
    limits = threadpool_limits(args.threads, "blas") if args.threads > 0 else None

    ours = MLPScratchClassifier(
        hidden_layer_sizes=HIDDEN, activation="sigmoid", solver="sgd", batch_size=BATCH, momentum=MOMENTUM,
        learning_rate=LEARNING_RATE, alpha_l2=ALPHA_L2, max_iter=args.epochs, n_iter_no_change=args.epochs + 1,
        tol=0.0, random_state=0,
    )
    theirs = MLPClassifier(
        hidden_layer_sizes=HIDDEN, activation="logistic", solver="sgd", batch_size=BATCH, momentum=MOMENTUM,
        learning_rate_init=LEARNING_RATE, max_iter=args.epochs, n_iter_no_change=args.epochs + 1, tol=0.0,
        random_state=0,
    )
    per_epoch = {"skcnn": [], "sklearn": []}
    accuracy = {}
    for _ in range(args.repeats):
        for name, est in (("skcnn", ours), ("sklearn", theirs)):
            seconds = timed_fit(est, X_train, y_train)
            per_epoch[name].append(seconds / est.n_iter_)
            accuracy[name] = est.score(X_test, y_test)
    floor = floor_per_epoch(X_train, y_train, args.repeats)
    ms = {name: 1000 * statistics.median(v) for name, v in per_epoch.items()}
    print(f"setup: hidden {HIDDEN}, sigmoid, sgd, batch {BATCH}, momentum {MOMENTUM}, lr {LEARNING_RATE}, "
          f"skcnn alpha_l2 {ALPHA_L2}, "
          f"{args.epochs} epochs, float32, {args.repeats} repeats, BLAS threads: {args.threads or 'default'}")
    print(f"time per epoch: skcnn {ms['skcnn']:.2f} ms, sklearn {ms['sklearn']:.2f} ms, "
          f"ratio skcnn/sklearn {ms['skcnn'] / ms['sklearn']:.2f} (target <= 0.50)")
    print(f"bare NumPy forward+backward epoch (floor): {1000 * floor:.2f} ms, "
          f"skcnn/floor {ms['skcnn'] / (1000 * floor):.2f} (target <= 1.30), "
          f"sklearn/floor {ms['sklearn'] / (1000 * floor):.2f}")
    print(f"test accuracy: skcnn {accuracy['skcnn']:.4f}, sklearn {accuracy['sklearn']:.4f}")
    print("all repeats (ms per epoch): " + "; ".join(
        f"{name} " + ", ".join(f"{1000 * v:.1f}" for v in values) for name, values in per_epoch.items()))

    if not args.skip_defaults:
        default_times = {"skcnn": [], "sklearn": []}
        for _ in range(args.repeats):
            for name, est in (("skcnn", MLPScratchClassifier(random_state=0)),
                              ("sklearn", MLPClassifier(random_state=0))):
                default_times[name].append(timed_fit(est, X_train, y_train))
                accuracy[name] = est.score(X_test, y_test)
                accuracy[name + " epochs"] = est.n_iter_
        t = {name: statistics.median(v) for name, v in default_times.items()}
        print(f"defaults: skcnn MLPScratchClassifier() {t['skcnn']:.2f} s, {accuracy['skcnn epochs']} epochs, "
              f"test accuracy {accuracy['skcnn']:.4f} (target >= 0.93); sklearn MLPClassifier() "
              f"{t['sklearn']:.2f} s, {accuracy['sklearn epochs']} epochs, test accuracy "
              f"{accuracy['sklearn']:.4f}; time ratio {t['skcnn'] / t['sklearn']:.2f} (target <= 1.00)")
    if limits is not None:
        limits.unregister()


if __name__ == "__main__":
    main()
