"""The learning-curve plot of any skcnn estimator: drawn from its ``history_`` (a :class:`skcnn.History`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._history import History
from ._common import fitted_last_step, plot_learning_curves

__all__ = ["plot_history", "history_curves"]


def _as_history(source):
    """A :class:`History` from a History, a dict of columns, or an estimator (or Pipeline) with ``history_``."""
    if isinstance(source, History):
        return source
    if isinstance(source, Mapping):
        lengths = {len(v) for v in source.values()}
        if len(lengths) > 1:
            raise ValueError(f"A dict history needs columns of one length, got lengths {sorted(lengths)}.")
        n = lengths.pop() if lengths else 0
        return History([{"epoch": i + 1, **{k: v[i] for k, v in source.items()}} for i in range(n)])
    history = fitted_last_step(source, ["history_"], "estimator with a training history").history_
    return _as_history(history)


def _column(history, key):
    """The values of ``key`` per epoch as floats, NaN where a row lacks it; None if no row has it."""
    if not any(key in row for row in history):
        return None
    return np.array([row.get(key, np.nan) for row in history], dtype=float)


def history_curves(history):
    """The panels :func:`plot_history` draws, as ``{panel: {line: values}}`` for ``plot_learning_curves``.

    ``loss`` (training and validation), ``score`` (training ``score`` and
    ``val_score``, where recorded) and ``learning rate`` (only when it changes).

    Examples
    --------
    >>> from skcnn import History
    >>> h = History([{"epoch": 1, "loss": 0.9, "val_score": 0.5}, {"epoch": 2, "loss": 0.4, "val_score": 0.8}])
    >>> sorted(history_curves(h))
    ['loss', 'score']
    """
    history = _as_history(history)
    curves = {}
    for panel, lines in (("loss", {"training": "loss", "validation": "val_loss"}),
                         ("score", {"training": "score", "validation": "val_score"})):
        found = {label: _column(history, key) for label, key in lines.items()}
        found = {label: v for label, v in found.items() if v is not None and np.isfinite(v).any()}
        if found:
            curves[panel] = found
    rate = _column(history, "learning_rate")
    if rate is not None and np.nanmax(rate) > np.nanmin(rate):
        curves["learning rate"] = rate
    return curves


def plot_history(estimator_or_history, *, title=None, ncols=None):
    """Learning curves from a training history: loss, score and learning rate per epoch.

    One plot for every skcnn estimator that records a :class:`skcnn.History`
    (``history_``): the neuron, the MLP and the CNN. Training and validation
    values share a panel; the learning rate gets a panel only when it changes.
    With 30 epochs or fewer every epoch is marked.

    Parameters
    ----------
    estimator_or_history : fitted estimator, Pipeline ending in one, History or dict
        An estimator's ``history_`` is drawn; a dict is read as columns
        (``{"loss": [...], "val_loss": [...]}``).
    title : str, optional
    ncols : int, optional
        Panels per row (default: all in one row, at most 3).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import MLPScratchClassifier
    >>> X, y = np.eye(4), np.array([0, 1, 0, 1])
    >>> clf = MLPScratchClassifier((3,), max_iter=5, learning_rate_decay=0.5, validation_fraction=0.5,
    ...                            random_state=0).fit(X, y)
    >>> fig = plot_history(clf)
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'score', 'learning rate']
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['training', 'validation']
    """
    history = _as_history(estimator_or_history)
    if not history:
        raise ValueError("plot_history got a history without epochs; fit the estimator first.")
    fig = plot_learning_curves(history_curves(history), title=title, ncols=ncols)
    mark_epochs(fig, history["epoch"])
    return fig


def mark_epochs(fig, epochs):
    """Put the real epoch numbers on the x axes (integer ticks); mark each epoch when there are few."""
    from matplotlib.ticker import MaxNLocator

    epochs = np.asarray(epochs, dtype=float)
    for ax in fig.axes:
        for line in ax.lines:
            if len(line.get_xdata()) == len(epochs):
                line.set_xdata(epochs)
            if len(epochs) <= 30:
                line.set_marker("o")
                line.set_markersize(3.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(epochs) == 1:
            ax.set_xlim(epochs[0] - 0.5, epochs[0] + 0.5)
        else:
            ax.relim()
            ax.autoscale_view()
