"""The one piece of glue between skcnn's estimators and :mod:`sklearn.callback`.

scikit-learn 1.9 added callbacks (experimental): ``est.set_callbacks(ProgressBar(),
ScoringMonitor(scoring="accuracy"))`` and meta-estimators (``Pipeline``,
``GridSearchCV``) that pass them on to the estimators they fit. A fit is a *task*,
each epoch (or iteration of a scipy solver) a *subtask*; before and after every
subtask the callbacks are called, may score a copy of the estimator as it stands
then, and may ask training to stop.

Every skcnn estimator that trains in epochs uses this module the same way:

1. inherit :class:`CallbackSupportMixin` (left of ``BaseEstimator``), which gives
   it ``set_callbacks`` where scikit-learn has the API;
2. wrap the training loop in ``with FitCallbacks(self, X, y, max_subtasks=n) as tasks:``;
3. call ``tasks.begin()`` before an epoch and ``stop = tasks.end(state)`` after it,
   and leave the loop when ``stop`` is True (after that epoch, a clean end).

``state`` gives what makes a copy of the estimator ready to predict as if the fit
had stopped after that epoch: a dict of fitted attributes, or a function without
arguments returning one (called only when a callback asks for the fitted state,
so an epoch costs nothing extra when nobody listens). The copy is a shallow
``copy.copy`` of the estimator with these attributes set, so the arrays in
``state`` must not be changed by later epochs (pass copies).

Where scikit-learn lacks :mod:`sklearn.callback` (before 1.9), :data:`HAS_CALLBACKS`
is False, :class:`CallbackSupportMixin` adds nothing, and :class:`FitCallbacks`
does nothing: ``begin`` returns at once and ``end`` returns False.

Examples
--------
>>> import numpy as np
>>> from sklearn.base import BaseEstimator
>>> class Counter(CallbackSupportMixin, BaseEstimator):
...     def __init__(self, n_epochs=3):
...         self.n_epochs = n_epochs
...     def fit(self, X, y=None):
...         self.count_ = 0
...         with FitCallbacks(self, X, y, max_subtasks=self.n_epochs) as tasks:
...             for _ in range(self.n_epochs):
...                 tasks.begin()
...                 self.count_ += 1
...                 if tasks.end({"count_": self.count_}):
...                     break
...         return self
>>> Counter().fit(np.zeros((2, 1))).count_
3
"""

from __future__ import annotations

__all__ = ["HAS_CALLBACKS", "CallbackSupportMixin", "FitCallbacks", "EpochRecorder"]

try:  # scikit-learn >= 1.9 (experimental API: any missing piece switches the glue off)
    from sklearn.callback import CallbackSupportMixin as _SklearnCallbackSupport
    from sklearn.callback._callback_support import callback_management_context as _teardown_context

    HAS_CALLBACKS = True
except ImportError:  # pragma: no cover - exercised only with an older scikit-learn
    _SklearnCallbackSupport = object
    _teardown_context = None
    HAS_CALLBACKS = False


if HAS_CALLBACKS:

    class CallbackSupportMixin(_SklearnCallbackSupport):
        """Gives an estimator ``set_callbacks`` (scikit-learn's :mod:`sklearn.callback`).

        Examples
        --------
        >>> from skcnn import MLPScratchClassifier
        >>> hasattr(MLPScratchClassifier(), "set_callbacks") == HAS_CALLBACKS
        True
        """

else:  # pragma: no cover

    class CallbackSupportMixin:
        """Adds nothing: this scikit-learn has no :mod:`sklearn.callback`.

        Examples
        --------
        >>> from skcnn import MLPScratchClassifier
        >>> hasattr(MLPScratchClassifier(), "set_callbacks") == HAS_CALLBACKS
        True
        """


class FitCallbacks:
    """Context manager that runs the callbacks of one fit, one subtask per epoch.

    Entering it sets up the estimator's callbacks (its own and those a
    meta-estimator passed on) and starts the fit task; leaving it normally ends
    the fit task with the fitted estimator; leaving it by an exception ends the
    open epoch, if any, without data, and tears the callbacks down either way.

    Parameters
    ----------
    estimator : estimator with :class:`CallbackSupportMixin`
        The estimator being fitted (``self`` in ``fit``).
    X, y : array-like, optional
        The training data, passed to the callbacks (``ScoringMonitor`` scores
        the fitted state of each epoch on them). Pass the labels as the user
        gave them (``fitted_estimator.score(X, y)`` must work).
    max_subtasks : int or None
        The most epochs (iterations) this fit can run; None if unknown. Epochs
        beyond it are trained but not reported.
    metadata : dict, optional
        Fit metadata for the callbacks, e.g. ``{"sample_weight": w}`` (passed on
        to the scorer). None entries are dropped.
    subtask_name : str, default="epoch"
        Task name of each subtask (e.g. ``"iteration"`` for scipy solvers).

    Attributes
    ----------
    n_subtasks : int
        Subtasks reported so far.
    stopped : bool
        True once a callback asked to stop.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import SingleNeuronClassifier
    >>> clf = SingleNeuronClassifier()
    >>> with FitCallbacks(clf, np.zeros((2, 1)), [0, 1], max_subtasks=2) as tasks:
    ...     tasks.begin()
    ...     tasks.end({"coef_": np.zeros((1, 1))})
    False
    >>> tasks.n_subtasks  # no callbacks set: nothing to report
    0
    """

    def __init__(self, estimator, X=None, y=None, *, max_subtasks, metadata=None, subtask_name="epoch"):
        self.estimator = estimator
        self.X = X
        self.y = y
        self.max_subtasks = max_subtasks
        self.metadata = {k: v for k, v in (metadata or {}).items() if v is not None} or None
        self.subtask_name = subtask_name
        self.n_subtasks = 0
        self.stopped = False
        self._root = None
        self._open = None
        self._manager = None

    @property
    def active(self):
        """True when the callback machinery runs for this fit (scikit-learn has it, and callbacks are set
        or a meta-estimator fits this estimator)."""
        return self._root is not None

    def __enter__(self):
        est = self.estimator
        if not (HAS_CALLBACKS and isinstance(est, _SklearnCallbackSupport)):
            return self
        if not (getattr(est, "_skl_callbacks", None) or hasattr(est, "_parent_callback_ctx")):
            return self  # nobody listens and no meta-estimator's task tree to join: skip (~50 us an epoch)
        self._manager = _teardown_context(est)
        self._manager.__enter__()
        try:
            self._root = est._init_callback_context(max_subtasks=self.max_subtasks)
            self._root.call_on_fit_task_begin(estimator=est, X=self.X, y=self.y, metadata=self.metadata)
        except BaseException as exc:
            self._manager.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def begin(self, state=None):
        """Start the next epoch's subtask; ``state`` is the fitted state before it (optional)."""
        if self._root is None or self._open is not None:
            return
        if self.max_subtasks is not None and self.n_subtasks >= self.max_subtasks:
            return
        self._open = self._root.subcontext(task_name=self.subtask_name)
        self._open.call_on_fit_task_begin(estimator=self.estimator, X=self.X, y=self.y,
                                          metadata=self.metadata, reconstruction_attributes=state)

    def end(self, state=None):
        """End the epoch's subtask with its fitted ``state``; True when a callback asks to stop.

        A stop request is remembered in :attr:`stopped`; the estimator ends
        training after this epoch.
        """
        if self._open is None:
            return False
        ctx, self._open = self._open, None
        self.n_subtasks += 1
        stop = bool(ctx.call_on_fit_task_end(estimator=self.estimator, X=self.X, y=self.y,
                                             metadata=self.metadata, reconstruction_attributes=state))
        self.stopped = self.stopped or stop
        return stop

    def step(self, before=None, after=None):
        """``begin(before)`` then ``end(after)``: one finished iteration, e.g. from a scipy callback."""
        self.begin(before)
        return self.end(after)

    def __exit__(self, exc_type, exc, tb):
        if self._manager is None:
            return False
        try:
            if self._open is not None:  # an epoch cut short: end it as an empty task
                ctx, self._open = self._open, None
                ctx.call_on_fit_task_end(estimator=self.estimator)
            if exc_type is None:
                self._root.call_on_fit_task_end(estimator=self.estimator, X=self.X, y=self.y,
                                                metadata=self.metadata, reconstruction_attributes={})
        finally:
            self._manager.__exit__(exc_type, exc, tb)
            self._root = None
        return False


#: Task names of the subtasks :class:`FitCallbacks` reports (an epoch, or an iteration of a scipy solver).
SUBTASK_NAMES = ("epoch", "iteration")


class EpochRecorder:
    """A fit callback that records the tasks that end and the fitted state after every epoch.

    Useful to watch a fit (and in tests): ``ended`` lists the task names in
    the order they ended (``"epoch"``/``"iteration"`` then ``"fit"``),
    ``states`` holds the estimator as it stood after each epoch (the copy
    the callback API builds from the estimator's fitted state), and with
    ``stop_at=k`` it asks training to stop after the k-th epoch. Meta-estimators
    pass it on to the estimators they fit (``max_propagation_depth=None``).

    Parameters
    ----------
    stop_at : int or None, default=None
        Ask to stop once this many epochs (iterations) have ended.

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("sklearn.callback")  # scikit-learn >= 1.9
    >>> from skcnn import SingleNeuronClassifier
    >>> rec = EpochRecorder(stop_at=2)
    >>> clf = SingleNeuronClassifier(tol=None).set_callbacks(rec).fit([[-1.0], [1.0]], [0, 1])
    >>> clf.n_iter_, rec.ended, len(rec.states)
    (2, ['epoch', 'epoch', 'fit'], 2)
    """

    max_propagation_depth = None

    def __init__(self, stop_at=None):
        self.stop_at = stop_at
        self.ended = []
        self.states = []

    def setup(self, estimator, context):
        """Nothing to set up."""

    def teardown(self, estimator, context):
        """Nothing to tear down."""

    def on_fit_task_begin(self, estimator, context):
        """Nothing to do when a task begins."""

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        """Record the task; keep the fitted state of an epoch; True once ``stop_at`` epochs have ended."""
        self.ended.append(context.task_name)
        if context.task_name not in SUBTASK_NAMES:
            return False
        self.states.append(fitted_estimator)
        return self.stop_at is not None and len(self.states) >= self.stop_at
