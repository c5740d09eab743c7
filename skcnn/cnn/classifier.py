"""KerasCNNClassifier: the series' CNN with flat, grid-searchable hyperparameters."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import math
import numbers
import os
import multiprocessing
import random
import sys
import tempfile
import threading
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._base import DocLinkMixin
from .._callbacks import CallbackSupportMixin, FitCallbacks
from .._history import History
from .._nn.loop import interrupted_message, warn_at_caller
from .._nn.losses import check_sample_weight
from .._validation import is_int
from ..plugins import cnn_architectures
from .._keras import device_scope, import_keras, import_tensorflow

__all__ = ["KerasCNNClassifier"]

PRECISIONS = ("float32", "float64", "mixed_bfloat16", "mixed_float16")
LR_SCHEDULES = ("exponential", "step", "cosine")
# Hyperparameters handed to the architecture builder (plus ``dtype``).
ARCHITECTURE_PARAMS = ("conv_filters", "kernel_size", "pool_size", "pool", "conv_activation", "dense_units",
                       "dense_activation", "dropout", "alpha_l2", "alpha_l1")
# Images per forward pass in predict: large enough to amortize the per-call cost,
# small enough to keep the feature maps of one chunk in a few hundred MB.
_PREDICT_CHUNK = 1024
# Up to this many images, predict calls the model eagerly (no tracing).
_EAGER_PREDICT_MAX = 256


@contextlib.contextmanager
def _seeded(keras, seed):
    """Seed Keras, TensorFlow, NumPy and ``random`` inside the block; restore NumPy's and ``random``'s state after."""
    if seed is None:
        yield
        return
    py_state, np_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def _seed_config(config, rng):
    """Give every unseeded random part of a layer config (its initializers, its own ``seed``) a seed from ``rng``."""
    for key, value in config.items():
        if key == "seed" and value is None:
            config[key] = int(rng.randint(1, 2**31 - 1))
        elif isinstance(value, dict) and isinstance(value.get("config"), dict) \
                and "seed" in value["config"] and value["config"]["seed"] is None:
            value["config"]["seed"] = int(rng.randint(1, 2**31 - 1))
    return config


def _explicitly_seeded(keras, model, seed):
    """``model`` rebuilt with a seed of its own for every initializer and random layer, drawn from ``seed``.

    Keras gives an initializer or a Dropout layer built without a seed one drawn
    from Python's global ``random``. :func:`_seeded` seeds that generator, but
    another thread of the same process may draw from it between the seeding
    and the draws: a Dask worker's event loop does, mid-task, so the same
    ``random_state`` gave different initial weights on a Dask worker. Seeds
    drawn from a private ``RandomState`` do not depend on other threads.
    A model ``clone_model`` cannot rebuild (a subclassed one) is kept as built.
    """
    rng = np.random.RandomState(seed)

    def clone(layer):
        if isinstance(layer, keras.Model):
            return keras.models.clone_model(layer, clone_function=clone)
        return layer.__class__.from_config(_seed_config(layer.get_config(), rng))

    try:
        return keras.models.clone_model(model, clone_function=clone)
    except Exception:  # noqa: BLE001 - subclassed models cannot be cloned; their build was seeded already
        return model


class _NoRetracingWarning(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning.

    Every fit builds a new model with new compiled functions, so a grid search
    or a cross-validation trips TensorFlow's detector of frequent retracing
    although nothing is traced twice for the same model.
    """

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def _no_retracing_warning():
    logger = logging.getLogger("tensorflow")
    quiet = _NoRetracingWarning()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _no_gradients(keras):
    """A block whose model calls record no gradient: ``torch.no_grad()`` on PyTorch (nothing to do elsewhere)."""
    if keras.backend.backend() != "torch":
        return contextlib.nullcontext()
    import torch

    return torch.no_grad()


def _in_parallel_worker():
    """``(in_worker, own_process)``: whether this code runs as a task of joblib or Dask, and in a worker process.

    joblib raises the nesting level of its backend inside a task (loky and
    threads alike); a Dask worker answers ``distributed.get_worker()``.
    """
    from joblib.parallel import get_active_backend

    child = multiprocessing.parent_process() is not None
    if (get_active_backend()[0].nesting_level or 0) > 0:
        return True, child
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        try:
            distributed.get_worker()
        except ValueError:
            pass
        else:
            return True, child or threading.current_thread() is not threading.main_thread()
    return False, False


_FITS_LOCK = threading.Lock()
_fits_running = 0


@contextlib.contextmanager
def _fit_slot(keras):
    """Count the fits running in this process; a worker process clears Keras' global state before the first.

    A long-lived worker (loky, Dask) fits one model after another, and
    Keras' global state (layer-name counters, TensorFlow's default graph and
    kernel cache) grows with each. ``keras.backend.clear_session`` resets it
    for the whole process, so it runs only in a worker process and only when
    no other fit is running there. Models that are alive keep working: their
    variables and compiled functions are their own.
    """
    global _fits_running
    with _FITS_LOCK:
        if _fits_running == 0:
            in_worker, own_process = _in_parallel_worker()
            if in_worker and own_process:
                keras.backend.clear_session()
        _fits_running += 1
    try:
        yield
    finally:
        with _FITS_LOCK:
            _fits_running -= 1


@functools.cache
def _epoch_recorder(keras):
    """The Keras callback class that writes one :class:`~skcnn.History` row per epoch.

    It also reports each epoch to scikit-learn's callbacks as a subtask
    (``tasks``, a :class:`skcnn._callbacks.FitCallbacks`) and stops training
    after an epoch when one of them asks to.
    """

    class EpochRecorder(keras.callbacks.Callback):
        """Appends ``loss``, ``score`` (training accuracy), ``val_loss``, ``val_score``, ``learning_rate`` and ``dur``.

        ``kept`` is ``(epochs, weights, optimizer_variables)`` of the last
        finished epoch (or what ``kept`` was given), what an interrupted fit
        goes back to; it is replaced only after the epoch's row is written.
        """

        def __init__(self, history, tasks=None, state=None, kept=None):
            super().__init__()
            self.history = history
            self.tasks = tasks
            self.state = state
            self.kept = kept

        def on_epoch_begin(self, epoch, logs=None):
            if self.tasks is not None:
                self.tasks.begin()
            self._start = time.perf_counter()
            # the variable itself: under a MirroredStrategy its .value is a mirrored value NumPy cannot read
            self._learning_rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            row = {"loss": float(logs["loss"])}
            for key, name in (("val_loss", "val_loss"), ("val_accuracy", "val_score"), ("accuracy", "score")):
                if key in logs:
                    row[name] = float(logs[key])
            row["learning_rate"] = self._learning_rate
            row["dur"] = time.perf_counter() - self._start
            snapshot = _training_state(self.model)
            self.history.new_epoch(**row)
            self.kept = (len(self.history),) + snapshot
            if self.tasks is not None and self.tasks.end(self.state):
                self.model.stop_training = True  # a scikit-learn callback asked to stop: end after this epoch

    return EpochRecorder


def _model_distribution(model):
    """The distribution a model was built under: its MirroredStrategy (TensorFlow), its DataParallel (JAX), or None."""
    return getattr(model, "_distribute_strategy", None) or getattr(model, "_skcnn_distribution", None)


def _training_state(model):
    """Copies of the model's weights and of its optimizer's variables (step count, moments, ...)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return model.get_weights(), []
    keras = import_keras()
    if keras.backend.backend() == "tensorflow":
        # the variable's value: under a MirroredStrategy the variable itself is mirrored
        return model.get_weights(), [np.array(v.value.numpy()) for v in optimizer.variables]
    return model.get_weights(), [np.array(keras.ops.convert_to_numpy(v.value)) for v in optimizer.variables]


def _restore_training_state(model, weights, variables):
    """Put back what :func:`_training_state` copied."""
    model.set_weights(weights)
    if variables:
        for variable, value in zip(model.optimizer.variables, variables):
            variable.assign(value)


def _model_to_bytes(model):
    """A Keras model as the bytes of a ``.keras`` archive (JSON config plus weights)."""
    with tempfile.TemporaryDirectory(prefix="skcnn-") as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        with open(path, "rb") as file:
            return file.read()


def _model_from_bytes(data):
    """The model of ``.keras`` archive bytes, loaded with ``safe_mode=True``; a clear ValueError if refused."""
    keras = import_keras()
    with tempfile.TemporaryDirectory(prefix="skcnn-") as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as file:
            file.write(data)
        try:
            return keras.saving.load_model(path, safe_mode=True)
        except Exception as exc:
            raise ValueError(
                "KerasCNNClassifier refuses to load this network: Keras' safe mode rejected it, or it is not a "
                f"valid .keras archive ({type(exc).__name__}: {exc}). A saved skcnn CNN holds only Keras' own "
                "layers (or layers registered with keras.saving.register_keras_serializable); a Lambda layer or "
                "unknown code means the file was made elsewhere or changed. Load it only from a source you trust, "
                "and rebuild the model in code rather than turning safe mode off."
            ) from exc


def _macs_per_sample(model):
    """Rough multiply-adds of one forward pass: kernel size times output positions, summed over layers."""
    total = 0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            total += layer.count_params()
            continue
        try:
            positions = math.prod(layer.output.shape[1:-1])
        except (AttributeError, TypeError, ValueError):
            positions = 1
        total += math.prod(kernel.shape) * positions
    return total


def _keras_weights(weights, rows):
    """``weights`` as float32 for Keras, scaled by a power of two to average between 1/2 and 1 (None stays None).

    The loss divides each batch's ``sum(w * loss)`` by the batch's ``sum(w)``
    (Keras' ``"mean_with_sample_weight"``), so a common factor cancels; a power
    of two keeps every weight exact (integer weights stay integers times the
    same power of two) while keeping float32 far from overflow. ``rows`` names
    the rows in the error message.
    """
    if weights is None:
        return None
    total = float(weights.sum())
    if not total > 0:
        raise ValueError(f"sample_weight (times class_weight) is 0 on every {rows} row; give at least one of them "
                         "a positive weight.")
    return np.ldexp(weights, -math.frexp(total / len(weights))[1]).astype(np.float32)


def _builder_kwargs(builder, kwargs):
    """The subset of ``kwargs`` that ``builder`` accepts (all of them if it takes ``**kwargs``)."""
    try:
        parameters = inspect.signature(builder).parameters
    except (TypeError, ValueError):
        return kwargs
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in parameters}


class KerasCNNClassifier(CallbackSupportMixin, ClassifierMixin, DocLinkMixin, BaseEstimator):
    """The convolutional network of the series, as a scikit-learn classifier (Keras 3 on TensorFlow).

    Convolutions with a pooling layer between two of them, dense layers and a
    softmax, trained with sparse categorical cross-entropy. Every
    hyperparameter is a flat constructor argument, so the estimator works with
    ``clone``, ``Pipeline``, ``GridSearchCV`` and joblib. TensorFlow is
    imported the first time the estimator fits or predicts.

    Parameters
    ----------
    architecture : str or callable, default="series"
        A name in :data:`skcnn.plugins.cnn_architectures` (``"series"``,
        ``"padded"``, or one you registered) or a callable
        ``builder(input_shape, n_classes, **hyperparameters)`` returning an
        uncompiled ``keras.Model`` with a softmax output. The builder
        receives the hyperparameters below that its signature names.
    conv_filters : sequence of int, default=(32, 64, 64)
        Number of maps of each convolution.
    kernel_size : int or pair of int, default=3
        Size of the convolution kernels.
    pool_size : int or pair of int, default=2
        Size of the pooling windows.
    pool : {"max", "avg"}, default="max"
        Kind of pooling.
    conv_activation : str, default="relu"
        Keras activation of the convolutions.
    dense_units : sequence of int, default=(70,)
        Units of the hidden dense layers.
    dense_activation : str, default="relu"
        Keras activation of the hidden dense layers.
    dropout : float, default=0.0
        Dropout rate after each hidden dense layer.
    alpha_l2 : float, default=0.0
        L2 penalty on every kernel (Keras' ``regularizers.L2``: the loss
        gains ``alpha_l2 * sum(w ** 2)`` per kernel).
    alpha_l1 : float, default=0.0
        L1 penalty on every kernel (``alpha_l1 * sum(|w|)`` per kernel).
    optimizer : str or keras.optimizers.Optimizer, default="rmsprop"
        Keras optimizer name or instance (its configuration is copied; the
        instance itself is never trained).
    learning_rate : float, optional
        Initial learning rate; the optimizer's default if None.
    momentum : float, optional
        Momentum of ``"sgd"`` or ``"rmsprop"``; the optimizer's default if None.
    learning_rate_schedule : {None, "exponential", "step", "cosine"}, keras schedule or callable, default=None
        ``"exponential"`` multiplies the rate by 0.8 per epoch, ``"step"``
        divides it by 10 after half and again after three quarters of the
        epochs, ``"cosine"`` decays it to zero over the epochs. A
        ``keras.optimizers.schedules.LearningRateSchedule`` is used as the
        learning rate; any other callable ``f(epoch, lr) -> lr`` runs in a
        ``keras.callbacks.LearningRateScheduler``.
    epochs : int, default=5
        Passes over the training data per call to :meth:`fit`.
    batch_size : int, default=64
        Samples per gradient step.
    shuffle : bool, default=True
        Shuffle the training data before each epoch.
    validation_fraction : float, optional
        Fraction of the training data held out (stratified) to report
        ``val_loss`` and ``val_score`` (accuracy) in ``history_`` and to drive
        early stopping.
    early_stopping : bool, default=False
        Stop when the monitored loss (validation loss if there is a
        validation set, else training loss) has not improved for
        ``n_iter_no_change`` epochs, and restore the best weights.
    n_iter_no_change : int, default=3
        Patience of early stopping, in epochs.
    callbacks : list of keras.callbacks.Callback, optional
        Extra Keras callbacks for ``model.fit``.
    class_weight : dict, "balanced" or None, default=None
        Weights per class label, as in scikit-learn; multiplied into the
        sample weights, and weighted the same way (see :meth:`fit`).
    image_shape : tuple of int, optional
        ``(height, width)`` or ``(height, width, channels)`` of one image when
        X holds flattened images. If None, 3-D and 4-D inputs give their own
        shape, and flat X with a square number of features is taken as square
        one-channel images (otherwise as images one pixel high).
    precision : {"float32", "float64", "mixed_bfloat16", "mixed_float16"}, default="float32"
        Keras precision policy of the hidden layers; the softmax output
        computes in float32, except under ``"float64"``, where every layer,
        the weights and the loss are float64 (the images themselves enter
        as float32). ``"float64"`` is slow, serves checks that need
        exact arithmetic, and trains without penalties only
        (``alpha_l2 = alpha_l1 = 0``).
    device : {"auto", "cpu", "gpu"} or str, default="auto"
        Where TensorFlow runs: ``"auto"`` takes the first visible GPU, else the
        CPU; a TensorFlow device name such as ``"/GPU:1"`` is used as given.
    distribution : None, "mirrored" or list of str, default=None
        Train one model on several devices with
        ``tf.distribute.MirroredStrategy`` (data parallel: each device takes
        a slice of every batch; ``batch_size`` is the global batch).
        ``"mirrored"`` uses every GPU TensorFlow sees, else every logical
        CPU; a list names the devices (``["GPU:0", "GPU:1"]``,
        ``["CPU:0", "CPU:1"]``). The model is built and compiled inside the
        strategy's scope. Leave ``device="auto"`` with it. Inside a parallel
        search (joblib or Dask worker) it warns: the workers would compete
        for the same devices.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, dropout, shuffling and the validation
        split. With an int, two fits give identical predictions on the CPU.
    verbose : int, default=0
        Keras' progress output (0, 1 or 2).
    warm_start : bool, default=False
        Continue training the fitted model (and its optimizer state) instead
        of starting again. Without it every fit starts from the same initial
        weights, which are kept in ``initial_weights_``, as long as the
        architecture, data shape and classes stay the same.

    Attributes
    ----------
    model_ : keras.Model
        The trained network.
    history_ : skcnn.History
        One row per epoch: ``epoch``, ``loss`` (cross-entropy plus the
        penalties), ``score`` (training accuracy), ``learning_rate`` (at the
        start of the epoch), ``dur`` (seconds) and, with a validation set,
        ``val_loss`` and ``val_score`` (accuracy); extended by warm starts.
    initial_weights_ : list of ndarray
        The weights training started from.
    classes_ : ndarray
        Class labels.
    n_features_in_ : int
        Pixels per image (height * width * channels).
    feature_names_in_ : ndarray of str
        Column names, when X was a DataFrame.
    image_shape_ : tuple of int
        ``(height, width, channels)`` of the network's input.
    input_range_ : tuple of float
        ``(low, high)``: the smallest and largest input value seen in
        training (over every fit when ``warm_start=True``). The inspectors
        keep the images they make inside it.
    fit_time_ : float
        Wall-clock seconds of the last :meth:`fit`.

    See Also
    --------
    skcnn.plugins.cnn_architectures : registered model builders.
    skcnn.MLPScratchClassifier : the NumPy multilayer perceptron of the series.

    Notes
    -----
    Training is Keras' ``model.fit`` on NumPy arrays, exactly as a
    hand-written Keras script would run it. Fits of a few cheap steps (at
    most 50, small convolutions) run eagerly, because tracing the training
    step of a new model costs more than it saves. :meth:`predict_proba`
    calls the model directly on up to 256 images and Keras' compiled predict
    step on chunks of 1024 beyond that, instead of ``model.predict`` and its
    batches of 32 (the two paths agree to float32 rounding).

    With an int ``random_state``, ``fit`` calls
    ``keras.utils.set_random_seed``; the global states of NumPy and
    ``random`` are restored afterwards, TensorFlow's global seed stays set.
    Pickling and ``skops.io`` store the network as the bytes of a ``.keras``
    archive (configuration and weights, no Python code) and load it with
    ``keras.saving.load_model(..., safe_mode=True)``, so a tampered archive
    with a ``Lambda`` layer is refused with a ValueError. A custom
    architecture's layers must be registered with
    ``keras.saving.register_keras_serializable`` where the model is loaded.
    ``skops.io.get_untrusted_types`` of a fitted CNN lists only skcnn's own
    classes (the estimator and :class:`~skcnn.History`).

    In a joblib or Dask worker process, ``fit`` first calls
    ``keras.backend.clear_session()`` when no other fit runs in that process,
    so a long-lived worker does not pile up Keras' global state; models that
    are alive keep working. In the user's own process nothing is cleared.
    ``distribution`` uses ``tf.distribute``: Keras' own
    ``keras.distribution`` API is a prototype on the TensorFlow backend.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import KerasCNNClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((20, 8, 8)).astype("float32")
    >>> y = np.array(["even", "odd"] * 10)
    >>> clf = KerasCNNClassifier(conv_filters=(4,), dense_units=(8,), epochs=1, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape, clf.image_shape_, clf.n_features_in_
    ((3,), (8, 8, 1), 64)
    >>> clf.history_.keys()
    ['epoch', 'loss', 'learning_rate', 'dur', 'score']
    """

    def __init__(self, architecture="series", *, conv_filters=(32, 64, 64), kernel_size=3, pool_size=2, pool="max",
                 conv_activation="relu", dense_units=(70,), dense_activation="relu", dropout=0.0, alpha_l2=0.0,
                 alpha_l1=0.0, optimizer="rmsprop", learning_rate=None, momentum=None, learning_rate_schedule=None,
                 epochs=5,
                 batch_size=64, shuffle=True, validation_fraction=None, early_stopping=False, n_iter_no_change=3,
                 callbacks=None, class_weight=None, image_shape=None, precision="float32", device="auto",
                 distribution=None, random_state=None, verbose=0, warm_start=False):
        self.architecture = architecture
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.pool = pool
        self.conv_activation = conv_activation
        self.dense_units = dense_units
        self.dense_activation = dense_activation
        self.dropout = dropout
        self.alpha_l2 = alpha_l2
        self.alpha_l1 = alpha_l1
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.learning_rate_schedule = learning_rate_schedule
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.callbacks = callbacks
        self.class_weight = class_weight
        self.image_shape = image_shape
        self.precision = precision
        self.device = device
        self.distribution = distribution
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------- persistence
    def __getstate__(self):
        """The state with the network as ``.keras`` archive bytes (weights, optimizer state, no Python code)."""
        state = super().__getstate__()
        if "model_" in state:
            state = {**state, "model_": _model_to_bytes(state["model_"])}
        return state

    def __setstate__(self, state):
        """Restore a pickled or skops state; the network loads with ``safe_mode=True`` (Lambda layers refused)."""
        if isinstance(state.get("model_"), bytes):
            state = {**state, "model_": _model_from_bytes(state["model_"])}
        super().__setstate__(state)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    # ------------------------------------------------------------------ checks
    # Types and ranges, checked by scikit-learn in fit (InvalidParameterError,
    # a ValueError naming the parameter). What a constraint cannot say (the
    # registry's names, the contents of a shape) is checked where it is used.
    _parameter_constraints = {
        "architecture": [str, callable],
        "conv_filters": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "kernel_size": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "pool_size": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "pool": [StrOptions({"max", "avg"})],
        "conv_activation": [str, callable],
        "dense_units": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "dense_activation": [str, callable],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "alpha_l2": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha_l1": [Interval(numbers.Real, 0, None, closed="left")],
        "optimizer": [str, HasMethods(["get_config"])],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left"), None],
        "learning_rate_schedule": [StrOptions(set(LR_SCHEDULES)), callable, None],
        "epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "callbacks": [list, tuple, None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "image_shape": ["array-like", None],
        "precision": [StrOptions(set(PRECISIONS))],
        "device": [str],  # "auto", "cpu", "gpu" or a TensorFlow device name (checked by device_name)
        "distribution": [StrOptions({"mirrored"}), list, tuple, None],
        "random_state": ["random_state"],
        "verbose": [Interval(numbers.Integral, 0, 2, closed="both")],
        "warm_start": ["boolean"],
    }

    def _checked_image_shape(self):
        shape = self.image_shape
        try:
            shape = tuple(shape)
        except TypeError:
            shape = ()
        if len(shape) not in (2, 3) or not all(is_int(s) and s >= 1 for s in shape):
            raise ValueError(
                f"image_shape must be None or a tuple (height, width) or (height, width, channels) of positive "
                f"ints, got {self.image_shape!r}."
            )
        return tuple(int(s) for s in shape) + ((1,) if len(shape) == 2 else ())

    def _resolve_image_shape(self, images, n_features):
        """The network's input shape from the ``image_shape`` parameter and the data."""
        if self.image_shape is not None:
            shape = self._checked_image_shape()
            if images is not None and images != shape:
                raise ValueError(
                    f"image_shape={self.image_shape!r} does not match the images in X, whose shape is {images}; "
                    "leave image_shape=None for 3-D or 4-D X, or pass matching images."
                )
            if math.prod(shape) != n_features:
                raise ValueError(
                    f"image_shape={self.image_shape!r} holds {math.prod(shape)} values per image, but X has "
                    f"{n_features} features per sample; pass the (height, width, channels) of the flattened images."
                )
            return shape
        if images is not None:
            return images
        side = math.isqrt(n_features)
        return (side, side, 1) if side * side == n_features else (1, n_features, 1)

    def _validate_X(self, X, y=None, *, fit, reset=True):
        """Validate X and return it as float32 images ``(n, h, w, c)``; in fit also y and the image shape."""
        images = None
        if not hasattr(X, "ndim") and not hasattr(X, "__array__") and not hasattr(X, "iloc"):
            X = np.asarray(X)
        if getattr(X, "ndim", 2) > 2:
            X = np.asarray(X)
            if X.ndim > 4:
                raise ValueError(
                    f"X must be 2-D (n_samples, n_pixels), 3-D (n_samples, height, width) or 4-D "
                    f"(n_samples, height, width, channels); got an array of shape {X.shape}."
                )
            images = tuple(int(s) for s in X.shape[1:]) + ((1,) if X.ndim == 3 else ())
            X = X.reshape(X.shape[0], -1)
        if not fit:
            X = validate_data(self, X, reset=False, dtype=np.float32)
        else:
            X, y = validate_data(self, X, y, reset=reset, dtype=np.float32)
        if fit:
            shape = self._resolve_image_shape(images, X.shape[1])
        else:
            shape = self.image_shape_
            if images is not None and images != shape:
                raise ValueError(f"X holds images of shape {images}, but {type(self).__name__} was fitted on "
                                 f"images of shape {shape}.")
        X = X.reshape((X.shape[0],) + shape)
        return (X, y, shape) if fit else X

    def _seed(self):
        """An int seed from random_state, or None."""
        if self.random_state is None:
            return None
        if is_int(self.random_state):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _strategy(self):
        """The distribution over the devices ``distribution`` names, or None.

        ``tf.distribute.MirroredStrategy`` on TensorFlow,
        ``keras.distribution.DataParallel`` on JAX; PyTorch has neither.
        """
        if self.distribution is None:
            return None
        keras = import_keras()
        name = keras.backend.backend()
        if name == "torch":
            raise ValueError(f"distribution={self.distribution!r} needs the TensorFlow or JAX backend: Keras offers "
                             "no data-parallel training on PyTorch. Use distribution=None, or run with "
                             "KERAS_BACKEND=tensorflow or jax.")
        if self.device != "auto":
            raise ValueError(f"device={self.device!r} and distribution={self.distribution!r} are both set; the "
                             "distribution chooses the devices, so leave device='auto'.")
        if name == "jax":
            return self._data_parallel(keras)
        tf = import_tensorflow()
        available = {}
        for device in tf.config.list_logical_devices():
            spec = tf.DeviceSpec.from_string(device.name)
            available[(spec.device_type, spec.device_index)] = device.name
        if self.distribution == "mirrored":
            gpus = [name for (kind, _), name in available.items() if kind == "GPU"]
            devices = gpus or [name for (kind, _), name in available.items() if kind == "CPU"]
        else:
            devices = []
            for entry in self.distribution:
                spec = tf.DeviceSpec.from_string(entry if isinstance(entry, str) and entry.startswith("/")
                                                 else f"/{entry}") if isinstance(entry, str) and entry else None
                key = (spec.device_type, spec.device_index) if spec is not None else None
                if key not in available:
                    raise ValueError(
                        f"distribution={self.distribution!r} names {entry!r}, which is not a device TensorFlow "
                        f"sees; it sees {sorted(f'{k}:{i}' for k, i in available)}."
                    )
                devices.append(available[key])
            if not devices:
                raise ValueError("distribution must be None, 'mirrored' or a non-empty list of devices such as "
                                 "['GPU:0', 'GPU:1'].")
        self._warn_in_parallel_worker()
        return tf.distribute.MirroredStrategy(devices=devices)

    def _warn_in_parallel_worker(self):
        if _in_parallel_worker()[0]:
            warnings.warn(
                f"distribution={self.distribution!r} inside a parallel search (a joblib or Dask worker): each "
                "worker spreads its fit over all the devices, and the workers compete for them. Use n_jobs=1 "
                "with a distribution, or distribution=None with a parallel search.", UserWarning, stacklevel=4)

    def _data_parallel(self, keras):
        """``keras.distribution.DataParallel`` (JAX) over the devices ``distribution`` names."""
        devices = keras.distribution.list_devices()  # the GPUs if JAX sees any, else the CPUs
        if self.distribution != "mirrored":
            available = sorted(set(devices) | set(keras.distribution.list_devices("cpu")))
            devices = []
            for entry in self.distribution:
                device = entry.lstrip("/").lower().replace("cuda", "gpu") if isinstance(entry, str) else None
                if device not in available:
                    raise ValueError(f"distribution={self.distribution!r} names {entry!r}, which is not a device "
                                     f"JAX sees; it sees {available}.")
                devices.append(device)
            if not devices:
                raise ValueError("distribution must be None, 'mirrored' or a non-empty list of devices such as "
                                 "['gpu:0', 'gpu:1'].")
        self._warn_in_parallel_worker()
        return keras.distribution.DataParallel(devices=devices)

    def _check_even_batches(self, distribution, n_train, n_val):
        """On JAX every batch is split evenly over the devices: check that each one can be."""
        n = distribution.num_model_replicas
        sizes = {"batch_size": self.batch_size, "the last training batch": n_train % self.batch_size,
                 "the last validation batch": n_val % self.batch_size}
        uneven = {what: size for what, size in sizes.items() if size % n}
        if uneven:
            raise ValueError(
                f"distribution={self.distribution!r} splits every batch evenly over {n} devices on JAX, but "
                + ", ".join(f"{what} holds {size} rows" for what, size in uneven.items())
                + f": choose batch_size and the number of samples (and validation_fraction) so that every batch "
                f"is a multiple of {n}."
            )

    @contextlib.contextmanager
    def _placement(self, model=None):
        """Where a fit runs: a distribution strategy's scope (yields it) or one device (yields None).

        A model that was built under a strategy (warm start) trains under that one.
        """
        strategy = _model_distribution(model) if model is not None else self._strategy()
        if strategy is None:
            with device_scope(self.device):
                yield None
        else:
            with strategy.scope():
                yield strategy

    # ------------------------------------------------------------------- build
    def _architecture_key(self, image_shape, n_classes):
        """What determines the network's shape and its initial weights (as a string, safe to compare)."""
        params = tuple((name, getattr(self, name)) for name in ARCHITECTURE_PARAMS)
        seed = self.random_state if is_int(self.random_state) else None
        return repr((self.architecture, params, image_shape, n_classes, self.precision, seed))

    def _build_model(self, keras, image_shape, n_classes):
        builder = cnn_architectures.get(self.architecture)
        kwargs = {name: getattr(self, name) for name in ARCHITECTURE_PARAMS}
        kwargs["dtype"] = None if self.precision == "float32" else self.precision
        own = getattr(builder, "__module__", "") == "skcnn.cnn.architectures"
        try:
            model = builder(image_shape, n_classes, **_builder_kwargs(builder, kwargs))
        except Exception as exc:
            if own and isinstance(exc, ValueError):
                raise
            raise ValueError(
                f"architecture={self.architecture!r} could not build a model for images of shape "
                f"{image_shape} and {n_classes} classes: {exc}"
            ) from exc
        if not isinstance(model, keras.Model):
            raise ValueError(f"architecture={self.architecture!r} must return a keras.Model, got "
                             f"{type(model).__name__}.")
        if tuple(model.output_shape)[-1] != n_classes:
            raise ValueError(f"architecture={self.architecture!r} returned a model with output shape "
                             f"{model.output_shape}, expected (None, {n_classes}) softmax outputs.")
        return model

    def _make_optimizer(self, keras, steps_per_epoch):
        """A fresh optimizer with the learning rate, momentum and schedule applied."""
        opt = self.optimizer
        if isinstance(opt, str):
            try:
                opt = keras.optimizers.get(opt)
            except ValueError:
                raise ValueError(
                    f"optimizer={self.optimizer!r} is not a Keras optimizer name; use e.g. 'rmsprop', 'sgd', 'adam', "
                    "'adamw', 'nadam', or pass a keras.optimizers.Optimizer instance."
                ) from None
        elif not isinstance(opt, keras.optimizers.Optimizer):
            raise ValueError(f"optimizer must be a Keras optimizer name or a keras.optimizers.Optimizer instance, "
                             f"got {opt!r}.")
        config = opt.get_config()
        if self.momentum is not None:
            if "momentum" not in config:
                raise ValueError(f"momentum is set, but optimizer {type(opt).__name__} has no momentum; use "
                                 "optimizer='sgd' or 'rmsprop', or leave momentum=None.")
            config["momentum"] = float(self.momentum)
        if self.learning_rate is not None:
            config["learning_rate"] = float(self.learning_rate)
        schedule = self.learning_rate_schedule
        if isinstance(schedule, str):
            base = float(config["learning_rate"]) if not isinstance(config["learning_rate"], dict) else None
            if base is None:
                raise ValueError("learning_rate_schedule is set but the optimizer already has a schedule; set learning_rate.")
            total = max(1, self.epochs * steps_per_epoch)
            schedules = keras.optimizers.schedules
            if schedule == "exponential":
                config["learning_rate"] = schedules.ExponentialDecay(base, steps_per_epoch, 0.8)
            elif schedule == "step":
                config["learning_rate"] = schedules.PiecewiseConstantDecay(
                    [max(1, total // 2), max(2, 3 * total // 4)], [base, base / 10, base / 100])
            else:
                config["learning_rate"] = schedules.CosineDecay(base, total)
        elif isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            config["learning_rate"] = schedule
        optimizer = type(opt).from_config(config)
        if self.precision == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        return optimizer

    @staticmethod
    def _loss(keras, model):
        """Cross-entropy averaged over each batch with the sample weights, in the output's precision."""
        dtype = "float64" if model.output.dtype == "float64" else None
        return keras.losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight", dtype=dtype)

    def _fit_callbacks(self, keras, validation):
        callbacks = list(self.callbacks or [])
        if callable(self.learning_rate_schedule) and not isinstance(self.learning_rate_schedule,
                                                         keras.optimizers.schedules.LearningRateSchedule):
            callbacks.append(keras.callbacks.LearningRateScheduler(self.learning_rate_schedule))
        if self.early_stopping:
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor="val_loss" if validation else "loss", patience=self.n_iter_no_change,
                restore_best_weights=True))
        return callbacks

    def _sample_weights(self, y_encoded, classes, sample_weight, X):
        """Per-sample weights (``sample_weight`` times ``class_weight``, float64), or None if neither is set.

        Only their ratios matter: :func:`_keras_weights` scales them before
        Keras sees them, and the loss divides by their sum in each batch.
        """
        if self.class_weight is None and sample_weight is None:
            return None
        weights = check_sample_weight(sample_weight, X)
        weights = np.ones(len(y_encoded)) if weights is None else weights
        if self.class_weight == "balanced":
            present = np.unique(y_encoded)
            per_class = np.ones(len(classes))
            per_class[present] = compute_class_weight("balanced", classes=present, y=y_encoded)
            weights = weights * per_class[y_encoded]
        elif self.class_weight is not None:
            known = set(classes.tolist())
            unknown = [label for label in self.class_weight if label not in known]
            if unknown:
                raise ValueError(f"class_weight names labels {unknown} that are not in y; the classes are "
                                 f"{classes.tolist()}.")
            per_class = np.ones(len(classes))
            for label, weight in self.class_weight.items():
                per_class[int(np.searchsorted(classes, label))] = float(weight)
            weights = weights * per_class[y_encoded]
        return weights

    # --------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on images X and labels y.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width, channels), (n_samples, height, width) \
or (n_samples, n_pixels)
            Training images; flat rows need ``image_shape`` unless they are square.
        y : array-like of shape (n_samples,)
            Class labels (ints, strings, ...), at least two classes.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each sample (multiplied by ``class_weight``
            where both are set); only ratios matter. Each batch's loss is the
            weighted mean ``sum(w * loss) / sum(w)`` over its rows, plus the
            penalties as without weights; the validation loss that early
            stopping watches is weighted the same way with the held-out rows'
            weights, and so are ``score`` and ``val_score`` (accuracy). When
            one batch holds every row (``batch_size >= n_samples``), a weight
            of k is k copies of the row, and weights of 0 drop it; with smaller
            batches the copies would change the batches and add steps.
            Learning rate and schedule run by steps, which weights do not
            change. Raises ValueError when the weights are negative or all 0.

        Returns
        -------
        KerasCNNClassifier
            The fitted estimator, ``self``.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).random((20, 64))
        >>> clf = KerasCNNClassifier(conv_filters=(4,), dense_units=(), epochs=2, image_shape=(8, 8), random_state=0)
        >>> len(clf.fit(X, [0, 1] * 10).history_)
        2
        """
        before = dict(self.__dict__)
        try:
            return self._fit(X, y, sample_weight)
        except BaseException:  # a failed or interrupted-too-early fit leaves the estimator as it was
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _fit(self, X, y, sample_weight):
        start = time.perf_counter()
        cnn_architectures.get(self.architecture)  # unknown names list the registered ones
        if self.precision == "float64" and (self.alpha_l2 or self.alpha_l1):
            # Keras adds a float64 layer's penalty to its float32 compiled loss, and the sum fails
            raise ValueError(f"precision='float64' cannot train with alpha_l2={self.alpha_l2!r} or "
                             f"alpha_l1={self.alpha_l1!r}: Keras cannot add a float64 penalty to its loss. Set both "
                             "to 0, or use precision='float32'.")
        warm = bool(self.warm_start) and hasattr(self, "model_")
        X, y, image_shape = self._validate_X(X, y, fit=True, reset=not warm)
        if warm and image_shape != self.image_shape_:
            raise ValueError(f"warm_start=True needs images of shape {self.image_shape_}, got {image_shape}.")
        input_range = (float(np.min(X)), float(np.max(X)))
        if warm and getattr(self, "input_range_", None) is not None:
            input_range = (min(input_range[0], self.input_range_[0]), max(input_range[1], self.input_range_[1]))
        check_classification_targets(y)
        classes, y_encoded = np.unique(y, return_inverse=True)
        if warm:
            unknown = np.setdiff1d(classes, self.classes_)
            if unknown.size:
                raise ValueError(f"warm_start=True cannot learn new classes {unknown.tolist()}; the model knows "
                                 f"{self.classes_.tolist()}. Set warm_start=False to train from scratch.")
            classes, y_encoded = self.classes_, np.searchsorted(self.classes_, y)
        elif len(classes) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in y; got 1 class "
                             f"({classes.tolist()[0]!r}).")
        y_encoded = y_encoded.astype(np.int32)
        weights = self._sample_weights(y_encoded, classes, sample_weight, X)

        keras = import_keras()
        self._check_precision(keras)
        seed = self._seed()
        history = History(self.history_.rows) if warm else History()
        with _fit_slot(keras), self._placement(self.model_ if warm else None) as strategy, \
                _no_retracing_warning():
            if warm:
                model = self.model_
            else:
                key = self._architecture_key(image_shape, len(classes))
                with _seeded(keras, seed):
                    model = self._build_model(keras, image_shape, len(classes))
                if seed is not None:
                    model = _explicitly_seeded(keras, model, seed)
                if getattr(self, "_initial_key", None) == key:
                    model.set_weights(self.initial_weights_)
                else:
                    self.initial_weights_ = model.get_weights()
                    self._initial_key = key

            validation = None
            X_train, y_train, w_train = X, y_encoded, weights
            if self.validation_fraction is not None:
                X_train, X_val, y_train, y_val, w_train, w_val = self._split(X, y_encoded, weights, seed)
                validation = (X_val, y_val) if w_val is None else (X_val, y_val, _keras_weights(w_val, "validation"))
            w_train = _keras_weights(w_train, "training")
            if strategy is not None and keras.backend.backend() == "jax":
                self._check_even_batches(strategy, len(X_train), 0 if validation is None else len(validation[0]))
                model._skcnn_distribution = strategy  # a warm start trains under it again
            steps_per_epoch = math.ceil(len(X_train) / self.batch_size)
            if not (warm and model.optimizer is not None and model.compiled):
                model.compile(optimizer=self._make_optimizer(keras, steps_per_epoch),
                              loss=self._loss(keras, model), weighted_metrics=["accuracy"],
                              run_eagerly=strategy is None and self._eager(model, self.epochs * len(X_train),
                                                                           self.epochs * steps_per_epoch))
            done = len(history)

            def state():  # what a copy of the estimator needs to predict as after this epoch
                snapshot = keras.models.clone_model(model)
                snapshot.set_weights(model.get_weights())
                return {"model_": snapshot, "classes_": classes, "image_shape_": image_shape,
                        "input_range_": input_range, "history_": History(history.rows)}

            with FitCallbacks(self, X, y, max_subtasks=self.epochs,
                              metadata={"sample_weight": sample_weight}) as tasks:
                # the recorder goes last: it reads the learning rate a scheduler set for the epoch
                recorder = _epoch_recorder(keras)(history, tasks, state,
                                                  kept=(done,) + _training_state(model) if warm else None)
                callbacks = self._fit_callbacks(keras, validation) + [recorder]
                try:
                    with _seeded(keras, seed):
                        model.fit(X_train, y_train, sample_weight=w_train, batch_size=self.batch_size,
                                  epochs=done + self.epochs, initial_epoch=done, verbose=self.verbose,
                                  shuffle=bool(self.shuffle), validation_data=validation, callbacks=callbacks)
                except KeyboardInterrupt:
                    if recorder.kept is None:  # not one epoch finished: nothing to keep
                        raise
                    finished, weights, variables = recorder.kept
                    _restore_training_state(model, weights, variables)
                    history.truncate(finished)
                    warn_at_caller(interrupted_message(history))
                self.classes_, self.image_shape_, self.model_, self.history_ = classes, image_shape, model, history
                self.input_range_ = input_range
        self.fit_time_ = time.perf_counter() - start
        return self

    def _check_precision(self, keras):
        """JAX computes in float32 what is asked in float64 unless its 64-bit mode is on: refuse rather than that."""
        if self.precision == "float64" and keras.backend.backend() == "jax":
            import jax

            if not jax.config.jax_enable_x64:
                raise ValueError("precision='float64' on the JAX backend needs JAX's 64-bit mode, which is off (JAX "
                                 "would compute in float32): set the environment variable JAX_ENABLE_X64=1 before "
                                 "JAX is imported, or use precision='float32'.")

    # Small fits run eagerly: tracing the training step costs about a second per
    # new model (twice with a partial last batch), more than a graph saves on
    # a few cheap steps. Eager steps are slower for big convolutions, hence
    # the limit on the multiply-adds of the whole fit too.
    _EAGER_MAX_STEPS = 50
    _EAGER_MAX_MACS = 5e8

    def _eager(self, model, n_samples, n_steps):
        return n_steps <= self._EAGER_MAX_STEPS and n_samples * _macs_per_sample(model) <= self._EAGER_MAX_MACS

    def _split(self, X, y, weights, seed):
        """A stratified hold-out: X, y and the sample weights (or None) for training and validation."""
        n_val = math.ceil(self.validation_fraction * len(y))
        if n_val >= len(y):
            raise ValueError(f"validation_fraction={self.validation_fraction} leaves no training samples out of "
                             f"{len(y)}.")
        counts = np.bincount(y)
        stratify = y if counts[counts > 0].min() >= 2 and n_val >= len(counts) else None
        arrays = (X, y) if weights is None else (X, y, weights)
        parts = train_test_split(*arrays, test_size=n_val, stratify=stratify, random_state=seed)
        return tuple(parts) + ((None, None) if weights is None else ())

    # ----------------------------------------------------------------- predict
    def predict_proba(self, X):
        """Class probabilities (the softmax outputs).

        Parameters
        ----------
        X : array-like
            Images shaped like the training images (flat, 3-D or 4-D).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).random((20, 8, 8))
        >>> clf = KerasCNNClassifier(conv_filters=(4,), dense_units=(), epochs=1, random_state=0).fit(X, [0, 1] * 10)
        >>> clf.predict_proba(X[:2]).sum(axis=1).round(6)
        array([1., 1.])
        """
        check_is_fitted(self)
        X = self._validate_X(X, fit=False)
        proba = np.empty((X.shape[0], len(self.classes_)), dtype=np.float64)
        # model.predict builds a data pipeline and runs batches of 32 on each call.
        # A few images go through the model eagerly; more go in large chunks
        # through Keras' compiled predict step (traced once per model). A model
        # trained under a distribution strategy is called directly, chunk by
        # chunk: its predict step would run every chunk on each replica.
        keras = import_keras()
        eager = X.shape[0] <= _EAGER_PREDICT_MAX or getattr(self.model_, "_distribute_strategy", None) is not None
        to_numpy = np.asarray if keras.backend.backend() == "tensorflow" else keras.ops.convert_to_numpy
        with device_scope(self.device), _no_retracing_warning(), _no_gradients(keras):
            for start in range(0, X.shape[0], _PREDICT_CHUNK):
                chunk = X[start:start + _PREDICT_CHUNK]
                out = self.model_(chunk, training=False) if eager else self.model_.predict_on_batch(chunk)
                proba[start:start + len(chunk)] = to_numpy(out)
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like
            Images shaped like the training images (flat, 3-D or 4-D).

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).random((20, 8, 8))
        >>> clf = KerasCNNClassifier(conv_filters=(4,), dense_units=(), epochs=1, random_state=0)
        >>> set(clf.fit(X, ["a", "b"] * 10).predict(X)) <= {"a", "b"}
        True
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def summary(self, **kwargs):
        """Print the Keras summary of the fitted network.

        Parameters
        ----------
        **kwargs
            Passed to ``keras.Model.summary`` (e.g. ``print_fn``).

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).random((20, 8, 8))
        >>> clf = KerasCNNClassifier(conv_filters=(4,), dense_units=(), epochs=1, random_state=0).fit(X, [0, 1] * 10)
        >>> lines = []
        >>> clf.summary(print_fn=lambda line, **kw: lines.append(line))
        >>> "conv1" in "".join(lines)
        True
        """
        check_is_fitted(self)
        return self.model_.summary(**kwargs)
