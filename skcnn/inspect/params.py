"""Image parameterizations: what the gradient ascent actually changes.

- ``"pixel"``: the image itself (raw activation maximization);
- ``"fft"``: the image's 2-D Fourier spectrum, each frequency scaled by
  ``1 / frequency``. A normalized gradient step then moves coarse structure
  as much as fine, instead of mostly adding high-frequency noise; works for
  any number of channels.

``decorrelate=True`` (three channels) climbs in a colour basis of one
luminance and two colour-opponent axes with the colour axes scaled down, so
steps change brightness more than hue, as natural images do.

Both are invertible, so any start image (multiscale, precursor, a photo) can
be encoded; :class:`ImageParam` does the two directions on backend tensors
(``keras.ops``) inside the engine's compiled step. A small ``"fft"`` image
(sides up to 48) is decoded by two matrix products, the inverse DFT written
out, which take fewer operations per step than an FFT; larger ones by the FFT.

Examples
--------
>>> import numpy as np
>>> from skcnn.inspect.params import ImageParam
>>> param = ImageParam((8, 8, 3), "fft", decorrelate=True)
>>> x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
>>> bool(np.allclose(param.decode_numpy(param.encode_numpy(x)), x, atol=1e-4))
True
"""

from __future__ import annotations

import numpy as np

from .._keras import import_keras
from ._core import ops as _ops

# Keras is bound once, when this module is first imported (by the engine): the methods below run inside
# compiled functions, where nothing Python-side such as import_keras may be called (AutoGraph would print
# os.environ).
keras = import_keras()
ops = keras.ops

__all__ = ["ImageParam", "fft_scale", "COLOR_BASIS"]

_PARAMS = ("pixel", "fft")

# Columns: luminance, red-blue and green-magenta axes (orthonormal), then scaled so that the
# colour axes take smaller steps than brightness.
_AXES = np.array([[1, 1, 1], [1, 0, -1], [1, -2, 1]], dtype=np.float64)
_AXES /= np.linalg.norm(_AXES, axis=1, keepdims=True)
COLOR_BASIS = (_AXES.T * np.array([1.0, 0.35, 0.2])).astype(np.float32)
"""``(3, 3)`` matrix ``B``: an RGB pixel is ``B @ p`` for a decorrelated pixel ``p``."""


def fft_scale(height, width, decay=1.0):
    """Per-frequency factor ``(height, width // 2 + 1)`` of the ``"fft"`` parameterization.

    ``1 / max(f, 1 / max(height, width)) ** decay`` for the frequency ``f`` (cycles
    per pixel), normalized so that a spectrum of unit-variance noise gives an
    image of root mean square about 1.

    Examples
    --------
    >>> s = fft_scale(28, 28)
    >>> s.shape, bool(s[0, 1] > s[0, 2] > s[0, -1])
    ((28, 15), True)
    """
    fy = np.fft.fftfreq(int(height))[:, None]
    fx = np.fft.rfftfreq(int(width))[None, :]
    freq = np.sqrt(fy**2 + fx**2)
    scale = 1.0 / np.maximum(freq, 1.0 / max(height, width)) ** float(decay)
    scale *= height * width / np.sqrt(4.0 * np.sum(scale**2))
    return scale.astype(np.float32)


# Largest side of an "fft" image decoded by two matrix products instead of an FFT: the products cost
# O(h*w*(h+w)) but are two ops (and two in the gradient), where the FFT route takes about ten; above this
# side their arithmetic outweighs the ops saved (fwd+bwd per image on CPU, matmul against FFT: 80 against
# 108 us at 32, 215 against 229 at 48, 403 against 318 at 64).
_DFT_LIMIT = 48


def _dft_matrices(h, w, basis):
    """The inverse real 2-D DFT of a half spectrum ``(c, h, w // 2 + 1, 2)``, colour basis included, as two matrices.

    With ``R + iI`` the spectrum, ``theta = 2 pi (ky y / h + kx x / w)`` and
    ``m = 1`` for ``kx = 0`` (and ``w / 2``), 2 otherwise, the image is
    ``x[y, x] = sum m (R cos theta - I sin theta) / (h w)``, which is
    ``sum_ky (cos(2 pi ky y / h) U0 + sin(2 pi ky y / h) U1) / h`` with
    ``U0 = sum_kx m (R cos - I sin)(2 pi kx x / w) / w`` and
    ``U1 = -sum_kx m (R sin + I cos)(2 pi kx x / w) / w``.

    Returns ``by_x`` ``(2 * (w // 2 + 1), 2 * w)``: rows (kx, part), columns
    (U0 or U1, x); and ``by_y`` ``(h * d, 2 * c * h)``: rows (y, colour d),
    columns (channel c, ky, U0 or U1), the colour basis ``d x c`` folded in.
    """
    half = w // 2 + 1
    kx = np.arange(half)
    m = np.where((kx == 0) | (2 * kx == w), 1.0, 2.0)[:, None]
    angle = 2 * np.pi * np.outer(kx, np.arange(w)) / w
    cos, sin = m * np.cos(angle) / w, m * np.sin(angle) / w
    by_x = np.zeros((half, 2, 2, w))
    by_x[:, 0, 0], by_x[:, 1, 0], by_x[:, 0, 1], by_x[:, 1, 1] = cos, -sin, -sin, -cos
    angle = 2 * np.pi * np.outer(np.arange(h), np.arange(h)) / h  # (y, ky)
    rows = np.stack([np.cos(angle), np.sin(angle)], axis=-1) / h  # (y, ky, U0 or U1)
    basis = np.asarray(basis, np.float64)
    by_y = np.einsum("dc,ykt->ydckt", basis, rows)
    return (by_x.reshape(2 * half, 2 * w).astype(np.float32),
            by_y.reshape(h * basis.shape[0], basis.shape[1] * h * 2).astype(np.float32))


class ImageParam:
    """An image parameterization for images of ``shape`` ``(h, w, c)``.

    Parameters
    ----------
    shape : (int, int, int)
    param : {"pixel", "fft"}, default="pixel"
    decorrelate : bool or array-like of shape (3, 3), default=False
        Climb in :data:`COLOR_BASIS` (True) or in the given basis; only for
        three channels.
    decay : float, default=1.0
        Exponent of the ``"fft"`` frequency scaling.

    Examples
    --------
    >>> p = ImageParam((4, 6, 1), "fft")
    >>> p.param_shape
    (1, 4, 4, 2)
    """

    def __init__(self, shape, param="pixel", decorrelate=False, decay=1.0):
        if param not in _PARAMS:
            raise ValueError(f"param must be one of {_PARAMS}; got {param!r}.")
        h, w, c = (int(v) for v in shape)
        self.shape, self.param = (h, w, c), param
        basis = None
        if decorrelate is not False and decorrelate is not None:
            if c != 3:
                raise ValueError(f"decorrelate needs 3 colour channels; the images have {c}.")
            basis = COLOR_BASIS if decorrelate is True else np.asarray(decorrelate, dtype=np.float32)
            if basis.shape != (3, 3) or not np.all(np.isfinite(basis)) or abs(np.linalg.det(basis)) < 1e-8:
                raise ValueError(f"decorrelate must be True, False or an invertible (3, 3) matrix; got shape "
                                 f"{basis.shape}.")
        self.basis = basis
        self.inverse = None if basis is None else np.linalg.inv(basis).astype(np.float32)
        self.scale = fft_scale(h, w, decay) if param == "fft" else None
        # the scale of each parameter, written out in full: a broadcast over the short last axis costs more
        self._scale = None if self.scale is None else np.broadcast_to(self.scale[..., None], (c, h, w // 2 + 1, 2)).copy()
        self.param_shape = (c, h, w // 2 + 1, 2) if param == "fft" else (h, w, c)
        self._dft = _dft_matrices(h, w, basis if basis is not None else np.eye(c)) if (
            param == "fft" and max(h, w) <= _DFT_LIMIT) else None

    @property
    def identity(self):
        """True when the parameter is the image itself."""
        return self.param == "pixel" and self.basis is None

    # ------------------------------------------------------------ tensors
    def decode(self, p):
        """Parameters ``(n,) + param_shape`` -> images ``(n, h, w, c)`` (backend tensors).

        NumPy constants meet tensors as tensors: PyTorch hands ``tensor * array``
        to NumPy, which drops the gradient.
        """
        x = p
        if self._dft is not None:
            return self._decode_by_matmul(p)
        if self.param == "fft":
            real, imag = ops.unstack(p * ops.convert_to_tensor(self._scale), 2, axis=-1)
            x = _ops.irfft2(real, imag, self.shape[:2])
            # (n, c, h, w) -> (n, h, w, c), in the colour basis when there is one
            return ops.einsum("nchw,dc->nhwd", x, self.basis) if self.basis is not None else ops.transpose(
                x, (0, 2, 3, 1))
        if self.basis is not None:
            x = ops.einsum("nhwc,dc->nhwd", x, self.basis)
        return x

    def _decode_by_matmul(self, p):
        """:meth:`decode` of a small ``"fft"`` image as two matrix products (see :func:`_dft_matrices`)."""
        h, w, c = self.shape
        by_x, by_y = self._dft
        u = ops.matmul(ops.reshape(p * ops.convert_to_tensor(self._scale), (-1, c * h, 2 * (w // 2 + 1))), by_x)  # (n, c*h, 2*w)
        x = ops.matmul(by_y, ops.reshape(u, (-1, 2 * c * h, w)))  # (n, h * d, w)
        x = ops.reshape(x, (-1, h, by_y.shape[0] // h, w))
        return ops.transpose(x, (0, 1, 3, 2))

    def encode(self, x):
        """Images ``(n, h, w, c)`` -> parameters (backend tensors); ``decode(encode(x)) == x``."""
        if self.param == "fft":
            x = ops.einsum("nhwc,dc->ndhw", x, self.inverse) if self.basis is not None else ops.transpose(
                x, (0, 3, 1, 2))
            real, imag = _ops.rfft2(x, self.shape[:2])
            return ops.stack([real, imag], axis=-1) / ops.convert_to_tensor(self._scale)
        if self.basis is not None:
            x = ops.einsum("nhwc,dc->nhwd", x, self.inverse)
        return x

    def decode_numpy(self, p):
        """:meth:`decode` on NumPy arrays."""
        return ops.convert_to_numpy(self.decode(ops.convert_to_tensor(np.asarray(p, dtype=np.float32))))

    def encode_numpy(self, x):
        """:meth:`encode` on NumPy arrays."""
        return ops.convert_to_numpy(self.encode(ops.convert_to_tensor(np.asarray(x, dtype=np.float32))))
