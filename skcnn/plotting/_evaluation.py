"""Plot of an evaluation of attribution methods (:func:`skcnn.inspect.evaluation.evaluate`)."""

from __future__ import annotations

import textwrap

import numpy as np

from ._attribution import _NAMES
from ._common import new_figure

__all__ = ["plot_evaluation"]


def _check_result(result):
    if not all(hasattr(result, a) for a in ("methods", "metrics", "scores", "higher_is_better")):
        raise TypeError(f"result must be an EvaluationResult from skcnn.inspect.evaluation.evaluate; "
                        f"got {type(result).__name__}.")
    return result


def plot_evaluation(result, *, metrics=None, n_cols=None, size=2.6, title=None):
    """One panel per metric: each method's mean score over the images, the best one highlighted.

    The methods are listed in the result's ranking (best first, by mean
    rank over the metrics), the same order in every panel; a bar is the
    mean score, its line the interquartile range of the images' scores,
    and each panel's title says whether higher or lower is better. A mean
    that is not finite (a sensitivity of a map of zeros) is written at the
    panel's right edge; a panel whose positive means span more than a
    factor of 30 is drawn on a symmetric log scale, and says so.

    Parameters
    ----------
    result : EvaluationResult
        From :func:`skcnn.inspect.evaluation.evaluate`.
    metrics : sequence of str, optional
        Which metrics to draw (default: all, in the result's order).
    n_cols : int, optional
        Panels per row (default: all in one row, at most 4).
    size : float, default=2.6
        Inches per panel.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.inspect.evaluation import EvaluationResult
    >>> r = EvaluationResult(["saliency", "gradcam"], ["deletion", "sparseness"],
    ...                      {("saliency", "deletion"): np.array([0.3, 0.5]),
    ...                       ("gradcam", "deletion"): np.array([0.2, 0.2]),
    ...                       ("saliency", "sparseness"): np.array([0.4, 0.4]),
    ...                       ("gradcam", "sparseness"): np.array([0.6, 0.5])},
    ...                      {"deletion": False, "sparseness": True})
    >>> fig = plot_evaluation(r)
    >>> [ax.get_title() for ax in fig.axes]
    ['deletion\\n(lower is better)', 'sparseness\\n(higher is better)']
    """
    result = _check_result(result)
    metrics = list(result.metrics) if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in result.metrics]
    if not metrics or unknown:
        raise ValueError(f"metrics must name metrics of the result, {list(result.metrics)}; got {metrics!r}.")
    order = result.ranking()
    n_cols = min(len(metrics), 4) if n_cols is None else max(1, int(n_cols))
    n_rows = -(-len(metrics) // n_cols)
    fig, axes = new_figure(figsize=(size * n_cols + 0.6, 0.5 + n_rows * (0.9 + 0.32 * len(order))),
                           nrows=n_rows, ncols=n_cols)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(metrics):
            ax.set_axis_off()
            continue
        _panel(ax, result, metrics[k], order, labels=k % n_cols == 0)
    title = title or ("Attribution methods, best first: mean score over the images (bar) and its middle half "
                      "(line)")
    fig.suptitle(textwrap.fill(title, width=int(13 * (size * n_cols + 0.6))), fontsize=10)
    return fig


def _panel(ax, result, metric, order, labels):
    scores = [np.asarray(result.scores[m, metric], dtype=np.float64) for m in order]
    means = np.array([s.mean() for s in scores])
    finite = np.isfinite(means)
    higher = result.higher_is_better[metric]
    ranked = np.where(np.isnan(means), -np.inf if higher else np.inf, means)  # NaN: never the best
    best = int(np.argmax(ranked) if higher else np.argmin(ranked))
    y = np.arange(len(order))[::-1]
    colors = ["tab:green" if i == best else "tab:gray" for i in range(len(order))]
    ax.barh(y, np.where(finite, means, 0.0), color=colors, alpha=0.8)
    for row, s, ok in zip(y, scores, finite):
        s = s[np.isfinite(s)]
        if ok and s.size:
            ax.hlines(row, *np.percentile(s, [25, 75]), color="black", lw=1.2)
    ax.axvline(0.0, color="black", lw=0.6)
    positive = means[finite & (means > 0)]
    wide = bool(np.all(means[finite] >= 0) and positive.size > 1 and positive.max() > 30 * positive.min())
    if wide:  # one method far above the others would squeeze their bars to nothing
        ax.set_xscale("symlog", linthresh=float(positive.min()), linscale=0.5)
    for row, mean in zip(y, means):
        if not np.isfinite(mean):  # no bar can show it: say it at the panel's edge
            ax.annotate(f"{mean:g} ", xy=(1.0, row), xycoords=("axes fraction", "data"), ha="right",
                        va="center", fontsize=8, color="tab:red")
    ax.set_yticks(y)
    ax.set_yticklabels([_NAMES.get(m, m) for m in order] if labels else [""] * len(order), fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    scale = ", log scale" if wide else ""
    ax.set_title(f"{metric}\n({'higher' if higher else 'lower'} is better{scale})", fontsize=9)
