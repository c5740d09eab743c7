"""Keras model builders for :class:`~skcnn.KerasCNNClassifier`.

A builder is a function ``builder(input_shape, n_classes, **hyperparameters)``
that returns an *uncompiled* ``keras.Model`` whose output is a softmax over
``n_classes``. The estimator passes the hyperparameters it has
(``conv_filters``, ``kernel_size``, ``pool_size``, ``pool``,
``conv_activation``, ``dense_units``, ``dense_activation``, ``dropout``,
``alpha_l2``, ``alpha_l1`` and ``dtype``, the layers' precision policy); a builder receives only
the ones its signature names, or all of them if it takes ``**kwargs``.

Builders live in the registry :data:`skcnn.plugins.cnn_architectures`:

- ``"series"``: the CNN of the series. Valid 2-D convolutions with a pooling
  layer between two consecutive convolutions, then dense layers and a softmax.
  With the defaults on 28x28 digits the maps are 26x26x32, 13x13x32, 11x11x64,
  5x5x64 and 3x3x64.
- ``"padded"``: the same stack with ``"same"`` padding, so convolutions keep
  the map size and only the poolings shrink it; it fits smaller images
  (8x8 digits, for instance).

Layers are named ``conv1``, ``pool1``, ``conv2``, ..., ``flatten``,
``dense1``, ``dropout1``, ..., ``output`` so that inspectors can find them.
This module imports Keras only when a builder runs.

Examples
--------
>>> from skcnn.plugins import cnn_architectures
>>> "series" in cnn_architectures and "padded" in cnn_architectures
True
>>> model = series((28, 28, 1), 10)
>>> [tuple(layer.output.shape[1:]) for layer in model.layers if layer.name.startswith(("conv", "pool"))]
[(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (3, 3, 64)]
"""

from __future__ import annotations

import numbers

from ..plugins import cnn_architectures
from .._keras import import_keras

__all__ = ["series", "padded", "feature_map_sizes"]


def _pair(value, name):
    """An int or a pair of ints, all >= 1, as a tuple of two ints."""
    items = (value, value) if isinstance(value, numbers.Integral) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1
                                  for v in items):
        raise ValueError(f"{name} must be a positive int or a pair of positive ints, got {value!r}.")
    return int(items[0]), int(items[1])


def _int_tuple(value, name, *, allow_empty):
    """A positive int or a sequence of positive ints, as a tuple."""
    items = (value,) if isinstance(value, numbers.Integral) else value
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if (items is None or (not items and not allow_empty)
            or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in items)):
        raise ValueError(
            f"{name} must be a sequence of positive ints{'' if allow_empty else ' (at least one)'}, got {value!r}."
        )
    return tuple(int(v) for v in items)


def feature_map_sizes(input_shape, conv_filters=(32, 64, 64), kernel_size=3, pool_size=2, *, padding="valid",
                      architecture="series"):
    """Spatial size after every convolution and pooling of the series' layer stack.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width)`` or ``(height, width, channels)`` of one image.
    conv_filters : sequence of int
        Number of maps of each convolution; a pooling sits between two
        consecutive convolutions.
    kernel_size, pool_size : int or pair of int
    padding : {"valid", "same"}
        Padding of the convolutions.
    architecture : str
        Name used in the error message.

    Returns
    -------
    list of (str, (int, int, int))
        Layer name and output shape ``(height, width, maps)`` for each layer.

    Raises
    ------
    ValueError
        If the maps shrink below one pixel; the message names the layer.

    Examples
    --------
    >>> feature_map_sizes((28, 28), (32, 64, 64))
    [('conv1', (26, 26, 32)), ('pool1', (13, 13, 32)), ('conv2', (11, 11, 64)), ('pool2', (5, 5, 64)), ('conv3', (3, 3, 64))]
    >>> feature_map_sizes((8, 8), (32, 64, 64))
    Traceback (most recent call last):
    ...
    ValueError: Images of 8x8 pixels are too small for architecture 'series': layer 'pool2' (pool_size 2x2) gets maps of 1x1 and would output 0x0. Use larger images, fewer conv_filters, a smaller kernel_size or pool_size, or architecture='padded'.
    """
    kh, kw = _pair(kernel_size, "kernel_size")
    ph, pw = _pair(pool_size, "pool_size")
    filters = _int_tuple(conv_filters, "conv_filters", allow_empty=False)
    h, w = (int(s) for s in tuple(input_shape)[:2])
    sizes = []

    def step(name, what, new_h, new_w, maps):
        if new_h < 1 or new_w < 1:
            raise ValueError(
                f"Images of {input_shape[0]}x{input_shape[1]} pixels are too small for architecture "
                f"{architecture!r}: layer {name!r} ({what}) gets maps of {h}x{w} and would output "
                f"{max(new_h, 0)}x{max(new_w, 0)}. Use larger images, fewer conv_filters, a smaller "
                "kernel_size or pool_size, or architecture='padded'."
            )
        sizes.append((name, (new_h, new_w, maps)))
        return new_h, new_w

    for i, n_maps in enumerate(filters, start=1):
        if i > 1:
            h, w = step(f"pool{i - 1}", f"pool_size {ph}x{pw}", h // ph, w // pw, filters[i - 2])
        if padding == "valid":
            h, w = step(f"conv{i}", f"kernel_size {kh}x{kw}", h - kh + 1, w - kw + 1, n_maps)
        else:
            h, w = step(f"conv{i}", f"kernel_size {kh}x{kw}", h, w, n_maps)
    return sizes


def _conv_stack(input_shape, n_classes, *, padding, name, conv_filters, kernel_size, pool_size, pool,
                conv_activation, dense_units, dense_activation, dropout, alpha_l2, alpha_l1, dtype):
    """Convolutions with a pooling between two of them, dense layers, softmax output."""
    if pool not in ("max", "avg"):
        raise ValueError(f"pool must be 'max' or 'avg', got {pool!r}.")
    if not isinstance(dropout, numbers.Real) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be a float in [0, 1), got {dropout!r}.")
    for penalty, alpha in (("alpha_l2", alpha_l2), ("alpha_l1", alpha_l1)):
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not alpha >= 0.0:
            raise ValueError(f"{penalty} must be a float >= 0, got {alpha!r}.")
    units = _int_tuple(dense_units, "dense_units", allow_empty=True)
    filters = _int_tuple(conv_filters, "conv_filters", allow_empty=False)
    kernel = _pair(kernel_size, "kernel_size")
    pooling = _pair(pool_size, "pool_size")
    feature_map_sizes(input_shape, filters, kernel, pooling, padding=padding, architecture=name)

    keras = import_keras()
    layers = keras.layers
    pool_layer = layers.MaxPooling2D if pool == "max" else layers.AveragePooling2D

    def regularizer():
        if not (alpha_l2 or alpha_l1):
            return None
        return keras.regularizers.L1L2(l1=float(alpha_l1), l2=float(alpha_l2))

    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for i, n_maps in enumerate(filters, start=1):
        if i > 1:
            x = pool_layer(pooling, name=f"pool{i - 1}", dtype=dtype)(x)
        x = layers.Conv2D(n_maps, kernel, padding=padding, activation=conv_activation,
                          kernel_regularizer=regularizer(), name=f"conv{i}", dtype=dtype)(x)
    x = layers.Flatten(name="flatten", dtype=dtype)(x)
    for i, n_units in enumerate(units, start=1):
        x = layers.Dense(n_units, activation=dense_activation, kernel_regularizer=regularizer(),
                         name=f"dense{i}", dtype=dtype)(x)
        if dropout:
            x = layers.Dropout(float(dropout), name=f"dropout{i}", dtype=dtype)(x)
    # The softmax stays in float32 under mixed precision, for a stable loss; float64 keeps float64.
    outputs = layers.Dense(n_classes, activation="softmax", kernel_regularizer=regularizer(),
                           name="output", dtype="float64" if dtype == "float64" else "float32")(x)
    return keras.Model(inputs, outputs, name=f"{name}_cnn")


@cnn_architectures.register("series")
def series(input_shape, n_classes, *, conv_filters=(32, 64, 64), kernel_size=3, pool_size=2, pool="max",
           conv_activation="relu", dense_units=(70,), dense_activation="relu", dropout=0.0, alpha_l2=0.0,
           alpha_l1=0.0, dtype=None):
    """The series' CNN: valid convolutions with a pooling between two of them, dense layers, softmax.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of one image.
    n_classes : int
        Number of softmax outputs.
    conv_filters : sequence of int, default=(32, 64, 64)
        Maps of each convolution.
    kernel_size : int or pair of int, default=3
    pool_size : int or pair of int, default=2
    pool : {"max", "avg"}, default="max"
    conv_activation : str or callable, default="relu"
        Keras activation of the convolutions.
    dense_units : sequence of int, default=(70,)
        Units of the hidden dense layers (may be empty).
    dense_activation : str or callable, default="relu"
        Keras activation of the hidden dense layers.
    dropout : float, default=0.0
        Dropout rate after each hidden dense layer.
    alpha_l2 : float, default=0.0
        L2 penalty on every kernel (convolutions and dense layers).
    alpha_l1 : float, default=0.0
        L1 penalty on every kernel.
    dtype : str or keras.DTypePolicy, optional
        Precision policy of the layers, e.g. ``"mixed_bfloat16"``; the
        output layer computes in float32 (in float64 under ``"float64"``).

    Returns
    -------
    keras.Model
        Uncompiled.

    Raises
    ------
    ValueError
        If a hyperparameter is invalid or the images are too small (the
        message names the layer where the size runs out).

    Examples
    --------
    >>> model = series((28, 28, 1), 10)
    >>> model.count_params()
    96844
    >>> series((8, 8, 1), 10, conv_filters=(4,), dense_units=()).output.shape
    (None, 10)
    """
    return _conv_stack(input_shape, n_classes, padding="valid", name="series", conv_filters=conv_filters,
                       kernel_size=kernel_size, pool_size=pool_size, pool=pool, conv_activation=conv_activation,
                       dense_units=dense_units, dense_activation=dense_activation, dropout=dropout,
                       alpha_l2=alpha_l2, alpha_l1=alpha_l1, dtype=dtype)


@cnn_architectures.register("padded")
def padded(input_shape, n_classes, *, conv_filters=(32, 64, 64), kernel_size=3, pool_size=2, pool="max",
           conv_activation="relu", dense_units=(70,), dense_activation="relu", dropout=0.0, alpha_l2=0.0,
           alpha_l1=0.0, dtype=None):
    """The series' layer stack with ``"same"`` padding: only the poolings shrink the maps.

    Takes the same parameters as :func:`series`; fits small images such as
    8x8 digits, where the series' valid convolutions run out of pixels.

    Returns
    -------
    keras.Model
        Uncompiled.

    Examples
    --------
    >>> model = padded((8, 8, 1), 10)
    >>> [tuple(layer.output.shape[1:3]) for layer in model.layers if layer.name.startswith("conv")]
    [(8, 8), (4, 4), (2, 2)]
    """
    return _conv_stack(input_shape, n_classes, padding="same", name="padded", conv_filters=conv_filters,
                       kernel_size=kernel_size, pool_size=pool_size, pool=pool, conv_activation=conv_activation,
                       dense_units=dense_units, dense_activation=dense_activation, dropout=dropout,
                       alpha_l2=alpha_l2, alpha_l1=alpha_l1, dtype=dtype)
