"""Optimizers shared by the neuron and the MLP.

Both estimators express their cost as a function of one flat parameter vector
(the weights are views into it), so one update rule serves every layer:

- :func:`sgd_epoch` runs one epoch of mini-batch gradient descent with
  momentum over shuffled batches.
- :func:`scipy_minimize` hands the flat vector to :func:`scipy.optimize.minimize`
  (L-BFGS, conjugate gradient, ... the series' reference 004 uses CG).
- :class:`StoppingRule` is sklearn's ``tol`` / ``n_iter_no_change`` rule.

Solvers are registered in :data:`skcnn.plugins.solvers`; :func:`get_solver`
also accepts any :func:`scipy.optimize.minimize` method name, or a callable
``minimizer(fun, x0, max_iter=..., tol=..., callback=...) -> x``.

Examples
--------
>>> import numpy as np
>>> x = np.array([3.0])
>>> fun = lambda x: (float(x[0] ** 2), 2 * x)
>>> res = scipy_minimize(fun, x, method="L-BFGS-B", max_iter=50, tol=1e-12)
>>> abs(float(res.x[0])) < 1e-6
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.optimize

from ..plugins import solvers as _registry

__all__ = ["Solver", "get_solver", "sgd_epoch", "scipy_minimize", "StoppingRule", "MinimizeResult"]

# scipy.optimize.minimize methods that take no gradient.
_GRADIENT_FREE = {"nelder-mead", "powell", "cobyla", "cobyqa"}
_SCIPY_METHODS = {
    "nelder-mead", "powell", "cg", "bfgs", "newton-cg", "l-bfgs-b", "tnc",
    "cobyla", "cobyqa", "slsqp", "trust-constr",
}


@dataclass(frozen=True)
class Solver:
    """How an estimator optimizes its cost.

    ``kind`` is ``"sgd"`` (mini-batch epochs), ``"batch"`` (full-batch gradient
    descent epochs) or ``"minimize"`` (a whole-run optimizer, ``minimizer``).
    """

    name: str
    kind: str
    minimizer: Callable | None = field(default=None, compare=False)

    @property
    def iterative(self) -> bool:
        """True when the estimator drives epochs itself (sgd, batch)."""
        return self.kind in ("sgd", "batch")


@dataclass
class MinimizeResult:
    """What :func:`scipy_minimize` returns: final ``x``, ``n_iter`` and ``loss_curve``."""

    x: np.ndarray
    n_iter: int
    loss_curve: list
    success: bool = True
    message: str = ""


def scipy_minimize(fun, x0, *, method="L-BFGS-B", max_iter=200, tol=1e-4, callback=None):
    """Minimize ``fun(x) -> (loss, grad)`` with :func:`scipy.optimize.minimize`.

    Parameters
    ----------
    fun : callable
        Returns the loss and its gradient at the flat parameter vector ``x``.
    x0 : ndarray
        Start (float64 is used inside scipy).
    method : str
        Any :func:`scipy.optimize.minimize` method.
    max_iter, tol : int, float
    callback : callable, optional
        Called with ``(x, loss)`` after every iteration; when it returns True
        the minimization stops there and returns that ``x`` (a clean stop,
        ``success=True``).

    Returns
    -------
    MinimizeResult
    """
    last = {"x": None, "loss": None}
    curve: list[float] = []

    def value_and_grad(x):
        loss, grad = fun(x)
        last["x"], last["loss"] = x.copy(), float(loss)
        return float(loss), np.asarray(grad, dtype=np.float64)

    def record(xk):
        loss = last["loss"] if last["x"] is not None and np.array_equal(last["x"], xk) else value_and_grad(xk)[0]
        curve.append(loss)
        if callback is not None and callback(xk, loss):
            raise _StopRequested(np.array(xk, dtype=np.float64))

    gradient_free = method.lower() in _GRADIENT_FREE
    objective = (lambda x: value_and_grad(x)[0]) if gradient_free else value_and_grad
    options = {"maxiter": int(max_iter)}
    try:
        res = scipy.optimize.minimize(
            objective,
            np.asarray(x0, dtype=np.float64),
            method=method,
            jac=None if gradient_free else True,
            tol=tol,
            callback=record,
            options=options,
        )
    except _StopRequested as stop:
        return MinimizeResult(stop.x, len(curve), curve, True, "stopped by a callback")
    n_iter = int(getattr(res, "nit", len(curve)) or len(curve))
    return MinimizeResult(res.x, n_iter, curve, bool(res.success), str(res.message))


class _StopRequested(Exception):
    """Raised from scipy's callback to leave :func:`scipy.optimize.minimize` at an iterate."""

    def __init__(self, x):
        super().__init__("stop requested by a callback")
        self.x = x


def _scipy_solver(name, method):
    def minimizer(fun, x0, *, max_iter, tol, callback=None):
        return scipy_minimize(fun, x0, method=method, max_iter=max_iter, tol=tol, callback=callback)

    minimizer.__name__ = f"minimize_{name}"
    return Solver(name, "minimize", minimizer)


_registry.register("sgd", Solver("sgd", "sgd"))
_registry.register("batch", Solver("batch", "batch"))
_registry.register("lbfgs", _scipy_solver("lbfgs", "L-BFGS-B"))
_registry.register("cg", _scipy_solver("cg", "CG"))


def get_solver(solver, allowed=None) -> Solver:
    """Resolve a solver name, a scipy method name or a callable minimizer.

    Parameters
    ----------
    solver : str or callable
    allowed : set of str, optional
        Kinds the calling estimator supports; others raise ValueError.

    Examples
    --------
    >>> get_solver("cg").kind
    'minimize'
    >>> get_solver("BFGS").name
    'BFGS'
    """
    if isinstance(solver, str) and solver not in _registry and solver.lower() in _SCIPY_METHODS:
        found = _scipy_solver(solver, solver)
    elif isinstance(solver, Solver):
        found = solver
    else:
        found = _registry.get(solver)
        if not isinstance(found, Solver):
            found = Solver(getattr(found, "__name__", "custom"), "minimize", found)
    if allowed is not None and found.kind not in allowed:
        raise ValueError(
            f"solver={solver!r} is not supported here; expected one of the kinds {sorted(allowed)} "
            f"(registered solvers: {', '.join(repr(n) for n in _registry.names())})."
        )
    return found


def sgd_epoch(grad_fn, params, velocity, *, n_samples, batch_size, learning_rate, momentum=0.0,
              rng=None, max_batches=None, on_batch=None):
    """One epoch of mini-batch gradient descent on a flat parameter vector, in place.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(indices) -> (loss, grad)``: loss and gradient (flat, like
        ``params``) of the samples ``indices``, averaged over them.
    params, velocity : ndarray
        Updated in place; ``velocity`` holds the momentum term.
    n_samples, batch_size : int
    learning_rate : float
        Step size for this epoch.
    momentum : float
    rng : numpy Generator, optional
        Shuffles the samples; None keeps their order.
    max_batches : int, optional
        Stop the epoch after this many batches.
    on_batch : callable, optional
        Called with ``(indices, loss)`` after each batch.

    Returns
    -------
    list of float
        The loss of every batch.
    """
    order = rng.permutation(n_samples) if rng is not None else np.arange(n_samples)
    batch_size = max(1, min(int(batch_size), n_samples))
    starts = range(0, n_samples, batch_size)
    if max_batches is not None:
        starts = starts[: int(max_batches)]
    losses = []
    step = np.empty_like(params)  # reused for learning_rate * grad: no allocation per batch
    for start in starts:
        idx = order[start:start + batch_size]
        loss, grad = grad_fn(idx)
        np.multiply(grad, learning_rate, out=step, casting="unsafe")
        if momentum:
            velocity *= momentum
            velocity -= step
            params += velocity
        else:
            params -= step
        losses.append(loss)
        if on_batch is not None:
            on_batch(idx, loss)
    return losses


class StoppingRule:
    """sklearn's convergence rule: stop once more than ``n_iter_no_change`` epochs
    in a row did not improve.

    An epoch improves when its loss drops below ``best - tol`` (or, for
    scores, rises above ``best + tol``), exactly as in sklearn's MLP.

    Examples
    --------
    >>> rule = StoppingRule(tol=0.1, n_iter_no_change=2)
    >>> [rule.update(v) for v in [1.0, 0.5, 0.45, 0.44, 0.43]]
    [False, False, False, False, True]
    """

    def __init__(self, tol, n_iter_no_change, *, higher_is_better=False):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.sign = -1.0 if higher_is_better else 1.0
        self.best = np.inf
        self.count = 0
        self.improved = False

    def update(self, value) -> bool:
        """Record a new loss (or score); return True when training should stop."""
        v = self.sign * value
        self.improved = v < self.best
        if self.tol is not None and v > self.best - self.tol:
            self.count += 1
        else:
            self.count = 0
        if self.improved:
            self.best = v
        return self.count > self.n_iter_no_change
