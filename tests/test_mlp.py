"""Tests of MLPScratchClassifier, its network core and its plots."""

import contextlib
import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from skcnn import MLPScratchClassifier
from skcnn._callbacks import EpochRecorder
from skcnn._nn.activations import Activation, get_activation
from skcnn._nn.network import FlatNetwork, Workspace, used_inputs

HIDDEN_ACTIVATIONS = ["sigmoid", "relu", "tanh", "elu", "leaky_relu", "selu", "softplus", "identity"]


@pytest.fixture
def blobs():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=240, centers=3, n_features=6, random_state=0)
    return (X - X.mean(0)) / X.std(0), y


# --------------------------------------------------------------------------- sklearn contract
# No expected failure: the default dtype=None computes in the dtype of X, float64 in scikit-learn's checks.
# Their data for sample weights (15 rows, 27 repeated) fits in one batch of the default 500, where integer
# weights are repeated rows (test_integer_weights_equal_repeated_rows_in_one_batch); smaller batches split them
# apart (test_smaller_batches_than_the_data_split_repeated_rows_apart)
@parametrize_with_checks([MLPScratchClassifier(),
                          MLPScratchClassifier(hidden_layer_sizes=(8,), solver="lbfgs", dtype="float64")])
def test_sklearn_contract(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# --------------------------------------------------------------------------- gradients
def _numeric_grad(f, theta, eps=1e-6):
    g = np.empty_like(theta)
    for i in range(theta.size):
        old = theta[i]
        theta[i] = old + eps
        up = f(theta)
        theta[i] = old - eps
        down = f(theta)
        theta[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("loss", ["log_loss", "squared"])
def test_gradient_matches_finite_differences(activation, output, loss):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(7, 4))
    T = np.eye(3)[rng.randint(0, 3, 7)]
    clf = MLPScratchClassifier((5, 4), activation=activation, output_activation=output, loss=loss)
    spec = clf._resolve_spec(4, 3, np.float64)
    net = FlatNetwork(spec["sizes"], spec["hidden"], spec["output"], spec["loss"], np.float64)
    theta = net.init_params(rng, "uniform", 1.5)
    theta[net.n_weights:] = rng.uniform(-0.5, 0.5, net.n_params - net.n_weights)  # nonzero biases
    grad = np.empty_like(theta)
    penalties = {"alpha_l1": 0.3, "alpha_l2": 0.7}
    stats = net.cost_grad(theta, grad, X, T, **penalties)
    assert stats.reg > 0 and np.isclose(stats.cost, stats.loss + stats.reg)
    numeric = _numeric_grad(lambda th: net.cost_grad(th, np.empty_like(th), X, T, **penalties).cost, theta)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-8)


def test_dropping_all_zero_inputs_is_exact():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(9, 6))
    X[:, [0, 3, 4]] = 0
    T = np.eye(2)[rng.randint(0, 2, 9)]
    net = FlatNetwork([6, 5, 2], ["tanh"], "sigmoid", "log_loss", np.float64)
    theta = net.init_params(rng)
    full, part = np.empty_like(theta), np.empty_like(theta)
    cols, X_used = used_inputs(X)
    assert cols.tolist() == [1, 2, 5]
    a = net.cost_grad(theta, full, X, T, alpha_l2=0.5)
    b = net.cost_grad(theta, part, X_used, T, alpha_l2=0.5, work=Workspace(net, 9), inputs=cols)
    assert a.cost == pytest.approx(b.cost)
    np.testing.assert_allclose(full, part, rtol=1e-12, atol=1e-15)


def test_coefs_are_views_of_one_flat_vector(blobs):
    X, y = blobs
    clf = MLPScratchClassifier((7, 5), max_iter=3, random_state=0).fit(X, y)
    assert [w.shape for w in clf.coefs_] == [(6, 7), (7, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (3,)]
    assert all(np.shares_memory(w, clf._theta) for w in clf.coefs_ + clf.intercepts_)
    assert clf.coefs_[0].dtype == clf.intercepts_[0].dtype == clf.dtype_ == X.dtype == np.float64
    clone = pickle.loads(pickle.dumps(clf))
    assert all(np.shares_memory(w, clone._theta) for w in clone.coefs_ + clone.intercepts_)
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))


def test_replaced_coefs_are_used(blobs):
    X, y = blobs
    clf = MLPScratchClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    clf.coefs_ = [np.zeros_like(w) for w in clf.coefs_]
    clf.intercepts_ = [np.zeros_like(b) for b in clf.intercepts_]
    np.testing.assert_allclose(clf.predict_proba(X), 1 / 3, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64", None])
@pytest.mark.parametrize("X_dtype", [np.float32, np.float64, np.int64, bool])
def test_dtype(blobs, dtype, X_dtype):
    # None (the default) keeps float32 and float64 input as it is and makes anything else float64; a name forces it
    X, y = blobs
    X = (X > 0) if X_dtype is bool else (X * 10).astype(X_dtype)
    expected = np.dtype(dtype) if dtype else np.dtype(X_dtype if X_dtype in (np.float32, np.float64) else np.float64)
    with _no_convergence_warning():
        clf = MLPScratchClassifier((4,), max_iter=2, dtype=dtype, random_state=0).fit(X, y)
    assert clf.dtype_ == clf.coefs_[0].dtype == clf.intercepts_[-1].dtype == expected
    assert clf.predict_proba(X).dtype == expected
    assert clf.get_params()["dtype"] == dtype  # the parameter stays as given


# --------------------------------------------------------------------------- training behaviour
def test_histories(blobs):
    X, y = blobs
    clf = MLPScratchClassifier((6,), batch_size=50, max_iter=4, tol=0, n_iter_no_change=10, alpha_l2=1.0,
                               validation_fraction=0.25, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    n_batches = 4 * int(np.ceil(180 / 50))
    assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.history_["val_score"]) == 4
    assert len(clf.batch_loss_curve_) == len(clf.batch_error_curve_) == len(clf.reg_ratio_curve_) == n_batches
    assert all(r > 0 for r in clf.reg_ratio_curve_)
    assert clf.best_loss_ == min(clf.loss_curve_)
    capped = MLPScratchClassifier((6,), batch_size=50, max_iter=2, max_batches=2, random_state=0).fit(X, y)
    assert len(capped.batch_loss_curve_) == 4


def test_n_iter_no_change_as_in_sklearn(blobs):
    X, y = blobs
    for early in (False, True):
        ours = MLPScratchClassifier((5,), tol=1e9, n_iter_no_change=3, early_stopping=early, random_state=0)
        theirs = MLPClassifier((5,), tol=1e9, n_iter_no_change=3, early_stopping=early, random_state=0)
        # epoch 1 sets the best value; epochs 2..5 fail to improve by tol; 4 > n_iter_no_change stops
        assert ours.fit(X, y).n_iter_ == theirs.fit(X, y).n_iter_ == 5


def test_early_stopping_keeps_best_weights(blobs):
    X, y = blobs
    kw = dict(hidden_layer_sizes=(5,), activation="sigmoid", batch_size=40, learning_rate=0.05, random_state=2)
    clf = MLPScratchClassifier(early_stopping=True, tol=1e9, n_iter_no_change=2, **kw)
    snapshots = EpochRecorder()
    if hasattr(clf, "set_callbacks"):
        clf.set_callbacks(snapshots)
    clf.fit(X, y)
    assert clf.best_loss_ is None
    assert clf.n_iter_ == 4  # as sklearn: no epoch improves by tol
    scores = clf.history_["val_score"]
    assert clf.best_validation_score_ == max(scores)
    best_epoch = int(np.argmax(scores)) + 1
    assert best_epoch < clf.n_iter_ and scores[best_epoch - 1] > scores[-1]
    if not hasattr(clf, "set_callbacks"):
        pytest.skip("no sklearn.callback: the weights of each epoch cannot be watched")
    # the reference: the weights each epoch ended with, as a callback saw them during training
    thetas = [state._theta for state in snapshots.states]
    assert len(thetas) == clf.n_iter_
    np.testing.assert_array_equal(clf._theta, thetas[best_epoch - 1])
    assert not np.array_equal(clf._theta, thetas[-1])


def test_early_stopping_stops_on_plateau(blobs):
    X, y = blobs
    clf = MLPScratchClassifier((5,), early_stopping=True, n_iter_no_change=5, max_iter=500, random_state=0)
    clf.fit(X, y)
    assert clf.n_iter_ < 500
    assert clf.best_validation_score_ == max(clf.history_["val_score"]) > 0.9


def test_partial_fit(blobs):
    X, y = blobs
    clf = MLPScratchClassifier((5,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    for chunk in np.array_split(np.arange(len(y)), 3):
        clf.partial_fit(X[chunk], y[chunk], classes=np.unique(y))
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    for _ in range(30):
        clf.partial_fit(X, y)
    assert clf.score(X, y) > 0.9
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="not in classes_"):
        MLPScratchClassifier().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="early_stopping"):
        MLPScratchClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(MLPScratchClassifier(solver="cg"), "partial_fit")


def test_warm_start(blobs):
    X, y = blobs
    clf = MLPScratchClassifier((5,), max_iter=3, tol=0, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    before = clf.coefs_[0].copy()
    clf.set_params(warm_start=True)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert len(clf.loss_curve_) == 6 and clf.n_iter_ == 3
    assert clf.loss_curve_[3] < clf.loss_curve_[0]
    assert not np.array_equal(before, clf.coefs_[0])
    with pytest.raises(ValueError, match="not in classes_"):
        clf.fit(X, np.where(y == 2, 5, y))
    clf.set_params(warm_start=False)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert len(clf.loss_curve_) == 3


class _Interrupting:
    """A sigmoid that raises KeyboardInterrupt on its n-th forward call."""

    def __init__(self, n):
        self.n = n
        sig = get_activation("sigmoid")
        self.activation = Activation("interrupting", self._forward, sig.derivative)
        self._sig = sig

    def _forward(self, z, out=None):
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt
        return self._sig.forward(z, out)


def test_keyboard_interrupt_keeps_last_epoch(blobs):
    X, y = blobs
    kw = dict(hidden_layer_sizes=(5,), batch_size=60, tol=0, random_state=0)
    stopper = _Interrupting(3 * 4 + 2)  # 4 batches per epoch: stop inside epoch 4
    with pytest.warns(UserWarning, match="interrupted"):
        clf = MLPScratchClassifier(activation=stopper.activation, **kw).fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3 and len(clf.batch_loss_curve_) == 12
    with pytest.warns(ConvergenceWarning):
        reference = MLPScratchClassifier(activation="sigmoid", max_iter=3, **kw).fit(X, y)
    np.testing.assert_array_equal(clf.coefs_[0], reference.coefs_[0])


def _interrupt_in_epoch(monkeypatch, clf, epoch, nth):
    """Ctrl-C at the ``nth`` cost evaluation of epoch (iteration) ``epoch`` of ``clf``'s fit: a KeyboardInterrupt
    from inside the network's cost, once ``epoch - 1`` epochs are in ``clf.history_``."""
    original, calls = FlatNetwork.cost_grad, []

    def cost_grad(*args, **kwargs):
        if len(getattr(clf, "history_", ())) == epoch - 1:
            calls.append(1)
            if len(calls) == nth:
                raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(FlatNetwork, "cost_grad", cost_grad)


# sgd: the 3rd of 4 batches; lbfgs, cg: inside the line search
@pytest.mark.parametrize("solver, nth", [(dict(solver="sgd", batch_size=60), 3), (dict(solver="lbfgs"), 1),
                                         (dict(solver="cg"), 2),
                                         (dict(solver="sgd", batch_size=60, early_stopping=True), 3)],
                         ids=["sgd", "lbfgs", "cg", "sgd-early-stopping"])
def test_keyboard_interrupt_leaves_the_fit_of_the_last_finished_epoch(blobs, monkeypatch, solver, nth):
    # a fresh fit of exactly that many epochs (same seed) is the independent path to the same estimator
    X, y = blobs
    kw = dict(hidden_layer_sizes=(5,), tol=0, dtype="float64", random_state=0, **solver)
    clf = MLPScratchClassifier(max_iter=50, **kw)
    _interrupt_in_epoch(monkeypatch, clf, 3, nth)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    unit = "epoch" if solver["solver"] == "sgd" else "iteration"
    assert [(w.category, str(w.message)) for w in caught] == [
        (UserWarning, f"Training interrupted by user; kept the weights and history of the last finished {unit} (2).")]
    monkeypatch.undo()
    with _no_convergence_warning():
        reference = MLPScratchClassifier(max_iter=2, **kw).fit(X, y)
    assert clf.n_iter_ == reference.n_iter_ == 2
    assert clf.history_[:, ("epoch", "loss")] == reference.history_[:, ("epoch", "loss")]
    for name in ("batch_loss_curve_", "batch_error_curve_", "reg_ratio_curve_"):
        assert getattr(clf, name) == getattr(reference, name)
    np.testing.assert_array_equal(clf.predict_proba(X), reference.predict_proba(X))
    np.testing.assert_array_equal(clf.predict(X), reference.predict(X))
    assert (clf.best_loss_, clf.best_validation_score_) == (reference.best_loss_, reference.best_validation_score_)


def test_verbose(blobs, capsys):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPScratchClassifier((4,), max_iter=2, verbose=1, validation_fraction=0.2, random_state=0).fit(X, y)
        lines = capsys.readouterr().out.strip().splitlines()
        assert lines == [f"Epoch {row['epoch']}, loss = {row['loss']:.6f}, validation accuracy = "
                         f"{row['val_score']:.4f}" for row in clf.history_]
        clf = MLPScratchClassifier((4,), max_iter=2, verbose=1, random_state=0).fit(X, y)
        assert capsys.readouterr().out.strip().splitlines() == [
            f"Epoch {row['epoch']}, loss = {row['loss']:.6f}" for row in clf.history_]
        cg = MLPScratchClassifier((4,), solver="cg", max_iter=2, verbose=1, random_state=0).fit(X, y)
        assert capsys.readouterr().out.strip().splitlines() == [
            f"Iteration {row['epoch']}, loss = {row['loss']:.6f}" for row in cg.history_]
        MLPScratchClassifier((4,), max_iter=2, verbose=2, validation_fraction=0.2, random_state=0).fit(X, y)
        captured = capsys.readouterr()
        assert captured.out == ""
        bar = captured.err.replace("\r", "\n").splitlines()
        assert any(line.startswith("MLPScratchClassifier") and "2/2" in line and "epoch" in line and "val_acc="
                   in line for line in bar)
        MLPScratchClassifier((4,), solver="cg", max_iter=2, verbose=2, random_state=0).fit(X, y)
        assert "iteration" in capsys.readouterr().err
        MLPScratchClassifier((4,), max_iter=2, random_state=0).fit(X, y)
        assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("solver", ["lbfgs", "cg", "BFGS"])
def test_scipy_solvers(blobs, solver):
    X, y = blobs
    clf = MLPScratchClassifier((5,), solver=solver, max_iter=60, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.95
    assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.batch_loss_curve_)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha_l2": -1.0}, "alpha_l2"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"momentum": 1.0}, "momentum"),
        ({"hidden_layer_sizes": (3, 0)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": (4, True)}, r"^hidden_layer_sizes must be a positive int or a sequence of positive"),
        ({"hidden_layer_sizes": (2.5,)}, r"^hidden_layer_sizes must be a positive int or a sequence of positive"),
        ({"hidden_layer_sizes": True}, "hidden_layer_sizes"),
        # a name that is not registered: the parameter and the value first, then what is registered
        ({"activation": "swish?"}, r"^Invalid activation='swish\?': "),
        ({"activation": ["relu", "nope"], "hidden_layer_sizes": (3, 2)}, r"^Invalid activation='nope': "),
        ({"activation": ["relu"] * 3}, "one per hidden layer"),
        ({"output_activation": "tanh"}, "output_activation"),
        ({"loss": "hinge"}, r"^Invalid loss='hinge': "),
        ({"solver": "adamw"}, r"^Invalid solver='adamw': "),
        ({"solver": "batch"}, r"^solver='batch' has kind 'batch'; expected 'sgd' or a minimizer\.$"),
        ({"init": "zeros"}, r"^Invalid init='zeros': "),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"dtype": "float16"}, "dtype"),
    ],
)
def test_bad_parameters_raise(blobs, params, match):
    X, y = blobs
    with pytest.raises(ValueError, match=match):
        MLPScratchClassifier(**params).fit(X, y)


def test_diverging_learning_rate_raises(blobs):
    X, y = blobs
    # float32: the weights overflow to inf within a few epochs (in float64 they grow, but the bounded loss stays finite)
    clf = MLPScratchClassifier((5,), activation="identity", loss="squared", learning_rate=1e6, dtype="float32",
                               random_state=0)
    with pytest.raises(ValueError, match=r"^The training loss became (inf|nan) in epoch \d+: learning_rate=1000000.0 "
                                         r"is too large for this data; lower it \(or standardize X\)\.$") as error:
        clf.fit(X * 1e3, y)
    # the epochs before the one named finished with a finite loss
    assert len(clf.history_) > 1 and np.all(np.isfinite(clf.history_["loss"]))
    assert f" in epoch {len(clf.history_) + 1}: " in str(error.value)


def test_list_of_activations_and_callable(blobs):
    X, y = blobs
    clf = MLPScratchClassifier((6, 4), activation=["relu", get_activation("tanh")], output_activation="softmax",
                               max_iter=50, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1, rtol=1e-5)
    assert clf.score(X, y) > 0.9


# --------------------------------------------------------------------------- plots
def test_plots(blobs, tmp_path):
    from skcnn.plotting import plot_mlp_learning_curves, plot_mlp_weights, save_figure
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.random.RandomState(0).normal(size=(60, 16))
    y = np.arange(60) % 3
    pipe = make_pipeline(StandardScaler(), MLPScratchClassifier((6,), max_iter=5, alpha_l2=1.0, random_state=0))
    pipe.fit(X, y)
    fig = plot_mlp_learning_curves(pipe, title="curves")
    assert [ax.get_title() for ax in fig.axes] == ["batch cost", "batch error", "regularization / cost", "loss"]
    assert save_figure(fig, tmp_path / "curves.png").stat().st_size > 0
    assert len(plot_mlp_weights(pipe, n_cols=3).axes) == 6
    with pytest.raises(ValueError, match="image_shape"):
        plot_mlp_weights(pipe, layer=1)
    with pytest.raises(ValueError, match="fitted"):
        plot_mlp_learning_curves(MLPScratchClassifier())


# --------------------------------------------------------------------------- real training
def _standardized(split):
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test = split
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.mark.slow
def test_defaults_reach_093_on_benchmark_split(mnist_split):
    X_train, X_test, y_train, y_test = _standardized(mnist_split)
    with threadpool_limits(1, "blas"):  # one BLAS thread: steadier on a small shared machine
        clf = MLPScratchClassifier(random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.93


@pytest.mark.slow
def test_cg_solver_on_mnist(mnist_split):
    X_train, X_test, y_train, y_test = _standardized(mnist_split)
    with warnings.catch_warnings(), threadpool_limits(1, "blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPScratchClassifier((25,), solver="cg", max_iter=150, random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.88


@pytest.mark.slow
def test_grid_search_in_processes(mnist_small):
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = mnist_small
    pipe = Pipeline([("standardscaler", StandardScaler()),
                     ("mlpscratchclassifier", MLPScratchClassifier((20,), max_iter=15, random_state=0))])
    search = GridSearchCV(pipe, {"mlpscratchclassifier__alpha_l2": [0.1, 3.0]}, cv=2, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X[:300], y[:300])
    assert search.best_score_ > 0.6
    # the winner is the candidate with the best mean score computed here, one process, fold by fold
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    means = {}
    for alpha in (0.1, 3.0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            means[alpha] = cross_val_score(clone(pipe).set_params(mlpscratchclassifier__alpha_l2=alpha),
                                           X[:300], y[:300], cv=2).mean()
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], [means[0.1], means[3.0]])
    assert means[0.1] != means[3.0]
    assert search.best_params_ == {"mlpscratchclassifier__alpha_l2": max(means, key=means.get)}


def test_keyboard_interrupt_in_scipy_solver(blobs):
    X, y = blobs
    stopper = _Interrupting(6)
    with pytest.warns(UserWarning, match="interrupted"):
        clf = MLPScratchClassifier((5,), activation=stopper.activation, solver="cg", random_state=0).fit(X, y)
    assert 1 <= clf.n_iter_ == len(clf.loss_curve_) == len(clf.batch_loss_curve_) < 6
    assert np.all(np.isfinite(clf._theta))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_prediction_of_a_row_does_not_depend_on_its_batch(dtype):
    # BLAS gives a row other bits at another position or in a batch of another size;
    # predictions must not: compared bit for bit
    rng = np.random.default_rng(0)
    X = rng.normal(size=(41, 300))
    y = np.arange(41) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPScratchClassifier((70, 30), max_iter=5, alpha_l2=0.0, init_scale=3.0, dtype=dtype,
                                   random_state=0).fit(X, y)
    full = clf.predict_proba(X)
    perm = rng.permutation(len(X))
    np.testing.assert_array_equal(clf.predict_proba(X[perm]), full[perm])
    for start, n in [(0, 1), (7, 1), (3, 2), (10, 5), (20, 17)]:
        np.testing.assert_array_equal(clf.predict_proba(X[start:start + n]), full[start:start + n])


# --------------------------------------------------------------------------- sample weights
def _weighted_data():
    rng = np.random.RandomState(42)
    X, y = rng.rand(30, 5), rng.randint(0, 3, 30)
    return X, y, rng.randint(0, 4, 30)


# every solver where one batch holds every row: sgd with batch_size >= the repeated rows, and the scipy methods
ONE_BATCH_SOLVERS = [dict(solver="sgd", batch_size=500), dict(solver="lbfgs"), dict(solver="cg"),
                     dict(solver="BFGS")]


@pytest.mark.parametrize("solver", ONE_BATCH_SOLVERS, ids=lambda kw: kw["solver"])
@pytest.mark.parametrize("alpha_l1", [0.0, 0.5])
def test_integer_weights_equal_repeated_rows_in_one_batch(solver, alpha_l1):
    # the default alpha_l2=3: the penalty is divided by the total weight, as repeated rows would divide it
    X, y, sw = _weighted_data()
    assert sw.sum() > len(y) and (sw == 0).any()
    kw = dict(hidden_layer_sizes=(6,), alpha_l1=alpha_l1, dtype="float64", tol=0, max_iter=40, random_state=0,
              **solver)
    with _no_convergence_warning():
        weighted = MLPScratchClassifier(**kw).fit(X, y, sample_weight=sw)
        repeated = MLPScratchClassifier(**kw).fit(X.repeat(sw, axis=0), y.repeat(sw))
        plain = MLPScratchClassifier(**kw).fit(X, y)
    assert np.abs(weighted.predict_proba(X) - repeated.predict_proba(X)).max() <= 1e-8
    np.testing.assert_allclose(weighted.history_["loss"], repeated.history_["loss"], rtol=1e-8)
    assert np.abs(weighted.predict_proba(X) - plain.predict_proba(X)).max() > 1e-3


@pytest.mark.parametrize("solver", ONE_BATCH_SOLVERS[:2], ids=lambda kw: kw["solver"])
def test_zero_weights_equal_dropping_the_rows(solver):
    X, y, sw = _weighted_data()
    keep = sw > 0
    kw = dict(hidden_layer_sizes=(6,), alpha_l1=0.5, dtype="float64", tol=0, max_iter=40, random_state=0, **solver)
    with _no_convergence_warning():
        weighted = MLPScratchClassifier(**kw).fit(X, y, sample_weight=sw)
        dropped = MLPScratchClassifier(**kw).fit(X[keep], y[keep], sample_weight=sw[keep])
    assert np.abs(weighted.predict_proba(X) - dropped.predict_proba(X)).max() <= 1e-8


def test_default_dtype_follows_x_exact_weights_in_float64_float32_stays_float32():
    # the default dtype=None: float64 input (scikit-learn's check) fits in float64, where integer weights are the
    # repeated rows to 1e-15 and the check passes; float32 input stays float32, the faster path, where they are as
    # far apart as the float32 and the float64 fit of the same rows: rounding, nothing else
    from sklearn.utils import shuffle
    from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

    with _no_convergence_warning():
        check_sample_weight_equivalence_on_dense_data("MLPScratchClassifier", MLPScratchClassifier())
        rng = np.random.RandomState(42)  # the check's data
        X, y, sw = rng.rand(15, 30), rng.randint(0, 3, 15), rng.randint(0, 5, 15)
        proba = {}
        for dtype in (np.float32, np.float64):
            Xd = X.astype(dtype)
            repeated = MLPScratchClassifier(random_state=0).fit(Xd.repeat(sw, axis=0), y.repeat(sw))
            weighted = MLPScratchClassifier(random_state=0).fit(
                *shuffle(Xd, y, sw, random_state=0)[:2], sample_weight=shuffle(sw, random_state=0))
            assert repeated.dtype_ == weighted.dtype_ == weighted.coefs_[0].dtype == dtype
            proba["repeated", dtype] = repeated.predict_proba(Xd)
            proba["weighted", dtype] = weighted.predict_proba(Xd)
            assert proba["weighted", dtype].dtype == dtype
    gap = lambda a, b: np.abs(proba[a].astype(np.float64) - proba[b]).max()  # noqa: E731
    assert gap(("weighted", np.float64), ("repeated", np.float64)) <= 1e-12
    rounding = gap(("repeated", np.float32), ("repeated", np.float64))
    assert 0 < gap(("weighted", np.float32), ("repeated", np.float32)) <= 3 * rounding < 1e-5


def test_smaller_batches_than_the_data_split_repeated_rows_apart():
    # the true reason a weight is not a repeated row in mini-batch sgd: the repeated rows make more, other
    # batches. Without any penalty they still differ; with the batches fixed (one holds every row) they agree.
    X, y, sw = _weighted_data()
    kw = dict(hidden_layer_sizes=(6,), alpha_l2=0.0, shuffle=False, dtype="float64", tol=0, max_iter=20,
              random_state=0)
    gaps = {}
    for batch_size in (10, 500):
        with _no_convergence_warning():
            weighted = MLPScratchClassifier(batch_size=batch_size, **kw).fit(X, y, sample_weight=sw)
            repeated = MLPScratchClassifier(batch_size=batch_size, **kw).fit(X.repeat(sw, axis=0), y.repeat(sw))
        gaps[batch_size] = np.abs(weighted.predict_proba(X) - repeated.predict_proba(X)).max()
        # 3 batches an epoch against 6 (55 repeated rows)
        assert len(weighted.batch_loss_curve_) == 20 * -(-len(y) // min(batch_size, len(y)))
        assert len(repeated.batch_loss_curve_) == 20 * -(-sw.sum() // min(batch_size, sw.sum()))
    assert gaps[10] > 1e-3 and gaps[500] <= 1e-12


def test_weights_keep_the_schedule_and_scale_the_penalty_like_repeated_rows():
    X, y, sw = _weighted_data()
    kw = dict(hidden_layer_sizes=(6,), batch_size=8, max_iter=5, learning_rate_decay=0.5, dtype="float64",
              random_state=0)
    with _no_convergence_warning():
        plain = MLPScratchClassifier(alpha_l2=3.0, alpha_l1=0.5, **kw).fit(X, y)
        doubled = MLPScratchClassifier(alpha_l2=3.0, alpha_l1=0.5, **kw).fit(X, y, sample_weight=np.full(len(y), 2.0))
        lighter = MLPScratchClassifier(alpha_l2=1.5, alpha_l1=0.25, **kw).fit(X, y)
        weighted = MLPScratchClassifier(alpha_l2=3.0, alpha_l1=0.5, **kw).fit(X, y, sample_weight=sw)
    # the learning rate follows the epochs, whatever the weights
    assert weighted.history_["learning_rate"] == plain.history_["learning_rate"] == [0.2 / (1 + 0.5 * t)
                                                                                     for t in range(5)]
    # doubling every weight doubles the data as repeating every row would: the penalty counts half ...
    np.testing.assert_allclose(doubled.predict_proba(X), lighter.predict_proba(X), rtol=1e-12)
    assert np.abs(doubled.predict_proba(X) - plain.predict_proba(X)).max() > 1e-4
    # ... unequal weights change the fit; and a sample of weight 0 gives no gradient: the first batch's step
    assert np.abs(weighted.predict_proba(X) - plain.predict_proba(X)).max() > 1e-3
    net = plain._network()
    theta = net.init_params(np.random.RandomState(0))
    grad_w, grad_kept = np.empty_like(theta), np.empty_like(theta)
    T = np.eye(3)[y]
    keep = sw > 0
    rows = sw / sw.mean() / len(y)
    net.cost_grad(theta, grad_w, X, T, row_weights=rows)
    net.cost_grad(theta, grad_kept, X[keep], T[keep], row_weights=sw[keep] / sw.mean() / len(y))
    np.testing.assert_allclose(grad_w, grad_kept, rtol=1e-12, atol=1e-15)


def test_partial_fit_accepts_sample_weight():
    X, y, sw = _weighted_data()
    a = MLPScratchClassifier((4,), random_state=0).partial_fit(X, y, classes=[0, 1, 2], sample_weight=sw)
    b = MLPScratchClassifier((4,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    assert not np.allclose(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("bad, match", [([-1.0] * 30, "[Nn]egative"), ([0.0] * 30, "non-zero|positive"),
                                        ([1.0] * 3, "sample_weight")])
def test_bad_sample_weight_is_refused(bad, match):
    X, y, _ = _weighted_data()
    with pytest.raises(ValueError, match=match):
        MLPScratchClassifier((4,), max_iter=2).fit(X, y, sample_weight=bad)


def test_sample_weight_is_routed_through_pipeline_and_grid_search():
    from sklearn import config_context
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, sw = _weighted_data()
    kw = dict(hidden_layer_sizes=(6,), solver="lbfgs", dtype="float64", max_iter=50, random_state=0)
    with config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False),
                             MLPScratchClassifier(**kw).set_fit_request(sample_weight=True))
        direct = MLPScratchClassifier(**kw).fit(StandardScaler().fit_transform(X), y, sample_weight=sw)
        np.testing.assert_array_equal(pipe.fit(X, y, sample_weight=sw)[-1].coefs_[0], direct.coefs_[0])
        # unweighted scores, said explicitly (scikit-learn < 1.8 refuses to guess)
        scoring = get_scorer("accuracy").set_score_request(sample_weight=False)
        search = GridSearchCV(pipe, {"mlpscratchclassifier__alpha_l2": [0.5, 3.0]}, cv=2, scoring=scoring)
        search.fit(X, y, sample_weight=sw)
        best = MLPScratchClassifier(**{**kw, "alpha_l2": search.best_params_["mlpscratchclassifier__alpha_l2"]})
        best.fit(StandardScaler().fit_transform(X), y, sample_weight=sw)
        np.testing.assert_array_equal(search.best_estimator_[-1].coefs_[0], best.coefs_[0])


@pytest.mark.parametrize("weighted", [False, True])
def test_short_last_batch_is_penalized_like_the_others(weighted):
    # one epoch of plain gradient descent, recomputed here: data gradient from the network (checked
    # against finite differences above), the L2 step written out with n = the nominal batch size times the
    # mean weight; a row's share of its batch's data loss is its weight / the mean weight / the batch length
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(10, 3)), np.arange(10) % 2
    sw = rng.randint(0, 4, size=10).astype(float) if weighted else np.ones(10)
    kw = dict(hidden_layer_sizes=(4,), batch_size=4, alpha_l2=5.0, momentum=0.0, learning_rate=0.1, shuffle=False,
              max_iter=1, dtype="float64", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPScratchClassifier(**kw).fit(X, y, sample_weight=sw if weighted else None)
    net = clf._network()
    theta = net.init_params(np.random.RandomState(0))
    T = np.eye(2)[y]
    grad = np.empty_like(theta)
    for start in (0, 4, 8):  # batches of 4, 4 and a short one of 2
        xb, tb, wb = X[start:start + 4], T[start:start + 4], sw[start:start + 4]
        net.cost_grad(theta, grad, xb, tb, row_weights=wb / sw.mean() / len(wb))  # no penalty
        grad[:net.n_weights] += 5.0 / (4 * sw.mean()) * theta[:net.n_weights]
        theta -= 0.1 * grad
    np.testing.assert_allclose(clf._theta, theta, rtol=1e-12)


def test_learning_rate_decay_divides_the_step(blobs):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPScratchClassifier((4,), learning_rate=0.4, learning_rate_decay=0.25, max_iter=3, tol=0,
                                   random_state=0).fit(X, y)
        clf.set_params(warm_start=True).fit(X, y)  # the decay counts on over warm starts
    np.testing.assert_allclose(clf.history_["learning_rate"], [0.4 / (1 + 0.25 * t) for t in range(6)])
    assert clf.history_["epoch"] == [1, 2, 3, 4, 5, 6]


def test_no_hidden_layer_is_a_linear_model(blobs):
    X, y = blobs
    clf = MLPScratchClassifier((), output_activation="softmax", solver="lbfgs", alpha_l2=0.0, dtype="float64",
                               tol=1e-10, max_iter=500, random_state=0).fit(X, y)
    assert len(clf.coefs_) == 1 and clf.coefs_[0].shape == (6, 3) and clf.n_layers_ == 2
    z = X @ clf.coefs_[0] + clf.intercepts_[0]
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X), expected / expected.sum(axis=1, keepdims=True), rtol=1e-10)
    assert clf.score(X, y) > 0.95


def test_shuffle_changes_the_batches(blobs):
    X, y = blobs
    kw = dict(hidden_layer_sizes=(4,), batch_size=16, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        shuffled = MLPScratchClassifier(**kw).fit(X, y)
        ordered = MLPScratchClassifier(shuffle=False, **kw).fit(X, y)
        again = MLPScratchClassifier(**kw).fit(X, y)
    assert not np.allclose(shuffled.coefs_[0], ordered.coefs_[0])
    np.testing.assert_array_equal(shuffled.coefs_[0], again.coefs_[0])


# --------------------------------------------------------------------------- the estimator's plumbing, by hand
def test_predict_proba_is_the_forward_pass_written_out(blobs):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPScratchClassifier((5, 4), max_iter=3, dtype="float64", random_state=0).fit(X, y)
    h = X
    for w, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        h = np.maximum(h @ w + b, 0)
    out = 1 / (1 + np.exp(-(h @ clf.coefs_[-1] + clf.intercepts_[-1])))
    np.testing.assert_allclose(clf.predict_proba(X), out / out.sum(axis=1, keepdims=True), rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(out, axis=1)])
    assert clf.fit_time_ > 0 and clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.out_activation_ == "sigmoid"


def test_names_resolve_to_the_network_they_describe(blobs):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        soft = MLPScratchClassifier(4, output_activation="softmax", max_iter=1, random_state=0).fit(X, y)
        sq = MLPScratchClassifier([3, 2], activation=["tanh", "relu"], loss="squared", max_iter=1,
                                  random_state=0).fit(X, y)
    assert soft._network().loss.name == "categorical_crossentropy" and soft._network().layer_sizes == (6, 4, 3)
    assert [a.name for a in sq._network().activations] == ["tanh", "relu", "sigmoid"]
    assert sq._network().loss.name == "squared" and sq._network().layer_sizes == (6, 3, 2, 3)
    tags = MLPScratchClassifier().__sklearn_tags__()
    assert not tags.input_tags.sparse and tags.classifier_tags.multi_class
    assert not tags.classifier_tags.multi_label and not tags.non_deterministic
    assert not hasattr(MLPScratchClassifier(solver="no-such-solver"), "partial_fit")
    assert hasattr(MLPScratchClassifier(solver="sgd"), "partial_fit")


def test_fit_errors_name_what_is_wrong(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"at least 2 classes; got 1 class \(7\)"):
        MLPScratchClassifier().fit(X, np.full(len(y), 7))
    with pytest.raises(ValueError, match=r"validation_fraction=0.1 leaves 1 validation sample\(s\)"):
        MLPScratchClassifier(early_stopping=True).fit(X[:10], [0] * 9 + [1])  # unstratified: 1 sample held out
    with pytest.raises(ValueError, match=r"y contains classes \[5\] not in classes_=\[0, 1, 2\]"):
        MLPScratchClassifier((3,), random_state=0).partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X[:3], [0, 5, 1])


def test_scipy_solver_warns_at_max_iter_and_keeps_the_best_scores(blobs):
    X, y = blobs
    with pytest.warns(ConvergenceWarning, match=r"solver='lbfgs' reached max_iter=3"):
        clf = MLPScratchClassifier((4,), solver="lbfgs", max_iter=3, validation_fraction=0.25,
                                   random_state=0).fit(X, y)
    assert clf.n_iter_ == 3 == len(clf.history_)
    assert clf.best_loss_ == min(clf.history_["loss"])
    assert clf.best_validation_score_ == max(clf.history_["val_score"])
    assert set(clf.history_.keys()) == {"epoch", "loss", "val_loss", "val_score", "dur"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        MLPScratchClassifier((4,), solver="lbfgs", max_iter=500, tol=1e-3, random_state=0).fit(X, y)


def test_scipy_solver_uses_l1_and_skips_all_zero_inputs(blobs):
    X, y = blobs
    Xz = np.c_[X, np.zeros(len(X))]  # a column that is zero everywhere: dropped from the products
    kw = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30, alpha_l2=0.0, dtype="float64", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = MLPScratchClassifier(**kw).fit(Xz, y)
        sparse = MLPScratchClassifier(alpha_l1=5.0, **kw).fit(Xz, y)
    assert np.abs(sparse.coefs_[0][:6]).sum() < 0.8 * np.abs(plain.coefs_[0][:6]).sum()
    assert plain.score(Xz, y) > 0.9 and plain.coefs_[0].shape == (7, 4)


# --------------------------------------------------------------------------- written out by hand (mutation run)
# The tests below came from the survivors of a mutation run over skcnn/mlp.py (tools/MUTANTS.md): each checks
# a behaviour against a computation written out here, scikit-learn's own rule, or a documented value.
_needs_callbacks = pytest.mark.skipif(not hasattr(MLPScratchClassifier(), "set_callbacks"),
                                      reason="no sklearn.callback (scikit-learn < 1.9)")


def _outputs_by_hand(clf, X):
    """The sigmoid outputs of a ReLU network, from coefs_ and intercepts_."""
    h = X
    for w, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        h = np.maximum(h @ w + b, 0)
    return 1 / (1 + np.exp(-(h @ clf.coefs_[-1] + clf.intercepts_[-1])))


def _log_loss_rows(out, y):
    """Each sample's log-loss, summed over its sigmoid output nodes (outputs clipped like the library's)."""
    eps = np.finfo(out.dtype).eps
    out = np.clip(out, eps, 1 - eps)
    T = np.eye(out.shape[1])[y]
    return -(T * np.log(out) + (1 - T) * np.log1p(-out)).sum(axis=1)


def _penalty(clf, alpha_l2, alpha_l1, n):
    w = np.concatenate([c.ravel() for c in clf.coefs_]).astype(np.float64)
    return 0.5 * alpha_l2 / n * float(w @ w) + alpha_l1 / n * float(np.abs(w).sum())


@contextlib.contextmanager
def _no_convergence_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def test_defaults_and_tags_are_the_documented_ones():
    assert MLPScratchClassifier().get_params() == {
        "hidden_layer_sizes": (70, 30), "activation": "relu", "output_activation": "sigmoid", "loss": "log_loss",
        "solver": "sgd", "batch_size": 500, "learning_rate": 0.2, "learning_rate_decay": 0.0, "momentum": 0.9,
        "max_batches": None, "alpha_l1": 0.0, "alpha_l2": 3.0, "init": "uniform", "init_scale": 1.0,
        "max_iter": 200, "tol": 1e-4, "n_iter_no_change": 10, "early_stopping": False,
        "validation_fraction": None, "shuffle": True, "random_state": None, "verbose": 0, "warm_start": False,
        "dtype": None,
    }
    tags = MLPScratchClassifier().__sklearn_tags__()  # booleans, as scikit-learn's Tags declare them
    assert tags.input_tags.sparse is False and tags.classifier_tags.multi_label is False
    assert tags.non_deterministic is False


def test_one_node_hidden_layer_is_allowed(blobs):
    X, y = blobs
    with _no_convergence_warning():
        clf = MLPScratchClassifier((1,), max_iter=2, random_state=0).fit(X, y)
    assert [w.shape for w in clf.coefs_] == [(6, 1), (1, 3)]


def test_input_checks_at_predict_and_continued_fits(blobs):
    from sklearn.exceptions import DataConversionWarning

    X, y = blobs
    with _no_convergence_warning():
        clf = MLPScratchClassifier((4,), max_iter=2, random_state=0).fit(X, y)
        assert clf.n_features_in_ == 6
        expecting = "X has 5 features, but MLPScratchClassifier is expecting 6 features as input"
        with pytest.raises(ValueError, match=expecting):
            clf.predict(X[:, :5])
        with pytest.raises(ValueError, match=expecting):
            clf.partial_fit(X[:, :5], y)
        with pytest.raises(ValueError, match=expecting):
            clf.set_params(warm_start=True).fit(X[:, :5], y)
        assert clf.n_features_in_ == 6
        with pytest.warns(DataConversionWarning, match="column-vector y"):
            MLPScratchClassifier((4,), max_iter=1).fit(X, y[:, None])


def test_continued_fits_compute_in_the_working_precision(blobs):
    # dtype="float32": float64 input is cast before training, in the first fit and in the ones that continue it
    X, y = blobs
    kw = dict(hidden_layer_sizes=(4,), batch_size=50, dtype="float32", random_state=0)
    a = MLPScratchClassifier(**kw).partial_fit(X, y, classes=[0, 1, 2])
    b = MLPScratchClassifier(**kw).partial_fit(X, y, classes=[0, 1, 2])
    a.partial_fit(X, y)
    b.partial_fit(X.astype(np.float32), y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert a.coefs_[0].dtype == a.dtype_ == np.float32


@pytest.mark.parametrize("first, later", [(np.float32, np.float64), (np.float64, np.float32)])
def test_the_first_fit_chooses_the_dtype_for_good(blobs, first, later):
    # dtype=None: the first fit's X decides dtype_; partial_fit, warm_start fits and predict cast to it, even
    # after set_params(dtype=...), so the network keeps one dtype
    X, y = blobs
    X = X.astype(np.float32).astype(np.float64)  # the same numbers in both dtypes
    kw = dict(hidden_layer_sizes=(4,), batch_size=50, random_state=0)
    a = MLPScratchClassifier(**kw).partial_fit(X.astype(first), y, classes=[0, 1, 2])
    b = MLPScratchClassifier(**kw).partial_fit(X.astype(first), y, classes=[0, 1, 2])
    a.partial_fit(X.astype(later), y)
    b.partial_fit(X.astype(first), y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    with _no_convergence_warning():
        a.set_params(warm_start=True, max_iter=2, dtype=np.dtype(later).name).fit(X.astype(later), y)
        b.set_params(warm_start=True, max_iter=2).fit(X.astype(first), y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert a.dtype_ == a._theta.dtype == a.coefs_[0].dtype == first
    assert a.predict_proba(X.astype(later)).dtype == first
    np.testing.assert_array_equal(a.predict_proba(X.astype(later)), b.predict_proba(X.astype(first)))
    assert not hasattr(MLPScratchClassifier(), "dtype_")


def test_predicting_leaves_the_estimator_as_it_was(blobs):
    # scikit-learn's check_dict_unchanged, here in the fast tests: nothing is rebuilt or replaced by predict
    X, y = blobs
    with _no_convergence_warning():
        clf = MLPScratchClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    before = dict(clf.__dict__)
    clf.predict(X)
    clf.predict_proba(X[:3])
    assert clf.__dict__.keys() == before.keys()
    assert [name for name, value in before.items() if clf.__dict__[name] is not value] == []


def test_coefs_stay_views_and_replaced_ones_start_the_next_fit(blobs):
    X, y = blobs
    with _no_convergence_warning():
        clf = MLPScratchClassifier((4,), batch_size=240, max_iter=2, random_state=0).fit(X, y)
    views = clf.coefs_ + clf.intercepts_
    clf.predict(X)  # predicting copies nothing: an in-place edit afterwards is still seen
    for v in views:
        v[...] = 0
    np.testing.assert_allclose(clf.predict_proba(X), 1 / 3, rtol=1e-6)
    # replaced arrays: used by predict, and the next partial_fit starts from them
    clf.coefs_ = [np.zeros(w.shape) for w in clf.coefs_]
    clf.intercepts_ = [np.zeros(b.shape) for b in clf.intercepts_]
    clf.predict(X)
    clf.partial_fit(X, y)
    # one batch at zero weights: every output 0.5, so the batch's cost is 3 * log(2) (no penalty at 0)
    assert clf.batch_loss_curve_[-1] == pytest.approx(3 * np.log(2), rel=1e-6)


def test_init_scale_scales_the_initial_weights(blobs):
    X, y = blobs
    kw = dict(hidden_layer_sizes=(5,), learning_rate=1e-12, momentum=0.0, alpha_l2=0.0, max_iter=1,
              dtype="float64", random_state=0)
    with _no_convergence_warning():
        one = MLPScratchClassifier(init_scale=1.0, **kw).fit(X, y)  # a step of 1e-12: the initial weights
        three = MLPScratchClassifier(init_scale=3.0, **kw).fit(X, y)
    assert np.abs(one.coefs_[0]).max() <= 1 / np.sqrt(6)  # uniform in +- init_scale / sqrt(fan_in)
    assert np.abs(three.coefs_[0]).max() > 1 / np.sqrt(6)
    np.testing.assert_allclose(three.coefs_[0], 3 * one.coefs_[0], rtol=1e-9, atol=1e-10)


def test_sgd_epochs_written_out():
    # two epochs of mini-batch gradient descent with momentum, L1 and L2, recomputed here: batches of 4, 4
    # and a short one of 2 (penalized with the nominal n = 4), an all-zero input column (left out of the
    # products), the curves of every batch and the epoch loss (the batch costs averaged over the samples)
    rng = np.random.RandomState(0)
    X, y = np.c_[rng.normal(size=(10, 3)), np.zeros(10)], np.arange(10) % 2
    l1, l2, lr, mom = 0.3, 2.0, 0.1, 0.5
    kw = dict(hidden_layer_sizes=(4,), batch_size=4, alpha_l1=l1, alpha_l2=l2, momentum=mom, learning_rate=lr,
              shuffle=False, max_iter=2, tol=0, dtype="float64", random_state=0)
    with _no_convergence_warning():
        clf = MLPScratchClassifier(**kw).fit(X, y)
    net = clf._network()
    theta = net.init_params(np.random.RandomState(0))
    velocity = np.zeros_like(theta)
    grad = np.empty_like(theta)
    nw = net.n_weights
    costs, errors, ratios, epoch_losses = [], [], [], []
    for _ in range(2):
        total = 0.0
        for start in (0, 4, 8):
            xb, yb = X[start:start + 4], y[start:start + 4]
            net.cost_grad(theta, grad, xb, np.eye(2)[yb])  # the data gradient (checked by finite differences)
            w = theta[:nw]
            grad[:nw] += l2 / 4 * w + l1 / 4 * np.sign(w)
            probe = MLPScratchClassifier((4,), dtype="float64")
            probe.coefs_, probe.intercepts_ = net.unpack(theta.copy())
            out = _outputs_by_hand(probe, xb)
            loss = _log_loss_rows(out, yb).mean()
            reg = 0.5 * l2 / 4 * float(w @ w) + l1 / 4 * float(np.abs(w).sum())
            costs.append(loss + reg)
            errors.append(np.abs(out - np.eye(2)[yb]).mean())
            ratios.append(reg / loss)
            total += (loss + reg) * len(yb)
            velocity = mom * velocity - lr * grad
            theta = theta + velocity
        epoch_losses.append(total / 10)
    np.testing.assert_allclose(clf._theta, theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(clf.batch_loss_curve_, costs, rtol=1e-10)
    np.testing.assert_allclose(clf.batch_error_curve_, errors, rtol=1e-10)
    np.testing.assert_allclose(clf.reg_ratio_curve_, ratios, rtol=1e-10)
    np.testing.assert_allclose(clf.loss_curve_, epoch_losses, rtol=1e-10)


def test_batch_size_one_and_max_batches(blobs):
    X, y = blobs
    with _no_convergence_warning():
        single = MLPScratchClassifier((3,), batch_size=1, max_iter=2, random_state=0).fit(X[:20], y[:20])
        capped = MLPScratchClassifier((3,), batch_size=1, max_batches=1, max_iter=3, random_state=0).fit(X, y)
    assert len(single.batch_loss_curve_) == 2 * 20  # one sample per batch
    # one batch of one sample per epoch: the epoch loss is that batch's cost
    assert len(capped.batch_loss_curve_) == 3
    np.testing.assert_allclose(capped.loss_curve_, capped.batch_loss_curve_, rtol=1e-12)


def test_zero_data_loss_gives_a_penalty_ratio_of_zero():
    # outputs saturated at exactly 0 and 1 (float32): the squared loss is 0, the ratio penalty/loss is 0, not an error
    X, y = np.array([[1.0], [-1.0]]), np.array([1, 0])
    for solver in ("sgd", "lbfgs"):
        with _no_convergence_warning():
            clf = MLPScratchClassifier((), loss="squared", solver=solver, learning_rate=1e-6, alpha_l2=1e-3,
                                       max_iter=1, dtype="float32", random_state=0).fit(X, y)
            clf.coefs_ = [np.array([[-500.0, 500.0]], dtype=np.float32)]
            clf.set_params(warm_start=True).fit(X, y)
        assert clf.reg_ratio_curve_[-1] == 0.0
        assert clf.batch_loss_curve_[-1] > 0  # the penalty alone


def test_scipy_solver_curves_at_the_final_weights(blobs):
    X, y = blobs
    clf = MLPScratchClassifier((4,), solver="lbfgs", max_iter=20, alpha_l2=3.0, dtype="float64",
                               random_state=0).fit(X, y)
    out = _outputs_by_hand(clf, X)
    loss = _log_loss_rows(out, y).mean()
    reg = _penalty(clf, 3.0, 0.0, len(y))
    assert loss < 1  # the ratio below is reg / loss for a loss under 1 as well
    assert clf.history_[-1, "loss"] == pytest.approx(loss + reg, rel=1e-9)
    assert clf.batch_loss_curve_[-1] == pytest.approx(loss + reg, rel=1e-9)
    assert clf.batch_error_curve_[-1] == pytest.approx(np.abs(out - np.eye(3)[y]).mean(), rel=1e-9)
    assert clf.reg_ratio_curve_[-1] == pytest.approx(reg / loss, rel=1e-9)
    np.testing.assert_allclose(clf.batch_loss_curve_, clf.history_["loss"], rtol=1e-12)


def test_scipy_solvers_receive_tol(blobs):
    X, y = blobs
    with _no_convergence_warning():
        loose = MLPScratchClassifier((4,), solver="lbfgs", max_iter=300, tol=1e-1, random_state=0).fit(X, y)
        tight = MLPScratchClassifier((4,), solver="lbfgs", max_iter=300, tol=1e-8, random_state=0).fit(X, y)
    assert loose.n_iter_ < 10 < tight.n_iter_


def test_timings_are_durations(blobs):
    import time

    X, y = blobs
    for solver in ("sgd", "lbfgs"):
        start = time.perf_counter()
        with _no_convergence_warning():
            clf = MLPScratchClassifier((4,), solver=solver, max_iter=3, random_state=0).fit(X, y)
        wall = time.perf_counter() - start
        assert 0 < clf.fit_time_ <= wall
        durations = clf.history_["dur"]
        assert len(durations) == clf.n_iter_ and all(0 <= d for d in durations)
        assert sum(durations) <= clf.fit_time_


# -- the hold-out
@pytest.fixture
def split_spy(monkeypatch):
    """Records the (train, validation) indices of every hold-out split the MLP draws."""
    import skcnn.mlp

    real, calls = skcnn.mlp.train_test_split, []

    def spy(*args, **kwargs):
        calls.append(real(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(skcnn.mlp, "train_test_split", spy)
    return calls


def test_validation_split_is_stratified_and_seeded(split_spy):
    rng = np.random.RandomState(0)
    y = np.r_[np.repeat([0, 1, 2, 3, 4], 2), np.full(50, 5)]  # the smallest classes have 2 samples: stratified
    X = rng.normal(size=(60, 3))
    kw = dict(hidden_layer_sizes=(3,), max_iter=2, validation_fraction=0.5, random_state=0)
    with _no_convergence_warning():
        a = MLPScratchClassifier(**kw).fit(X, y)
        b = MLPScratchClassifier(**kw).fit(X, y)
    (_, val_a), (_, val_b) = split_spy
    assert np.bincount(y[val_a]).tolist() == [1, 1, 1, 1, 1, 25]
    np.testing.assert_array_equal(val_a, val_b)  # the same random_state, the same hold-out
    assert a.history_["val_loss"] == b.history_["val_loss"]


def test_two_validation_samples_are_enough(blobs):
    X, y = blobs
    X2, y2 = X[y < 2], y[y < 2]  # two classes: a stratified hold-out of 2 holds one of each
    with _no_convergence_warning():
        clf = MLPScratchClassifier((3,), max_iter=2, validation_fraction=0.1, random_state=0).fit(X2[:20], y2[:20])
    assert all(s in (0.0, 0.5, 1.0) for s in clf.history_["val_score"])


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
@pytest.mark.parametrize("scale", [1.0, 1e-3])  # hold-out weights summing to more, and to less, than 1
def test_hold_out_scores_are_weighted(blobs, split_spy, solver, scale):
    X, y = blobs
    sw = scale * np.random.RandomState(1).randint(1, 5, len(y))
    with _no_convergence_warning():
        clf = MLPScratchClassifier((4,), solver=solver, max_iter=3, validation_fraction=0.25, dtype="float64",
                                   random_state=0).fit(X, y, sample_weight=sw)
    ((_, val),) = split_spy
    out = _outputs_by_hand(clf, X[val])
    share = sw[val] / sw[val].sum()
    losses, correct = _log_loss_rows(out, y[val]), np.argmax(out, axis=1) == y[val]
    assert clf.history_[-1, "val_loss"] == pytest.approx(share @ losses, rel=1e-9)
    assert clf.history_[-1, "val_score"] == pytest.approx(share @ correct, rel=1e-12)
    assert abs(share @ losses - losses.mean()) > 1e-4  # the weights make a difference here
    if solver == "sgd":
        assert abs(share @ correct - correct.mean()) > 1e-4


def test_hold_out_of_zero_weights_counts_its_samples_alike(blobs, split_spy):
    X, y = blobs
    kw = dict(hidden_layer_sizes=(4,), max_iter=2, validation_fraction=0.25, dtype="float64", random_state=0)
    with _no_convergence_warning():
        MLPScratchClassifier(**kw).fit(X, y)  # draws the hold-out; the weights do not change it
        val = split_spy[0][1]
        sw = np.random.RandomState(1).randint(1, 5, len(y)).astype(float)
        sw[val] = 0
        clf = MLPScratchClassifier(**kw).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(split_spy[1][1], val)
    out = _outputs_by_hand(clf, X[val])
    assert clf.history_[-1, "val_loss"] == pytest.approx(_log_loss_rows(out, y[val]).mean(), rel=1e-9)
    assert clf.history_[-1, "val_score"] == pytest.approx(np.mean(np.argmax(out, axis=1) == y[val]), rel=1e-12)


def test_partial_fit_trains_on_every_sample(blobs):
    X, y = blobs
    clf = MLPScratchClassifier((4,), batch_size=10, validation_fraction=0.5, random_state=0)
    clf.partial_fit(X[:40], y[:40], classes=[0, 1, 2])
    assert len(clf.batch_loss_curve_) == 4 and "val_score" not in clf.history_.keys()
    assert clf.best_validation_score_ is None


# -- when training stops
def _stop_epoch(values, tol, n_iter_no_change, higher_is_better):
    """scikit-learn's rule: stop once more than n_iter_no_change epochs in a row did not improve by tol."""
    best, count = np.inf, 0
    for epoch, value in enumerate(values, 1):
        value = -value if higher_is_better else value
        count = count + 1 if value > best - tol else 0
        best = min(best, value)
        if count > n_iter_no_change:
            return epoch
    return None


def test_stopping_follows_the_score_or_the_loss(blobs):
    X, y = blobs
    kw = dict(hidden_layer_sizes=(5,), activation="sigmoid", batch_size=40, learning_rate=0.05, tol=1e-3,
              n_iter_no_change=2, max_iter=60, random_state=2)
    with _no_convergence_warning():
        early = MLPScratchClassifier(early_stopping=True, **kw).fit(X, y)
        held = MLPScratchClassifier(validation_fraction=0.1, **kw).fit(X, y)
    scores = early.history_["val_score"]
    assert scores[-1] > scores[0]  # the score rises: the direction of the rule matters
    assert early.n_iter_ == _stop_epoch(scores, 1e-3, 2, higher_is_better=True)
    # a hold-out without early stopping only records: the training loss decides
    assert held.n_iter_ == (_stop_epoch(held.loss_curve_, 1e-3, 2, higher_is_better=False) or 60)
    assert held.best_validation_score_ is None and early.best_loss_ is None


@_needs_callbacks
def test_equal_scores_keep_the_first_best_epoch(blobs):
    # a step of 1e-6 changes no prediction: every epoch scores the same, and the first of them is kept
    # (strictly better replaces the best, as in scikit-learn); by the rule or when a callback stops training
    X, y = blobs
    kw = dict(hidden_layer_sizes=(5,), learning_rate=1e-6, early_stopping=True, tol=1e-9, dtype="float64",
              random_state=0)
    for stop_at, n_iter_no_change in [(None, 2), (3, 10)]:
        rec = EpochRecorder(stop_at=stop_at)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)  # stopped: no warning
            clf = MLPScratchClassifier(n_iter_no_change=n_iter_no_change, **kw).set_callbacks(rec).fit(X, y)
        assert clf.n_iter_ == 4 if stop_at is None else 3
        assert len(set(clf.history_["val_score"])) == 1
        np.testing.assert_array_equal(clf.coefs_[0], rec.states[0].coefs_[0])
        assert not np.array_equal(clf.coefs_[0], rec.states[-1].coefs_[0])


class _Budget(EpochRecorder):
    """Records the most subtasks each fit announces to the callbacks."""

    def __init__(self):
        super().__init__()
        self.budgets = []

    def on_fit_task_begin(self, estimator, context):
        if context.task_name == "fit":
            self.budgets.append(context.max_subtasks)


@_needs_callbacks
def test_callbacks_are_told_the_number_of_epochs(blobs):
    X, y = blobs
    budget = _Budget()
    with _no_convergence_warning():
        MLPScratchClassifier((3,), max_iter=3, random_state=0).set_callbacks(budget).fit(X, y)
        clf = MLPScratchClassifier((3,), max_iter=7, random_state=0).set_callbacks(budget)
        clf.partial_fit(X, y, classes=[0, 1, 2])
        MLPScratchClassifier((3,), solver="cg", max_iter=4, random_state=0).set_callbacks(budget).fit(X, y)
    assert budget.budgets == [3, 1, 4]


def test_best_loss_is_per_fit_and_carried_over_partial_fits(blobs):
    # as scikit-learn's MLPClassifier: fit (warm or not) starts a new best loss, partial_fit keeps it
    X, y = blobs
    noisy = np.random.RandomState(0).permutation(y)  # labels the network cannot fit: a higher loss
    clf = MLPScratchClassifier((5,), random_state=0)
    for _ in range(5):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, noisy)
    assert clf.loss_curve_[-1] > min(clf.loss_curve_)
    assert clf.best_loss_ == min(clf.loss_curve_)
    with _no_convergence_warning():
        clf.set_params(warm_start=True, max_iter=2, tol=0).fit(X, noisy)
    assert clf.best_loss_ == min(clf.loss_curve_[-2:]) > min(clf.loss_curve_)


def test_keyboard_interrupt_in_the_first_epoch(blobs):
    X, y = blobs
    stopper = _Interrupting(2)  # 4 batches per epoch: stop in the second batch of epoch 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = MLPScratchClassifier((5,), activation=stopper.activation, batch_size=60, dtype="float64",
                                   random_state=0).fit(X, y)
    assert [str(w.message) for w in caught] == [
        "Training interrupted by user; kept the weights and history of the last finished epoch (0)."]
    assert clf.n_iter_ == 0 and len(clf.history_) == 0 and clf.batch_loss_curve_ == []
    np.testing.assert_array_equal(clf._theta, clf._network().init_params(np.random.RandomState(0)))


def _gradient_descent(steps, report="callback", step=0.5, seen=None):
    """A custom minimizer: plain gradient descent; reports through the callback, a result, or not at all."""

    def minimizer(fun, x0, *, max_iter, tol, callback=None):
        x, losses = np.array(x0, dtype=np.float64), []
        for _ in range(steps):
            x = x - step * fun(x)[1]
            losses.append(float(fun(x)[0]))
            if report == "callback":
                callback(x, losses[-1])
            if report == "interrupt" and len(losses) == 2:
                raise KeyboardInterrupt
        if seen is not None:
            seen.extend(losses)
            seen.append(x)
        if report == "result":
            from skcnn._nn.optim import MinimizeResult

            return MinimizeResult(x, n_iter=len(losses), loss_curve=losses)
        if report == "n_iter":
            from types import SimpleNamespace

            return SimpleNamespace(x=x, n_iter=len(losses), success=True)
        if report == "nan":
            return np.full_like(x, np.nan)
        return x

    return minimizer


def test_custom_minimizers(blobs):
    X, y = blobs
    kw = dict(hidden_layer_sizes=(4,), max_iter=5, alpha_l2=1.0, dtype="float64", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a custom result without success=False never warns
        # 1. a plain array, every iteration through the callback
        seen = []
        clf = MLPScratchClassifier(solver=_gradient_descent(5, seen=seen), **kw).fit(X, y)
        assert clf.n_iter_ == 5 and clf.history_["loss"] == seen[:5]
        np.testing.assert_array_equal(clf._theta, seen[5])
        clf.set_params(warm_start=True).fit(X, y)  # counted per fit
        assert clf.n_iter_ == 5 and len(clf.history_) == 10
        # 2. a result with its loss curve and no callback
        seen = []
        clf = MLPScratchClassifier(solver=_gradient_descent(3, "result", seen=seen), **kw).fit(X, y)
        assert clf.n_iter_ == 3 and clf.history_["loss"] == seen[:3]
        # 3. a result with n_iter and no curve, 4. a plain array and nothing else: one row, the final cost
        for report, n_iter in [("n_iter", 3), ("silent", 1)]:
            clf = MLPScratchClassifier(solver=_gradient_descent(3, report), **kw).fit(X, y)
            assert clf.n_iter_ == n_iter and len(clf.history_) == 1
            cost = _log_loss_rows(_outputs_by_hand(clf, X), y).mean() + _penalty(clf, 1.0, 0.0, len(y))
            assert clf.history_[0, "loss"] == pytest.approx(cost, rel=1e-9)
    with pytest.raises(ValueError, match=r"solver=<function .*> produced non-finite weights; standardize X"):
        MLPScratchClassifier(solver=_gradient_descent(1, "nan"), **kw).fit(X, y)


def test_keyboard_interrupt_in_a_warm_started_scipy_fit(blobs):
    X, y = blobs
    with _no_convergence_warning():
        clf = MLPScratchClassifier((4,), solver="cg", max_iter=3, random_state=0).fit(X, y)
    first = clf.coefs_[0].copy()
    clf.set_params(warm_start=True, solver=_gradient_descent(5, "interrupt"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    # the minimizer reported no iteration before Ctrl-C: the weights and the history of the first fit stay
    assert [str(w.message) for w in caught] == [
        "Training interrupted by user; kept the weights and history of the last finished iteration (3)."]
    assert clf.n_iter_ == 0 and len(clf.history_) == 3
    np.testing.assert_array_equal(clf.coefs_[0], first)


def test_verbose_scipy_lines_and_progress_bars(blobs, capsys):
    import re

    X, y = blobs
    with _no_convergence_warning():
        clf = MLPScratchClassifier((4,), solver="cg", max_iter=2, verbose=1, validation_fraction=0.2,
                                   random_state=0).fit(X, y)
        clf.set_params(warm_start=True).fit(X, y)  # numbered per fit
        lines = capsys.readouterr().out.strip().splitlines()
        assert lines == [f"Iteration {i}, loss = {row['loss']:.6f}, validation accuracy = {row['val_score']:.4f}"
                         for i, row in zip([1, 2, 1, 2], clf.history_)]
        for solver, unit in [("sgd", "epoch"), ("cg", "iteration")]:
            clf = MLPScratchClassifier((4,), solver=solver, max_iter=2, verbose=2, random_state=0).fit(X, y)
            out, err = capsys.readouterr()
            assert out == ""
            segments = err.split("\r")
            assert err.endswith("\r") and segments[-2].strip() == ""  # the bar is cleared at the end
            last = [s for s in segments if s.strip()][-1]
            assert re.fullmatch(rf"MLPScratchClassifier: 100%\|[^|]+\| 2/2 \[.*[\d?](?:{unit}/s|s/{unit}), "
                                rf"loss=(\d+\.\d{{5}})\]", last.strip()), last
            assert f"loss={clf.history_[-1, 'loss']:.5f}]" in last


def test_sgd_warns_at_max_iter(blobs):
    X, y = blobs
    with pytest.warns(ConvergenceWarning, match=r"^Stochastic optimizer: maximum iterations \(2\) reached and the "
                                                r"optimization hasn't converged yet; raise max_iter or learning_rate\.$"):
        MLPScratchClassifier((3,), max_iter=2, tol=0, random_state=0).fit(X, y)


def _under_mutmut():
    """True when the tests run against mutmut's copy of the package (mutants/skcnn/...)."""
    import pathlib

    import skcnn.mlp

    return pathlib.Path(skcnn.mlp.__file__).parts[-3] == "mutants"


@pytest.mark.skipif(_under_mutmut(), reason="mutmut's trampolines add frames between fit and the code that warns")
def test_warnings_point_at_the_callers_line(blobs):
    import inspect

    X, y = blobs
    fits = [
        lambda: MLPScratchClassifier((3,), max_iter=2).fit(X, y),
        lambda: MLPScratchClassifier((3,), max_iter=2).partial_fit(X, y, classes=[0, 1, 2]).fit(X, y),
        lambda: MLPScratchClassifier((3,), solver="lbfgs", max_iter=2).fit(X, y),
        lambda: MLPScratchClassifier((3,), activation=_Interrupting(2).activation, batch_size=60).fit(X, y),
        lambda: MLPScratchClassifier((3,), solver=_gradient_descent(5, "interrupt")).fit(X, y),
    ]
    for fit in fits:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit()
        assert [(w.filename, w.lineno) for w in caught] == [(__file__, inspect.getsourcelines(fit)[1])]
