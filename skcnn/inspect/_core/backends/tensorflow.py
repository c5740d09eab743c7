"""The runtime on TensorFlow: ``tf.function`` with a fixed signature and ``tf.GradientTape``.

A fixed input signature (batch length ``None``) lets batches of any length
reuse one trace; AutoGraph is off, since the functions are written with
``keras.ops`` and have no Python control flow on tensors.
"""

from __future__ import annotations

import tensorflow as tf

NAME = "tensorflow"
SHAPE_ERRORS = (ValueError, tf.errors.InvalidArgumentError)


def _signature(specs):
    return [_signature(s) if isinstance(s, (list, tuple)) else tf.TensorSpec(list(s.shape), getattr(tf, s.dtype))
            for s in specs]


def compile(fn, specs, variables=(), jit_compile=False):  # noqa: A001 (the backend's verb)
    """``fn`` as a ``tf.function`` of ``specs``; it reads the variables themselves, so ``variables`` is unused."""
    return tf.function(fn, input_signature=_signature(specs), jit_compile=jit_compile, autograph=False,
                       reduce_retracing=False)


def value_and_gradient(fn, x, *args):
    """Per-image values of ``fn(x, *args)`` and the gradient of their sum w.r.t. ``x`` (see ``probe``)."""
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        out = fn(x, *args)
        values = out[0] if isinstance(out, tuple) else out
        total = tf.reduce_sum(values)
    return out, tape.gradient(total, x)


def rfft2(x, size):
    """The half spectrum ``(real, imag)`` of real images ``(..., h, w)``: one fused op."""
    spectrum = tf.signal.rfft2d(x, fft_length=list(size))
    return tf.math.real(spectrum), tf.math.imag(spectrum)


def irfft2(real, imag, size):
    """Real images ``(..., h, w)`` from the half spectrum: one fused op."""
    return tf.signal.irfft2d(tf.complex(real, imag), fft_length=list(size))
