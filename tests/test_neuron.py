import os
import warnings

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skcnn import SingleNeuronClassifier
from skcnn.datasets import load_two_clusters
from skcnn.neuron import SaturationWarning, cost_surface

SERIES = dict(loss="squared", solver="batch", learning_rate=0.1, max_iter=2000, tol=None,
              fit_intercept=False, target_values=(0.3, 0.7), coef_init=[-0.2, 0.25])


@parametrize_with_checks([SingleNeuronClassifier(random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_reproduces_published_two_cluster_result():
    X, y = load_two_clusters(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SingleNeuronClassifier(**SERIES)).fit(X, y)
    neuron = pipe[-1]
    np.testing.assert_allclose(neuron.coef_[0], [-0.4815, 0.3906], atol=0.002)
    assert (pipe.predict(X) == y).all()
    assert neuron.n_iter_ == 2000 and len(neuron.loss_curve_) == 2000
    assert neuron.coef_path_.shape == (2001, 2)
    np.testing.assert_allclose(neuron.coef_path_[0], [-0.2, 0.25])
    # the cost flattens long before the weights settle: the series' point
    assert neuron.loss_curve_[-1] < neuron.loss_curve_[0] / 5


def test_sgd_lands_near_series_stochastic_result():
    X, y = load_two_clusters(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SingleNeuronClassifier(**{**SERIES, "solver": "sgd"}, random_state=0))
    pipe.fit(X, y)
    np.testing.assert_allclose(pipe[-1].coef_[0], [-0.4816, 0.3908], atol=0.01)
    assert pipe.score(X, y) == 1.0


@pytest.mark.parametrize("loss", ["squared", "log_loss"])
def test_lbfgs_reaches_mesh_minimum(loss):
    X, y = load_two_clusters(return_X_y=True)
    Xs = StandardScaler().fit_transform(X)
    clf = SingleNeuronClassifier(loss=loss, solver="lbfgs", fit_intercept=False, target_values=(0.3, 0.7),
                                 tol=1e-12, max_iter=500).fit(Xs, y)
    if loss == "squared":
        np.testing.assert_allclose(clf.coef_[0], [-0.482, 0.390], atol=0.003)
    assert clf.score(Xs, y) == 1.0
    assert clf.loss_curve_[-1] <= clf.loss_curve_[0]


def test_mesh_minimum_matches_series():
    X, y = load_two_clusters(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SingleNeuronClassifier(**SERIES)).fit(X, y)
    s = cost_surface(pipe, X, y, np.arange(-0.6, -0.3, 0.002), np.arange(0.3, 0.5, 0.002))
    w1, w2, cost = s.minimum
    assert abs(w1 + 0.482) < 0.002 and abs(w2 - 0.390) < 0.002
    assert cost == pytest.approx(0.000624, abs=5e-6)
    assert s.per_sample.shape == (14, len(s.w2), len(s.w1))
    np.testing.assert_allclose(s.per_sample.mean(axis=0), s.total)


def test_saturation_warning_on_raw_data_only():
    X, y = load_two_clusters(return_X_y=True)
    with pytest.warns(SaturationWarning, match="StandardScaler"):
        SingleNeuronClassifier(**{**SERIES, "max_iter": 5}).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SaturationWarning)
        make_pipeline(StandardScaler(), SingleNeuronClassifier(**{**SERIES, "max_iter": 5})).fit(X, y)


def test_saturated_descent_stalls():
    """Reference 000: on raw inputs the weights barely move, after scaling they do."""
    X, y = load_two_clusters(return_X_y=True)
    with pytest.warns(SaturationWarning):
        raw = SingleNeuronClassifier(**{**SERIES, "max_iter": 200}).fit(X, y)
    scaled = make_pipeline(StandardScaler(), SingleNeuronClassifier(**{**SERIES, "max_iter": 200})).fit(X, y)[-1]
    assert raw.loss_curve_[-1] > 0.9 * raw.loss_curve_[0]
    assert scaled.loss_curve_[-1] < 0.5 * scaled.loss_curve_[0]


@pytest.mark.parametrize(
    "X, y, match",
    [
        ([[np.nan, 1.0], [1.0, 2.0]], [0, 1], "NaN"),
        ([[np.inf, 1.0], [1.0, 2.0]], [0, 1], "infinity"),
        ([["a", "b"], ["c", "d"]], [0, 1], "string|convert"),
        (np.empty((0, 2)), [], "0 sample"),
        ([[1.0], [2.0]], [1, 1], "exactly 2 classes"),
        ([[1.0], [2.0], [3.0]], [0, 1, 2], "exactly 2 classes"),
        ([[1.0], [2.0], [3.0]], [0, 1], "inconsistent numbers of samples"),
    ],
)
def test_bad_input_raises_clear_value_error(X, y, match):
    with pytest.raises(ValueError, match=match):
        SingleNeuronClassifier().fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"target_values": (0.5, 0.5)}, "target_values"),
        ({"target_values": (0.2, 1.5)}, "target_values"),
        ({"coef_init": [1.0, 2.0, 3.0]}, "coef_init"),
        ({"solver": "nope"}, "Unknown solvers 'nope'"),
        ({"loss": "hinge"}, "loss"),
        ({"learning_rate": -1}, "learning_rate"),
    ],
)
def test_bad_parameters_name_the_parameter(params, match):
    with pytest.raises(ValueError, match=match):
        SingleNeuronClassifier(**params).fit([[0.0, 1.0], [1.0, 0.0]], [0, 1])


def test_divergence_is_reported():
    X = np.array([[-1.0], [1.0]]) * 1e154
    with pytest.raises(ValueError, match="diverged"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SingleNeuronClassifier(learning_rate=1e300, loss="log_loss", coef_init=[1e-300], tol=None).fit(X, [0, 1])


def test_warm_start_continues_from_previous_weights():
    X, y = load_two_clusters(return_X_y=True)
    Xs = StandardScaler().fit_transform(X)
    params = {**SERIES, "max_iter": 1000}
    once = SingleNeuronClassifier(**{**SERIES}).fit(Xs, y)
    twice = SingleNeuronClassifier(**params, warm_start=True).fit(Xs, y).fit(Xs, y)
    np.testing.assert_allclose(twice.coef_, once.coef_, rtol=1e-10)
    cold = SingleNeuronClassifier(**params).fit(Xs, y).fit(Xs, y)
    assert not np.allclose(cold.coef_, once.coef_)


def test_string_labels_and_target_midpoint():
    X, y = load_two_clusters(return_X_y=True)
    labels = np.where(y == 1, "left", "right")
    pipe = make_pipeline(StandardScaler(), SingleNeuronClassifier(**SERIES)).fit(X, labels)
    assert set(pipe.predict(X)) == {"left", "right"}
    proba = pipe.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(pipe.classes_[proba.argmax(axis=1)], pipe.predict(X))
    assert ((pipe.decision_function(X) > 0) == (pipe.predict(X) == pipe.classes_[1])).all()


def test_verbose_prints(capsys):
    SingleNeuronClassifier(max_iter=10, tol=None, verbose=1, random_state=0).fit([[-1.0], [1.0]], [0, 1])
    assert "epoch" in capsys.readouterr().out


def test_prediction_of_a_row_does_not_depend_on_its_batch():
    # BLAS gives a row other bits at another position or in a batch of another size; predictions must not
    rng = np.random.default_rng(0)
    X = rng.normal(size=(41, 300))
    clf = SingleNeuronClassifier(max_iter=3, tol=None, random_state=0).fit(X, np.arange(41) % 2)
    perm = rng.permutation(len(X))
    for method in (clf.predict_proba, clf.decision_function):
        full = method(X)
        np.testing.assert_array_equal(method(X[perm]), full[perm])
        for start, n in [(0, 1), (7, 1), (3, 2), (10, 5), (20, 17)]:
            np.testing.assert_array_equal(method(X[start:start + n]), full[start:start + n])


# every solver where one batch holds every row ("sgd" steps one sample at a time: a repeated row is visited twice)
@pytest.mark.parametrize("solver", ["batch", "lbfgs", "BFGS"])
@pytest.mark.parametrize("loss", ["squared", "log_loss"])
def test_integer_weights_equal_repeated_rows_for_exact_solvers(solver, loss):
    rng = np.random.RandomState(42)
    X, y, sw = rng.rand(30, 4), rng.randint(0, 2, 30), rng.randint(0, 4, 30)
    assert sw.sum() > len(y) and (sw == 0).any()
    # scipy's methods for 30 iterations: at a tighter end their last steps follow the rounding of the gradient
    kw = dict(solver=solver, loss=loss, max_iter=300 if solver == "batch" else 30,
              tol=None if solver == "batch" else 1e-12, random_state=0)
    weighted = SingleNeuronClassifier(**kw).fit(X, y, sample_weight=sw)
    repeated = SingleNeuronClassifier(**kw).fit(X.repeat(sw, axis=0), y.repeat(sw))
    dropped = SingleNeuronClassifier(**kw).fit(X[sw > 0], y[sw > 0], sample_weight=sw[sw > 0])
    plain = SingleNeuronClassifier(**kw).fit(X, y)
    for other in (repeated, dropped):  # zero weights drop the rows
        assert np.abs(weighted.predict_proba(X) - other.predict_proba(X)).max() <= 1e-8
        np.testing.assert_allclose(weighted.loss_curve_, other.loss_curve_, rtol=1e-9)
    assert np.abs(weighted.coef_ - plain.coef_).max() > 1e-3


def test_sgd_weights_scale_each_samples_step():
    rng = np.random.RandomState(0)
    X, y = rng.rand(20, 2), np.arange(20) % 2
    kw = dict(solver="sgd", max_iter=3, tol=None, random_state=0)
    plain = SingleNeuronClassifier(**kw).fit(X, y)
    np.testing.assert_allclose(SingleNeuronClassifier(**kw).fit(X, y, sample_weight=np.full(20, 3.0)).coef_,
                               plain.coef_, rtol=1e-12)
    sw = np.where(np.arange(20) < 10, 0.0, 2.0)  # the first ten samples give no step at all
    weighted = SingleNeuronClassifier(**kw).fit(X, y, sample_weight=sw)
    assert np.abs(weighted.coef_ - plain.coef_).max() > 1e-3


def test_sample_weight_is_routed_through_a_pipeline():
    from sklearn import config_context

    rng = np.random.RandomState(1)
    X, y, sw = rng.rand(30, 2), np.arange(30) % 2, rng.randint(0, 4, 30)
    with config_context(enable_metadata_routing=True):
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False),
                             SingleNeuronClassifier(random_state=0).set_fit_request(sample_weight=True))
        pipe.fit(X, y, sample_weight=sw)
    direct = SingleNeuronClassifier(random_state=0).fit(StandardScaler().fit_transform(X), y, sample_weight=sw)
    np.testing.assert_array_equal(pipe[-1].coef_, direct.coef_)


@pytest.mark.parametrize("targets", [(0.3, 0.7), (0.7, 0.3), (0.9, 0.2)])
def test_reversed_target_values_keep_the_class_meaning(targets):
    # decision_function > 0 means classes_[1] whichever way round the targets are: checked against
    # z = X @ w + b and the midpoint's logit, computed here
    X, y = load_two_clusters(return_X_y=True)
    Xs = StandardScaler().fit_transform(X)
    clf = SingleNeuronClassifier(target_values=targets, max_iter=3000, tol=None, random_state=0).fit(Xs, y)
    assert clf.score(Xs, y) == 1.0
    z = Xs @ clf.coef_[0] + clf.intercept_[0]
    mid = 0.5 * sum(targets)
    expected = (z - np.log(mid / (1 - mid))) * (1 if targets[1] > targets[0] else -1)
    np.testing.assert_allclose(clf.decision_function(Xs), expected, rtol=1e-12)
    assert np.all((clf.decision_function(Xs) > 0) == (y == clf.classes_[1]))
    assert np.all((clf.predict_proba(Xs)[:, 1] > 0.5) == (y == clf.classes_[1]))


# --------------------------------------------------------------------------- behaviour, checked by hand
def test_learning_rate_decay_divides_the_step():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 2)), np.arange(20) % 2
    clf = SingleNeuronClassifier(learning_rate=0.3, learning_rate_decay=0.5, max_iter=6, tol=None,
                                 random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.history_["learning_rate"], [0.3 / (1 + 0.5 * t) for t in range(6)])
    # one batch step by hand: w1 = w0 - eta_0 * sum of the per-sample gradients
    w0 = clf.coef_path_[0]
    z = X @ w0 + 0.0
    a = 1 / (1 + np.exp(-z))
    delta = (a - y) * a * (1 - a)
    np.testing.assert_allclose(clf.coef_path_[1], w0 - 0.3 * X.T @ delta, rtol=1e-10)


def test_learning_rate_decay_counts_the_epochs_of_warm_started_fits():
    # one schedule for the neuron and the MLP: t counts the epochs in history_, on across warm starts
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 2)), np.arange(20) % 2
    kw = dict(learning_rate=0.3, learning_rate_decay=0.5, tol=None, random_state=0)
    clf = SingleNeuronClassifier(max_iter=3, warm_start=True, **kw).fit(X, y).fit(X, y)
    assert clf.history_["epoch"] == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(clf.history_["learning_rate"], [0.3 / (1 + 0.5 * t) for t in range(6)])
    np.testing.assert_allclose(clf.coef_, SingleNeuronClassifier(max_iter=6, **kw).fit(X, y).coef_, rtol=1e-12)


def _interrupt_in_epoch(monkeypatch, clf, epoch, nth):
    """Ctrl-C at the ``nth`` cost evaluation of epoch (iteration) ``epoch``: a KeyboardInterrupt from inside the
    neuron's cost, once ``epoch - 1`` epochs are in ``clf.history_``."""
    original, calls = SingleNeuronClassifier._loss_grad, []

    def loss_grad(self, *args, **kwargs):
        if self is clf and len(getattr(clf, "history_", ())) == epoch - 1:
            calls.append(1)
            if len(calls) == nth:
                raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SingleNeuronClassifier, "_loss_grad", loss_grad)


# batch: the cost after the epoch's step; sgd: the 7th sample's step; lbfgs, CG: inside the line search
@pytest.mark.parametrize("solver, nth", [("batch", 2), ("sgd", 7), ("lbfgs", 1), ("CG", 2)])
def test_keyboard_interrupt_leaves_the_fit_of_the_last_finished_epoch(monkeypatch, solver, nth):
    # a fresh fit of exactly that many epochs (same seed) is the independent path to the same neuron
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 2)), (rng.normal(size=20) > 0).astype(int)
    kw = dict(solver=solver, loss="log_loss", tol=None if solver in ("batch", "sgd") else 1e-12, random_state=0)
    clf = SingleNeuronClassifier(max_iter=50, **kw)
    _interrupt_in_epoch(monkeypatch, clf, 3, nth)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    unit = "epoch" if solver in ("batch", "sgd") else "iteration"
    assert [(w.category, str(w.message)) for w in caught] == [
        (UserWarning, f"Training interrupted by user; kept the weights and history of the last finished {unit} (2).")]
    assert caught[0].filename == __file__
    monkeypatch.undo()
    reference = SingleNeuronClassifier(max_iter=2, **kw).fit(X, y)
    assert clf.n_iter_ == reference.n_iter_ == 2
    assert clf.history_[:, ("epoch", "loss")] == reference.history_[:, ("epoch", "loss")]
    np.testing.assert_array_equal(clf.coef_path_, reference.coef_path_)
    np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))
    np.testing.assert_array_equal(clf.predict(X), reference.predict(X))


def test_initial_weights_are_drawn_within_the_limit_and_differ():
    X, y = np.random.RandomState(0).normal(size=(10, 16)), np.arange(10) % 2
    starts = [SingleNeuronClassifier(max_iter=1, random_state=seed).fit(X, y).coef_path_[0] for seed in (0, 1)]
    for w in starts:
        assert np.all(np.abs(w) <= 1 / 4) and len(np.unique(w)) == 16 and np.abs(w).max() > 0.1
    assert not np.allclose(starts[0], starts[1])
    np.testing.assert_array_equal(
        SingleNeuronClassifier(max_iter=1, random_state=0).fit(X, y).coef_path_[0], starts[0])


def test_tol_stops_once_no_weight_moves_more_than_tol():
    X, y = load_two_clusters(return_X_y=True)
    Xs = StandardScaler().fit_transform(X)
    clf = SingleNeuronClassifier(**{**SERIES, "tol": 1e-4, "max_iter": 5000}).fit(Xs, y)
    moves = np.abs(np.diff(clf.coef_path_, axis=0)).max(axis=1)
    assert clf.n_iter_ < 5000 and len(moves) == clf.n_iter_
    assert moves[-1] < 1e-4 and np.all(moves[:-1] >= 1e-4)


def test_cost_surface_log_loss_is_sklearns_log_loss():
    from sklearn.metrics import log_loss

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(12, 2)), np.arange(12) % 2
    neuron = SingleNeuronClassifier(loss="log_loss")
    s = cost_surface(neuron, X, y, [-0.5, 0.3], [0.2, 0.9, 1.4], intercept=0.25)
    for i, w2 in enumerate(s.w2):
        for j, w1 in enumerate(s.w1):
            a = 1 / (1 + np.exp(-(X @ [w1, w2] + 0.25)))
            assert s.total[i, j] == pytest.approx(log_loss(y, a), rel=1e-12)
    squared = cost_surface(SingleNeuronClassifier(), X, y, [0.3], [0.9], intercept=0.25)
    a = 1 / (1 + np.exp(-(X @ [0.3, 0.9] + 0.25)))
    assert squared.total[0, 0] == pytest.approx(np.mean(0.5 * (a - y) ** 2), rel=1e-12)
    assert squared.minimum == (0.3, 0.9, squared.total[0, 0])


def test_predict_proba_maps_targets_to_0_and_1_and_clips():
    X = np.array([[-3.0], [-0.2], [0.0], [0.3], [4.0]])
    clf = SingleNeuronClassifier(target_values=(0.3, 0.7), max_iter=1, random_state=0).fit(X, [0, 0, 0, 1, 1])
    clf.coef_, clf.intercept_ = np.array([[2.0]]), np.array([0.1])
    a = 1 / (1 + np.exp(-(2.0 * X[:, 0] + 0.1)))
    p1 = np.clip((a - 0.3) / 0.4, 0, 1)
    np.testing.assert_allclose(clf.predict_proba(X), np.c_[1 - p1, p1], rtol=1e-12)
    assert clf.predict_proba(X)[0, 1] == 0.0 and clf.predict_proba(X)[-1, 1] == 1.0


def test_cost_surface_reads_the_pipeline_and_the_fitted_neuron():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(12, 2)) * 3 + 1, np.where(np.arange(12) % 2, "yes", "no")
    pipe = make_pipeline(StandardScaler(), FunctionTransformer(lambda Z: 2 * Z),
                         SingleNeuronClassifier(max_iter=50, random_state=0)).fit(X, y)
    neuron, Z = pipe[-1], 2 * StandardScaler().fit_transform(X)
    w1, w2 = [-0.5, 0.4], [0.2, 0.9, 1.4]
    s = cost_surface(pipe, X, y, w1, w2)  # the steps before the neuron transform X; its intercept is used
    t = (y == "yes").astype(float)
    for i, b in enumerate(w2):
        for j, a_ in enumerate(w1):
            a = 1 / (1 + np.exp(-(Z @ [a_, b] + neuron.intercept_[0])))
            assert s.total[i, j] == pytest.approx(np.mean(0.5 * (a - t) ** 2), rel=1e-12)
    np.testing.assert_allclose(cost_surface(make_pipeline(neuron), Z, y, w1, w2).total, s.total, rtol=1e-12)
    # the fitted classes decide the targets, also when y holds only one of them
    only_yes = cost_surface(neuron, Z[t == 1], y[t == 1], w1, w2)
    np.testing.assert_allclose(only_yes.per_sample, s.per_sample[t == 1], rtol=1e-12)
    # an unfitted neuron has no intercept: 0; float32 input is computed in float64
    fresh = cost_surface(SingleNeuronClassifier(), Z.astype(np.float32), y, np.float32([0.25]), np.float32([0.5]))
    a = 1 / (1 + np.exp(-(Z.astype(np.float32).astype(np.float64) @ [0.25, 0.5])))
    assert fresh.total[0, 0] == pytest.approx(np.mean(0.5 * (a - t) ** 2), rel=1e-13)
    assert fresh.total.dtype == np.float64
    with pytest.raises(ValueError, match="got LogisticRegression"):
        cost_surface(LogisticRegression(), Z, y, w1, w2)
    with pytest.raises(ValueError, match=r"exactly 2 features \(after preprocessing\), got X of shape \(12, 3\)"):
        cost_surface(neuron, np.c_[Z, Z[:, 0]], y, w1, w2)
    with pytest.raises(ValueError, match=r"different lengths \(12 and 11\)"):
        cost_surface(neuron, Z, y[:11], w1, w2)


def test_cost_surface_log_loss_stays_finite_where_the_sigmoid_saturates():
    X, y = np.array([[50.0, 0.0], [-50.0, 0.0]]), np.array([0, 1])  # both far on the wrong side
    s = cost_surface(SingleNeuronClassifier(loss="log_loss"), X, y, [1.0], [0.0], intercept=0.0)
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(s.per_sample[:, 0, 0], [-np.log(eps), -np.log(eps)], rtol=1e-12)


def test_warm_start_keeps_the_intercept_and_the_features():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 2)) + 2.0, (np.arange(30) % 2)
    once = SingleNeuronClassifier(max_iter=40, tol=None, random_state=0).fit(X, y)
    twice = SingleNeuronClassifier(max_iter=20, tol=None, warm_start=True, random_state=0).fit(X, y).fit(X, y)
    np.testing.assert_allclose(twice.coef_, once.coef_, rtol=1e-12)
    np.testing.assert_allclose(twice.intercept_, once.intercept_, rtol=1e-12)
    assert abs(once.intercept_[0]) > 1e-3
    with pytest.raises(ValueError, match="3 features"):
        twice.fit(np.c_[X, X[:, 0]], y)


def test_the_intercept_is_learned_and_used():
    X, y = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([0, 0, 1, 1])
    clf = SingleNeuronClassifier(loss="log_loss", solver="lbfgs", max_iter=200, random_state=0).fit(X, y)
    assert clf.intercept_[0] < -1 and clf.score(X, y) == 1.0
    z = X[:, 0] * clf.coef_[0, 0] + clf.intercept_[0]
    np.testing.assert_allclose(clf.decision_function(X), z, rtol=1e-12)
    assert SingleNeuronClassifier(fit_intercept=False, max_iter=5).fit(X, y).intercept_.tolist() == [0.0]


def test_float32_and_int_input_are_computed_in_float64():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 2)).astype(np.float32), np.arange(20) % 2
    a = SingleNeuronClassifier(max_iter=30, tol=None, random_state=0).fit(X, y)
    b = SingleNeuronClassifier(max_iter=30, tol=None, random_state=0).fit(X.astype(np.float64), y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X.astype(np.float64)))
    assert a.predict_proba(X).dtype == np.float64
    with pytest.raises(ValueError, match="features"):
        a.predict(np.c_[X, X])


def test_threshold_point_predicts_the_first_class_and_tags():
    clf = SingleNeuronClassifier(max_iter=1).fit([[-1.0], [1.0]], ["a", "b"])
    clf.coef_, clf.intercept_ = np.array([[1.0]]), np.array([0.0])
    assert clf.decision_function([[0.0]])[0] == 0.0 and clf.predict([[0.0], [1e-9]]).tolist() == ["a", "b"]
    assert SingleNeuronClassifier().__sklearn_tags__().classifier_tags.multi_class is False


def test_coef_init_and_saturation_messages():
    with pytest.raises(ValueError, match=r"coef_init must hold 2 finite weights \(one per feature\), got \(3,\)"):
        SingleNeuronClassifier(coef_init=[1, 2, 3]).fit([[0.0, 1.0], [1.0, 0.0]], [0, 1])
    kw = dict(coef_init=[1.0], fit_intercept=False, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SaturationWarning)
        SingleNeuronClassifier(**kw).fit([[4.0], [4.0], [1.0], [-1.0]], [1, 1, 0, 0])  # |z| = 4 is not beyond
        SingleNeuronClassifier(**kw).fit([[5.0], [1.0], [1.0], [-1.0]], [1, 1, 0, 0])  # 25% saturated
    with pytest.warns(SaturationWarning, match="50% of the samples have") as record:
        SingleNeuronClassifier(**kw).fit([[4.0], [5.0], [-6.0], [1.0]], [1, 1, 0, 0])  # exactly half
    assert "skcnn" not in os.path.relpath(record[0].filename, os.path.dirname(__file__))  # the caller, not skcnn


def test_refit_resets_the_features_and_the_history():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 2)), np.arange(20) % 2
    clf = SingleNeuronClassifier(max_iter=20, tol=None, random_state=0).fit(X, y)
    assert clf.n_features_in_ == 2 and len(clf.history_) == 20
    clf.fit(np.c_[X, X[:, 0]], y)  # no warm start: a new problem
    assert clf.n_features_in_ == 3 and clf.history_["epoch"] == list(range(1, 21))
    clf.set_params(warm_start=True).fit(np.c_[X, X[:, 0]], y)
    assert clf.history_["epoch"] == list(range(1, 41)) and clf.n_iter_ == 20
    durations = clf.history_["dur"]
    assert all(isinstance(d, float) and 0 <= d < 60 for d in durations)


def test_class_count_errors_list_the_classes():
    X = np.arange(14, dtype=float).reshape(-1, 1)
    with pytest.raises(ValueError, match=r"exactly 2 classes, got 3 \(\[0, 1, 2\]\)\.$"):
        SingleNeuronClassifier().fit(X[:6], [0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match=r"got 7 \(\[0, 1, 2, 3, 4\]\.\.\.\)\.$"):
        SingleNeuronClassifier().fit(X, np.arange(14) % 7)
    with pytest.raises(ValueError, match=r"got 6 \(\[0, 1, 2, 3, 4\]\.\.\.\)\.$"):
        SingleNeuronClassifier().fit(X[:12], np.arange(12) % 6)
    with pytest.raises(ValueError, match=r"got 5 \(\[0, 1, 2, 3, 4\]\)\.$"):
        SingleNeuronClassifier().fit(X[:10], np.arange(10) % 5)


def test_solver_of_another_kind_is_refused():
    from skcnn._nn.optim import Solver
    from skcnn.plugins import solvers

    solvers.register("odd-kind-for-a-test", Solver("odd", "odd"))
    try:
        with pytest.raises(ValueError, match="not supported"):
            SingleNeuronClassifier(solver="odd-kind-for-a-test").fit([[0.0], [1.0]], [0, 1])
    finally:
        solvers.unregister("odd-kind-for-a-test")


def test_verbose_prints_every_tenth_of_max_iter(capsys):
    X, y = np.array([[-1.0, 0.5], [1.0, -0.5]]), [0, 1]
    clf = SingleNeuronClassifier(max_iter=20, tol=None, verbose=1, random_state=0).fit(X, y)
    expected = [f"epoch {e:5d}  cost {clf.history_[e - 1, 'loss']:.6g}  w "
                f"{np.round(clf.coef_path_[e], 4).tolist()}" for e in [1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]]
    assert capsys.readouterr().out.splitlines() == expected
    SingleNeuronClassifier(max_iter=20, tol=None, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""
    wide = SingleNeuronClassifier(max_iter=5, tol=None, verbose=1, random_state=0).fit(np.eye(6)[:2] * 3, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and lines[0].endswith(str(np.round(wide.coef_path_[1][:4], 4).tolist()))


def test_defaults_are_the_documented_ones():
    assert SingleNeuronClassifier().get_params() == dict(
        loss="squared", solver="batch", learning_rate=0.1, learning_rate_decay=0.0, max_iter=1000, tol=1e-6,
        fit_intercept=True, target_values=(0.0, 1.0), coef_init=None, warm_start=False, random_state=None,
        verbose=0)


def test_one_sgd_epoch_by_hand():
    # two samples: an epoch is one step per sample, in one of the two orders
    X, t = np.array([[1.0, 0.5], [-0.5, 1.0]]), np.array([0.0, 1.0])
    clf = SingleNeuronClassifier(solver="sgd", fit_intercept=False, coef_init=[0.2, -0.1], learning_rate=0.5,
                                 max_iter=1, tol=None, random_state=0).fit(X, [0, 1])

    def step(w, i):
        a = 1 / (1 + np.exp(-X[i] @ w))
        return w - 0.5 * (a - t[i]) * a * (1 - a) * X[i]

    w0 = np.array([0.2, -0.1])
    orders = [step(step(w0, 0), 1), step(step(w0, 1), 0)]
    assert any(np.allclose(clf.coef_[0], w, rtol=1e-12) for w in orders)


def test_scipy_path_details():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 2)), np.arange(30) % 2
    tight = SingleNeuronClassifier(solver="lbfgs", tol=1e-12, max_iter=500, random_state=0).fit(X, y)
    loose = SingleNeuronClassifier(solver="lbfgs", tol=1e-1, max_iter=500, random_state=0).fit(X, y)
    assert loose.n_iter_ < tight.n_iter_  # tol reaches scipy
    assert len(tight.history_) == tight.n_iter_ and np.array_equal(tight.coef_path_[-1], tight.coef_[0])

    def stays(fun, x0, *, max_iter, tol, callback=None):  # a minimizer that reports no iteration
        return x0

    still = SingleNeuronClassifier(solver=stays, coef_init=[0.3, -0.2], random_state=0).fit(X, y)
    assert still.n_iter_ == 1 and len(still.history_) == 1 and still.coef_.tolist() == [[0.3, -0.2]]
    assert still.history_[0, "loss"] == pytest.approx(np.mean(0.5 * (1 / (1 + np.exp(-(X @ [0.3, -0.2]))) - y) ** 2))


def test_divergence_names_the_epoch():
    X = np.array([[-1.0], [1.0]]) * 1e154
    with pytest.raises(ValueError, match="diverged at epoch 1 "), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SingleNeuronClassifier(learning_rate=1e300, loss="log_loss", coef_init=[1e-300], tol=None).fit(X, [0, 1])


def test_sgd_order_follows_random_state_and_verbose_schedule(capsys):
    rng = np.random.RandomState(3)
    X, y = rng.normal(size=(10, 2)), np.arange(10) % 2
    kw = dict(solver="sgd", coef_init=[0.1, -0.1], max_iter=2, tol=None)
    a, b = (SingleNeuronClassifier(random_state=s, **kw).fit(X, y).coef_ for s in (0, 1))
    assert not np.allclose(a, b)  # another seed, another order of the samples
    np.testing.assert_array_equal(SingleNeuronClassifier(random_state=0, **kw).fit(X, y).coef_, a)
    SingleNeuronClassifier(max_iter=15, tol=None, verbose=1, random_state=0).fit(X, y)
    assert len(capsys.readouterr().out.splitlines()) == 15  # 15 // 10 = 1: every epoch
