"""Guided backpropagation's ReLUs (Springenberg et al., 2015), swapped in for the time of a forward pass.

:func:`guided_relus` is a context in which every ReLU of the given layers
computes its usual value but, on the way back, passes on only the positive
part of the gradient, and only where its input let the value through. The
ReLUs are found wherever a network keeps them: an ``activation`` of
``"relu"`` or ``"relu6"`` inside a layer (``Conv2D``, ``Dense``,
``Activation``) and ``keras.layers.ReLU`` layers (their slope, cap and
threshold kept). The layers are the ones of :attr:`InspectedModel.layers
<skcnn.inspect._core.model.InspectedModel.layers>`, nested models' included.
The backward rule is ``keras.ops.custom_gradient``, which works inside the
runtime's compiled functions on TensorFlow, JAX and PyTorch.

Examples
--------
>>> import numpy as np, keras
>>> dense = keras.layers.Dense(1, activation="relu", kernel_initializer="ones")
>>> _ = dense(np.zeros((1, 2), "float32"))
>>> with guided_relus([dense]):
...     dense.activation is keras.activations.relu
False
>>> dense.activation is keras.activations.relu
True
"""

from __future__ import annotations

from contextlib import contextmanager

from .._keras import import_keras

__all__ = ["guided_relus"]


def _guided(ops, forward, passes):
    """``forward`` with the backward pass ``relu(upstream) * passes(x)``."""

    @ops.custom_gradient
    def guided(x):
        def backward(*args, upstream=None):  # TensorFlow and JAX give the upstream gradient by position
            if upstream is None:
                (upstream,) = args
            return ops.relu(upstream) * ops.cast(passes(x), upstream.dtype)

        return forward(x), backward

    return guided


def _relu_layer_passes(ops, layer):
    """A ``keras.layers.ReLU``'s slope: 1 between its threshold and its cap, its negative slope below, 0 above."""

    def passes(x):
        slope = ops.where(x > layer.threshold, 1.0, layer.negative_slope)
        return slope if layer.max_value is None else ops.where(x < layer.max_value, slope, 0.0)

    return passes


def _swaps(keras, layer):
    """``(attribute, guided replacement)`` for a layer that holds a ReLU, else None."""
    ops = keras.ops
    if isinstance(layer, keras.layers.ReLU):
        return "call", _guided(ops, layer.call, _relu_layer_passes(ops, layer))
    activation = getattr(layer, "activation", None)
    if activation is keras.activations.relu:
        return "activation", _guided(ops, activation, lambda x: x > 0)
    if activation is keras.activations.relu6:
        return "activation", _guided(ops, activation, lambda x: ops.logical_and(x > 0, x < 6))
    return None


@contextmanager
def guided_relus(layers):
    """While open, every ReLU of ``layers`` backpropagates guided; the layers are restored on exit.

    Parameters
    ----------
    layers : iterable of keras.layers.Layer

    Yields
    ------
    int
        How many ReLUs were guided.
    """
    keras = import_keras()
    swapped = []  # (layer, attribute, the instance's own value or None)
    try:
        for layer in layers:
            swap = _swaps(keras, layer)
            if swap is None:
                continue
            attribute, guided = swap
            swapped.append((layer, attribute, layer.__dict__.get(attribute)))
            object.__setattr__(layer, attribute, guided)
        yield len(swapped)
    finally:
        for layer, attribute, own in reversed(swapped):
            if own is None:
                object.__delattr__(layer, attribute)  # the class's own method shows through again
            else:
                object.__setattr__(layer, attribute, own)
