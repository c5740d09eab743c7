"""The runtime on JAX: ``jax.jit`` over the model's variables, ``jax.value_and_grad``.

A jitted function that read the Keras variables directly would bake their
values in as constants when traced, and a later change of the weights (the
randomization test re-initializes layers in place) would go unseen. So the
compiled function takes the variables' current values as its first argument
and maps them onto the variables with a ``keras.StatelessScope``, as
``Model.stateless_call`` does. Arguments whose spec is ``static`` (sizes,
tile grids) are compile-time constants: a new value compiles anew, as any new
input shape does under ``jax.jit``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from . import convert

NAME = "jax"
SHAPE_ERRORS = (ValueError, TypeError)


def compile(fn, specs, variables=(), jit_compile=False):  # noqa: A001 (the backend's verb)
    """``fn`` jitted, with ``variables`` passed by value on every call (``jit_compile`` is implied)."""
    import keras

    variables = list(variables)
    static = [k + 1 for k, s in enumerate(specs) if getattr(s, "static", False)]

    def pure(values, *args):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            return fn(*args)

    jitted = jax.jit(pure, static_argnums=static)

    def call(*args):
        return jitted([v.value for v in variables], *convert(args, specs, jnp.asarray))

    return call


def value_and_gradient(fn, x, *args):
    """Per-image values of ``fn(x, *args)`` and the gradient of their sum w.r.t. ``x`` (see ``probe``)."""

    def total(x):
        out = fn(x, *args)
        values = out[0] if isinstance(out, tuple) else out
        return jnp.sum(values), out

    (_, out), grad = jax.value_and_grad(total, has_aux=True)(x)
    return out, grad


def rfft2(x, size):
    """The half spectrum ``(real, imag)`` of real images ``(..., h, w)``."""
    spectrum = jnp.fft.rfft2(x, s=tuple(size))
    return jnp.real(spectrum), jnp.imag(spectrum)


def irfft2(real, imag, size):
    """Real images ``(..., h, w)`` from the half spectrum."""
    return jnp.fft.irfft2(real + 1j * imag, s=tuple(size)).astype(real.dtype)
