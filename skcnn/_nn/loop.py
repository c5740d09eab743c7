"""The one training loop of the NumPy estimators (the neuron and the MLP).

Both estimators train either in epochs they drive themselves (``"sgd"``, the
neuron's ``"batch"``) or by handing the flat parameter vector to a minimizer
that calls back after every iteration (``"lbfgs"``, ``"cg"``, ...). What is
the same in both cases lives here:

- :class:`Checkpoint` keeps the arrays (weights, momentum) and the lengths of
  the histories as they stood at the end of the last finished epoch;
- :func:`run_epochs` runs the epochs: the callbacks' subtask around each one,
  its row in ``history_`` with its duration, the checkpoint after it, a stop
  asked by a callback or by the estimator's own rule, and Ctrl-C;
- :func:`run_minimizer` does the same for a minimizer's iterations.

A ``KeyboardInterrupt`` (Ctrl-C) inside an epoch puts the checkpoint back:
the estimator is left fitted at its last finished epoch, its histories end
there, and a ``UserWarning`` says so. What an epoch does (the batches, the
learning-rate schedule, validation, the estimator's stopping rule) stays with
the estimator, as the ``run_epoch`` function it passes in.

Examples
--------
>>> import numpy as np
>>> from skcnn._callbacks import FitCallbacks
>>> from skcnn._history import History
>>> w, history = np.zeros(1), History()
>>> def run_epoch(done):
...     w[0] += 1.0
...     return {"loss": 1.0 / float(w[0])}, w[0] >= 3  # the row, and whether to stop
>>> with FitCallbacks(None, max_subtasks=10) as tasks:
...     run = run_epochs(run_epoch, 10, history=history, checkpoint=Checkpoint([w], [history]),
...                      tasks=tasks, state=dict)
>>> run.n_epochs, run.reason, history["loss"]
(3, 'converged', [1.0, 0.5, 0.3333333333333333])
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["Checkpoint", "EpochRun", "run_epochs", "run_minimizer", "interrupted_message", "warn_at_caller"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
# decorators between the user's line and a fit: contextlib's and functools', and scikit-learn's _fit_context
_WRAPPERS = (os.sep + "contextlib.py", os.sep + "functools.py", os.sep + os.path.join("sklearn", "base.py"))


def warn_at_caller(message, category=UserWarning):
    """``warnings.warn`` pointing at the first line outside skcnn: the user's call to ``fit``.

    Frames of skcnn itself (and of decorators from :mod:`contextlib`,
    :mod:`functools` and scikit-learn's ``_fit_context``) are skipped, so
    the warning points at the user's line however deep in the package it is
    raised.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_at_caller("look here")
    >>> caught[0].filename.endswith("loop.py")
    False
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and (frame.f_code.co_filename.startswith(_PACKAGE)
                                 or frame.f_code.co_filename.endswith(_WRAPPERS)):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def interrupted_message(history, unit="epoch"):
    """The warning of an interrupted fit, naming the last finished epoch (its number in ``history``).

    Examples
    --------
    >>> from skcnn._history import History
    >>> interrupted_message(History([{"epoch": 1}, {"epoch": 2}]))
    'Training interrupted by user; kept the weights and history of the last finished epoch (2).'
    """
    last = history[-1, "epoch"] if len(history) else 0
    return f"Training interrupted by user; kept the weights and history of the last finished {unit} ({last})."


class Checkpoint:
    """Copies of some arrays and the lengths of some histories, to go back to.

    Parameters
    ----------
    arrays : list of ndarray
        Changed in place by training (the weights, the momentum).
    histories : list of History or list
        Records that grow by one entry (or several) per epoch.

    Examples
    --------
    >>> import numpy as np
    >>> w, curve = np.zeros(2), []
    >>> point = Checkpoint([w], [curve])
    >>> w += 1; curve.append(0.5); point.save()
    >>> w += 1; curve.append(0.25)
    >>> point.restore()
    >>> w.tolist(), curve
    ([1.0, 1.0], [0.5])
    """

    def __init__(self, arrays, histories=()):
        self.arrays = list(arrays)
        self.saved = [np.array(a, copy=True) for a in self.arrays]
        self.histories = list(histories)
        self.lengths = [len(h) for h in self.histories]

    def save(self, *values):
        """Remember the arrays as they are now (or ``values`` in their place) and the histories' lengths."""
        for saved, value in zip(self.saved, values or self.arrays):
            np.copyto(saved, value, casting="unsafe")
        self.lengths = [len(h) for h in self.histories]

    def restore(self):
        """Put the saved arrays back in place and cut every history to its saved length."""
        for array, saved in zip(self.arrays, self.saved):
            np.copyto(array, saved)
        for history, length in zip(self.histories, self.lengths):
            if hasattr(history, "truncate"):
                history.truncate(length)
            else:
                del history[length:]


@dataclass(frozen=True)
class EpochRun:
    """How :func:`run_epochs` ended: ``n_epochs`` finished, and why it stopped.

    ``reason`` is ``"callback"`` (a callback asked to stop), ``"converged"``
    (the estimator's rule), ``"interrupted"`` (Ctrl-C) or None (all epochs ran).
    """

    n_epochs: int
    reason: str | None


def run_epochs(run_epoch, n_epochs, *, history, checkpoint, tasks, state, report=None):
    """Run up to ``n_epochs`` epochs; keep the last finished one on Ctrl-C.

    Parameters
    ----------
    run_epoch : callable
        ``run_epoch(done) -> (row, stop)``: trains one epoch in place
        (``done`` epochs of this run are finished), returns its history row
        (a dict without ``epoch`` and ``dur``) and whether the estimator's
        own rule stops training after it.
    n_epochs : int
    history : History
        Gets one row per finished epoch, with ``dur`` (seconds) added.
    checkpoint : Checkpoint
        Saved after every finished epoch, restored on ``KeyboardInterrupt``.
    tasks : FitCallbacks
        The callbacks' task of this fit; each epoch is a subtask.
    state : callable
        ``state() -> dict``: the fitted attributes of the checkpoint's weights
        (what a callback's copy of the estimator needs to predict).
    report : callable, optional
        ``report(done, row)`` after each finished epoch (verbose output).

    Returns
    -------
    EpochRun

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn._callbacks import FitCallbacks
    >>> from skcnn._history import History
    >>> w, history = np.zeros(1), History()
    >>> def run_epoch(done):
    ...     if done == 2:
    ...         w[0] = 99.0  # half an epoch ...
    ...         raise KeyboardInterrupt  # ... then Ctrl-C
    ...     w[0] += 1.0
    ...     return {"loss": 1.0}, False
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught, FitCallbacks(None, max_subtasks=5) as tasks:
    ...     run = run_epochs(run_epoch, 5, history=history, checkpoint=Checkpoint([w], [history]),
    ...                      tasks=tasks, state=dict)
    >>> run, w.tolist(), len(history)
    (EpochRun(n_epochs=2, reason='interrupted'), [2.0], 2)
    >>> str(caught[0].message)
    'Training interrupted by user; kept the weights and history of the last finished epoch (2).'
    """
    done = 0
    try:
        for _ in range(n_epochs):
            tasks.begin(state)
            clock = time.perf_counter()
            row, stop = run_epoch(done)
            history.new_epoch(**row, dur=time.perf_counter() - clock)
            checkpoint.save()
            done += 1
            if report is not None:
                report(done, history[-1])
            if tasks.end(state):
                return EpochRun(done, "callback")  # a callback asked to stop: a clean end after this epoch
            if stop:
                return EpochRun(done, "converged")
    except KeyboardInterrupt:
        checkpoint.restore()
        warn_at_caller(interrupted_message(history))
        return EpochRun(done, "interrupted")
    return EpochRun(done, None)


def run_minimizer(minimizer, fun, x0, *, max_iter, tol, on_iteration, history, checkpoint, tasks, state,
                  report=None):
    """Run ``minimizer`` with one history row and one callbacks' subtask per iteration; Ctrl-C keeps the last.

    Parameters
    ----------
    minimizer : callable
        ``minimizer(fun, x0, max_iter=, tol=, callback=)``, e.g. a solver's
        (see :func:`skcnn._nn.get_solver`); ``callback(xk, loss)`` returning
        True stops it.
    fun : callable
        ``fun(x) -> (cost, gradient)``.
    x0 : ndarray
    max_iter : int
    tol : float or None
    on_iteration : callable
        ``on_iteration(xk, loss) -> row``: what the estimator records of an
        iterate besides the history (curves, validation), and the iterate's
        history row (a dict without ``epoch`` and ``dur``).
    history, checkpoint, tasks, state, report
        As in :func:`run_epochs`; ``checkpoint.save(xk)`` keeps every iterate
        in the place of the checkpoint's first array.

    Returns
    -------
    result or None
        What the minimizer returned, or None when the run was interrupted
        (the checkpoint is then restored and a warning given).

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn._callbacks import FitCallbacks
    >>> from skcnn._history import History
    >>> from skcnn._nn.optim import get_solver
    >>> x, history = np.array([3.0]), History()
    >>> with FitCallbacks(None, max_subtasks=50) as tasks:
    ...     result = run_minimizer(get_solver("lbfgs").minimizer, lambda v: (float(v @ v), 2 * v), x,
    ...                            max_iter=50, tol=1e-10, on_iteration=lambda xk, loss: {"loss": loss},
    ...                            history=history, checkpoint=Checkpoint([x], [history]), tasks=tasks,
    ...                            state=dict)
    >>> abs(float(result.x[0])) < 1e-6, len(history) == result.n_iter
    (True, True)
    """
    clock = [time.perf_counter()]
    done = [0]

    def callback(xk, loss):
        row = on_iteration(xk, loss)
        now = time.perf_counter()
        history.new_epoch(**row, dur=now - clock[0])
        clock[0] = now
        tasks.begin(state)  # the subtask starts from the last iterate (the checkpoint) ...
        checkpoint.save(xk)
        done[0] += 1
        if report is not None:
            report(done[0], history[-1])
        return tasks.end(state)  # ... and ends at this one; True stops the minimizer

    try:
        return minimizer(fun, x0, max_iter=max_iter, tol=tol, callback=callback)
    except KeyboardInterrupt:
        checkpoint.restore()
        warn_at_caller(interrupted_message(history, "iteration"))
        return None
