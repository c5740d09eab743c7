"""The one place where skcnn imports Keras and its backend (on first use, never at ``import skcnn``).

Keras 3 runs on TensorFlow, JAX or PyTorch, chosen once per process by the
environment variable ``KERAS_BACKEND`` before Keras is first imported
(skcnn's default: ``"tensorflow"``). :func:`import_keras` checks that the
chosen backend's package is installed (and names the extra that installs it
when it is not) and quiets its import.

TensorFlow talks a lot on its first import: its C++ core writes INFO lines
(``I0000 ...``) straight to file descriptor 2 before its logging is set up, so
``TF_CPP_MIN_LOG_LEVEL`` cannot hide them, and its Python logger prints
AutoGraph warnings. :func:`import_keras` quiets both, but only the settings the
user left alone: an explicit ``TF_CPP_MIN_LOG_LEVEL``, ``AUTOGRAPH_VERBOSITY``
or level on the ``"tensorflow"`` logger is kept as given.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import sys
import tempfile

# "I0000 00:00:1795410046.042702    7019 port.cc:153] ..." -> severity letter I/W/E/F
_ABSL_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:[\d.]+ +\d+ [^\]]+\] ")
_ABSL_BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_SEVERITIES = "IWEF"
_configured = False

#: Keras backend -> (the package it imports, the extra of skcnn that installs it).
BACKENDS = {"tensorflow": ("tensorflow", None), "jax": ("jax", "jax"), "torch": ("torch", "torch")}


def _filter_import_log(text, min_level, gpu_found):
    """The lines TensorFlow wrote to fd 2 during its import that the log level lets through.

    A line of an absl record (``I0000 ...``) goes when its severity is below
    ``min_level``, and so do the lines that continue it; so do absl's banner
    and, when no GPU was found, the failed ``cuInit`` of a GPU build on a
    machine without a driver. Anything else is kept.
    """
    kept, keep = [], True
    for line in text.splitlines(keepends=True):
        match = _ABSL_LINE.match(line)
        if line.startswith(_ABSL_BANNER):
            keep = min_level == 0
        elif match is not None:
            keep = _SEVERITIES.index(match.group(1)) >= min_level and (gpu_found or "cuInit" not in line)
        # a line that is neither continues the record before it
        if keep:
            kept.append(line)
        if line.startswith(_ABSL_BANNER):
            keep = True
    return "".join(kept)


def _quiet_first_import():
    """Import TensorFlow and find its devices with fd 2 captured; pass on what the log level allows."""
    min_level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") or 0)
    sys.stderr.flush()
    saved = os.dup(2)
    gpus = []
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")  # cuInit runs (and logs) here, captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            sys.stderr.write(_filter_import_log(text, min_level, bool(gpus)))
            sys.stderr.flush()


def _quiet_tensorflow():
    """Quiet TensorFlow's C++ and Python logging where the user left them unset (imports it)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf_logger = logging.getLogger("tensorflow")
    user_level = tf_logger.level
    if "tensorflow" not in sys.modules:
        _quiet_first_import()
    import tensorflow as tf

    if user_level == logging.NOTSET:
        tf_logger.setLevel(logging.ERROR)  # AutoGraph's "could not transform" warnings and the like
    if "AUTOGRAPH_VERBOSITY" not in os.environ:
        tf.autograph.set_verbosity(0)


def _configure_logging(name):
    """Once per process: quiet the backend's import and logging where the user left them unset.

    On JAX, the warning that a GPU may be present but a CUDA-enabled jaxlib
    is not (a CPU machine with a GPU driver's files) goes with the other
    warnings of its ``"jax._src.xla_bridge"`` logger. On JAX and PyTorch,
    Keras itself imports TensorFlow when it is installed (to recognize its
    shapes while serializing a layer's config, which cloning and saving do),
    so TensorFlow is imported here, quietly, rather than loudly later.
    """
    global _configured
    if _configured:
        return
    if name == "tensorflow" or importlib.util.find_spec("tensorflow") is not None:
        _quiet_tensorflow()
    if name == "jax":
        logger = logging.getLogger("jax._src.xla_bridge")
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.ERROR)
    _configured = True


def backend():
    """The name of the Keras backend skcnn runs on: ``"tensorflow"``, ``"jax"`` or ``"torch"``.

    Keras' own answer once Keras is imported; before that, ``KERAS_BACKEND``
    (default ``"tensorflow"``), without importing anything.

    >>> backend() in BACKENDS
    True
    """
    if "keras" in sys.modules and hasattr(sys.modules["keras"], "backend"):
        return sys.modules["keras"].backend.backend()
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def import_keras():
    """Import Keras 3 on its backend and return the ``keras`` module.

    ``KERAS_BACKEND`` chooses the backend (``"tensorflow"``, ``"jax"`` or
    ``"torch"``; default ``"tensorflow"``). Unless the user set them,
    TensorFlow's C++ log level becomes warnings and errors only
    (``TF_CPP_MIN_LOG_LEVEL=2``, which also hides the INFO lines TensorFlow
    writes during its first import), its ``"tensorflow"`` Python logger
    shows errors only and AutoGraph's verbosity is 0; JAX's platform
    warnings are hidden likewise.

    Returns
    -------
    keras : module

    Raises
    ------
    ImportError
        If ``KERAS_BACKEND`` names no backend skcnn runs on, or the backend's
        package is not installed (the message names the extra to install).

    Examples
    --------
    >>> keras = import_keras()
    >>> keras.backend.backend() == backend()
    True
    """
    name = backend()
    # the backend in the environment too, for the processes this one starts (joblib's workers): Keras may have
    # been imported on another backend than KERAS_BACKEND's default, e.g. from ~/.keras/keras.json
    os.environ.setdefault("KERAS_BACKEND", name)
    if name not in BACKENDS:
        raise ImportError(f"skcnn runs on the Keras backends {', '.join(BACKENDS)}; KERAS_BACKEND is {name!r}.")
    package, extra = BACKENDS[name]
    if package not in sys.modules and importlib.util.find_spec(package) is None:
        how = f"pip install 'skcnn[{extra}]'" if extra else f"pip install {package}"
        raise ImportError(f"KERAS_BACKEND={name!r} needs the package {package!r}, which is not installed: {how}, "
                          "or choose another backend (KERAS_BACKEND=tensorflow, jax or torch).")
    _configure_logging(name)
    import keras

    return keras


def import_tensorflow():
    """TensorFlow itself, for what only the TensorFlow backend offers (``tf.distribute``).

    Raises
    ------
    ImportError
        On another backend.

    >>> import_tensorflow().__name__ if backend() == "tensorflow" else "tensorflow"
    'tensorflow'
    """
    if import_keras().backend.backend() != "tensorflow":
        raise ImportError(f"this needs the TensorFlow backend; Keras runs on {backend()!r}.")
    import tensorflow as tf

    return tf


#: The named devices of a ``device`` parameter (besides a backend's device names such as ``"gpu:1"``).
DEVICES = ("auto", "cpu", "gpu")


def _gpus():
    """The backend's GPU device names, in Keras' spelling (``"gpu:0"``, ...) or TensorFlow's (``"/GPU:0"``)."""
    name = import_keras().backend.backend()
    if name == "tensorflow":
        return [d.name for d in import_tensorflow().config.list_logical_devices("GPU")]
    if name == "jax":
        import jax

        return [f"gpu:{k}" for k, d in enumerate(jax.devices()) if d.platform == "gpu"]
    import torch

    return [f"gpu:{k}" for k in range(torch.cuda.device_count())]


_DEVICE_NAME = re.compile(r"/?(cpu|gpu|cuda|tpu):\d+", re.IGNORECASE)


def check_device(device, name="device"):
    """``device`` if it is None, one of :data:`DEVICES` or a device name (``"gpu:1"``, ``"/GPU:1"``); else ValueError.

    Nothing is imported: whether the device exists is :func:`device_name`'s question.

    >>> check_device("gpu:1"), check_device(None)
    ('gpu:1', None)
    >>> check_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: device must be one of ('auto', 'cpu', 'gpu'), a device name such as 'gpu:1', or None; got 'tpu'.
    """
    if device is None or device in DEVICES or (isinstance(device, str) and _DEVICE_NAME.fullmatch(device)):
        return device
    raise ValueError(f"{name} must be one of {DEVICES}, a device name such as 'gpu:1', or None; got {device!r}.")


def device_name(device=None):
    """The backend's device name for a ``device`` parameter.

    Parameters
    ----------
    device : {"auto", "cpu", "gpu"}, str or None
        ``"auto"`` (or None): the first GPU the backend sees, else the CPU;
        ``"gpu"``: the first GPU, an error without one; a device name such
        as ``"gpu:1"`` (or TensorFlow's ``"/GPU:1"``) is returned as given, in
        the backend's spelling.

    Returns
    -------
    str
        ``"/CPU:0"``, ``"/GPU:0"``, ... on TensorFlow; ``"cpu:0"``, ``"gpu:0"``, ... on JAX and PyTorch.

    Raises
    ------
    ValueError
        For any other value, or ``"gpu"`` on a machine without a GPU.

    Examples
    --------
    >>> device_name("cpu") in ("/CPU:0", "cpu:0")
    True
    """
    device = "auto" if device is None else check_device(device)
    tensorflow = import_keras().backend.backend() == "tensorflow"
    if device not in DEVICES:
        kind, number = device.lstrip("/").lower().replace("cuda", "gpu").split(":")
        return f"/{kind.upper()}:{number}" if tensorflow else f"{kind}:{number}"
    if device == "cpu":
        return "/CPU:0" if tensorflow else "cpu:0"
    gpus = _gpus()
    if device == "gpu" and not gpus:
        raise ValueError(f"device='gpu', but the {backend()} backend sees no GPU; use device='auto' or "
                         "device='cpu'.")
    return gpus[0] if gpus else ("/CPU:0" if tensorflow else "cpu:0")


def device_scope(device=None):
    """A context in which the backend computes on ``device`` (see :func:`device_name`).

    >>> with device_scope("cpu"):
    ...     float(import_keras().ops.sum(import_keras().ops.ones(3)))
    3.0
    """
    return named_device_scope(device_name(device))


def named_device_scope(name):
    """A context in which the backend computes on the device ``name`` that :func:`device_name` gave.

    >>> with named_device_scope(device_name("cpu")):
    ...     pass
    """
    if name.startswith("cpu") and import_keras().backend.backend() == "torch":
        # PyTorch's CPU has no index: under "cpu:0" Keras moves each new variable from "cpu" to "cpu:0",
        # a copy that is no leaf of the autograd graph, so training finds no gradients
        name = "cpu"
    return import_keras().device(name)
