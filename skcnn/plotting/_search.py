"""A parameter search in pictures: the validation curve from ``cv_results_``, with its spread and the choice."""

from __future__ import annotations

import numbers

import numpy as np

from ._common import new_figure

__all__ = ["plot_validation_curve"]


def plot_validation_curve(search, param, *, ax=None, title=None, xscale="auto", train=True):
    """Mean cross-validated score over one parameter, with the folds' spread and the chosen value.

    Reads a fitted ``GridSearchCV`` (or anything with its ``cv_results_``): the
    mean test score per value of ``param`` as a line, +-1 standard deviation
    over the folds as a band, the training score dashed when the search kept it
    (``return_train_score=True``). When the grid has other parameters too, one
    line per combination of their values. The best candidate
    (``rank_test_score == 1``) is ringed and its value marked.

    Parameters
    ----------
    search : fitted GridSearchCV or RandomizedSearchCV
        Any object with a ``cv_results_`` dict in scikit-learn's layout.
    param : str
        The parameter on the x axis, as named in the grid (e.g.
        ``"mlpscratchclassifier__alpha_l2"``).
    ax : matplotlib Axes, optional
        Draw here; default: a new Figure.
    title : str, optional
        Axes title.
    xscale : {"auto", "linear", "log", "symlog"}, default="auto"
        "auto": logarithmic when the positive values span more than a factor
        of 5 (symlog when 0 is among them, linear below the smallest positive
        value), linear otherwise.
    train : bool, default=True
        Draw the training score when ``cv_results_`` has it.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``search`` has no ``cv_results_`` or ``param`` is not numeric and in the grid.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import RidgeClassifier
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skcnn.plotting import plot_validation_curve
    >>> X, y = load_digits(return_X_y=True)
    >>> search = GridSearchCV(RidgeClassifier(), {"alpha": [0.1, 10.0, 1000.0]}, cv=3).fit(X, y)
    >>> fig = plot_validation_curve(search, "alpha")
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), ax.get_xscale()
    ('alpha', 'log')
    """
    results = getattr(search, "cv_results_", None)
    if not isinstance(results, dict):
        raise ValueError(f"search must be a fitted GridSearchCV (with cv_results_), got {type(search).__name__}.")
    key = f"param_{param}"
    if key not in results:
        names = sorted(k[len("param_"):] for k in results if k.startswith("param_"))
        raise ValueError(f"param {param!r} is not in the search's grid; it has {names}.")
    values = np.asarray(results[key], dtype=object)
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        raise ValueError(f"param {param!r} must take numeric values to be drawn on an axis, got {list(values)}.")
    x = values.astype(float)
    mean, std = np.asarray(results["mean_test_score"], float), np.asarray(results["std_test_score"], float)
    has_train = train and "mean_train_score" in results
    others = [dict((k, v) for k, v in p.items() if k != param) for p in results["params"]]
    groups = {}
    for i, other in enumerate(others):
        groups.setdefault(repr(sorted(other.items())), (other, []))[1].append(i)
    if ax is None:
        _, axes = new_figure(figsize=(5.0, 3.6))
        ax = axes[0, 0]
    for n, (other, rows) in enumerate(groups.values()):
        rows = np.asarray(rows)[np.argsort(x[rows], kind="stable")]
        colour = f"C{n % 10}"
        label = ", ".join(f"{_short(k)}={v}" for k, v in other.items()) or "test"
        ax.plot(x[rows], mean[rows], "o-", color=colour, label=label + (" (test)" if has_train and other else ""))
        ax.fill_between(x[rows], mean[rows] - std[rows], mean[rows] + std[rows], color=colour, alpha=0.2,
                        linewidth=0)
        if has_train:
            ax.plot(x[rows], np.asarray(results["mean_train_score"], float)[rows], "--", color=colour, alpha=0.7,
                    label=(label + " (train)") if other else "train")
    best = int(np.argmin(results["rank_test_score"]))
    along = ", ".join(f"{_short(k)}={v}" for k, v in others[best].items())
    ax.plot([x[best]], [mean[best]], "o", markersize=12, markerfacecolor="none", markeredgecolor="k",
            label=f"chosen: {_short(param)}={values[best]:g}{f' ({along})' if along else ''}, {mean[best]:.3f}")
    ax.axvline(x[best], color="k", linestyle=":", linewidth=1)
    scale, scale_kwargs = _scale(x, xscale)
    ax.set_xscale(scale, **scale_kwargs)
    if scale == "symlog" and x.min() == 0:  # no empty negative half: start just left of 0
        ax.set_xlim(-0.2 * scale_kwargs["linthresh"], x.max() * 1.5)
    ax.set_xlabel(_short(param))
    ax.set_ylabel("mean CV score (+-1 std over folds)")
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax.figure


def _short(name):
    """A grid name without its Pipeline step: ``"mlpscratchclassifier__alpha_l2"`` -> ``"alpha_l2"``."""
    return name.rsplit("__", 1)[-1]


def _scale(x, xscale):
    """``(scale, kwargs)`` for ``ax.set_xscale``."""
    choices = ("auto", "linear", "log", "symlog")
    if xscale not in choices:
        raise ValueError(f"xscale must be one of {choices}, got {xscale!r}.")
    positive = x[x > 0]
    if xscale == "auto":
        wide = positive.size >= 2 and positive.max() / positive.min() > 5
        xscale = ("symlog" if np.any(x <= 0) else "log") if wide else "linear"
    if xscale == "log" and np.any(x <= 0):
        raise ValueError("xscale='log' needs positive parameter values; use 'symlog' when 0 is among them.")
    if xscale == "symlog":
        return "symlog", {"linthresh": float(positive.min()) if positive.size else 1.0}
    return xscale, {}
