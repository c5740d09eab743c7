"""Pictures of a fitted :class:`~skcnn.MLPScratchClassifier`: learning curves and first-layer weights."""

from __future__ import annotations

import numpy as np

from ._common import fitted_last_step, plot_digits, plot_learning_curves
from ._history import history_curves, mark_epochs

__all__ = ["plot_mlp_learning_curves", "plot_mlp_weights"]


def _fitted_mlp(estimator):
    return fitted_last_step(estimator, ["coefs_", "history_"], "MLPScratchClassifier")


def plot_mlp_learning_curves(estimator, *, title=None, ncols=3):
    """The series' learning curves: per mini-batch cost, error and regularization ratio, then :func:`plot_history`'s panels.

    The per-epoch panels (loss, validation score, learning rate) are those of
    :func:`~skcnn.plotting.plot_history`, drawn from ``history_``. Panels
    without data (no penalty, no validation hold-out) are left out.

    Parameters
    ----------
    estimator : fitted MLPScratchClassifier or Pipeline ending in one
    title : str, optional
    ncols : int, default=3

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import MLPScratchClassifier
    >>> X, y = np.eye(4), np.array([0, 1, 0, 1])
    >>> clf = MLPScratchClassifier((3,), max_iter=5, validation_fraction=0.5, random_state=0).fit(X, y)
    >>> [ax.get_title() for ax in plot_mlp_learning_curves(clf).axes]
    ['batch cost', 'batch error', 'regularization / cost', 'loss', 'score']
    """
    mlp = _fitted_mlp(estimator)
    ratio = mlp.reg_ratio_curve_ if np.any(np.asarray(mlp.reg_ratio_curve_) > 0) else []
    curves = {
        "batch cost": mlp.batch_loss_curve_,
        "batch error": mlp.batch_error_curve_,
        "regularization / cost": ratio,
        **history_curves(mlp.history_),
    }
    per_batch = "epoch" if len(mlp.batch_loss_curve_) == len(mlp.history_) else "mini-batch"
    xlabel = {"batch cost": per_batch, "batch error": per_batch, "regularization / cost": per_batch}
    fig = plot_learning_curves(curves, xlabel=xlabel, title=title, ncols=ncols, logy=("batch cost",))
    mark_epochs(fig, mlp.history_["epoch"])
    return fig


def plot_mlp_weights(estimator, *, layer=0, image_shape=None, n_cols=10, max_nodes=100, cmap="RdBu_r",
                     title=None, size=0.9):
    """Each node's incoming weights drawn as an image (reference 004: 784 weights as a 28x28 picture).

    Every picture has its own symmetric color scale, so red and blue show
    pixels that push the node up or down.

    Parameters
    ----------
    estimator : fitted MLPScratchClassifier, Pipeline ending in one, or a 2-d array
        An array is taken as a weight matrix of shape ``(n_inputs, n_nodes)``.
    layer : int, default=0
        Which weight matrix (0: input to first hidden layer).
    image_shape : tuple of int, optional
        Shape of one picture; default: square.
    n_cols, max_nodes : int
    cmap : str
    title : str, optional
    size : float
        Inches per picture.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_mlp_weights(np.random.default_rng(0).normal(size=(16, 6)), n_cols=3)
    >>> len(fig.axes)
    6
    """
    if isinstance(estimator, np.ndarray):
        weights = estimator
    else:
        coefs = _fitted_mlp(estimator).coefs_
        if not -len(coefs) <= layer < len(coefs):
            raise ValueError(f"layer must be in [0, {len(coefs) - 1}], got {layer}.")
        weights = coefs[layer]
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(f"Expected a 2-d weight matrix (n_inputs, n_nodes), got shape {weights.shape}.")
    n_inputs = weights.shape[0]
    if image_shape is None:
        side = int(round(np.sqrt(n_inputs)))
        if side * side != n_inputs:
            raise ValueError(f"{n_inputs} weights per node do not form a square image; pass image_shape.")
        image_shape = (side, side)
    if int(np.prod(image_shape)) != n_inputs:
        raise ValueError(f"image_shape={image_shape} does not hold {n_inputs} weights.")
    nodes = weights.T[:max_nodes]
    limits = np.abs(nodes).max(axis=1, keepdims=True)
    scaled = nodes / np.where(limits > 0, limits, 1.0)  # every picture in [-1, 1], 0 stays white
    fig = plot_digits(scaled, labels=np.arange(len(nodes)), n_cols=n_cols, max_images=len(nodes),
                      image_shape=tuple(image_shape), cmap=cmap, title=title, size=size)
    for ax in fig.axes:
        ax.images[0].set_clim(-1.0, 1.0)
    return fig
