"""
Pre-clustering before the MLP: a Pipeline and a grid search
===========================================================

The series (reference 003, article XIV) shrinks the MLP's input layer: each
digit's 784 pixels are replaced by its distances to K centroids found by
MiniBatchKMeans, standardized before gradient descent. With fewer inputs the
L2 strength is lowered in proportion, ``alpha * K / 784``.

Here we

1. scan K for an "elbow" in the inertia and peaks of the silhouette,
2. put StandardScaler, :class:`skcnn.ClusterDistanceTransformer` and
   :class:`skcnn.MLPScratchClassifier` into one Pipeline,
3. grid-search K together with the L2 strength tied to it by
   :func:`skcnn.cluster.cluster_alpha`,
4. print the best parameters and the per-class table on held-out digits.

Pictures are written to ``cluster_pipeline/`` in the current folder (or ``--out DIR``).
Measured run time: 653 s wall on two CPU cores shared with other jobs (load average 17,
so expect a small fraction of that on an idle machine).
"""

import warnings
import argparse
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import ClusterDistanceTransformer, MLPScratchClassifier
from skcnn.cluster import cluster_alpha, scan_clusters
from skcnn.datasets import load_mnist
from skcnn.metrics import classification_table
from skcnn.plotting import plot_cluster_scan, plot_confusion_matrix, save_figure

# Pictures go to one folder named after this example, or to ``--out DIR``.
parser = argparse.ArgumentParser()
parser.add_argument("--out", type=Path, default=Path("cluster_pipeline"), help="folder for the pictures")
out = parser.parse_known_args()[0].out
print(f"pictures go to {out.resolve()}")
# A fixed number of epochs is part of the setup here, not a sign of trouble.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

# %%
# The embedded 5,000 digits, split like the benchmarks: 4000 to train, 1000 to test.
digits = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=1000, stratify=digits.target, random_state=0
)
n_pixels = X_train.shape[1]

# %%
# Scan K on the standardized training pixels (labels are not used). Each K is
# fitted on one core; ``n_jobs=2`` runs two K at a time, with the same numbers
# as a serial run.
X_std = StandardScaler().fit_transform(X_train)
scan = scan_clusters(X_std, ks=range(10, 171, 20), n_init=1, random_state=0, n_jobs=2)
print(scan.to_frame().round(4))
print(f"highest silhouette at K = {scan.best_k}")
print("wrote", save_figure(plot_cluster_scan(scan, title="K scan on 4000 standardized MNIST digits"),
                           out / "cluster_scan.png"))

# %%
# The Pipeline, with the series' sigmoid MLP (70, 30). ``n_clusters`` and
# ``alpha_l2`` are searched together: for each K, the L2 strengths are the
# pixel MLP's candidates scaled by K / 784.
pipe = Pipeline([
    ("scale", StandardScaler()),
    ("clusters", ClusterDistanceTransformer(random_state=0)),
    ("mlp", MLPScratchClassifier(hidden_layer_sizes=(70, 30), activation="sigmoid", learning_rate=0.2,
                                 max_iter=150, random_state=0)),
])
pixel_alphas = [0.5, 2.0]
param_grid = [
    {"clusters__n_clusters": [k], "mlp__alpha_l2": list(cluster_alpha(pixel_alphas, k, n_pixels))}
    for k in (40, 70)
]
search = GridSearchCV(pipe, param_grid, cv=3, n_jobs=2).fit(X_train, y_train)

best = search.best_params_
k = best["clusters__n_clusters"]
print(f"best: K = {k}, alpha_l2 = {best['mlp__alpha_l2']:.4f} "
      f"(= {best['mlp__alpha_l2'] * n_pixels / k:g} * {k} / {n_pixels}), "
      f"cross-validated accuracy {search.best_score_:.4f}")
for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
    print(f"  K = {params['clusters__n_clusters']:3d}, alpha_l2 = {params['mlp__alpha_l2']:.4f}: {score:.4f}")

# %%
# The refitted best Pipeline on the 1000 held-out digits.
y_pred = search.predict(X_test)
print(classification_table(y_test, y_pred))
print("wrote", save_figure(plot_confusion_matrix(y_test, y_pred, title=f"K = {k} clusters + MLP"),
                           out / "confusion_matrix.png"))
print(f"{np.mean(y_pred == y_test):.4f} test accuracy with {k} inputs instead of {n_pixels}")
