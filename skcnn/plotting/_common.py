"""Plots shared by every estimator: confusion matrix, digit grids, learning curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["new_figure", "save_figure", "plot_confusion_matrix", "plot_digits", "plot_learning_curves"]


def new_figure(figsize=(6, 4), nrows=1, ncols=1, **kwargs):
    """A Figure and its axes, built without pyplot's global state (safe in threads and tests)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def save_figure(fig, path, **kwargs):
    """Save ``fig`` to ``path`` atomically (a temporary file, then a rename); return the path.

    Examples
    --------
    >>> import tempfile, os
    >>> fig, _ = new_figure()
    >>> p = save_figure(fig, os.path.join(tempfile.mkdtemp(), "empty.png"))
    >>> p.suffix
    '.png'
    """
    from .._io import atomic_write

    path = Path(path)
    kwargs.setdefault("dpi", 100)
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", **kwargs))


def plot_confusion_matrix(y_true, y_pred, *, labels=None, ax=None, cmap="Blues", title=None):
    """Confusion matrix with counts and row percentages in each cell.

    Built on :class:`sklearn.metrics.ConfusionMatrixDisplay`. Rows are the true
    classes; the percentage is the share of that true class.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    labels : array-like, optional
        Class order (default: sorted labels seen).
    ax : matplotlib Axes, optional
    cmap : str
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_confusion_matrix([1, 1, 2], [1, 2, 2], title="demo")
    >>> fig.axes[0].get_title()
    'demo'
    """
    from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix
    from sklearn.utils.multiclass import unique_labels

    labels = unique_labels(y_true, y_pred) if labels is None else np.asarray(labels)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    if ax is None:
        n = len(labels)
        fig, axes = new_figure(figsize=(1.0 + 0.75 * n, 0.8 + 0.7 * n))
        ax = axes[0, 0]
    fig = ax.figure
    disp = ConfusionMatrixDisplay(cm, display_labels=labels)
    disp.plot(ax=ax, cmap=cmap, colorbar=False, values_format="d")
    rows = cm.sum(axis=1, keepdims=True)
    pct = 100.0 * cm / np.maximum(rows, 1)
    small = len(labels) > 6
    for (i, j), text in np.ndenumerate(disp.text_):
        if small and cm[i, j] == 0:
            text.set_text("")  # ten classes: empty cells stay empty so the errors stand out
        else:
            text.set_text(f"{cm[i, j]}\n{pct[i, j]:.0f}%" if small else f"{cm[i, j]}\n{pct[i, j]:.1f}%")
        text.set_fontsize(7 if small else 9)
    ax.set_title(title or f"Confusion matrix (accuracy {np.trace(cm) / max(cm.sum(), 1):.3f})")
    return fig


def fitted_last_step(estimator, attributes, kind):
    """``estimator``, or the last step of a Pipeline, checked to have the fitted ``attributes``.

    Plots of one estimator type accept it alone or at the end of a Pipeline;
    ``kind`` names that type in the error raised when it is missing or unfitted.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit([[0.0], [1.0]], [0, 1])
    >>> type(fitted_last_step(pipe, ["coef_"], "LogisticRegression")).__name__
    'LogisticRegression'
    """
    steps = getattr(estimator, "steps", None)
    if steps:
        estimator = steps[-1][1]
    if not all(hasattr(estimator, name) for name in attributes):
        raise ValueError(
            f"Expected a fitted {kind} (or a Pipeline ending in one), got {type(estimator).__name__}; "
            f"call fit first."
        )
    return estimator


def _as_images(images, image_shape=None):
    images = np.asarray(images)
    if images.ndim == 2:
        side = image_shape or (int(round(np.sqrt(images.shape[1]))),) * 2
        if int(np.prod(side)) != images.shape[1]:
            raise ValueError(
                f"images has {images.shape[1]} features per row, which is not a square image; "
                f"pass image_shape=(height, width)."
            )
        images = images.reshape((-1, *side))
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4):
        raise ValueError(f"images must be (n, h, w), (n, h, w, c) or flat (n, h*w); got shape {images.shape}.")
    return images


def plot_digits(images, labels=None, predictions=None, *, n_cols=10, max_images=100, image_shape=None,
                cmap="gray_r", title=None, size=1.0):
    """A grid of digit images, optionally captioned with labels and predictions.

    Parameters
    ----------
    images : array-like, (n, h, w), (n, h, w, c) or flat (n, h*w)
    labels, predictions : array-like of shape (n,), optional
        A caption ``label`` or ``label -> prediction`` (red when they differ).
    n_cols : int
    max_images : int
        Draw at most this many.
    image_shape : tuple, optional
        For flat non-square input.
    cmap : str
    title : str, optional
    size : float
        Inches per image.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_digits(np.zeros((3, 784)), labels=[1, 2, 3])
    >>> len(fig.axes)
    3
    """
    images = _as_images(images, image_shape)[:max_images]
    n = len(images)
    if n == 0:
        raise ValueError("plot_digits needs at least one image; got an empty array.")
    n_cols = max(1, min(n_cols, n))
    n_rows = int(np.ceil(n / n_cols))
    fig, axes = new_figure(figsize=(size * n_cols, size * n_rows + (0.3 if title else 0)), nrows=n_rows,
                           ncols=n_cols)
    for k, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if k >= n:
            fig.delaxes(ax)
            continue
        ax.imshow(images[k], cmap=None if images.ndim == 4 else cmap, interpolation="nearest")
        if labels is not None:
            caption, color = str(labels[k]), "black"
            if predictions is not None:
                caption += f"→{predictions[k]}"
                color = "black" if str(labels[k]) == str(predictions[k]) else "red"
            ax.set_title(caption, fontsize=8, color=color)
    if title:
        fig.suptitle(title)
    return fig


def plot_learning_curves(curves, *, xlabel="epoch", title=None, ncols=None, logy=()):
    """One panel per named curve (loss per epoch, accuracy, ...).

    Parameters
    ----------
    curves : dict of str -> array-like, or of str -> dict of str -> array-like
        A name per panel; a nested dict draws several lines in one panel
        (e.g. ``{"loss": {"train": [...], "validation": [...]}}``).
        Empty curves are skipped.
    xlabel : str or dict
        Shared x label, or one per panel.
    title : str, optional
    ncols : int, optional
    logy : collection of str
        Panels drawn with a logarithmic y axis.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_learning_curves({"loss": [1.0, 0.5, 0.3], "accuracy": {"train": [0.5, 0.8, 0.9]}})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    panels = {}
    for name, value in curves.items():
        lines = value if isinstance(value, dict) else {None: value}
        lines = {k: np.asarray(v, dtype=float) for k, v in lines.items() if v is not None and len(v)}
        if lines:
            panels[name] = lines
    if not panels:
        raise ValueError("plot_learning_curves got no non-empty curve; fit the estimator first.")
    ncols = ncols or min(3, len(panels))
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = new_figure(figsize=(4.2 * ncols, 3.0 * nrows), nrows=nrows, ncols=ncols)
    axes = axes.ravel()
    for ax, (name, lines) in zip(axes, panels.items()):
        for label, y in lines.items():
            x = np.arange(1, len(y) + 1)
            ax.plot(x, y, label=label, lw=1.2 if len(y) < 200 else 0.7)
        if any(label is not None for label in lines):
            ax.legend(fontsize=8)
        ax.set_title(name)
        ax.set_xlabel(xlabel.get(name, "epoch") if isinstance(xlabel, dict) else xlabel)
        if name in logy:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    for ax in axes[len(panels):]:
        fig.delaxes(ax)
    if title:
        fig.suptitle(title)
    return fig
