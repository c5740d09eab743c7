"""scikit-learn callbacks (sklearn.callback, experimental in 1.9) on the neuron and the MLP."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import MLPScratchClassifier, SingleNeuronClassifier
from skcnn._callbacks import HAS_CALLBACKS, EpochRecorder, FitCallbacks

callback = pytest.importorskip("sklearn.callback")
pytestmark = pytest.mark.skipif(not HAS_CALLBACKS, reason="this scikit-learn has no sklearn.callback")


class Recorder(EpochRecorder):
    def count(self, task_name):
        return self.ended.count(task_name)


@pytest.fixture
def blobs():
    rng = np.random.RandomState(0)
    centers = np.array([[0.0, 0.0], [3.0, 3.0], [0.0, 4.0]])
    y = np.repeat([0, 1, 2], 30)
    X = centers[y] + rng.normal(scale=0.8, size=(90, 2))
    return X, y


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


ESTIMATORS = {
    "neuron-batch": (lambda: SingleNeuronClassifier(max_iter=6, tol=None, random_state=0), "epoch"),
    "neuron-sgd": (lambda: SingleNeuronClassifier(solver="sgd", max_iter=6, tol=None, random_state=0), "epoch"),
    "neuron-lbfgs": (lambda: SingleNeuronClassifier(solver="lbfgs", max_iter=6, tol=1e-12, random_state=0),
                     "iteration"),
    "mlp-sgd": (lambda: MLPScratchClassifier((4,), max_iter=6, tol=0, random_state=0), "epoch"),
    "mlp-lbfgs": (lambda: MLPScratchClassifier((4,), solver="lbfgs", max_iter=6, tol=1e-12, random_state=0),
                  "iteration"),
    "mlp-cg": (lambda: MLPScratchClassifier((4,), solver="cg", max_iter=6, tol=1e-12, random_state=0),
               "iteration"),
}


def _data(name, blobs):
    X, y = blobs
    return (X, (y > 0).astype(int)) if name.startswith("neuron") else (X, y)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_one_subtask_per_epoch(name, blobs):
    make, subtask = ESTIMATORS[name]
    X, y = _data(name, blobs)
    rec = Recorder()
    clf = _quiet(lambda: make().set_callbacks(rec).fit(X, y))
    assert clf.n_iter_ == 6
    assert rec.count(subtask) == 6 and rec.count("fit") == 1
    assert rec.ended[-1] == "fit"  # the fit task ends last
    assert len(rec.states) == 6


@pytest.mark.parametrize("name", ESTIMATORS)
def test_stop_request_ends_training_after_that_epoch(name, blobs):
    make, _ = ESTIMATORS[name]
    X, y = _data(name, blobs)
    rec = Recorder(stop_at=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a requested stop is a clean end
        clf = make().set_callbacks(rec).fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.history_) == 3
    # the weights are those of epoch 3: what the callback saw, and what 3 epochs without callbacks give
    fitted = rec.states[2]
    np.testing.assert_allclose(clf.predict_proba(X), fitted.predict_proba(X))
    three = _quiet(lambda: make().set_params(max_iter=3).fit(X, y))
    np.testing.assert_allclose(clf.predict_proba(X), three.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize("name", ["neuron-batch", "mlp-sgd", "mlp-lbfgs"])
def test_scoring_monitor_scores_every_epoch(name, blobs):
    make, subtask = ESTIMATORS[name]
    X, y = _data(name, blobs)
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = _quiet(lambda: make().set_callbacks(monitor).fit(X, y))
    rows = [row for row in monitor.get_logs().data if row["task_name"] == subtask]
    assert len(rows) == clf.n_iter_ == 6
    assert [row["task_id"] for row in rows] == list(range(6))
    # the last epoch's score is the fitted estimator's; the first is not (the epochs differ)
    assert rows[-1]["accuracy"] == clf.score(X, y)
    first = _quiet(lambda: make().set_params(max_iter=1).fit(X, y))
    assert rows[0]["accuracy"] == first.score(X, y)


def test_partial_fit_is_one_epoch(blobs):
    X, y = blobs
    rec = Recorder()
    clf = MLPScratchClassifier((4,), random_state=0).set_callbacks(rec)
    clf.partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y)
    assert rec.count("epoch") == 2 and rec.count("fit") == 2


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_passes_callbacks_to_every_fit(blobs, n_jobs):
    pytest.importorskip("rich")
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), MLPScratchClassifier((4,), max_iter=3, tol=0, random_state=0))
    search = GridSearchCV(pipe, {"mlpscratchclassifier__alpha_l2": [0.1, 1.0]}, cv=2, n_jobs=n_jobs)
    search.set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    _quiet(lambda: search.fit(X, y))
    assert search.best_estimator_[-1].n_iter_ == 3
    if n_jobs == 1:  # a recorder sees every epoch of the 2 x 2 fits and the refit
        rec = Recorder()
        search.set_callbacks(rec)
        _quiet(lambda: search.fit(X, y))
        assert rec.count("epoch") == 5 * 3


def test_fit_callbacks_without_listeners_cost_nothing_and_report_no_stop():
    clf = SingleNeuronClassifier()
    calls = []
    with FitCallbacks(clf, np.zeros((2, 1)), [0, 1], max_subtasks=1) as tasks:
        tasks.begin(lambda: calls.append("state") or {})
        assert tasks.end(lambda: calls.append("state") or {}) is False
    assert calls == [] and tasks.n_subtasks == 0 and not tasks.active


def test_epochs_beyond_max_subtasks_are_not_reported():
    rec = Recorder()
    clf = SingleNeuronClassifier().set_callbacks(rec)
    with FitCallbacks(clf, np.zeros((2, 1)), [0, 1], max_subtasks=1) as tasks:
        for _ in range(3):
            tasks.begin()
            tasks.end({"coef_": np.zeros((1, 1))})
    assert tasks.n_subtasks == 1 and rec.ended == ["epoch", "fit"]


@pytest.mark.parametrize("name", ["neuron-batch", "mlp-lbfgs"])
def test_scoring_monitor_gets_the_sample_weights(name, blobs):
    make, subtask = ESTIMATORS[name]
    X, y = _data(name, blobs)
    sw = np.where(np.arange(len(y)) % 3 == 0, 5.0, 0.5)
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = _quiet(lambda: make().set_callbacks(monitor).fit(X, y, sample_weight=sw))
    rows = [row for row in monitor.get_logs().data if row["task_name"] == subtask]
    assert rows[-1]["accuracy"] == clf.score(X, y, sample_weight=sw) != clf.score(X, y)


class _BeginStates(EpochRecorder):
    def __init__(self):
        super().__init__()
        self.begun = []

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        if context.task_name in ("epoch", "iteration"):
            self.begun.append(fitted_estimator)


@pytest.mark.parametrize("name", ["neuron-batch", "neuron-lbfgs", "mlp-sgd", "mlp-lbfgs"])
def test_each_epoch_begins_where_the_last_one_ended(name, blobs):
    make, _ = ESTIMATORS[name]
    X, y = _data(name, blobs)
    rec = _BeginStates()
    _quiet(lambda: make().set_callbacks(rec).fit(X, y))
    assert len(rec.begun) == len(rec.states) == 6
    for before, after in zip(rec.begun[1:], rec.states[:-1]):
        np.testing.assert_array_equal(before.predict_proba(X), after.predict_proba(X))
    first = _quiet(lambda: make().set_params(max_iter=1).fit(X, y))
    assert not np.allclose(rec.begun[0].predict_proba(X), first.predict_proba(X))  # before any training


@pytest.mark.parametrize("name", ["mlp-sgd", "mlp-lbfgs", "neuron-batch"])
def test_each_epochs_state_keeps_its_own_weights(name, blobs):
    make, _ = ESTIMATORS[name]
    X, y = _data(name, blobs)
    rec = Recorder()
    _quiet(lambda: make().set_callbacks(rec).fit(X, y))
    first = _quiet(lambda: make().set_params(max_iter=1).fit(X, y))
    # read after the fit: each state still predicts with the weights of its own epoch
    np.testing.assert_allclose(rec.states[0].predict_proba(X), first.predict_proba(X), rtol=1e-6)
    assert not np.allclose(rec.states[0].predict_proba(X), rec.states[-1].predict_proba(X))


class CtrlCAt(Recorder):
    """Raises KeyboardInterrupt when the ``at``-th epoch (iteration) begins, as Ctrl-C there would."""

    def __init__(self, at):
        super().__init__()
        self.at = at
        self.begun = 0

    def on_fit_task_begin(self, estimator, context):
        if context.task_name in ("epoch", "iteration"):
            self.begun += 1
            if self.begun == self.at:
                raise KeyboardInterrupt


@pytest.mark.parametrize("name", ESTIMATORS)
def test_ctrl_c_in_a_callback_keeps_the_last_finished_epoch_and_closes_the_tasks(name, blobs):
    make, subtask = ESTIMATORS[name]
    X, y = _data(name, blobs)
    rec = CtrlCAt(3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = make().set_callbacks(rec).fit(X, y)
    assert [str(w.message) for w in caught] == [
        f"Training interrupted by user; kept the weights and history of the last finished {subtask} (2)."]
    assert clf.n_iter_ == 2 and clf.history_["epoch"] == [1, 2]
    # two epochs ended with their state, the cut one ended empty, then the fit task: nothing left open
    assert rec.ended == [subtask] * 3 + ["fit"] and rec.states[2] is None
    two = _quiet(lambda: make().set_params(max_iter=2).fit(X, y))
    np.testing.assert_array_equal(clf.predict_proba(X), two.predict_proba(X))
    np.testing.assert_array_equal(clf.predict_proba(X), rec.states[1].predict_proba(X))
