"""MLP on pixels against MLP on K=70 cluster distances, on the embedded MNIST subset.

The series (reference 003, article XIV) replaces the 784 pixels of a digit by
its standardized distances to K=70 MiniBatchKMeans centroids before the MLP,
and reports 97.8% test accuracy against 97.35% on pixels (full MNIST), reached
with 3 to 14 times less CPU time. This script measures the same comparison on
the embedded 5,000 digits.

Setup: the MLP benchmark's split and scaling, imported from ``bench_mlp.py``
next to this file (4000/1000, stratified, random_state=0; StandardScaler;
float32); MLPScratchClassifier (70, 30), sigmoid as in the series
(``--activation``), sgd, batch 500, a fixed number of epochs (no early stop),
the same learning rate for both. The pixel MLP gets ``alpha_l2=ALPHA``; after the clusters it gets
the series' rule ``cluster_alpha(ALPHA, K, 784)``. The steps are fitted
alternately in one process, ``--repeats`` times; times are medians.

Printed, in one run:

1. Fixed epochs: test accuracy of each, fit time of each (the cluster side
   split into k-means and MLP) and the pixel/cluster time ratios.
2. Same accuracy: one more run of each, epoch by epoch (``partial_fit``,
   test accuracy every ``--every`` epochs, untimed); the training time each
   needed to first reach the lower of the two final accuracies (k-means
   time included on the cluster side), and their ratio: the series' own
   way of counting.

BLAS and OpenMP run on one thread by default (``--threads 0`` keeps the
libraries' defaults): on a small shared machine threads of different
processes fight for cores. Timings are noisy anyway; read medians and ratios.

Run::

    python benchmarks/bench_cluster.py                      # 200 epochs, 3 repeats
    python benchmarks/bench_cluster.py --epochs 30 --repeats 1   # quick look
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from bench_mlp import load_split  # the MLP benchmark's split and scaling, shared on purpose
from skcnn import ClusterDistanceTransformer, MLPScratchClassifier
from skcnn.cluster import cluster_alpha

HIDDEN = (70, 30)
BATCH = 500


def stopwatch(fn, *args):
    """``(fn(*args), seconds)``."""
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def make_mlp(alpha, args):
    return MLPScratchClassifier(
        hidden_layer_sizes=HIDDEN, activation=args.activation, solver="sgd", batch_size=BATCH,
        learning_rate=args.learning_rate, alpha_l2=alpha, max_iter=args.epochs,
        n_iter_no_change=args.epochs + 1, tol=0.0, random_state=0,
    )


def make_clusters(args):
    return ClusterDistanceTransformer(n_clusters=args.n_clusters, random_state=0)


def fixed_epochs(data, args):
    """Fit both sides ``args.repeats`` times; median seconds and the test accuracies."""
    X_train, X_test, y_train, y_test = data
    alpha_clusters = cluster_alpha(args.alpha, args.n_clusters, X_train.shape[1])
    seconds = {"pixels": [], "kmeans": [], "cluster MLP": []}
    accuracy = {}
    for _ in range(args.repeats):
        mlp, t = stopwatch(make_mlp(args.alpha, args).fit, X_train, y_train)
        seconds["pixels"].append(t)
        accuracy["pixels"] = mlp.score(X_test, y_test)

        clusters = make_clusters(args)
        D_train, t = stopwatch(clusters.fit_transform, X_train)
        seconds["kmeans"].append(t)
        mlp, t = stopwatch(make_mlp(alpha_clusters, args).fit, D_train, y_train)
        seconds["cluster MLP"].append(t)
        accuracy["clusters"] = mlp.score(clusters.transform(X_test), y_test)
    return {name: statistics.median(v) for name, v in seconds.items()}, accuracy, alpha_clusters


def epoch_by_epoch(X_train, X_test, y_train, y_test, alpha, args, start_seconds=0.0):
    """Train with partial_fit; return [(epoch, cumulative training seconds, test accuracy)]."""
    mlp = make_mlp(alpha, args)
    classes = np.unique(y_train)
    elapsed, curve = start_seconds, []
    for epoch in range(1, args.epochs + 1):
        _, t = stopwatch(mlp.partial_fit, X_train, y_train, classes)
        elapsed += t
        if epoch % args.every == 0 or epoch == args.epochs:
            curve.append((epoch, elapsed, mlp.score(X_test, y_test)))
    return curve


def first_reaching(curve, target):
    """The first ``(epoch, seconds, accuracy)`` of ``curve`` with accuracy >= target."""
    return next(point for point in curve if point[2] >= target - 1e-12)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-clusters", type=int, default=70)
    parser.add_argument("--alpha", type=float, default=1.0, help="alpha_l2 of the pixel MLP")
    parser.add_argument("--learning-rate", type=float, default=0.2)
    parser.add_argument("--activation", default="sigmoid", help="hidden activation (the series: sigmoid)")
    parser.add_argument("--every", type=int, default=5, help="epochs between accuracy checks (part 2)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (0: library default)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    limits = threadpool_limits(args.threads) if args.threads > 0 else None

    data = load_split()
    X_train, X_test, y_train, y_test = data
    t, accuracy, alpha_clusters = fixed_epochs(data, args)
    cluster_total = t["kmeans"] + t["cluster MLP"]
    print(f"setup: 4000/1000 split, StandardScaler, MLP {HIDDEN} {args.activation} sgd batch {BATCH} lr {args.learning_rate}, "
          f"{args.epochs} epochs, K={args.n_clusters}, alpha_l2 {args.alpha:g} on pixels -> "
          f"{alpha_clusters:.4f} on clusters, {args.repeats} repeats, threads: {args.threads or 'default'}")
    print(f"pixels   (784 features): test accuracy {accuracy['pixels']:.4f}, fit {t['pixels']:.2f} s "
          f"({1000 * t['pixels'] / args.epochs:.1f} ms/epoch)")
    print(f"clusters (K={args.n_clusters}): test accuracy {accuracy['clusters']:.4f}, fit {cluster_total:.2f} s "
          f"(k-means {t['kmeans']:.2f} s + MLP {t['cluster MLP']:.2f} s, "
          f"{1000 * t['cluster MLP'] / args.epochs:.1f} ms/epoch)")
    print(f"time ratio pixels/clusters: whole fit {t['pixels'] / cluster_total:.2f}x, "
          f"MLP alone {t['pixels'] / t['cluster MLP']:.2f}x (series: 3 to 14x); "
          f"accuracy clusters - pixels: {accuracy['clusters'] - accuracy['pixels']:+.4f} (series: +0.0045)")

    clusters, t_kmeans = stopwatch(make_clusters(args).fit, X_train)
    curves = {
        "pixels": epoch_by_epoch(X_train, X_test, y_train, y_test, args.alpha, args),
        "clusters": epoch_by_epoch(clusters.transform(X_train), clusters.transform(X_test), y_train, y_test,
                                   alpha_clusters, args, start_seconds=t_kmeans),
    }
    target = min(curve[-1][2] for curve in curves.values())
    reached = {name: first_reaching(curve, target) for name, curve in curves.items()}
    print(f"same accuracy ({target:.4f}, the lower final one): pixels after {reached['pixels'][0]} epochs, "
          f"{reached['pixels'][1]:.2f} s; clusters after {reached['clusters'][0]} epochs, "
          f"{reached['clusters'][1]:.2f} s (k-means included); ratio {reached['pixels'][1] / reached['clusters'][1]:.2f}x")
    if limits is not None:
        limits.unregister()


if __name__ == "__main__":
    main()
