"""The one place where skcnn imports Keras and TensorFlow (on first use, never at ``import skcnn``).

TensorFlow talks a lot on its first import: its C++ core writes INFO lines
(``I0000 ...``) straight to file descriptor 2 before its logging is set up, so
``TF_CPP_MIN_LOG_LEVEL`` cannot hide them, and its Python logger prints
AutoGraph warnings. :func:`import_keras` quiets both, but only the settings the
user left alone: an explicit ``TF_CPP_MIN_LOG_LEVEL``, ``AUTOGRAPH_VERBOSITY``
or level on the ``"tensorflow"`` logger is kept as given.
"""

from __future__ import annotations

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


def _configure_logging():
    """Once per process: quiet TensorFlow's C++ and Python logging where the user left them unset."""
    global _configured
    if _configured:
        return
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
    _configured = True


def import_keras():
    """Import Keras 3 on the TensorFlow backend and return ``(keras, tensorflow)``.

    ``KERAS_BACKEND`` defaults to ``"tensorflow"``. Unless the user set them,
    TensorFlow's C++ log level becomes warnings and errors only
    (``TF_CPP_MIN_LOG_LEVEL=2``, which also hides the INFO lines TensorFlow
    writes during its first import), its ``"tensorflow"`` Python logger
    shows errors only and AutoGraph's verbosity is 0.

    Returns
    -------
    keras : module
    tensorflow : module

    Raises
    ------
    ImportError
        If Keras runs on another backend than TensorFlow.

    Examples
    --------
    >>> keras, tf = import_keras()
    >>> keras.backend.backend()
    'tensorflow'
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    _configure_logging()
    import keras
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise ImportError(
            f"skcnn's CNN needs Keras on the TensorFlow backend, but Keras runs on "
            f"{keras.backend.backend()!r}; set the environment variable KERAS_BACKEND=tensorflow "
            "before importing keras."
        )
    return keras, tf


#: The named devices of a ``device`` parameter (besides TensorFlow device names such as ``"/GPU:1"``).
DEVICES = ("auto", "cpu", "gpu")


def device_name(device=None):
    """The TensorFlow device name for a ``device`` parameter.

    Parameters
    ----------
    device : {"auto", "cpu", "gpu"}, str or None
        ``"auto"`` (or None): the first GPU TensorFlow sees, else the CPU;
        ``"gpu"``: the first GPU, an error without one; a TensorFlow device
        name such as ``"/GPU:1"`` is returned as given.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For any other value, or ``"gpu"`` on a machine without a GPU.

    Examples
    --------
    >>> device_name("cpu"), device_name("/GPU:1")
    ('/CPU:0', '/GPU:1')
    """
    device = "auto" if device is None else device
    if device not in DEVICES:
        if isinstance(device, str) and device.startswith("/"):
            return device
        raise ValueError(f"device must be one of {DEVICES} or a TensorFlow device name such as '/GPU:0'; "
                         f"got {device!r}.")
    if device == "cpu":
        return "/CPU:0"
    _, tf = import_keras()
    gpus = tf.config.list_logical_devices("GPU")
    if device == "gpu" and not gpus:
        raise ValueError("device='gpu', but TensorFlow sees no GPU; use device='auto' or device='cpu'.")
    return gpus[0].name if gpus else "/CPU:0"
