"""The one place where skcnn imports Keras and TensorFlow (on first use, never at ``import skcnn``)."""

from __future__ import annotations

import os


def import_keras():
    """Import Keras 3 on the TensorFlow backend and return ``(keras, tensorflow)``.

    ``KERAS_BACKEND`` defaults to ``"tensorflow"`` and TensorFlow's C++ log
    level to warnings and errors only, unless the user set them already.

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
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise ImportError(
            f"skcnn's CNN needs Keras on the TensorFlow backend, but Keras runs on "
            f"{keras.backend.backend()!r}; set the environment variable KERAS_BACKEND=tensorflow "
            "before importing keras."
        )
    return keras, tf
