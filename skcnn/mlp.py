"""The series' multilayer perceptron, written in NumPy, shaped like a scikit-learn classifier.

:class:`MLPScratchClassifier` trains a fully connected network with ReLU,
sigmoid (the series' choice) or any registered hidden activation and one
output node per class, by
mini-batch gradient descent with momentum and learning-rate decay, or by a
:func:`scipy.optimize.minimize` method (conjugate gradient, L-BFGS, ...) on
the unrolled parameter vector. All weights live in one flat vector, in the
input's precision (float32 or float64) unless ``dtype`` forces one;
``coefs_`` and ``intercepts_`` are views of it in scikit-learn's layout.

Examples
--------
>>> from sklearn.datasets import load_iris
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from skcnn import MLPScratchClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = make_pipeline(StandardScaler(), MLPScratchClassifier(hidden_layer_sizes=(10,), random_state=0))
>>> clf.fit(X, y).score(X, y) > 0.9
True
"""

from __future__ import annotations

import sys
import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._base import DocLinkMixin
from ._callbacks import CallbackSupportMixin, FitCallbacks
from ._history import History
from ._nn.activations import get_activation
from ._nn.loop import Checkpoint, run_epochs, run_minimizer, warn_at_caller
from ._nn.losses import check_sample_weight, get_loss, loss_value
from ._nn.network import FlatNetwork, Workspace, used_inputs
from ._nn.optim import StoppingRule, get_solver, sgd_epoch
from ._threads import limit_blas_threads
from .plugins import initializers

__all__ = ["MLPScratchClassifier"]

_OUTPUTS = ("sigmoid", "softmax")


def _is_sgd(estimator):
    """partial_fit exists only for the mini-batch solver."""
    try:
        return get_solver(estimator.solver).kind == "sgd"
    except ValueError:
        return False


class MLPScratchClassifier(ClassifierMixin, CallbackSupportMixin, DocLinkMixin, BaseEstimator):
    """Multilayer perceptron classifier in NumPy: the series' MLP, fast and sklearn-shaped.

    The network has ``len(hidden_layer_sizes)`` hidden layers and one output
    node per class. With ``output_activation="sigmoid"`` every output node is
    an independent sigmoid (the series' design) and ``predict_proba``
    normalizes the outputs to sum to 1; with ``"softmax"`` the outputs are
    probabilities already. Inputs should be standardized (a
    :class:`~sklearn.preprocessing.StandardScaler` in a Pipeline): sigmoid
    units saturate on raw pixel values.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(70, 30)
        Nodes per hidden layer.
    activation : str, callable or list, default="relu"
        Hidden activation: a name from :data:`skcnn.plugins.activations`
        (``"sigmoid"`` as in the series, ``"relu"``, ``"tanh"``, ``"elu"``,
        ``"leaky_relu"``, ``"selu"``, ``"softplus"``, ``"identity"``), an
        :class:`~skcnn._nn.Activation`, or a list with one per hidden layer.
        The default is measured, not the series' sigmoid (see Notes).
    output_activation : {"sigmoid", "softmax"}, default="sigmoid"
    loss : str, default="log_loss"
        ``"log_loss"`` (cross-entropy: per output node for sigmoid outputs,
        categorical for softmax) or ``"squared"`` (the series' mean squared
        error, ``0.5 * sum_k (a_k - t_k)**2`` averaged over samples), or another
        name from :data:`skcnn.plugins.losses`.
    solver : str or callable, default="sgd"
        ``"sgd"`` (mini-batches with momentum), ``"cg"``, ``"lbfgs"``, any
        :func:`scipy.optimize.minimize` method name, or a callable
        ``minimizer(fun, x0, max_iter=, tol=, callback=)`` (see
        :func:`skcnn._nn.get_solver`).
    batch_size : int, default=500
        Samples per mini-batch (clipped to the number of samples).
    learning_rate : float, default=0.2
        Step size of ``solver="sgd"`` at epoch 0 (the gradient is averaged
        over the batch).
    learning_rate_decay : float, default=0.0
        Learning-rate decay: the step in epoch ``t`` is
        ``learning_rate / (1 + learning_rate_decay * t)``, ``t`` counting the
        epochs in ``history_`` (on across ``warm_start`` and ``partial_fit``).
    momentum : float, default=0.9
        Momentum of the sgd updates, in [0, 1).
    max_batches : int or None, default=None
        Stop each epoch after this many mini-batches.
    alpha_l1, alpha_l2 : float, default=0.0 and 3.0
        L1 (the series' Lambda1) and L2 (Lambda2) penalties on the weights
        (biases are not penalized); the cost of a batch is
        ``loss + alpha_l2 / (2 n) * sum(W**2) + alpha_l1 / n * sum(|W|)`` with
        ``n`` the batch size (the number of samples for the scipy solvers),
        as in scikit-learn; with ``sample_weight``, ``n`` times the mean
        weight (see :meth:`fit`).
    init : str or callable, default="uniform"
        Weight initializer from :data:`skcnn.plugins.initializers`:
        ``"uniform"`` draws from ``+- init_scale / sqrt(fan_in)`` (the series'
        rule), ``"glorot"`` from ``+- init_scale * sqrt(6 / (fan_in + fan_out))``.
        Biases start at zero.
    init_scale : float, default=1.0
    max_iter : int, default=200
        Maximum number of epochs (sgd) or iterations (scipy solvers).
    tol : float, default=1e-4
        An epoch improves when the training loss drops by more than ``tol``
        (or, with ``early_stopping``, the validation accuracy rises by more).
    n_iter_no_change : int, default=10
        Stop after this many epochs in a row without improvement (sgd).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop when its accuracy stops improving, and keep the best weights.
    validation_fraction : float or None, default=None
        Fraction held out for validation. Without ``early_stopping`` it only
        records ``val_loss`` and ``val_score`` in ``history_``; None means 0.1
        with ``early_stopping`` and no hold-out otherwise.
    shuffle : bool, default=True
        Reshuffle the samples before every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds initialization, shuffling and the validation split.
    verbose : int, default=0
        0: silent; 1: one line per epoch; 2 or more: a progress bar.
    warm_start : bool, default=False
        Continue from the weights of the previous ``fit``.
    dtype : {"float32", "float64"} or None, default=None
        Working precision of the weights and of every computation. None (as
        scikit-learn's ``MLPClassifier``) keeps the dtype of ``X`` in the
        first ``fit`` (or ``partial_fit``) when it is float32 or float64 and
        uses float64 for any other input: float32 input trains in float32,
        the faster path, while float64 input keeps float64's exactness (where
        an integer sample weight is the row repeated, see :meth:`fit`, they
        agree to 1e-15, not 1e-7, which scikit-learn's checks ask for).
        ``"float32"`` or ``"float64"`` casts the input to that dtype,
        e.g. ``dtype="float32"`` for the speed of single precision on float64
        input. The choice is made once, in the first fit, and kept in
        ``dtype_``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    dtype_ : numpy.dtype
        The working precision chosen by the first fit (see ``dtype``).
        ``predict``, ``partial_fit`` and ``warm_start`` fits cast their input
        to it, so the network keeps one dtype.
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape ``(n_units_i, n_units_i+1)``; views of the flat
        parameter vector, like ``intercepts_``.
    intercepts_ : list of ndarray
    n_features_in_ : int
    n_layers_ : int
        Input, hidden and output layers.
    n_outputs_ : int
        Output nodes (one per class).
    n_iter_ : int
        Epochs (or solver iterations) run by the last ``fit``. A fit
        interrupted by Ctrl-C keeps its last finished epoch (with a
        ``UserWarning``): the weights, ``n_iter_`` and the histories end there.
    history_ : skcnn.History
        One row per epoch (per iteration for scipy solvers), kept across
        ``warm_start`` fits and ``partial_fit`` calls: ``epoch``, ``loss``
        (training cost, penalty included: the mean of the batch costs for
        sgd), ``learning_rate`` (sgd), ``val_loss`` and ``val_score`` (data
        loss and accuracy on the hold-out, when there is one) and ``dur``
        (seconds).
    loss_curve_ : list of float
        ``history_["loss"]``, under scikit-learn's name (read-only).
    batch_loss_curve_ : list of float
        Cost of every mini-batch (penalty included).
    batch_error_curve_ : list of float
        Mean absolute output error of every mini-batch.
    reg_ratio_curve_ : list of float
        Penalty divided by the data loss, per mini-batch.
    best_loss_ : float or None
        Lowest epoch loss (None with ``early_stopping``).
    best_validation_score_ : float or None
    fit_time_ : float
        Seconds spent in the last ``fit`` or ``partial_fit``.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's multilayer perceptron, the reference in the benchmarks.

    Notes
    -----
    The defaults were picked by measuring on the benchmark split of the
    embedded MNIST subset (4000 training / 1000 test digits, stratified,
    random_state=0, StandardScaler, float32), with ``hidden_layer_sizes=(70, 30)``
    and ``batch_size=500`` fixed. scikit-learn's ``MLPClassifier()`` with its
    defaults reaches 0.926 there in 64 epochs (2.9 s of CPU time on one core).
    With sigmoid hidden nodes, no combination of output (sigmoid or softmax),
    ``learning_rate`` (0.2 to 2), ``alpha_l2`` (0 to 10), ``init_scale``
    (1 to 4), glorot initialization, momentum 0.95 or learning-rate decay got
    above 0.921 test accuracy. ReLU hidden nodes with sigmoid outputs,
    ``learning_rate=0.2`` and ``alpha_l2=3`` reached 0.936, 0.940 and 0.936
    for seeds 0, 1, 2 in 100, 51 and 71 epochs (0.9 to 1.8 s); elu reached
    0.933, tanh 0.929 at best. ``activation="sigmoid", learning_rate=0.5,
    alpha_l2=1`` is the best sigmoid setting (about 0.915).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPScratchClassifier(hidden_layer_sizes=(30,), max_iter=30, random_state=0)
    >>> clf.fit(X / 16, y).coefs_[0].shape
    (64, 30)
    >>> clf.predict_proba(X[:2] / 16).shape
    (2, 10)
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": "no_validation",
        "output_activation": [StrOptions(set(_OUTPUTS))],
        "loss": "no_validation",
        "solver": "no_validation",
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_decay": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "max_batches": [Interval(Integral, 1, None, closed="left"), None],
        "alpha_l1": [Interval(Real, 0, None, closed="left")],
        "alpha_l2": [Interval(Real, 0, None, closed="left")],
        "init": "no_validation",
        "init_scale": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "dtype": [StrOptions({"float32", "float64"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(70, 30),
        activation="relu",
        output_activation="sigmoid",
        loss="log_loss",
        solver="sgd",
        batch_size=500,
        learning_rate=0.2,
        learning_rate_decay=0.0,
        momentum=0.9,
        max_batches=None,
        alpha_l1=0.0,
        alpha_l2=3.0,
        init="uniform",
        init_scale=1.0,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=None,
        shuffle=True,
        random_state=None,
        verbose=0,
        warm_start=False,
        dtype=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.loss = loss
        self.solver = solver
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.momentum = momentum
        self.max_batches = max_batches
        self.alpha_l1 = alpha_l1
        self.alpha_l2 = alpha_l2
        self.init = init
        self.init_scale = init_scale
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.dtype = dtype

    @property
    def loss_curve_(self):
        """The training cost per epoch: ``history_["loss"]``."""
        return self.history_["loss"]

    @property
    def dtype_(self):
        """The working precision chosen by the first fit, a :class:`numpy.dtype`.

        Read from the network's description, so estimators saved before this
        attribute existed (``dtype="float32"`` was the default) have it too.

        Examples
        --------
        >>> import numpy as np
        >>> X, y = np.eye(3, dtype=np.float32), np.array([0, 1, 2])
        >>> MLPScratchClassifier((4,), max_iter=2, random_state=0).fit(X, y).dtype_
        dtype('float32')
        >>> MLPScratchClassifier((4,), max_iter=2, random_state=0).fit(X.astype(int), y).dtype_
        dtype('float64')
        """
        return np.dtype(self._spec["dtype"])

    # ------------------------------------------------------------------ public API
    @limit_blas_threads
    def fit(self, X, y, sample_weight=None):
        """Train on ``(X, y)``, from scratch unless ``warm_start`` and already fitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of every sample (None: all 1). With ``wbar``
            the mean weight of the training samples, a sample's share of its
            batch's data loss is ``weight / wbar / m`` (``m`` the batch's
            length, instead of ``1 / m``) and the penalty's ``n`` is
            ``batch_size * wbar``. Where one batch holds every sample (the
            scipy solvers, ``"sgd"`` with ``batch_size >= n_samples``) that is
            the weighted mean loss plus the penalty over ``sum(weights)``, so
            an integer weight is the row repeated and a zero weight the row
            left out, to rounding (about 1e-15 in the probabilities in
            float64, 1e-7 in float32). With smaller mini-batches the
            expected step is the repeated rows' step, but repeated rows would
            fall into other batches. The learning-rate schedule counts epochs;
            the hold-out's ``val_loss`` and ``val_score`` are weighted by its
            samples' weights. Metadata routing:
            ``set_fit_request(sample_weight=True)``.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> X = np.r_[np.zeros((20, 2)), np.ones((20, 2))]
        >>> y = np.r_[np.zeros(20), np.ones(20)]
        >>> MLPScratchClassifier((5,), random_state=0).fit(X, y).n_iter_ > 0
        True
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @available_if(_is_sgd)
    @limit_blas_threads
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one sgd epoch over ``(X, y)``, keeping weights and momentum between calls.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), optional
            All classes; required on the first call.
        sample_weight : array-like of shape (n_samples,), optional
            As in :meth:`fit` (mini-batch sgd).

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> clf = MLPScratchClassifier((5,), random_state=0)
        >>> X, y = np.eye(4), np.array([0, 1, 2, 2])
        >>> clf.partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y).n_iter_
        2
        """
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; use fit instead.")
        return self._fit(X, y, classes=classes, incremental=True, sample_weight=sample_weight)

    @limit_blas_threads
    def predict_proba(self, X):
        """Class probabilities (normalized sigmoid outputs, or the softmax).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> X, y = np.eye(3), np.array([0, 1, 2])
        >>> p = MLPScratchClassifier((4,), random_state=0).fit(X, y).predict_proba(X)
        >>> np.allclose(p.sum(axis=1), 1)
        True
        """
        out = self._forward(X)
        if self._output_name != "softmax":
            out = out / out.sum(axis=1, keepdims=True)
        return out

    @limit_blas_threads
    def predict(self, X):
        """Predicted class of every sample (the output node with the largest value).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> X, y = np.eye(3), np.array(["a", "b", "c"])
        >>> MLPScratchClassifier((4,), random_state=0).fit(X, y).predict(X).dtype.kind
        'U'
        """
        out = self._forward(X)
        return self.classes_[np.argmax(out, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.multi_label = False
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_net", None)  # holds functions; rebuilt from _spec on demand
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_theta" in state:
            # pickling copies views separately: make coefs_/intercepts_ views of _theta again
            # (a new array: the unpickled one may be a read-only memory map)
            self._theta = self._network().pack(state["coefs_"], state["intercepts_"])
            self.coefs_, self.intercepts_ = self._network().unpack(self._theta)

    # ------------------------------------------------------------------ internals
    @property
    def _output_name(self):
        return self._spec["output"]

    def _network(self):
        """The :class:`FlatNetwork` of the fitted model (rebuilt after unpickling)."""
        net = getattr(self, "_net", None)
        if net is None:
            spec = self._spec
            net = FlatNetwork(spec["sizes"], spec["hidden"], spec["output"], spec["loss"], spec["dtype"])
            self._net = net
        return net

    def _params(self):
        """The flat parameter vector, repacked first if ``coefs_``/``intercepts_`` were replaced."""
        theta = self._theta
        arrays = list(self.coefs_) + list(self.intercepts_)
        if not all(isinstance(w, np.ndarray) and np.may_share_memory(w, theta) for w in arrays):
            net = self._network()
            theta = net.pack(self.coefs_, self.intercepts_)
            self._theta = theta
            self.coefs_, self.intercepts_ = net.unpack(theta)
        return theta

    def _forward(self, X):
        check_is_fitted(self)
        theta = self._params()
        X = validate_data(self, X, reset=False, dtype=self.dtype_)
        # row_exact: a row's prediction must not depend on its batch (see skcnn._nn.network.row_matmul)
        return self._network().forward(theta, X, row_exact=True)

    def _resolve_spec(self, n_features, n_outputs, dtype):
        """Check the parameters that are names or lists; return what builds the network."""
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(np.ravel(np.asarray(sizes, dtype=object)))
        if any(not isinstance(s, Integral) or isinstance(s, bool) or s < 1 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be a positive int or a sequence of positive ints, "
                f"got {self.hidden_layer_sizes!r}."
            )
        acts = self.activation
        if isinstance(acts, (list, tuple)):
            if len(acts) != len(sizes):
                raise ValueError(
                    f"activation is a list of {len(acts)} entries; expected one per hidden layer "
                    f"({len(sizes)}) or a single activation."
                )
            acts = list(acts)
        else:
            acts = [acts] * len(sizes)
        for a in acts:
            _checked("activation", get_activation, a)
        loss = self.loss
        if loss == "log_loss" and self.output_activation == "softmax":
            loss = "categorical_crossentropy"
        _checked("loss", get_loss, loss)
        _checked("solver", get_solver, self.solver)
        _checked("init", initializers.get, self.init)
        return {
            "sizes": [int(n_features), *(int(s) for s in sizes), int(n_outputs)],
            "hidden": acts,
            "output": self.output_activation,
            "loss": loss,
            "dtype": np.dtype(dtype).name,  # a name, not a numpy.dtype: skops trusts plain strings
        }

    def _validate_input(self, X, y, first):
        if first:
            # None: float32 and float64 input as they are, anything else (ints, bools, objects) as float64
            dtype = [np.float64, np.float32] if self.dtype is None else np.dtype(self.dtype)
        else:
            dtype = self.dtype_  # a continued fit keeps the network's dtype, whatever dtype is now
        X, y = validate_data(self, X, y, reset=first, dtype=dtype)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return X, y

    def _fit(self, X, y, classes=None, incremental=False, sample_weight=None):
        self._validate_params()
        start = time.perf_counter()
        if incremental:
            first = _check_partial_fit_first_call(self, classes)
        else:
            first = not (self.warm_start and hasattr(self, "_theta"))
        X, y = self._validate_input(X, y, first)
        sw = check_sample_weight(sample_weight, X)
        if first:
            classes = self.classes_ if incremental else np.unique(y)
            if len(classes) < 2:
                only = np.asarray(classes).tolist()[0]
                raise ValueError(f"MLPScratchClassifier needs samples of at least 2 classes; got 1 class ({only!r}).")
            self._initialize(X, classes)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"y contains classes {unknown.tolist()} not in classes_={self.classes_.tolist()}; pass all "
                f"classes to the first partial_fit, or fit without warm_start."
            )
        target = np.searchsorted(self.classes_, y)
        T = np.zeros((len(y), len(self.classes_)), dtype=self._theta.dtype)
        T[np.arange(len(y)), target] = 1
        solver = get_solver(self.solver)
        if solver.kind not in ("sgd", "minimize"):
            raise ValueError(f"solver={self.solver!r} has kind {solver.kind!r}; expected 'sgd' or a minimizer.")
        epochs = 1 if incremental else int(self.max_iter)
        with FitCallbacks(self, X, y, max_subtasks=epochs, metadata={"sample_weight": sample_weight},
                          subtask_name="epoch" if solver.kind == "sgd" else "iteration") as tasks:
            if solver.kind == "sgd":
                self._fit_sgd(X, T, target, sw, incremental, tasks)
            else:
                self._fit_minimize(solver, X, T, target, sw, tasks)
            self.fit_time_ = time.perf_counter() - start
        return self

    def _initialize(self, X, classes):
        self.classes_ = np.asarray(classes)
        self._spec = self._resolve_spec(X.shape[1], len(self.classes_), X.dtype)
        self._net = None
        net = self._network()
        self._rng = check_random_state(self.random_state)
        self._theta = net.init_params(self._rng, self.init, float(self.init_scale))
        self.coefs_, self.intercepts_ = net.unpack(self._theta)
        self.n_layers_ = len(self._spec["sizes"])
        self.n_outputs_ = len(self.classes_)
        self.out_activation_ = self.output_activation
        self.n_iter_ = 0
        self.history_ = History()
        self.batch_loss_curve_ = []
        self.batch_error_curve_ = []
        self.reg_ratio_curve_ = []
        self.best_loss_ = None
        self.best_validation_score_ = None
        self._velocity = np.zeros_like(self._theta)

    def _split_validation(self, X, T, target, sw, incremental):
        """``X, T, sw`` to train on, then ``X, y, sw`` to validate on (None without a hold-out)."""
        fraction = self.validation_fraction
        if fraction is None and self.early_stopping:
            fraction = 0.1
        if incremental or fraction is None:
            return X, T, sw, None, None, None
        stratify = target if np.bincount(target).min() >= 2 else None
        idx_train, idx_val = train_test_split(
            np.arange(len(target)), test_size=fraction, stratify=stratify,
            random_state=self._rng.randint(np.iinfo(np.int32).max),
        )
        if len(idx_val) < 2:
            raise ValueError(
                f"validation_fraction={fraction} leaves {len(idx_val)} validation sample(s); "
                f"expected at least 2: increase validation_fraction or use more data."
            )
        if sw is None:
            return X[idx_train], T[idx_train], None, X[idx_val], target[idx_val], None
        if not sw[idx_train].sum() > 0:
            raise ValueError(
                f"sample_weight: every sample with a positive weight went to the hold-out "
                f"(validation_fraction={fraction}); expected some in the training part: give more samples "
                f"a positive weight or fit without a hold-out."
            )
        return X[idx_train], T[idx_train], sw[idx_train], X[idx_val], target[idx_val], sw[idx_val]

    def _fitted_state(self, theta):
        """The fitted attributes that let a copy of this estimator predict with ``theta`` (a new array)."""
        theta = np.array(theta, dtype=self._theta.dtype)
        coefs, intercepts = self._network().unpack(theta)
        return {"_theta": theta, "coefs_": coefs, "intercepts_": intercepts}

    def _validation_row(self, net, theta, X_val, y_val, sw_val, work=None):
        """``val_loss`` (data loss) and ``val_score`` (accuracy) of ``theta`` on the hold-out, weighted."""
        out = net.forward(theta, X_val, work)
        T_val = np.zeros(out.shape, dtype=out.dtype)
        T_val[np.arange(len(y_val)), y_val] = 1
        if sw_val is not None and not sw_val.sum() > 0:
            sw_val = None  # the hold-out drew only zero weights: count its samples alike
        share = None if sw_val is None else sw_val / sw_val.sum()
        correct = np.argmax(out, axis=1) == y_val
        return {"val_loss": loss_value(net.loss, out, T_val, share),
                "val_score": float(np.mean(correct) if share is None else np.dot(share, correct))}

    def _fit_sgd(self, X, T, target, sw, incremental, tasks):
        net = self._network()
        theta = self._params()
        X, T, sw, X_val, y_val, sw_val = self._split_validation(X, T, target, sw, incremental)
        # a sample's weight counts relative to the mean weight w of the training rows: its share of a
        # batch gradient is weight / w / batch length, and the penalty of a batch is divided by the
        # nominal batch's weight, batch_size * w (the total weight when one batch holds every row)
        mean_weight = 1.0 if sw is None else float(sw.mean())
        scale = None if sw is None else sw / mean_weight
        if not incremental:
            self._velocity = np.zeros_like(theta)
            self.n_iter_ = 0
        velocity = self._velocity
        inputs, X = used_inputs(X)
        n, batch = X.shape[0], max(1, min(int(self.batch_size), X.shape[0]))
        n_penalty = batch * mean_weight
        work = Workspace(net, batch)
        xbuf = np.empty((batch, X.shape[1]), dtype=X.dtype)
        tbuf = np.empty((batch, T.shape[1]), dtype=T.dtype)
        grad = np.empty_like(theta)
        val_work = Workspace(net, len(X_val), backward=False) if X_val is not None else None
        l1, l2 = float(self.alpha_l1), float(self.alpha_l2)
        curves = (self.batch_loss_curve_, self.batch_error_curve_, self.reg_ratio_curve_)
        epoch_sum = [0.0, 0]

        def batch_grad(idx):
            m = len(idx)
            if self.shuffle:
                xb = np.take(X, idx, axis=0, out=xbuf[:m], mode="clip")
                tb = np.take(T, idx, axis=0, out=tbuf[:m], mode="clip")
            else:
                xb, tb = X[idx[0]:idx[0] + m], T[idx[0]:idx[0] + m]
            rows = None if scale is None else scale[idx] / m
            stats = net.cost_grad(theta, grad, xb, tb, alpha_l1=l1, alpha_l2=l2, work=work, inputs=inputs,
                                  n_penalty=n_penalty, row_weights=rows)
            curves[0].append(stats.cost)
            curves[1].append(stats.error)
            curves[2].append(stats.reg / stats.loss if stats.loss > 0 else 0.0)
            epoch_sum[0] += stats.cost * m
            epoch_sum[1] += m
            return stats.cost, grad

        rule = StoppingRule(self.tol, self.n_iter_no_change, higher_is_better=X_val is not None and
                            self.early_stopping)
        if self.early_stopping:
            self.best_loss_ = None
            best_theta = theta.copy()
            self.best_validation_score_ = -np.inf
        elif not incremental or self.best_loss_ is None:
            self.best_loss_ = np.inf
        n_iter = self.n_iter_

        def run_epoch(done):
            # the schedule counts the epochs in history_ (on across warm starts and partial_fit calls)
            eta = float(self.learning_rate) / (1.0 + float(self.learning_rate_decay) * len(self.history_))
            epoch_sum[0], epoch_sum[1] = 0.0, 0
            sgd_epoch(batch_grad, theta, velocity, n_samples=n, batch_size=batch, learning_rate=eta,
                      momentum=float(self.momentum), rng=self._rng if self.shuffle else None,
                      max_batches=self.max_batches)
            epoch_loss = epoch_sum[0] / max(epoch_sum[1], 1)
            if not np.isfinite(epoch_loss):
                raise ValueError(
                    f"The training loss became {epoch_loss} in epoch {n_iter + done + 1}: learning_rate="
                    f"{self.learning_rate} is too large for this data; lower it (or standardize X)."
                )
            row = {"loss": epoch_loss, "learning_rate": eta}
            if X_val is not None:
                row.update(self._validation_row(net, theta, X_val, y_val, sw_val, val_work))
            if self.early_stopping:
                if row["val_score"] > self.best_validation_score_:
                    self.best_validation_score_ = row["val_score"]
                    np.copyto(best_theta, theta)
                return row, rule.update(row["val_score"]) and not incremental
            self.best_loss_ = min(self.best_loss_, epoch_loss)
            return row, rule.update(epoch_loss) and not incremental

        checkpoint = Checkpoint([theta, velocity], [getattr(self, name) for name in _HISTORIES])
        epochs = 1 if incremental else int(self.max_iter)
        bar = _progress(self.verbose, epochs)
        try:
            run = run_epochs(run_epoch, epochs, history=self.history_, checkpoint=checkpoint, tasks=tasks,
                             state=lambda: self._fitted_state(checkpoint.saved[0]),
                             report=lambda done, row: _report(self.verbose, bar, n_iter + done, row["loss"],
                                                              row.get("val_score")))
        finally:
            if bar is not None:
                bar.close()
        self.n_iter_ = n_iter + run.n_epochs
        if self.early_stopping:
            if np.isfinite(self.best_validation_score_):
                np.copyto(theta, best_theta)
            else:  # interrupted before the first epoch ended
                self.best_validation_score_ = None
        elif not np.isfinite(self.best_loss_):
            self.best_loss_ = None
        if run.reason is None and not incremental:
            warn_at_caller(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached and the optimization "
                f"hasn't converged yet; raise max_iter or learning_rate.", ConvergenceWarning,
            )

    def _fit_minimize(self, solver, X, T, target, sw, tasks):
        net = self._network()
        theta = self._params()
        X, T, sw, X_val, y_val, sw_val = self._split_validation(X, T, target, sw, False)
        # one batch holds every row: each row's share of the loss is weight / total weight, and the
        # penalty is divided by the total weight (as in sgd: batch length * mean weight)
        rows, n_penalty = (None, None) if sw is None else (sw / sw.sum(), float(sw.sum()))
        work = Workspace(net, X.shape[0])
        grad = np.empty_like(theta)
        l1, l2 = float(self.alpha_l1), float(self.alpha_l2)
        last = {}
        inputs, X_used = used_inputs(X)

        def fun(x):
            theta[:] = x
            stats = net.cost_grad(theta, grad, X_used, T, alpha_l1=l1, alpha_l2=l2, work=work, inputs=inputs,
                                  n_penalty=n_penalty, row_weights=rows)
            last["stats"] = stats
            return stats.cost, grad.astype(np.float64)

        def on_iteration(xk, loss):
            stats = last["stats"]
            self.batch_loss_curve_.append(stats.cost)
            self.batch_error_curve_.append(stats.error)
            self.reg_ratio_curve_.append(stats.reg / stats.loss if stats.loss > 0 else 0.0)
            row = {"loss": float(loss)}
            if X_val is not None:
                row.update(self._validation_row(net, np.asarray(xk, dtype=theta.dtype), X_val, y_val, sw_val))
            return row

        n_epochs = len(self.history_)
        checkpoint = Checkpoint([theta], [getattr(self, name) for name in _HISTORIES])
        bar = _progress(self.verbose, int(self.max_iter), unit="iteration")
        try:
            result = run_minimizer(
                solver.minimizer, fun, theta.astype(np.float64), max_iter=int(self.max_iter), tol=float(self.tol),
                on_iteration=on_iteration, history=self.history_, checkpoint=checkpoint, tasks=tasks,
                state=lambda: self._fitted_state(checkpoint.saved[0]),
                report=lambda done, row: _report(self.verbose, bar, done, row["loss"], row.get("val_score"),
                                                 unit="Iteration"))
        finally:
            if bar is not None:
                bar.close()
        self.n_iter_ = len(self.history_) - n_epochs
        if result is not None:
            theta[:] = getattr(result, "x", result)
            if len(self.history_) == n_epochs:  # a custom minimizer that calls no callback
                for loss in getattr(result, "loss_curve", []):
                    self.history_.new_epoch(loss=float(loss))
            self.n_iter_ = int(getattr(result, "n_iter", 0) or len(self.history_) - n_epochs)
            if not getattr(result, "success", True) and self.n_iter_ >= self.max_iter:
                warn_at_caller(f"solver={self.solver!r} reached max_iter={self.max_iter} before converging; "
                               f"raise max_iter.", ConvergenceWarning)
            if len(self.history_) == n_epochs:
                self.history_.new_epoch(loss=float(fun(theta.astype(np.float64))[0]))
            self.n_iter_ = max(self.n_iter_, 1)
        if not np.all(np.isfinite(theta)):
            raise ValueError(f"solver={self.solver!r} produced non-finite weights; standardize X or "
                             f"raise alpha_l2.")
        losses = self.history_[n_epochs:, "loss"]
        self.best_loss_ = float(min(losses)) if losses else None
        scores = [row["val_score"] for row in self.history_[n_epochs:] if "val_score" in row]
        self.best_validation_score_ = max(scores) if scores else None


_HISTORIES = ("history_", "batch_loss_curve_", "batch_error_curve_", "reg_ratio_curve_")


def _checked(name, lookup, value):
    """Call ``lookup(value)``, re-raising its ValueError with the parameter's name in front."""
    try:
        return lookup(value)
    except ValueError as exc:
        raise ValueError(f"Invalid {name}={value!r}: {exc}") from None


def _progress(verbose, total, unit="epoch"):
    """A tqdm progress bar when ``verbose >= 2``, else None."""
    if int(verbose) < 2:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="MLPScratchClassifier", unit=unit, file=sys.stderr, leave=False)


def _report(verbose, bar, epoch, loss, score, unit="Epoch"):
    if bar is not None:
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.5f}", **({} if score is None else {"val_acc": f"{score:.4f}"}))
    elif verbose:
        line = f"{unit} {epoch}, loss = {loss:.6f}"
        if score is not None:
            line += f", validation accuracy = {score:.4f}"
        print(line)
