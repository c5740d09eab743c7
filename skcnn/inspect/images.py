"""Image utilities for the inspectors that make images: bicubic upscaling, standardization, display contrast,
and the share of an image's energy at high spatial frequencies.

Plain NumPy: nothing here touches a deep-learning framework.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bicubic_upscale", "enhance_contrast", "from_range_units", "high_frequency_share"]


def _cubic_weights(t, a=-0.5):
    """Keys' cubic convolution kernel at distance ``t``."""
    t = np.abs(t)
    return np.where(t <= 1, (a + 2) * t**3 - (a + 3) * t**2 + 1,
                    np.where(t < 2, a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a, 0.0))


def _bicubic_matrix(n_in, n_out):
    """Matrix ``(n_out, n_in)`` of 1-D bicubic resampling (pixel centres aligned, edges clamped)."""
    matrix = np.zeros((n_out, n_in))
    centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    base = np.floor(centres).astype(int)
    for offset in range(-1, 3):
        source = base + offset
        weight = _cubic_weights(centres - source)
        np.add.at(matrix, (np.arange(n_out), np.clip(source, 0, n_in - 1)), weight)
    return matrix / matrix.sum(axis=1, keepdims=True)


def bicubic_upscale(grids, size):
    """Resample images ``(n, gh, gw)`` to ``(n, h, w)`` by bicubic interpolation.

    Separable and linear: one matrix per axis, so a whole batch costs two
    matrix products.

    Parameters
    ----------
    grids : array-like of shape (n, gh, gw)
    size : (int, int)
        Output ``(h, w)``.

    Returns
    -------
    ndarray of shape (n, h, w)

    Examples
    --------
    >>> import numpy as np
    >>> out = bicubic_upscale(np.arange(4.0).reshape(1, 2, 2), (4, 4))
    >>> out.shape, bool(np.allclose(out.mean(), 1.5))
    ((1, 4, 4), True)
    """
    grids = np.asarray(grids, dtype=np.float64)
    rows = _bicubic_matrix(grids.shape[1], int(size[0]))
    cols = _bicubic_matrix(grids.shape[2], int(size[1]))
    return np.matmul(np.matmul(rows, grids), cols.T)


def _standardize(images, amplitude=1.0):
    """Each image to mean 0 and standard deviation ``amplitude`` (constant images stay at 0)."""
    shape = images.shape
    rows = np.array(images, dtype=np.float64).reshape(shape[0], -1)
    mean = rows.mean(axis=1, keepdims=True)
    rows -= mean
    spread = np.sqrt(np.einsum("ij,ij->i", rows, rows) / rows.shape[1])[:, None]
    # Rounding leaves a constant image a tiny spread; scaling that up would turn it into noise.
    constant = spread <= 1e-9 * np.maximum(1.0, np.abs(mean))
    rows *= np.where(constant, 0.0, amplitude / np.where(constant, 1.0, spread))
    return rows.astype(np.float32).reshape(shape)


def enhance_contrast(images, percentiles=(1.0, 99.0)):
    """Stretch each image so its ``percentiles`` span [0, 1] (clipped), for display.

    Parameters
    ----------
    images : array-like of shape (n, ...) or a single 2-D image
    percentiles : (float, float), default=(1, 99)

    Returns
    -------
    ndarray of the same shape, values in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> enhance_contrast(np.array([[0.0, 1.0], [2.0, 100.0]]), percentiles=(0, 50)).round(2).tolist()
    [[0.0, 0.67], [1.0, 1.0]]
    """
    images = np.asarray(images, dtype=np.float64)
    low, high = percentiles
    if not 0 <= low < high <= 100:
        raise ValueError(f"percentiles must be (low, high) with 0 <= low < high <= 100; got {percentiles!r}.")
    single = images.ndim == 2
    batch = images[None] if single else images
    axes = tuple(range(1, batch.ndim))
    lo = np.percentile(batch, low, axis=axes, keepdims=True)
    hi = np.percentile(batch, high, axis=axes, keepdims=True)
    out = np.clip((batch - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
    return out[0] if single else out


def high_frequency_share(images):
    """Share of each image's energy (mean removed) above half the Nyquist frequency.

    The energy of the 2-D spectrum at radial frequencies above 0.25 cycles
    per pixel, over the total, per image (channels summed): about 0.8 for
    white noise on a square image (the share of the frequency square outside
    that circle), near 0 for smooth images.

    Parameters
    ----------
    images : array-like of shape (n, h, w) or (n, h, w, c)

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> noise = np.random.default_rng(0).normal(size=(50, 32, 32))
    >>> smooth = np.cumsum(np.cumsum(noise, axis=1), axis=2)
    >>> bool(high_frequency_share(smooth).mean() < 0.1 < 0.7 < high_frequency_share(noise).mean())
    True
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"images must have shape (n, h, w) or (n, h, w, c); got {images.shape}.")
    centred = images - images.mean(axis=(1, 2), keepdims=True)
    power = (np.abs(np.fft.fft2(centred, axes=(1, 2))) ** 2).sum(axis=3)
    fy = np.fft.fftfreq(images.shape[1])[:, None]
    fx = np.fft.fftfreq(images.shape[2])[None, :]
    high = np.sqrt(fy**2 + fx**2) > 0.25
    total = power.sum(axis=(1, 2))
    return power[:, high].sum(axis=1) / np.where(total > 0, total, 1.0)



def from_range_units(images, input_range):
    """Images given in units of ``input_range`` around 0, placed in model space: ``middle + width * images``.

    Without a range (None) the images are returned as they are: the unit is
    then the model's own.

    Examples
    --------
    >>> import numpy as np
    >>> from_range_units(np.array([-0.5, 0.0, 0.25]), (0.0, 255.0)).tolist()
    [0.0, 127.5, 191.25]
    """
    images = np.asarray(images, dtype=np.float32)
    if input_range is None:
        return images
    low, high = input_range
    return ((low + high) / 2 + (high - low) * images).astype(np.float32)
