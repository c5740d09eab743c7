"""Small random transforms applied to the image before every ascent step.

Each function here returns a transform ``t(images, seed) -> images`` on
TensorFlow tensors ``(n, h, w, c)``; ``seed`` is a stateless seed (two int32)
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

# TensorFlow is bound once, when this module is first imported (by the engine): the functions below run
# inside tf.function, where nothing Python-side such as import_keras may be called (issue 10.3).
_, tf = import_keras()

__all__ = ["pad", "jitter", "roll", "random_scale", "random_rotate", "standard", "resolve", "compose", "fit_to"]


def _named(fn, name):
    fn.__name__ = name
    return fn


def pad(width, mode="reflect"):
    """Pad every side by ``width`` pixels (``"reflect"`` or ``"constant"`` zeros).

    Examples
    --------
    >>> import numpy as np
    >>> pad(2)(np.zeros((1, 4, 4, 1), "float32"), [0, 0]).shape
    TensorShape([1, 8, 8, 1])
    """
    width = check_int(width, "width", low=0)
    if mode not in ("reflect", "constant"):
        raise ValueError(f"mode must be 'reflect' or 'constant'; got {mode!r}.")

    def transform(images, seed):
        return tf.pad(images, [[0, 0], [width, width], [width, width], [0, 0]], mode=mode.upper())

    return _named(transform, "pad")


def _uniform(seed, low, high, salt, dtype=None):
    seed = tf.cast(seed, tf.int32) + tf.constant([salt, 7 * salt + 1], tf.int32)
    if dtype is None:
        return tf.random.stateless_uniform([], seed=seed, minval=low, maxval=high)
    return tf.random.stateless_uniform([], seed=seed, minval=low, maxval=high, dtype=dtype)


def jitter(distance):
    """Cut a random window ``distance`` pixels smaller than the image: a random shift of up to ``distance``.

    The image shrinks by ``distance`` pixels per axis (pad first, as
    :func:`standard` does; the engine fits the result to the model's input).

    Examples
    --------
    >>> import numpy as np
    >>> jitter(2)(np.ones((1, 9, 9, 1), "float32"), [0, 0]).shape
    TensorShape([1, 7, 7, 1])
    """
    distance = check_int(distance, "distance", low=0)

    def transform(images, seed):
        images = tf.convert_to_tensor(images)
        if not distance:
            return images
        h, w = images.shape[1] - distance, images.shape[2] - distance
        dy = _uniform(seed, 0, distance + 1, 11, tf.int32)
        dx = _uniform(seed, 0, distance + 1, 13, tf.int32)
        out = images[:, dy:dy + h, dx:dx + w, :]
        out.set_shape([images.shape[0], h, w, images.shape[3]])
        return out

    return _named(transform, "jitter")


def roll(distance):
    """Roll the batch (wrapping around) by up to ``distance`` pixels each way: the engine's ``jitter=``.

    Examples
    --------
    >>> import numpy as np
    >>> roll(1)(np.arange(4.0, dtype="float32").reshape(1, 2, 2, 1), [0, 0]).shape
    TensorShape([1, 2, 2, 1])
    """
    distance = check_int(distance, "distance", low=0)

    def transform(images, seed):
        shift = tf.random.stateless_uniform([2], seed=tf.cast(seed, tf.int32), minval=-distance,
                                            maxval=distance + 1, dtype=tf.int32)
        return tf.roll(images, shift=shift, axis=[1, 2])

    return _named(transform, "roll")


def _affine(images, zoom, angle):
    """Zoom by ``zoom`` and rotate by ``angle`` (radians) about the centre, bilinear, edges extended.

    The resampling is a sparse matrix (four weights per output pixel) applied
    to all images and channels at once; its gradient is the transposed matrix.
    """
    images = tf.convert_to_tensor(images)
    n, h, w, c = images.shape
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float32) - (h - 1) / 2, np.arange(w, dtype=np.float32) - (w - 1) / 2,
                             indexing="ij")
    rows, cols = tf.constant(rows.ravel()), tf.constant(cols.ravel())
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    src_y = tf.clip_by_value(sin * cols + cos * rows + (h - 1) / 2, 0.0, h - 1.0)
    src_x = tf.clip_by_value(cos * cols - sin * rows + (w - 1) / 2, 0.0, w - 1.0)
    y0, x0 = tf.floor(src_y), tf.floor(src_x)
    fy, fx = src_y - y0, src_x - x0
    y0, x0 = tf.cast(y0, tf.int64), tf.cast(x0, tf.int64)
    y1, x1 = tf.minimum(y0 + 1, h - 1), tf.minimum(x0 + 1, w - 1)
    # Four entries per output pixel, output pixels in order: the indices are already sorted by row.
    out = tf.repeat(tf.range(h * w, dtype=tf.int64), 4)
    source = tf.reshape(tf.stack([y0 * w + x0, y0 * w + x1, y1 * w + x0, y1 * w + x1], axis=1), [-1])
    weights = tf.reshape(tf.stack([(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx], axis=1), [-1])
    matrix = tf.SparseTensor(tf.stack([out, source], axis=1), weights, [h * w, h * w])
    flat = tf.reshape(tf.transpose(images, [1, 2, 0, 3]), [h * w, -1])
    moved = tf.sparse.sparse_dense_matmul(matrix, flat)
    return tf.transpose(tf.reshape(moved, [h, w, -1, c]), [2, 0, 1, 3])


def random_scale(low=0.9, high=1.1):
    """Zoom about the centre by a random factor in ``[low, high]`` (the size stays).

    Examples
    --------
    >>> import numpy as np
    >>> random_scale()(np.ones((2, 6, 6, 3), "float32"), [0, 0]).shape
    TensorShape([2, 6, 6, 3])
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
    >>> random_rotate(5)(np.ones((1, 6, 6, 1), "float32"), [0, 0]).shape
    TensorShape([1, 6, 6, 1])
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
    >>> compose(standard((12, 12)), (12, 12))(np.ones((2, 12, 12, 1), "float32"), np.array([1, 2])).shape
    TensorShape([2, 12, 12, 1])
    """
    transforms = list(transforms)

    def apply(images, seed):
        zoom, angle = None, None
        for k, t in enumerate(transforms):
            salted = seed + tf.constant([0, 104729], tf.int32) * (k + 1)
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
    >>> fit_to(np.zeros((1, 9, 5, 1), "float32"), (7, 7)).shape
    TensorShape([1, 7, 7, 1])
    """
    h, w = (int(v) for v in size)
    images = tf.convert_to_tensor(images)
    H, W = images.shape[1], images.shape[2]
    if H is None or W is None:
        raise ValueError("fit_to needs images of a known height and width.")
    grow_h, grow_w = max(0, h - H), max(0, w - W)
    if grow_h or grow_w:
        images = tf.pad(images, [[0, 0], [grow_h // 2, grow_h - grow_h // 2], [grow_w // 2, grow_w - grow_w // 2],
                                 [0, 0]], mode="REFLECT")
        H, W = H + grow_h, W + grow_w
    top, left = (H - h) // 2, (W - w) // 2
    return images[:, top:top + h, left:left + w, :]
