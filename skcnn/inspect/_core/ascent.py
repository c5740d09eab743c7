"""The one step rule of gradient ascent: OIPs, renders and dreams all climb with it.

A step moves each image by ``learning_rate`` times its gradient divided by
the gradient's root mean square over that image, so that a step has the same
size whatever the gradient's scale. ``learning_rate`` is in units of the
input range (``scale = high - low``); with a range, the image is kept inside
it after every step.

Examples
--------
>>> import numpy as np, keras
>>> x = keras.ops.zeros((1, 2, 2, 1))
>>> grad = keras.ops.convert_to_tensor(np.array([3.0, -3.0, 3.0, -3.0], "float32").reshape(1, 2, 2, 1))
>>> keras.ops.convert_to_numpy(ascent_step(x, grad, 0.5)).ravel().tolist()
[0.5, -0.5, 0.5, -0.5]
>>> keras.ops.convert_to_numpy(ascent_step(x, grad, 0.5, scale=2.0, bounds=(0.0, 0.75))).ravel().tolist()
[0.75, 0.0, 0.75, 0.0]
"""

from __future__ import annotations

from ..._keras import import_keras

__all__ = ["ascent_step", "EPSILON"]

EPSILON = 1e-8  # keeps a zero gradient from dividing by zero


def ascent_step(x, grad, learning_rate, *, scale=1.0, bounds=None):
    """``x + learning_rate * scale * grad / rms(grad)``, per image, clipped into ``bounds`` if given."""
    ops = import_keras().ops
    axes = tuple(range(1, len(grad.shape)))
    rms = ops.sqrt(ops.mean(ops.square(grad), axis=axes, keepdims=True))
    x = x + (learning_rate * scale) * grad / (rms + EPSILON)
    if bounds is not None:
        x = ops.clip(x, bounds[0], bounds[1])
    return x
