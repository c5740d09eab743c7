"""Small random transforms applied to the image before every ascent step.

Each function here returns a transform ``t(images, seed) -> images`` on
backend tensors ``(n, h, w, c)`` (written with ``keras.ops``); ``seed`` is a stateless seed (two int32)
that changes every step, and one draw serves the whole batch. The engine
composes a list of them inside its compiled step, then centre-crops (or
reflect-pads) the result back to the model's input size. An image that has
to drive the network through small shifts, zooms and rotations cannot rely on
pixel-exact high-frequency noise, which makes OIPs readable.

:func:`standard` is a preset scaled to the image size.

Examples
--------
>>> from skcnn.inspect import transforms
>>> [t.__name__ for t in transforms.standard((28, 28))]
['pad', 'jitter', 'random_scale', 'random_rotate']
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int
from .._keras import import_keras
from ._core import ops as _ops

# Keras is bound once, when this module is first imported (by the engine): the functions below run inside
# compiled functions, where nothing Python-side such as import_keras may be called (AutoGraph would print
# os.environ).
keras, _ = import_keras()
ops = keras.ops

__all__ = ["pad", "jitter", "roll", "random_scale", "random_rotate", "standard", "resolve", "compose", "fit_to"]


def _named(fn, name):
    fn.__name__ = name
    return fn


def pad(width, mode="reflect"):
    """Pad every side by ``width`` pixels (``"reflect"`` or ``"constant"`` zeros).

    Examples
    --------
    >>> import numpy as np
    >>> tuple(pad(2)(np.zeros((1, 4, 4, 1), "float32"), [0, 0]).shape)
    (1, 8, 8, 1)
    """
    width = check_int(width, "width", low=0)
    if mode not in ("reflect", "constant"):
        raise ValueError(f"mode must be 'reflect' or 'constant'; got {mode!r}.")

    def transform(images, seed):
        return ops.pad(images, [[0, 0], [width, width], [width, width], [0, 0]], mode=mode)

    return _named(transform, "pad")


def _uniform(seed, low, high, salt, dtype="float32"):
    """One number from ``[low, high)``, drawn from ``seed`` with ``salt`` added (one salt per use)."""
    seed = ops.cast(seed, "int32") + np.array([salt, 7 * salt + 1], np.int32)
    return _ops.uniform(seed, [], low, high, dtype)


def jitter(distance):
    """Cut a random window ``distance`` pixels smaller than the image: a random shift of up to ``distance``.

    The image shrinks by ``distance`` pixels per axis (pad first, as
    :func:`standard` does; the engine fits the result to the model's input).

    Examples
    --------
    >>> import numpy as np
    >>> tuple(jitter(2)(np.ones((1, 9, 9, 1), "float32"), [0, 0]).shape)
    (1, 7, 7, 1)
    """
    distance = check_int(distance, "distance", low=0)

    def transform(images, seed):
        images = ops.convert_to_tensor(images)
        if not distance:
            return images
        _, h, w, c = images.shape
        dy = _uniform(seed, 0, distance + 1, 11, "int32")
        dx = _uniform(seed, 0, distance + 1, 13, "int32")
        zero = ops.zeros_like(dy)
        return ops.slice(images, ops.stack([zero, dy, dx, zero]),
                         [ops.shape(images)[0], h - distance, w - distance, c])

    return _named(transform, "jitter")


def roll(distance):
    """Roll the batch (wrapping around) by up to ``distance`` pixels each way: the engine's ``jitter=``.

    Examples
    --------
    >>> import numpy as np
    >>> tuple(roll(1)(np.arange(4.0, dtype="float32").reshape(1, 2, 2, 1), [0, 0]).shape)
    (1, 2, 2, 1)
    """
    distance = check_int(distance, "distance", low=0)

    def transform(images, seed):
        shift = _ops.uniform(ops.cast(seed, "int32"), [2], -distance, distance + 1, "int32")
        return ops.roll(images, shift, axis=[1, 2])

    return _named(transform, "roll")


def _affine(images, zoom, angle):
    """Zoom by ``zoom`` and rotate by ``angle`` (radians) about the centre, bilinear, edges extended.

    Each output pixel is a weighted sum of its four source pixels: one gather
    of all images and channels at once, then one weighted sum; the gradient
    scatters back through the same four indices.
    """
    images = ops.convert_to_tensor(images)
    _, h, w, c = images.shape
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float32) - (h - 1) / 2, np.arange(w, dtype=np.float32) - (w - 1) / 2,
                             indexing="ij")
    rows, cols = rows.ravel(), cols.ravel()
    cos, sin = ops.cos(angle) / zoom, ops.sin(angle) / zoom
    src_y = ops.clip(sin * cols + cos * rows + (h - 1) / 2, 0.0, h - 1.0)
    src_x = ops.clip(cos * cols - sin * rows + (w - 1) / 2, 0.0, w - 1.0)
    y0, x0 = ops.floor(src_y), ops.floor(src_x)
    fy, fx = src_y - y0, src_x - x0
    y0, x0 = ops.cast(y0, "int32"), ops.cast(x0, "int32")
    y1, x1 = ops.minimum(y0 + 1, h - 1), ops.minimum(x0 + 1, w - 1)
    source = ops.stack([y0 * w + x0, y0 * w + x1, y1 * w + x0, y1 * w + x1])  # (4, h * w)
    weights = ops.stack([(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx])
    taps = ops.take(ops.reshape(images, (-1, h * w, c)), source, axis=1)  # (n, 4, h * w, c)
    return ops.reshape(ops.einsum("nkpc,kp->npc", taps, weights), (-1, h, w, c))


def random_scale(low=0.9, high=1.1):
    """Zoom about the centre by a random factor in ``[low, high]`` (the size stays).

    Examples
    --------
    >>> import numpy as np
    >>> tuple(random_scale()(np.ones((2, 6, 6, 3), "float32"), [0, 0]).shape)
    (2, 6, 6, 3)
    """
    low, high = float(low), float(high)
    if not 0 < low <= high:
        raise ValueError(f"random_scale needs 0 < low <= high; got {low}, {high}.")

    def draw(seed):
        return _uniform(seed, low, high, 17), 0.0

    def transform(images, seed):
        return _affine(images, *draw(seed))

    transform.affine = draw
    return _named(transform, "random_scale")


def random_rotate(degrees=10.0):
    """Rotate about the centre by a random angle in ``[-degrees, degrees]``.

    Examples
    --------
    >>> import numpy as np
    >>> tuple(random_rotate(5)(np.ones((1, 6, 6, 1), "float32"), [0, 0]).shape)
    (1, 6, 6, 1)
    """
    limit = math.radians(float(degrees))

    def draw(seed):
        return 1.0, _uniform(seed, -limit, limit, 19)

    def transform(images, seed):
        return _affine(images, *draw(seed))

    transform.affine = draw
    return _named(transform, "random_rotate")


def compose(transforms, size):
    """One function ``f(images, seed)``: the transforms in order, then :func:`fit_to` ``size``.

    Each transform gets its own seed; zooms and rotations that follow each
    other are resampled once, as one affine map.

    Examples
    --------
    >>> import numpy as np
    >>> tuple(compose(standard((12, 12)), (12, 12))(np.ones((2, 12, 12, 1), "float32"), np.array([1, 2])).shape)
    (2, 12, 12, 1)
    """
    transforms = list(transforms)

    def apply(images, seed):
        zoom, angle = None, None
        for k, t in enumerate(transforms):
            salted = ops.cast(seed, "int32") + np.array([0, 104729 * (k + 1)], np.int32)
            if hasattr(t, "affine"):
                z, a = t.affine(salted)
                zoom, angle = (z, a) if zoom is None else (zoom * z, angle + a)
                continue
            if zoom is not None:
                images, zoom, angle = _affine(images, zoom, angle), None, None
            images = t(images, salted)
        if zoom is not None:
            images = _affine(images, zoom, angle)
        return fit_to(images, size) if transforms else images

    return apply


def standard(size):
    """The preset: pad (zeros), jitter, random scale (0.9-1.1), random rotation (10 degrees).

    Distances grow with the image: 1 pixel per 14 of the shorter side (2 for
    28x28 digits, 16 for 224x224); the engine's final crop to the model's
    input is centred.

    Parameters
    ----------
    size : (int, int)
        ``(height, width)`` of the model's input.

    Returns
    -------
    list of transforms

    Examples
    --------
    >>> from skcnn.inspect.transforms import standard
    >>> [t.__name__ for t in standard((28, 28))][:2]
    ['pad', 'jitter']
    """
    unit = max(1, round(min(int(size[0]), int(size[1])) / 14))
    return [pad(unit, "constant"), jitter(unit), random_scale(0.9, 1.1), random_rotate(10.0)]


def resolve(transforms, size):
    """A list of transforms from None, ``"standard"`` or a list of transform callables.

    Examples
    --------
    >>> resolve(None, (8, 8)), len(resolve("standard", (8, 8)))
    ([], 4)
    """
    if transforms is None:
        return []
    if isinstance(transforms, str):
        if transforms != "standard":
            raise ValueError(f"transforms must be None, 'standard' or a list of transforms; got {transforms!r}.")
        return standard(size)
    if callable(transforms):
        transforms = [transforms]
    transforms = list(transforms)
    for t in transforms:
        if not callable(t):
            raise TypeError(f"transforms must hold callables t(images, seed) -> images; got {type(t).__name__}.")
    return transforms


def fit_to(images, size):
    """Centre-crop (or reflect-pad) images ``(n, H, W, c)`` to ``size`` ``(h, w)``, for the model's input.

    Examples
    --------
    >>> import numpy as np
    >>> tuple(fit_to(np.zeros((1, 9, 5, 1), "float32"), (7, 7)).shape)
    (1, 7, 7, 1)
    """
    h, w = (int(v) for v in size)
    images = ops.convert_to_tensor(images)
    H, W = images.shape[1], images.shape[2]
    if H is None or W is None:
        raise ValueError("fit_to needs images of a known height and width.")
    grow_h, grow_w = max(0, h - H), max(0, w - W)
    if grow_h or grow_w:
        images = ops.pad(images, [[0, 0], [grow_h // 2, grow_h - grow_h // 2], [grow_w // 2, grow_w - grow_w // 2],
                                  [0, 0]], mode="reflect")
        H, W = H + grow_h, W + grow_w
    top, left = (H - h) // 2, (W - w) // 2
    return images[:, top:top + h, left:left + w, :]
