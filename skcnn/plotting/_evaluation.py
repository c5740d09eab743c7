"""Plot of an evaluation of attribution methods (:func:`skcnn.inspect.evaluation.evaluate`)."""

from __future__ import annotations

import numpy as np

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
    and each panel's title says whether higher or lower is better.

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
    fig.suptitle(title or "Attribution methods, best first: mean score over the images (bar) and its middle half "
                 "(line)", fontsize=10)
    return fig


def _panel(ax, result, metric, order, labels):
    scores = [np.asarray(result.scores[m, metric], dtype=np.float64) for m in order]
    means = np.array([s.mean() for s in scores])
    higher = result.higher_is_better[metric]
    best = int(np.argmax(means) if higher else np.argmin(means))
    y = np.arange(len(order))[::-1]
    colors = ["tab:green" if i == best else "tab:gray" for i in range(len(order))]
    ax.barh(y, means, color=colors, alpha=0.8)
    low, high = zip(*(np.percentile(s, [25, 75]) for s in scores))
    ax.hlines(y, low, high, color="black", lw=1.2)
    ax.axvline(0.0, color="black", lw=0.6)
    ax.set_yticks(y)
    ax.set_yticklabels(order if labels else [""] * len(order), fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(f"{metric}\n({'higher' if higher else 'lower'} is better)", fontsize=9)
