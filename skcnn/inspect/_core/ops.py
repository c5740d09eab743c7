"""The few tensor operations of the parameterizations and transforms that ``keras.ops`` lacks or does slowly.

- :func:`uniform`: a stateless uniform draw from a seed *tensor* (``keras.random``
  takes only an int or a ``SeedGenerator``, and a generator is state that a
  compiled step must not carry);
- :func:`irfft2` / :func:`rfft2`: the real 2-D FFT pair over the last two axes.
  ``keras.ops`` spells it as a complex FFT along one axis and a real one along
  the other, with two transposes each way; on TensorFlow one fused op does it,
  and inside the ascent's step every op costs time of its own.

Each has a TensorFlow path and, for irfft2/rfft2, a ``keras.ops`` path for the
other backends.
"""

from __future__ import annotations

from ..._keras import import_keras

keras, _ = import_keras()
ops = keras.ops
_TF = keras.backend.backend() == "tensorflow"
if _TF:
    import tensorflow as tf  # the framework this backend already loaded

__all__ = ["uniform", "normal", "irfft2", "rfft2"]


def uniform(seed, shape, low, high, dtype="float32"):
    """A stateless draw, uniform in ``[low, high)``, from an int32 seed tensor of shape ``(2,)``.

    The same seed gives the same draw, inside a compiled function or not.
    """
    if not _TF:
        raise NotImplementedError(f"stateless draws from a seed tensor are written for TensorFlow only; the Keras "
                                  f"backend is {keras.backend.backend()!r}.")
    return tf.random.stateless_uniform(shape, seed=seed, minval=low, maxval=high, dtype=dtype)


def irfft2(real, imag, size):
    """Real images ``(..., h, w)`` from the half spectrum ``(..., h, w // 2 + 1)`` given as its two parts."""
    h, w = size
    if _TF:
        return tf.signal.irfft2d(tf.complex(real, imag), fft_length=[h, w])
    # inverse complex FFT along the rows (conj(fft(conj z)) / h), then the real inverse along the columns
    a, b = ops.fft((ops.swapaxes(real, -1, -2), -ops.swapaxes(imag, -1, -2)))
    return ops.irfft((ops.swapaxes(a, -1, -2) / h, -ops.swapaxes(b, -1, -2) / h), fft_length=w)


def rfft2(x, size):
    """The half spectrum ``(real, imag)``, each ``(..., h, w // 2 + 1)``, of real images ``(..., h, w)``."""
    h, w = size
    if _TF:
        spectrum = tf.signal.rfft2d(x, fft_length=[h, w])
        return tf.math.real(spectrum), tf.math.imag(spectrum)
    a, b = ops.rfft(x, fft_length=w)
    a, b = ops.fft((ops.swapaxes(a, -1, -2), ops.swapaxes(b, -1, -2)))
    return ops.swapaxes(a, -1, -2), ops.swapaxes(b, -1, -2)


def normal(seed, shape, dtype="float32"):
    """A stateless standard normal draw from an int32 seed tensor of shape ``(2,)`` (as :func:`uniform`)."""
    if not _TF:
        raise NotImplementedError(f"stateless draws from a seed tensor are written for TensorFlow only; the Keras "
                                  f"backend is {keras.backend.backend()!r}.")
    return tf.random.stateless_normal(shape, seed=seed, dtype=dtype)
