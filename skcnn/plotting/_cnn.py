"""Pictures of a fitted :class:`~skcnn.KerasCNNClassifier`: learning curves and convolution kernels."""

from __future__ import annotations

import numpy as np

from ._common import fitted_last_step, new_figure, plot_learning_curves

__all__ = ["plot_cnn_learning_curves", "plot_conv_kernels"]


def _fitted_cnn(estimator):
    """The CNN estimator itself, also when it is the last step of a Pipeline."""
    return fitted_last_step(estimator, ["model_", "history_"], "KerasCNNClassifier")


def plot_cnn_learning_curves(estimator, *, title=None, ncols=None):
    """Loss and accuracy per epoch, training and validation in one panel each.

    Parameters
    ----------
    estimator : fitted KerasCNNClassifier, Pipeline ending in one, or dict
        A dict is taken as a Keras history (``{"loss": [...], "val_loss": [...], ...}``).
    title : str, optional
    ncols : int, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> history = {"loss": [0.9, 0.4], "accuracy": [0.7, 0.9], "val_loss": [0.8, 0.5], "val_accuracy": [0.7, 0.8]}
    >>> fig = plot_cnn_learning_curves(history)
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['training', 'validation']
    """
    history = estimator if isinstance(estimator, dict) else _fitted_cnn(estimator).history_
    names = sorted((name for name in history if not name.startswith("val_")),
                   key=lambda name: ({"loss": 0, "accuracy": 1}.get(name, 2), name))
    curves = {}
    for name in names:
        lines = {"training": history[name]}
        if history.get(f"val_{name}"):
            lines["validation"] = history[f"val_{name}"]
        curves[name.replace("_", " ")] = lines
    fig = plot_learning_curves(curves, title=title, ncols=ncols)
    from matplotlib.ticker import MaxNLocator

    for ax in fig.axes:
        n_epochs = max(len(line.get_xdata()) for line in ax.lines)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if n_epochs == 1:
            ax.set_xlim(0.5, 1.5)
            ax.set_xticks([1])
        if n_epochs <= 30:  # few epochs: mark each one (a single epoch is a point)
            for line in ax.lines:
                line.set_marker("o")
                line.set_markersize(3.5)
            if ax.get_legend() is not None:
                ax.legend(fontsize=8)
    return fig


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
