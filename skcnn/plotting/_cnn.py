"""Pictures of a fitted :class:`~skcnn.KerasCNNClassifier`: learning curves and convolution kernels."""

from __future__ import annotations

import numpy as np

from .._history import History
from ._common import fitted_last_step, new_figure
from ._history import plot_history

__all__ = ["plot_cnn_learning_curves", "plot_conv_kernels"]


def _fitted_cnn(estimator):
    """The CNN estimator itself, also when it is the last step of a Pipeline."""
    return fitted_last_step(estimator, ["model_", "history_"], "KerasCNNClassifier")


def plot_cnn_learning_curves(estimator, *, title=None, ncols=None):
    """Loss and accuracy per epoch of a fitted CNN: :func:`~skcnn.plotting.plot_history` of its ``history_``.

    The CNN records the same :class:`~skcnn.History` as the other
    estimators, so this is the one learning-curve plot: training and
    validation ``loss`` in one panel, training ``score`` and ``val_score``
    (accuracy) in another, the learning rate when a schedule changes it.

    Parameters
    ----------
    estimator : fitted KerasCNNClassifier, Pipeline ending in one, or History
    title : str, optional
    ncols : int, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from skcnn import History
    >>> history = History([{"epoch": 1, "loss": 0.9, "val_loss": 0.8, "score": 0.7, "val_score": 0.7},
    ...                    {"epoch": 2, "loss": 0.4, "val_loss": 0.5, "score": 0.9, "val_score": 0.8}])
    >>> fig = plot_cnn_learning_curves(history)
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'score']
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['training', 'validation']
    """
    if not isinstance(estimator, History):
        estimator = _fitted_cnn(estimator)
    return plot_history(estimator, title=title, ncols=ncols)


def plot_conv_kernels(estimator, *, layer="conv1", channel=0, n_cols=8, cmap="RdBu_r", title=None, size=0.8):
    """The kernels of a convolution layer, one small image per map (a shared, symmetric color scale).

    Parameters
    ----------
    estimator : fitted KerasCNNClassifier, Pipeline ending in one, or keras.Model
    layer : str, default="conv1"
        Name of a Conv2D layer.
    channel : int, default=0
        Which input channel of the kernels to draw.
    n_cols : int, default=8
    cmap : str, default="RdBu_r"
    title : str, optional
    size : float, default=0.8
        Inches per kernel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import KerasCNNClassifier
    >>> X = np.random.default_rng(0).random((20, 8, 8))
    >>> clf = KerasCNNClassifier(conv_filters=(4,), dense_units=(), epochs=1, random_state=0).fit(X, [0, 1] * 10)
    >>> len(plot_conv_kernels(clf).axes)  # 4 kernels and a color bar
    5
    """
    model = estimator if hasattr(estimator, "get_layer") else _fitted_cnn(estimator).model_
    try:
        kernel = np.asarray(model.get_layer(layer).get_weights()[0])
    except (ValueError, IndexError) as exc:
        raise ValueError(f"layer={layer!r} is not a layer with weights of this model: {exc}") from None
    if kernel.ndim != 4:
        raise ValueError(f"layer={layer!r} is not a 2-D convolution (its kernel has shape {kernel.shape}).")
    if not 0 <= channel < kernel.shape[2]:
        raise ValueError(f"channel must be in [0, {kernel.shape[2]}), got {channel}.")
    maps = kernel[:, :, channel, :]
    n_maps = maps.shape[-1]
    n_cols = min(n_cols, n_maps)
    n_rows = int(np.ceil(n_maps / n_cols))
    fig, axes = new_figure(figsize=(size * n_cols + 0.8, size * n_rows + 0.4), nrows=n_rows, ncols=n_cols)
    limit = float(np.abs(maps).max()) or 1.0
    image = None
    for k, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if k < n_maps:
            image = ax.imshow(maps[:, :, k], cmap=cmap, vmin=-limit, vmax=limit)
            ax.set_title(str(k), fontsize=7, pad=2)
    fig.colorbar(image, ax=axes, shrink=0.8)
    fig.suptitle(title or f"{layer} kernels (input channel {channel})")
    return fig
