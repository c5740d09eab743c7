"""The backend layer of the runtime: one small module per Keras backend, chosen by ``keras.backend.backend()``.

Everything else in ``skcnn/inspect/`` is written with ``keras.ops`` and runs
unchanged on every backend; what ``keras.ops`` cannot express lives here,
once per backend, behind the same five names:

- ``compile(fn, specs, variables, jit_compile)``: ``fn`` (written with
  ``keras.ops``) as a function of NumPy arrays, compiled the backend's way;
- ``value_and_gradient(fn, x, *args)``: per-image values and the gradient of
  their sum with respect to ``x``, by the backend's own autodiff;
- ``rfft2`` / ``irfft2``: the real 2-D FFT pair, where the backend has a fused one;
- ``SHAPE_ERRORS``: what the backend raises when a network cannot take a size.

==========  =========================================  ======================================
backend     compiled                                   gradient
==========  =========================================  ======================================
tensorflow  ``tf.function`` with a fixed signature      ``tf.GradientTape``
jax         ``jax.jit`` over the variables' values     ``jax.value_and_grad``
            (``keras.StatelessScope``)
torch       eager, under ``torch.no_grad()``           ``torch.autograd.grad``
==========  =========================================  ======================================

Examples
--------
>>> from skcnn.inspect._core.backends import current
>>> current().NAME in ("tensorflow", "jax", "torch")
True
"""

from __future__ import annotations

import importlib

import numpy as np

from ...._keras import import_keras

__all__ = ["current", "convert"]


def current():
    """The module of the backend Keras runs on (imports Keras and the backend on first use)."""
    name = import_keras().backend.backend()
    return importlib.import_module(f"{__name__}.{name}")


def convert(args, specs, to_tensor):
    """NumPy arguments as a compiled function takes them (JAX and PyTorch).

    Each becomes ``to_tensor(array of its spec's dtype)``, nested lists
    alike; a ``static`` spec's value becomes a Python int or tuple of ints
    (hashable: a compile-time constant).

    >>> from skcnn.inspect._core.probe import Spec
    >>> convert([np.ones(2), [3]], [Spec((2,)), [Spec((), "int32")]], np.ndarray.tolist)
    [[1.0, 1.0], [3]]
    >>> convert([np.array([2, 3])], [Spec((2,), "int32", static=True)], np.ndarray.tolist)
    [(2, 3)]
    """
    out = []
    for arg, spec in zip(args, specs):
        if isinstance(spec, (list, tuple)):
            out.append(convert(arg, spec, to_tensor))
        elif getattr(spec, "static", False):
            out.append(tuple(np.asarray(arg).ravel().tolist()) if np.ndim(arg) else np.asarray(arg).item())
        else:
            out.append(to_tensor(np.asarray(arg, dtype=spec.dtype)))
    return out
