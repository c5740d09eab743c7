"""The few tensor operations of the inspectors that ``keras.ops`` lacks or does slowly.

- :func:`uniform` and :func:`normal`: stateless draws from a seed *tensor*.
  ``keras.random`` takes only an int or a ``SeedGenerator``, a generator is
  state that a compiled step must not carry, and each backend's own stateless
  generator draws other numbers from the same seed. These are a counter-based
  generator written with ``keras.ops`` integer arithmetic (a 32-bit integer
  hash of the seed and each element's position; int32 products wrap around
  the same way on every backend), so the same seed gives the same draw on
  TensorFlow, JAX and PyTorch, inside a compiled function or not.
- :func:`irfft2` / :func:`rfft2`: the real 2-D FFT pair over the last two
  axes. ``keras.ops`` spells it as a complex FFT along one axis and a real
  one along the other, with two transposes each way; every backend has one
  fused op (:mod:`~skcnn.inspect._core.backends`), and inside the ascent's
  step every op costs time of its own.

Examples
--------
>>> import numpy as np, keras
>>> seed = keras.ops.convert_to_tensor(np.array([3, 7], "int32"))
>>> u = keras.ops.convert_to_numpy(uniform(seed, (2, 3), 0.0, 1.0))
>>> u.shape, bool(np.all((u >= 0) & (u < 1)))
((2, 3), True)
>>> bool(np.array_equal(u, keras.ops.convert_to_numpy(uniform(seed, (2, 3), 0.0, 1.0))))
True
"""

from __future__ import annotations

import math

from ..._keras import import_keras
from .backends import current

keras = import_keras()
ops = keras.ops

__all__ = ["uniform", "normal", "irfft2", "rfft2"]

# the multipliers of a 32-bit integer hash with low bias (C. Wellons' "lowbias32"), as int32 bit patterns
_M1, _M2 = 0x7FEB352D, 0x846CA68B - 2**32
_GOLDEN = 0x9E3779B9 - 2**32  # spreads consecutive counters and seeds over all 32 bits


def _shift_right(x, bits):
    """Logical (unsigned) right shift of int32 bit patterns."""
    return ops.bitwise_and(ops.right_shift(x, bits), (1 << (32 - bits)) - 1)


def _mix(x):
    x = ops.bitwise_xor(x, _shift_right(x, 16))
    x = ops.multiply(x, _M1)
    x = ops.bitwise_xor(x, _shift_right(x, 15))
    x = ops.multiply(x, _M2)
    return ops.bitwise_xor(x, _shift_right(x, 16))


def _unit(seed, n, stream):
    """``n`` floats uniform in [0, 1) (24 bits each), from an int32 seed ``(2,)`` and a stream number."""
    seed = ops.cast(seed, "int32")
    offset = (stream * _GOLDEN + 2**31) % 2**32 - 2**31  # wrapped to int32 here, as the tensors wrap
    key = _mix(ops.add(_mix(ops.add(seed[0], offset)), seed[1]))
    counter = ops.multiply(ops.arange(n, dtype="int32"), _GOLDEN)
    bits = _mix(ops.bitwise_xor(_mix(ops.add(counter, key)), key))
    return ops.cast(_shift_right(bits, 8), "float32") * (1.0 / (1 << 24))


def _size(shape):
    return math.prod(shape) if all(isinstance(s, int) for s in shape) else ops.prod(ops.stack(list(shape)))


def uniform(seed, shape, low, high, dtype="float32"):
    """A stateless draw, uniform in ``[low, high)``, from an int32 seed tensor of shape ``(2,)``.

    For an integer ``dtype``, integers in ``[low, high)``. The same seed gives
    the same draw on every backend, inside a compiled function or not.
    """
    shape = tuple(shape)
    u = ops.reshape(_unit(seed, _size(shape), 0), shape)
    if "int" in str(dtype):
        return ops.cast(ops.floor(low + (high - low) * u), dtype)
    return ops.cast(low + (high - low) * u, dtype)


def normal(seed, shape, dtype="float32"):
    """A stateless standard normal draw from an int32 seed tensor of shape ``(2,)`` (Box-Muller; as :func:`uniform`)."""
    shape = tuple(shape)
    n = _size(shape)
    radius = ops.sqrt(-2.0 * ops.log(1.0 - _unit(seed, n, 1)))  # 1 - u lies in (0, 1]
    angle = (2.0 * math.pi) * _unit(seed, n, 2)
    return ops.cast(ops.reshape(radius * ops.cos(angle), shape), dtype)


def irfft2(real, imag, size):
    """Real images ``(..., h, w)`` from the half spectrum ``(..., h, w // 2 + 1)`` given as its two parts."""
    return current().irfft2(real, imag, tuple(size))


def rfft2(x, size):
    """The half spectrum ``(real, imag)``, each ``(..., h, w // 2 + 1)``, of real images ``(..., h, w)``."""
    return current().rfft2(x, tuple(size))
