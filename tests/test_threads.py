"""BLAS threads: one inside skcnn's NumPy work, the user's settings untouched outside it."""

import threading
import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from skcnn import MLPScratchClassifier, SingleNeuronClassifier
from skcnn._nn.network import FlatNetwork
from skcnn._threads import ENV_VAR, blas_limit, blas_threads, limit_blas_threads

pytestmark = pytest.mark.skipif(
    not any(lib["user_api"] == "blas" for lib in threadpool_info()), reason="no BLAS library that threadpoolctl sees"
)


def _blas():
    """The thread counts of the BLAS libraries now, one per library."""
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def _all_limits():
    return [(lib["filepath"], lib["num_threads"]) for lib in threadpool_info()]


@pytest.fixture
def user_threads(monkeypatch):
    """The user's setting: 3 BLAS threads (not skcnn's number, nor a machine's usual default)."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    with threadpool_limits(3, "blas"):
        assert set(_blas()) == {3}
        yield 3


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def _spy(monkeypatch, cls, name, seen, fail_at=None, error=None):
    """Wrap ``cls.name`` so that every call records the BLAS thread counts (and the n-th raises ``error``)."""
    original = getattr(cls, name)

    def spy(*args, **kwargs):
        seen.append(set(_blas()))
        if fail_at is not None and len(seen) >= fail_at:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(cls, name, spy)


ESTIMATORS = {
    "mlp-sgd": lambda: MLPScratchClassifier((5,), max_iter=3, batch_size=20, random_state=0),
    "mlp-lbfgs": lambda: MLPScratchClassifier((5,), solver="lbfgs", max_iter=3, random_state=0),
    "neuron-batch": lambda: SingleNeuronClassifier(max_iter=3, random_state=0),
    "neuron-sgd": lambda: SingleNeuronClassifier(solver="sgd", max_iter=2, random_state=0),
}


def _hot(monkeypatch, name, seen, **kwargs):
    if name.startswith("mlp"):
        _spy(monkeypatch, FlatNetwork, "cost_grad", seen, **kwargs)
    else:
        _spy(monkeypatch, SingleNeuronClassifier, "_loss_grad", seen, **kwargs)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_training_runs_on_one_blas_thread_and_gives_the_users_limits_back(name, user_threads, data, monkeypatch):
    seen = []
    _hot(monkeypatch, name, seen)
    before = _all_limits()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = ESTIMATORS[name]().fit(*data)
    assert seen and all(s == {1} for s in seen)
    assert _all_limits() == before
    est.predict(data[0])
    est.predict_proba(data[0])
    est.score(*data)
    assert _all_limits() == before


def test_partial_fit_and_predictions_run_on_one_blas_thread(user_threads, data, monkeypatch):
    grads, forwards = [], []
    _spy(monkeypatch, FlatNetwork, "cost_grad", grads)
    _spy(monkeypatch, FlatNetwork, "forward", forwards)
    before = _all_limits()
    clf = MLPScratchClassifier((5,), batch_size=20, random_state=0).partial_fit(*data, classes=[0, 1])
    n_train = len(forwards)
    clf.predict(data[0])
    clf.predict_proba(data[0])
    assert grads and all(s == {1} for s in grads)
    assert len(forwards) == n_train + 2 and all(s == {1} for s in forwards)
    assert _all_limits() == before


def test_neuron_predictions_run_on_one_blas_thread(user_threads, data, monkeypatch):
    clf = SingleNeuronClassifier(max_iter=2, random_state=0).fit(*data)
    seen = []
    _spy(monkeypatch, SingleNeuronClassifier, "_predict_z", seen)
    before = _all_limits()
    clf.decision_function(data[0])
    clf.predict_proba(data[0])
    clf.predict(data[0])
    assert seen == [{1}] * 3
    assert _all_limits() == before


@pytest.mark.parametrize("name", ESTIMATORS)
def test_a_fit_that_raises_gives_the_users_limits_back(name, user_threads, data, monkeypatch):
    seen = []
    _hot(monkeypatch, name, seen, fail_at=2, error=ValueError("boom"))
    before = _all_limits()
    with pytest.raises(ValueError, match="boom"):
        ESTIMATORS[name]().fit(*data)
    assert seen[-1] == {1}
    assert _all_limits() == before


@pytest.mark.parametrize("name", ["mlp-sgd", "neuron-batch"])
def test_an_interrupted_fit_gives_the_users_limits_back(name, user_threads, data, monkeypatch):
    # whether the estimator keeps the last finished epoch (a warning) or lets the interrupt through
    seen = []
    _hot(monkeypatch, name, seen, fail_at=3, error=KeyboardInterrupt())
    before = _all_limits()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ESTIMATORS[name]().set_params(max_iter=10).fit(*data)
        except KeyboardInterrupt:
            pass
    assert len(seen) == 3 and seen[-1] == {1}
    assert _all_limits() == before


def test_a_bad_input_error_gives_the_users_limits_back(user_threads, data):
    clf = MLPScratchClassifier((5,), max_iter=2, random_state=0).fit(*data)
    before = _all_limits()
    with pytest.raises(ValueError, match="features"):
        clf.predict(data[0][:, :3])
    assert _all_limits() == before


def test_nested_calls_keep_the_limit_until_the_outermost_one_ends(user_threads):
    @limit_blas_threads
    def inner():
        return _blas()

    @limit_blas_threads
    def outer():
        first = inner()
        return first, _blas()

    assert outer() == ([1] * len(_blas()), [1] * len(_blas()))
    assert set(_blas()) == {3}


def test_another_thread_runs_under_the_limit_and_never_takes_it_over(user_threads):
    # OpenBLAS's pool belongs to the process and threadpoolctl lets one thread change it: a second thread's
    # call must not capture the limited state and "restore" it after the first thread gave the user's back
    inside, main_left, done = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def other():
        inside.wait(10)
        with blas_limit():
            seen["other, main inside"] = set(_blas())
            main_left.wait(10)
            seen["other, main left"] = set(_blas())
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with blas_limit():
        inside.set()
        while "other, main inside" not in seen and thread.is_alive():
            thread.join(0.01)
    main_left.set()
    thread.join(10)
    assert done.is_set()
    assert seen == {"other, main inside": {1}, "other, main left": {3}}
    assert set(_blas()) == {3}


@pytest.mark.parametrize("value, user, inside", [("0", 3, 3), ("2", 3, 2), ("2", 1, 1), ("", 3, 1), (" 4 ", 3, 3)])
def test_the_environment_variable_sets_at_most_how_many(value, user, inside, monkeypatch):
    monkeypatch.setenv(ENV_VAR, value)
    with threadpool_limits(user, "blas"):
        with blas_limit():
            seen = set(_blas())
        after = set(_blas())
    assert (seen, after) == ({inside}, {user})


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_bad_environment_variable_is_refused_by_name(value, user_threads, data, monkeypatch):
    monkeypatch.setenv(ENV_VAR, value)
    before = _all_limits()
    with pytest.raises(ValueError, match=rf"{ENV_VAR} must be an integer >= 0.*got '{value}'"):
        MLPScratchClassifier((5,), max_iter=2).fit(*data)
    assert _all_limits() == before
    monkeypatch.delenv(ENV_VAR)
    assert blas_threads() == 1
