"""plot_validation_curve: the lines, bands and mark it draws come from cv_results_ (checked point by point)."""

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn.plotting import plot_validation_curve


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def ridge_search(digits):
    grid = {"ridgeclassifier__alpha": [1000.0, 0.0, 10.0, 0.1]}  # unsorted, with 0: symlog
    pipe = make_pipeline(StandardScaler(), RidgeClassifier())
    return GridSearchCV(pipe, grid, cv=3, return_train_score=True).fit(*digits)


def _test_line(ax):
    return next(line for line in ax.get_lines() if line.get_marker() == "o" and len(line.get_xdata()) > 1)


def test_the_test_curve_is_the_mean_score_sorted_by_the_parameter(ridge_search):
    fig = plot_validation_curve(ridge_search, "ridgeclassifier__alpha")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    res = ridge_search.cv_results_
    order = np.argsort(np.asarray(res["param_ridgeclassifier__alpha"], float))
    line = _test_line(ax)
    np.testing.assert_array_equal(line.get_xdata(), [0.0, 0.1, 10.0, 1000.0])
    np.testing.assert_allclose(line.get_ydata(), res["mean_test_score"][order])
    # the band is mean +- std over the folds (computed here from the split scores)
    splits = np.stack([res[f"split{k}_test_score"] for k in range(3)], axis=1)[order]
    band = next(c for c in ax.collections if isinstance(c, PolyCollection))
    ys = band.get_paths()[0].vertices[:, 1]
    np.testing.assert_allclose(ys.max(), (splits.mean(1) + splits.std(1)).max())
    np.testing.assert_allclose(ys.min(), (splits.mean(1) - splits.std(1)).min())
    # the training score, dashed
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1
    np.testing.assert_allclose(dashed[0].get_ydata(), res["mean_train_score"][order])
    assert ax.get_xscale() == "symlog" and ax.get_xlabel() == "alpha"


def test_the_chosen_value_is_ringed_and_named(ridge_search):
    ax = plot_validation_curve(ridge_search, "ridgeclassifier__alpha").axes[0]
    best = ridge_search.best_params_["ridgeclassifier__alpha"]
    ring = [line for line in ax.get_lines() if len(line.get_xdata()) == 1 and line.get_marker() == "o"]
    assert len(ring) == 1
    assert ring[0].get_xdata()[0] == best
    assert ring[0].get_ydata()[0] == pytest.approx(ridge_search.best_score_)
    assert f"alpha={best:g}" in ring[0].get_label()


def test_one_line_per_value_of_the_other_parameters(digits):
    grid = {"C": [0.01, 1.0], "fit_intercept": [True, False]}
    search = GridSearchCV(LogisticRegression(max_iter=200), grid, cv=2).fit(*digits)
    ax = plot_validation_curve(search, "C", train=False).axes[0]
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 2 and line.get_marker() == "o"]
    assert sorted(line.get_label() for line in lines) == ["fit_intercept=False", "fit_intercept=True"]
    res = search.cv_results_
    for line in lines:
        flag = line.get_label().endswith("True")
        rows = [i for i, p in enumerate(res["params"]) if p["fit_intercept"] is flag]
        np.testing.assert_allclose(line.get_ydata(), res["mean_test_score"][rows])
    assert ax.get_xscale() == "log"  # positive values a factor of 100 apart


def test_draws_on_a_given_axes(ridge_search):
    from skcnn.plotting._common import new_figure

    fig, axes = new_figure(ncols=2)
    out = plot_validation_curve(ridge_search, "ridgeclassifier__alpha", ax=axes[0, 1], title="right")
    assert out is fig and axes[0, 1].get_title() == "right" and not axes[0, 0].get_lines()


@pytest.mark.parametrize("param", ["alpha", "ridgeclassifier__solver"])
def test_bad_parameter_names(ridge_search, param):
    with pytest.raises(ValueError, match="not in the search's grid; it has .'ridgeclassifier__alpha'."):
        plot_validation_curve(ridge_search, param)


def test_needs_a_fitted_search():
    with pytest.raises(ValueError, match="fitted GridSearchCV"):
        plot_validation_curve(GridSearchCV(RidgeClassifier(), {"alpha": [1.0]}), "alpha")


def test_non_numeric_parameter(digits):
    search = GridSearchCV(LogisticRegression(max_iter=100), {"solver": ["lbfgs", "newton-cg"]}, cv=2).fit(*digits)
    with pytest.raises(ValueError, match="numeric"):
        plot_validation_curve(search, "solver")


def test_xscale_choices(ridge_search):
    with pytest.raises(ValueError, match="xscale"):
        plot_validation_curve(ridge_search, "ridgeclassifier__alpha", xscale="ln")
    with pytest.raises(ValueError, match="symlog"):
        plot_validation_curve(ridge_search, "ridgeclassifier__alpha", xscale="log")
