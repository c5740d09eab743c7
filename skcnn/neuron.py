"""One sigmoid neuron for binary classification, as in the series' first studies (reference 000).

The neuron computes ``a = sigmoid(X @ w (+ b))`` and is trained so that ``a``
approaches ``target_values[0]`` for ``classes_[0]`` and ``target_values[1]``
for ``classes_[1]``. Its point is to be watched: the weights after every epoch
(``coef_path_``), the cost per epoch (``loss_curve_``), and the cost over a
mesh of weights (:func:`cost_surface`).

Examples
--------
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from skcnn import SingleNeuronClassifier
>>> from skcnn.datasets import load_two_clusters
>>> X, y = load_two_clusters(return_X_y=True)
>>> clf = make_pipeline(StandardScaler(), SingleNeuronClassifier(
...     fit_intercept=False, target_values=(0.3, 0.7), coef_init=[-0.2, 0.25], max_iter=2000, tol=None))
>>> clf.fit(X, y).score(X, y)
1.0
>>> clf[-1].coef_.round(3)
array([[-0.481,  0.391]])
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import DocLinkMixin
from ._callbacks import CallbackSupportMixin, FitCallbacks
from ._history import History
from ._repr import ShortReprMixin
from ._nn import get_activation, get_loss, get_solver, output_delta, sgd_epoch
from ._nn.loop import Checkpoint, run_epochs, run_minimizer, warn_at_caller
from ._nn.losses import check_sample_weight, loss_value
from ._nn.network import row_matmul
from ._threads import limit_blas_threads

__all__ = ["SingleNeuronClassifier", "cost_surface", "CostSurface", "SaturationWarning"]

# A sigmoid whose |z| exceeds this has a slope below 0.018: gradient descent crawls.
_SATURATED_Z = 4.0


class SaturationWarning(UserWarning):
    """The sigmoid starts saturated: most samples have a large ``|z|``, so gradients vanish.

    Examples
    --------
    >>> import warnings
    >>> from skcnn import SingleNeuronClassifier
    >>> from skcnn.neuron import SaturationWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = SingleNeuronClassifier(max_iter=5).fit([[500.0], [600.0]], [0, 1])
    >>> any(issubclass(w.category, SaturationWarning) for w in caught)
    True
    """


class SingleNeuronClassifier(ClassifierMixin, CallbackSupportMixin, DocLinkMixin, BaseEstimator):
    """A single sigmoid neuron trained by gradient descent (reference 000).

    Parameters
    ----------
    loss : {"squared", "log_loss"}, default="squared"
        ``"squared"`` is the series' cost, the mean over samples of
        ``0.5 * (a - t)**2``; ``"log_loss"`` is the binary cross-entropy.
    solver : {"batch", "sgd", "lbfgs"} or a scipy.optimize.minimize method, default="batch"
        ``"batch"``: one full-batch gradient step per epoch. As in the series,
        the step adds up the gradients of all samples, so ``learning_rate``
        means the same as in ``"sgd"``, which updates after every single
        sample (shuffled each epoch). ``"lbfgs"`` (and other scipy methods)
        minimize the mean cost with :func:`scipy.optimize.minimize`.
    learning_rate : float, default=0.1
        Step size ``eta``.
    learning_rate_decay : float, default=0.0
        Learning-rate decay: ``eta_t = eta / (1 + learning_rate_decay * t)``, ``t``
        the epochs in ``history_`` before this one (counted on across ``warm_start`` fits).
    max_iter : int, default=1000
        Epochs (iterations for scipy solvers).
    tol : float or None, default=1e-6
        Stop when no weight moves more than ``tol`` in an epoch (the series
        watches the weights, not the cost: the cost flattens long before the
        weights settle). None runs all ``max_iter`` epochs. Passed to scipy
        for the other solvers.
    fit_intercept : bool, default=True
        Learn a bias ``b``. The series' neuron has none.
    target_values : tuple of two floats in [0, 1], default=(0.0, 1.0)
        Outputs that ``classes_[0]`` and ``classes_[1]`` are trained toward
        (the series uses ``(0.3, 0.7)``). ``predict`` thresholds at their midpoint.
    coef_init : array-like of shape (n_features,), optional
        Start weights (the series starts at ``(-0.2, 0.25)``); otherwise
        uniform in ``+-1/sqrt(n_features)`` drawn with ``random_state``.
    warm_start : bool, default=False
        Start from the previous fit's weights.
    random_state : int, RandomState or None, default=None
        Seeds the initial weights and the ``"sgd"`` shuffling.
    verbose : int, default=0
        Print the cost every ``max(1, max_iter // 10)`` epochs.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    classes_ : ndarray of shape (2,)
    n_iter_ : int
        Epochs (iterations for scipy solvers) run by the last ``fit``. A fit
        interrupted by Ctrl-C keeps its last finished epoch (with a
        ``UserWarning``): the weights, ``n_iter_``, ``coef_path_`` and
        ``history_`` end there.
    history_ : skcnn.History
        One row per epoch (iteration for scipy solvers): ``epoch``, ``loss``
        (the cost over all samples after the epoch), ``learning_rate`` (the
        step ``eta_t``; iterative solvers only) and ``dur`` (seconds). With
        ``warm_start`` the rows of earlier fits stay and the epochs count on.
    loss_curve_ : list of float
        ``history_["loss"]``, under scikit-learn's name (read-only).
    coef_path_ : ndarray of shape (n_epochs + 1, n_features)
        The weights at the start and after every epoch of the last ``fit``.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> clf = SingleNeuronClassifier(random_state=0).fit(X, ["no", "no", "yes", "yes"])
    >>> clf.predict([[-1.5], [1.5]]).tolist()
    ['no', 'yes']
    """

    _parameter_constraints = {
        "loss": [StrOptions({"squared", "log_loss"})],
        "solver": [str, callable],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_decay": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "fit_intercept": ["boolean"],
        "target_values": [tuple, list],
        "coef_init": ["array-like", None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        loss="squared",
        solver="batch",
        learning_rate=0.1,
        learning_rate_decay=0.0,
        max_iter=1000,
        tol=1e-6,
        fit_intercept=True,
        target_values=(0.0, 1.0),
        coef_init=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.loss = loss
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.target_values = target_values
        self.coef_init = coef_init
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    @property
    def loss_curve_(self):
        """The training cost per epoch: ``history_["loss"]``."""
        return self.history_["loss"]

    # ------------------------------------------------------------------ helpers
    def _targets(self):
        tv = self.target_values
        if len(tv) != 2 or not all(isinstance(v, Real) and 0.0 <= v <= 1.0 for v in tv) or tv[0] == tv[1]:
            raise ValueError(
                f"target_values must be two different numbers in [0, 1] (sigmoid outputs for "
                f"classes_[0] and classes_[1]), got {tv!r}."
            )
        return float(tv[0]), float(tv[1])

    def _initial_params(self, n_features, rng):
        size = n_features + int(self.fit_intercept)
        if self.warm_start and hasattr(self, "coef_"):
            # fit's validate_data(reset=False) has checked that X has the previous fit's features
            params = np.zeros(size)
            params[:n_features] = self.coef_[0]
            if self.fit_intercept:
                params[-1] = self.intercept_[0]
            return params
        params = np.zeros(size)
        if self.coef_init is not None:
            coef = np.asarray(self.coef_init, dtype=np.float64).ravel()
            if coef.shape != (n_features,) or not np.all(np.isfinite(coef)):
                raise ValueError(
                    f"coef_init must hold {n_features} finite weights (one per feature), got "
                    f"{np.asarray(self.coef_init).shape}."
                )
            params[:n_features] = coef
        else:
            limit = 1.0 / np.sqrt(n_features)
            params[:n_features] = rng.uniform(-limit, limit, n_features)
        return params

    def _z(self, X, params):
        n_features = X.shape[1]
        z = X @ params[:n_features]
        if self.fit_intercept:
            z = z + params[n_features]
        return z

    def _loss_grad(self, X, t, params, act, loss, row_weights=None):
        """Mean cost (weighted by ``row_weights`` instead of ``1 / n``) and its gradient for the flat ``params``."""
        z = self._z(X, params)[:, None]
        a = act(z)
        delta = output_delta(loss, act, z, a, t, row_weights=row_weights)
        grad = np.empty_like(params)
        grad[: X.shape[1]] = X.T @ delta[:, 0]
        if self.fit_intercept:
            grad[-1] = delta.sum()
        return loss_value(loss, a, t, row_weights), grad

    def _warn_if_saturated(self, X, params):
        z = self._z(X, params)
        if np.mean(np.abs(z) > _SATURATED_Z) >= 0.5:
            warn_at_caller(
                f"The sigmoid starts saturated: {np.mean(np.abs(z) > _SATURATED_Z):.0%} of the samples have "
                f"|z| > {_SATURATED_Z:g} (median |z| = {np.median(np.abs(z)):.3g}), where its slope is almost "
                f"zero and gradient descent stalls. Scale the features first, e.g. "
                f"make_pipeline(StandardScaler(), SingleNeuronClassifier(...)).",
                SaturationWarning,
            )

    # ---------------------------------------------------------------- public API
    @limit_blas_threads
    def fit(self, X, y, sample_weight=None):
        """Train the neuron on ``X`` (n_samples, n_features) and binary labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of every sample (None: all 1): the cost is the
            weighted mean, ``sum(w * cost) / sum(w)``. With ``solver="batch"``
            and the scipy solvers an integer weight is the same as repeating
            the sample and a zero weight as leaving it out, to rounding (the
            batch step adds up the weighted gradients: ``learning_rate`` times
            the total weight times the mean gradient). ``"sgd"`` scales each
            sample's step by ``weight / mean(weights)``, which is not the same
            as visiting a repeated sample several times. The learning-rate
            schedule counts epochs whatever the weights. Metadata routing:
            ``set_fit_request(sample_weight=True)``.

        Returns
        -------
        self

        Examples
        --------
        >>> X, y = [[-1.0], [0.2], [1.0]], [0, 0, 1]
        >>> plain = SingleNeuronClassifier(random_state=0).fit(X, y)
        >>> heavy = SingleNeuronClassifier(random_state=0).fit(X, y, sample_weight=[1, 0.1, 1])
        >>> bool(heavy.decision_function([[0.2]])[0] > plain.decision_function([[0.2]])[0])
        True
        """
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64, reset=not (self.warm_start and hasattr(self, "coef_")))
        sw = check_sample_weight(sample_weight, X)
        check_classification_targets(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        if len(classes) == 1:
            raise ValueError(
                f"y has only 1 class ({classes[0]!r}); SingleNeuronClassifier needs exactly 2 classes."
            )
        if len(classes) > 2:
            raise ValueError(
                f"Only binary classification is supported. y must hold exactly 2 classes, got "
                f"{len(classes)} ({classes[:5].tolist()}{'...' if len(classes) > 5 else ''})."
            )
        self.classes_ = classes
        t0, t1 = self._targets()
        t = np.where(y_idx == 1, t1, t0)[:, None]
        act = get_activation("sigmoid")
        loss = get_loss(self.loss)
        solver = get_solver(self.solver, allowed={"batch", "sgd", "minimize"})
        rng = check_random_state(self.random_state)
        params = self._initial_params(X.shape[1], np.random.default_rng(rng.randint(2**31)))
        self._warn_if_saturated(X, params)

        # each sample's weight in the mean cost: 1 / n, or its share of the total weight; a single
        # sample's sgd step is scaled by weight / mean weight
        shares = None if sw is None else sw / sw.sum()
        scale = None if sw is None else sw / sw.mean()

        def fun(p, idx=None):
            if idx is None:
                return self._loss_grad(X, t, p, act, loss, shares)
            return self._loss_grad(X[idx], t[idx], p, act, loss, None if scale is None else scale[idx] / len(idx))

        n, n_features = X.shape
        path = [params[:n_features].copy()]
        if not (self.warm_start and hasattr(self, "history_")):
            self.history_ = History()
        checkpoint = Checkpoint([params], [self.history_, path])

        def state():
            # what a callback's copy of the neuron needs to predict with the last finished epoch's weights
            return self._fitted_state(checkpoint.saved[0].copy(), n_features)

        def report(done, row):
            if self.verbose and (done % max(1, self.max_iter // 10) == 0 or done == 1):
                print(f"epoch {done:5d}  cost {row['loss']:.6g}  w {np.round(path[-1][:4], 4).tolist()}")

        with FitCallbacks(self, X, y, max_subtasks=self.max_iter, metadata={"sample_weight": sample_weight},
                          subtask_name="epoch" if solver.iterative else "iteration") as tasks:
            if solver.iterative:
                shuffle_rng = np.random.default_rng(rng.randint(2**31))
                velocity = np.zeros_like(params)

                def run_epoch(done):
                    # the schedule counts the epochs in history_ (on across warm starts)
                    eta = self.learning_rate / (1.0 + self.learning_rate_decay * len(self.history_))
                    before = checkpoint.saved[0]  # the weights at the start of this epoch
                    if solver.kind == "batch":
                        # the step adds up the (weighted) gradients of all samples: mean gradient * total weight
                        sgd_epoch(lambda idx: fun(params), params, velocity, n_samples=n, batch_size=n,
                                  learning_rate=eta * (n if sw is None else sw.sum()))
                    else:
                        sgd_epoch(lambda idx: fun(params, idx), params, velocity, n_samples=n, batch_size=1,
                                  learning_rate=eta, rng=shuffle_rng)
                    if not np.all(np.isfinite(params)):
                        raise ValueError(
                            f"Training diverged at epoch {done + 1} (weights became inf/NaN); lower "
                            f"learning_rate={self.learning_rate!r} or scale the features."
                        )
                    path.append(params[:n_features].copy())
                    stop = self.tol is not None and np.max(np.abs(params - before)) < self.tol
                    return {"loss": float(fun(params)[0]), "learning_rate": float(eta)}, stop

                run_epochs(run_epoch, self.max_iter, history=self.history_, checkpoint=checkpoint, tasks=tasks,
                           state=state, report=report)
            else:
                def on_iteration(p, cost):
                    path.append(np.array(p[:n_features], dtype=np.float64))
                    return {"loss": float(cost)}

                clock, first_row = time.perf_counter(), len(self.history_)
                result = run_minimizer(solver.minimizer, fun, params.copy(), max_iter=self.max_iter, tol=self.tol,
                                       on_iteration=on_iteration, history=self.history_, checkpoint=checkpoint,
                                       tasks=tasks, state=state, report=report)
                if result is not None:
                    params = np.asarray(result.x if hasattr(result, "x") else result, dtype=np.float64)
                    if len(path) == 1 or not np.array_equal(path[-1], params[:n_features]):
                        # the solver's answer is not its last reported iterate: one more row for it
                        path.append(params[:n_features].copy())
                        spent = time.perf_counter() - clock - sum(self.history_[first_row:, "dur"])
                        self.history_.new_epoch(loss=float(fun(params)[0]), dur=spent)
                        report(len(path) - 1, self.history_[-1])
            for name, value in self._fitted_state(params, n_features).items():
                setattr(self, name, value)
            self.n_iter_ = len(path) - 1
            self.coef_path_ = np.array(path)
        return self

    def _fitted_state(self, params, n_features):
        return {
            "coef_": params[:n_features].reshape(1, -1).copy(),
            "intercept_": np.array([params[n_features] if self.fit_intercept else 0.0]),
        }

    def _activation(self, X):
        return get_activation("sigmoid")(self._predict_z(X))

    def _predict_z(self, X):
        """``z`` of every row of ``X``, each row computed alone (see :func:`skcnn._nn.network.row_matmul`:
        ``X @ w`` through BLAS can change a row's last bit with its position in the batch)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return row_matmul(X, self.coef_[0]) + self.intercept_[0]

    @limit_blas_threads
    def decision_function(self, X):
        """Signed distance from the decision threshold in ``z`` space; > 0 means ``classes_[1]``.

        Equal to ``z - logit(m)`` with ``m`` the midpoint of ``target_values``
        (sign flipped when ``target_values[1] < target_values[0]``).
        """
        z = self._predict_z(X)
        t0, t1 = self._targets()
        mid = 0.5 * (t0 + t1)
        return np.sign(t1 - t0) * (z - np.log(mid / (1.0 - mid)))

    @limit_blas_threads
    def predict_proba(self, X):
        """Class probabilities: the output ``a`` mapped linearly so ``t0 -> 0`` and ``t1 -> 1``, clipped.

        With the default ``target_values=(0, 1)`` this is the sigmoid output itself.
        """
        a = self._activation(X)
        t0, t1 = self._targets()
        p1 = np.clip((a - t0) / (t1 - t0), 0.0, 1.0)
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X):
        """``classes_[1]`` where the output passes the midpoint of ``target_values``, else ``classes_[0]``."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


@dataclass(frozen=True, repr=False)
class CostSurface(ShortReprMixin):
    """Cost of a two-weight neuron over a mesh of ``(w1, w2)``.

    ``total[i, j]`` is the cost at ``(w1[j], w2[i])``; ``per_sample[k]`` the
    cost of sample ``k`` alone. ``minimum`` is ``(w1, w2, cost)`` of the
    smallest total on the mesh.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import SingleNeuronClassifier
    >>> from skcnn.neuron import cost_surface
    >>> surface = cost_surface(SingleNeuronClassifier(), [[1.0, 0.0], [0.0, 1.0]], [0, 1],
    ...                        np.linspace(-2, 2, 5), np.linspace(-1, 1, 3))
    >>> surface.total.shape, surface.per_sample.shape
    ((3, 5), (2, 3, 5))
    """

    w1: np.ndarray
    w2: np.ndarray
    total: np.ndarray
    per_sample: np.ndarray

    @property
    def minimum(self):
        i, j = np.unravel_index(np.argmin(self.total), self.total.shape)
        return float(self.w1[j]), float(self.w2[i]), float(self.total[i, j])


def _split_pipeline(estimator):
    """(preprocessing steps or None, final SingleNeuronClassifier)."""
    if isinstance(estimator, Pipeline):
        return (estimator[:-1] if len(estimator) > 1 else None), estimator[-1]
    return None, estimator


def cost_surface(estimator, X, y, w1, w2, *, intercept=None):
    """Total and per-sample cost of a neuron with two weights over the mesh ``w1 x w2``.

    Parameters
    ----------
    estimator : SingleNeuronClassifier or Pipeline ending in one
        Supplies ``loss``, ``target_values`` and, when fitted, the intercept
        and classes. A Pipeline's earlier (fitted) steps transform ``X`` first.
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
    w1, w2 : array-like of shape (m1,), (m2,)
        Weight values along each axis.
    intercept : float, optional
        Bias to use (default: the fitted one, or 0).

    Returns
    -------
    CostSurface

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skcnn.datasets import load_two_clusters
    >>> X, y = load_two_clusters(return_X_y=True)
    >>> neuron = SingleNeuronClassifier(fit_intercept=False, target_values=(0.3, 0.7))
    >>> s = cost_surface(neuron, StandardScaler().fit_transform(X), y,
    ...                  np.arange(-0.6, -0.3, 0.002), np.arange(0.3, 0.5, 0.002))
    >>> w1, w2, cost = s.minimum
    >>> round(w1, 3), round(w2, 3), round(cost, 6)
    (-0.482, 0.39, 0.000624)
    """
    pre, neuron = _split_pipeline(estimator)
    if not isinstance(neuron, SingleNeuronClassifier):
        raise ValueError(
            f"estimator must be a SingleNeuronClassifier or a Pipeline ending in one, got {type(neuron).__name__}."
        )
    X = np.asarray(pre.transform(X) if pre is not None else X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"cost_surface needs exactly 2 features (after preprocessing), got X of shape {X.shape}.")
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"X and y have different lengths ({len(X)} and {len(y)}).")
    classes = getattr(neuron, "classes_", None)
    classes = np.unique(y) if classes is None else classes
    t0, t1 = neuron._targets()
    t = np.where(y == classes[1], t1, t0)
    if intercept is None:
        intercept = float(neuron.intercept_[0]) if hasattr(neuron, "intercept_") else 0.0
    w1 = np.asarray(w1, dtype=np.float64)
    w2 = np.asarray(w2, dtype=np.float64)
    W1, W2 = np.meshgrid(w1, w2)
    z = X[:, 0, None, None] * W1 + X[:, 1, None, None] * W2 + intercept
    a = get_activation("sigmoid")(z)
    tt = t[:, None, None]
    if neuron.loss == "squared":
        per_sample = 0.5 * (a - tt) ** 2
    else:
        eps = np.finfo(np.float64).eps
        a = np.clip(a, eps, 1 - eps)
        per_sample = -(tt * np.log(a) + (1 - tt) * np.log1p(-a))
    return CostSurface(w1, w2, per_sample.mean(axis=0), per_sample)
