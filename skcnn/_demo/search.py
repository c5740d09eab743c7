"""Demo section: grid-searching the L2 penalty (and the cluster count) with GridSearchCV.

The users' everyday task: ``GridSearchCV`` over ``alpha_l2`` for the MLP and
the CNN, and over the number of clusters too for the cluster pipeline, each
drawn as a validation curve with the folds' spread, the chosen value and the
refit model's test accuracy. The searches run on whatever joblib backend is
configured: loky processes by default, the Dask cluster when a
``dask.distributed`` client is active (see :mod:`skcnn.parallel`).
"""

from __future__ import annotations

import contextlib
import sys
import time
import warnings

from ._context import Section

CV = 3


def active_backend():
    """``"dask"`` when a dask.distributed client is active in this process, else None (joblib's own choice).

    Dask is never imported here: without ``distributed`` already imported there
    can be no client.

    Examples
    --------
    >>> active_backend() in (None, "dask")
    True
    """
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    try:
        distributed.default_client()
    except ValueError:
        return None
    return "dask"


def _searches(ctx):
    """(name, estimator, grid, parameter on the x axis) for each search."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..cluster import ClusterDistanceTransformer
    from ..cnn import KerasCNNClassifier
    from ..mlp import MLPScratchClassifier

    seed = ctx.random_state
    epochs = 10 if ctx.quick else 20

    def mlp(hidden=(70, 30)):
        return MLPScratchClassifier(hidden_layer_sizes=hidden, max_iter=epochs, batch_size=100, random_state=seed)

    # one epoch of small batches: the CNN's 13 fits are most of the section's time
    cnn = KerasCNNClassifier(conv_filters=(16, 32), dense_units=(32,), epochs=1, batch_size=32,
                             image_shape=(28, 28, 1), random_state=seed)
    return [
        ("MLP", make_pipeline(StandardScaler(), mlp()),
         {"mlpscratchclassifier__alpha_l2": [0.0, 0.3, 1.0, 3.0, 10.0, 30.0]}, "mlpscratchclassifier__alpha_l2"),
        ("K clusters + MLP",
         make_pipeline(ClusterDistanceTransformer(batch_size=500, n_init=1, max_iter=20, random_state=seed), mlp((30,))),
         {"clusterdistancetransformer__n_clusters": [20, 50],
          "mlpscratchclassifier__alpha_l2": [0.0, 1.0, 10.0]}, "mlpscratchclassifier__alpha_l2"),
        ("CNN", make_pipeline(StandardScaler(), cnn),
         {"kerascnnclassifier__alpha_l2": [0.0, 1e-3, 1e-2, 1e-1]}, "kerascnnclassifier__alpha_l2"),
    ]


def run(ctx) -> Section:
    import joblib
    from sklearn.model_selection import GridSearchCV

    from ..plotting import plot_validation_curve
    from ..plotting._common import new_figure

    X_train, X_test, y_train, y_test = ctx.mnist_split()
    n = min(len(y_train), 600 if ctx.quick else 1000)
    X, y = X_train[:n], y_train[:n]
    backend = active_backend()
    config = joblib.parallel_config(backend="dask") if backend else contextlib.nullcontext()
    where = "the active Dask cluster" if backend else "joblib's configuration (this process unless n_jobs is set)"
    ctx.log(f"search: GridSearchCV over alpha_l2 (and K) for the MLP, the cluster pipeline and the CNN, "
            f"{CV}-fold on {n} digits, on {where}")
    searches = _searches(ctx)
    fig, axes = new_figure(figsize=(5.0 * len(searches), 3.8), ncols=len(searches))
    lines = []
    for ax, (name, estimator, grid, param) in zip(axes[0], searches):
        start = time.perf_counter()
        # n_jobs=None: joblib's configuration decides (one process by default, all Dask workers under Dask)
        search = GridSearchCV(estimator, grid, cv=CV, n_jobs=None, return_train_score=True)
        with config, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings of the short fits
            search.fit(X, y)
        seconds = time.perf_counter() - start
        best = search.best_index_
        chosen = ", ".join(f"{k.rsplit('__', 1)[-1]}={v:g}" for k, v in search.best_params_.items())
        accuracy = search.score(X_test, y_test)
        n_fits = len(search.cv_results_["params"]) * CV
        lines.append(f"{name:17s} {n_fits:2d} fits in {seconds:5.1f} s; chosen {chosen}: mean CV accuracy "
                     f"{search.best_score_:.4f} +- {search.cv_results_['std_test_score'][best]:.4f}; "
                     f"refit test accuracy {accuracy:.4f}")
        ctx.log(f"search: {name} done in {seconds:.1f} s")
        plot_validation_curve(search, param, ax=ax, title=f"{name}: test accuracy {accuracy:.3f}")
    lines.extend(_why_lower(ctx, searches, X, y, X_test, y_test))
    text = (f"GridSearchCV, {CV}-fold, on the first {n} training digits; the chosen model is refit on them and "
            f"scored on the {len(y_test)} test digits. Backend: {where}.\n" + "\n".join(lines))
    print("\n== Grid search over the L2 penalty ==\n" + text)
    fig.suptitle("validation curves: mean CV accuracy over alpha_l2 (band: +-1 std over folds; dashed: train)")
    images = [(ctx.save(fig, "search_validation_curves.png"),
               "Validation curves of the three searches: mean cross-validated accuracy over the L2 penalty with "
               "its spread over the folds, the training accuracy dashed, the chosen value ringed; for the cluster "
               "pipeline one line per number of clusters K. The accuracies are below those of the sections above "
               "because the searched models are smaller and see fewer digits and epochs (the numbers are in the "
               "text).")]
    return Section("Grid search over the L2 penalty", text, images)


def _why_lower(ctx, searches, X, y, X_test, y_test):
    """Lines saying, with the real settings and scores, why the searched models score below the sections above."""
    from sklearn.model_selection import ParameterGrid, check_cv

    sizes = sorted({len(train) for train, _ in check_cv(CV, y, classifier=True).split(X, y)})
    per_fold = "-".join(map(str, (sizes[0], sizes[-1]))) if len(sizes) > 1 else str(sizes[0])
    lines = ["", f"Why these scores are below the sections above: a search compares penalties, it does not train the "
             f"best model; to keep its {sum(len(ParameterGrid(g)) for _, _, g, _ in searches) * CV} fits short, each "
             f"model trains on {per_fold} digits per fold ({len(y)} for the refit) and for fewer epochs:"]
    for name, estimator, _, _ in searches:
        model = estimator[-1]
        key = "mlp" if name == "MLP" else "cnn" if name == "CNN" else None
        main = ctx.shared.get(key) if key else None
        if name == "CNN":
            here = (f"conv filters {model.conv_filters}, dense {model.dense_units}, {model.epochs} epoch(s), "
                    f"batch {model.batch_size}")
        else:
            here = f"hidden layers {model.hidden_layer_sizes}, up to {model.max_iter} epochs, batch {model.batch_size}"
        line = f"  {name}: {here}"
        if main is not None:
            net = main[-1]
            held = f", {net.validation_fraction:.0%} of them held out" if net.validation_fraction else ""
            if name == "CNN":
                there = (f"conv filters {net.conv_filters}, dense {net.dense_units}, {len(net.history_)} epoch(s), "
                         f"batch {net.batch_size}")
            else:
                there = f"hidden layers {net.hidden_layer_sizes}, {net.n_iter_} epochs, batch {net.batch_size}"
            line += (f"; the {name} section's model: {there}, trained on {len(ctx.mnist_split()[2])} digits{held}, "
                     f"test accuracy {main.score(X_test, y_test):.4f}")
        lines.append(line)
    return lines

