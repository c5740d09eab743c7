"""One compiled function per request, in one cache: the only place the inspectors compile or differentiate.

An inspector describes what it wants as a plain function written with
``keras.ops`` (a forward pass to some layers, an objective and its gradient)
and asks its :class:`Probe` for the compiled form. The probe compiles it once
per key, the backend's way (:mod:`~skcnn.inspect._core.backends`:
``tf.function`` with a fixed signature on TensorFlow, so that batches of any
length reuse one trace; ``jax.jit`` over the model's variables on JAX; eager
calls without autograd on PyTorch), keeps it, and runs it on the resolved
model's device. :func:`value_and_gradient` is the one gradient: inside a
compiled function it differentiates the sum of per-image values with the
backend's own autodiff.

Examples
--------
>>> import numpy as np, keras
>>> from skcnn.inspect._core.model import resolve_model
>>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3, name="c")])
>>> probe = Probe(resolve_model(model))
>>> forward = probe.forward(["c"])
>>> [a.shape for a in forward(np.zeros((3, 4, 4, 1), "float32"))]
[(3, 2, 2, 2)]
>>> square = probe.function("square", lambda x: value_and_gradient(
...     lambda v: keras.ops.sum(v ** 2, axis=(1, 2, 3)), x), [Spec((None, 4, 4, 1))])
>>> values, grad = square(np.ones((2, 4, 4, 1), "float32"))
>>> values.tolist(), float(grad[0, 0, 0, 0])
([16.0, 16.0], 2.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._keras import import_keras
from .backends import current

__all__ = ["Probe", "Spec", "value_and_gradient", "as_list"]


@dataclass(frozen=True)
class Spec:
    """Shape (None for any length) and dtype of one argument of a compiled function.

    ``static``: the argument fixes shapes inside the function (a tile grid,
    a size). TensorFlow takes it as a tensor like any other; JAX compiles
    once per value of it.
    """

    shape: tuple
    dtype: str = "float32"
    static: bool = False


def as_list(outputs):
    """A model's output(s) as a list."""
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def value_and_gradient(fn, x, *args):
    """``(fn(x, *args), d sum(fn(x, *args)) / dx)``: per-image values and their gradient w.r.t. ``x``.

    ``fn`` returns one value per image (or a tuple whose first item is that);
    the gradient of their sum is each image's own gradient, since images do
    not mix. Extra items of a tuple come back unchanged after the gradient.
    """
    out, grad = current().value_and_gradient(fn, x, *args)
    if isinstance(out, tuple):
        return (out[0], grad) + tuple(out[1:])
    return out, grad


class Probe:
    """The compiled functions of one resolved model, each built once per key.

    Parameters
    ----------
    model : InspectedModel
        What is inspected (see :func:`~skcnn.inspect.resolve_model`).

    Attributes
    ----------
    model : InspectedModel
    compiled : dict
        Key -> compiled function: the one cache.
    """

    def __init__(self, model):
        self.model = model
        self.compiled = {}

    def function(self, key, fn, specs, *, jit_compile=False):
        """``fn`` compiled once for arguments of ``specs`` and kept under ``key``; called on the model's device.

        ``fn`` takes tensors and returns a tensor or a (nested) tuple of
        tensors; the compiled function takes NumPy arrays and returns NumPy
        arrays of the same structure.
        """
        if key not in self.compiled:
            compiled = current().compile(fn, specs, self.model.network.variables, jit_compile=jit_compile)
            self.compiled[key] = _OnDevice(compiled, self.model)
        return self.compiled[key]

    def forward(self, layers, *, inputs_of=False, size=None, dtype="float32"):
        """A compiled forward pass to ``layers`` (their outputs, or inputs with ``inputs_of``), as float32 arrays.

        ``size`` is ``(height, width)`` of the images it takes: the model's
        own by default, or other sizes where its layers allow them.
        """
        resolved = self.model
        indices = tuple(resolved.layer_index(layer) for layer in layers)
        size = tuple(resolved.input_shape[:2]) if size is None else tuple(size)
        sub = resolved.submodel(list(indices), inputs_of=inputs_of)

        def run(x):
            ops = import_keras().ops
            return [ops.cast(out, dtype) for out in as_list(sub(x, training=False))]

        spec = Spec((None, *size, resolved.input_shape[2]))
        return self.function(("forward", indices, inputs_of, size, dtype), run, [spec])


class _OnDevice:
    """A compiled function that runs on the model's device and returns NumPy arrays."""

    def __init__(self, fn, model):
        self.fn, self.model = fn, model

    def __call__(self, *args):
        with self.model.device_scope():
            out = self.fn(*args)
        return _numpy(out)


def _numpy(out):
    if isinstance(out, (list, tuple)):
        return type(out)(_numpy(o) for o in out)
    return np.asarray(import_keras().ops.convert_to_numpy(out))
