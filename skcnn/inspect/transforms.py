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
keras = import_keras()
ops = keras.ops

__all__ = ["pad", "jitter", "roll", "random_scale", "random_rotate", "standard", "resolve", "compose", "fit_to"]


def _named(fn, name):
    fn.__name__ = name
    return fn


# ---------------------------------------------------------------- the one resampling
# Every built-in transform is a map from the pixels of its output back to the pixels of its input (a
# "stage"). A run of them, the final fit to the model's input included, is folded into ONE table: for each
# output pixel, up to 4**k source pixels of the first input and their weights (k affine stages). The images
# are then read once, by one gather and one weighted sum, whatever the number of transforms; inside the
# ascent's step every op costs time of its own, in the forward pass and again in the gradient.
#
# Coordinates travel as one int32 tensor ``yx`` of shape (2, taps, pixels): rows then columns.


class _Shift:
    """Output pixel ``i`` reads input pixel ``i + offset``; ``size(h, w)`` is the output's size; ``edge`` says
    what an input coordinate outside the image reads: None (never happens), ``"constant"`` (zero),
    ``"reflect"`` (mirrored, edge not repeated) or ``"wrap"`` (periodic)."""

    def __init__(self, offset, grow, edge=None):
        self.offset, self.grow, self.edge = offset, grow, edge

    def size(self, h, w):
        return h + self.grow[0], w + self.grow[1]

    def back(self, yx, weights, h, w):
        yx = ops.add(yx, self.offset)  # an array offset meets the tensor as a tensor (torch: no __array_wrap__)
        limit = ops.convert_to_tensor(np.array([h, w], np.int32).reshape(2, 1, 1))  # a tensor: torch compares no arrays
        if self.edge == "reflect":
            yx = (limit - 1) - ops.abs((limit - 1) - ops.abs(yx))
        elif self.edge == "wrap":
            yx = ops.mod(yx, limit)
        elif self.edge == "constant":
            inside = ops.cast(ops.all(ops.logical_and(yx >= 0, yx < limit), axis=0), "float32")
            weights = inside if weights is None else weights * inside
            yx = ops.clip(yx, 0, limit - 1)
        return yx, weights


class _Affine:
    """Zoom by ``zoom`` and rotate by ``angle`` (radians) about the centre, bilinear, edges extended: each
    output pixel reads the four pixels around its source point."""

    def __init__(self, zoom, angle):
        self.zoom, self.angle = zoom, angle

    def then(self, other):
        """This map followed by ``other``: one zoom (the product) and one rotation (the sum)."""
        return _Affine(self.zoom * other.zoom, self.angle + other.angle)

    def size(self, h, w):
        return h, w

    def back(self, yx, weights, h, w):
        rows = ops.cast(yx[0], "float32") - (h - 1) / 2
        cols = ops.cast(yx[1], "float32") - (w - 1) / 2
        cos, sin = ops.cos(self.angle) / self.zoom, ops.sin(self.angle) / self.zoom
        src_y = ops.clip(sin * cols + cos * rows + (h - 1) / 2, 0.0, h - 1.0)
        src_x = ops.clip(cos * cols - sin * rows + (w - 1) / 2, 0.0, w - 1.0)
        y0, x0 = ops.floor(src_y), ops.floor(src_x)
        fy, fx = src_y - y0, src_x - x0
        y0, x0 = ops.cast(y0, "int32"), ops.cast(x0, "int32")
        y1, x1 = ops.minimum(y0 + 1, h - 1), ops.minimum(x0 + 1, w - 1)
        yx = ops.stack([ops.concatenate([y0, y0, y1, y1]), ops.concatenate([x0, x1, x0, x1])])
        taps = ops.concatenate([(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx])
        return yx, taps if weights is None else taps * ops.tile(weights, (4, 1))


def _fold(images, stages, size=None):
    """Apply ``stages`` (in order), then fit to ``size`` ``(h, w)`` if given, as one gather and one weighted sum."""
    images = ops.convert_to_tensor(images)
    merged = []
    for stage in stages:  # zooms and rotations that follow each other: one resampling
        if merged and isinstance(stage, _Affine) and isinstance(merged[-1], _Affine):
            merged[-1] = merged[-1].then(stage)
        else:
            merged.append(stage)
    h, w = images.shape[1], images.shape[2]
    if h is None or w is None:
        raise ValueError("transforms need images of a known height and width.")
    sizes = [(h, w)]
    for stage in merged:
        sizes.append(stage.size(*sizes[-1]))
    if size is not None:
        merged.append(_fit_stage(size, *sizes[-1]))
        sizes.append(merged[-1].size(*sizes[-1]))
    out_h, out_w = sizes[-1]
    grid = np.stack(np.meshgrid(np.arange(out_h), np.arange(out_w), indexing="ij")).astype(np.int32)
    yx, weights = ops.convert_to_tensor(grid.reshape(2, 1, -1)), None
    for stage, (sh, sw) in zip(merged[::-1], sizes[-2::-1]):
        yx, weights = stage.back(yx, weights, sh, sw)
    return _resample(images, yx[0] * w + yx[1], weights, (out_h, out_w))


def _resample(images, index, weights, size):
    """``out[p] = sum_k weights[k, p] * images[index[k, p]]`` for the pixels ``p`` of the output ``(n,) + size + (c,)``.

    ``index`` (``(taps, pixels)``) counts the input's pixels row by row; ``weights`` None means one tap of
    weight 1. The pixels go first, so that the gather copies whole rows of ``n * c`` values and its gradient
    adds whole rows.
    """
    _, h, w, c = images.shape
    flat = ops.reshape(ops.transpose(images, (1, 2, 0, 3)), (h * w, -1))
    if weights is None:
        out = ops.take(flat, index[0], axis=0)
    else:
        out = ops.sum(ops.take(flat, index, axis=0) * weights[..., None], axis=0)
    return ops.transpose(ops.reshape(out, (size[0], size[1], -1, c)), (2, 0, 1, 3))


def _affine(images, zoom, angle):
    """Zoom by ``zoom`` and rotate by ``angle`` (radians) about the centre, bilinear, edges extended."""
    return _fold(images, [_Affine(zoom, angle)])


def _geometric(name, stage):
    """A transform ``t(images, seed)`` from ``stage(seed)``, the map it stands for (which :func:`compose` folds)."""

    def transform(images, seed):
        return _fold(images, [stage(seed)])

    transform.stage = stage
    return _named(transform, name)


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
    shift = _Shift(-width, (2 * width, 2 * width), mode)
    return _geometric("pad", lambda seed: shift)


def _uniform(seed, low, high, salt, dtype="float32"):
    """One number from ``[low, high)``, drawn from ``seed`` with ``salt`` added (one salt per use)."""
    seed = ops.cast(seed, "int32") + ops.convert_to_tensor(np.array([salt, 7 * salt + 1], np.int32))
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

    def stage(seed):
        if not distance:
            return _Shift(0, (0, 0))
        dy = _uniform(seed, 0, distance + 1, 11, "int32")
        dx = _uniform(seed, 0, distance + 1, 13, "int32")
        return _Shift(ops.reshape(ops.stack([dy, dx]), (2, 1, 1)), (-distance, -distance))

    return _geometric("jitter", stage)


def roll(distance):
    """Roll the batch (wrapping around) by up to ``distance`` pixels each way: the engine's ``jitter=``.

    Examples
    --------
    >>> import numpy as np
    >>> tuple(roll(1)(np.arange(4.0, dtype="float32").reshape(1, 2, 2, 1), [0, 0]).shape)
    (1, 2, 2, 1)
    """
    distance = check_int(distance, "distance", low=0)

    def stage(seed):
        shift = _ops.uniform(ops.cast(seed, "int32"), [2], -distance, distance + 1, "int32")
        return _Shift(-ops.reshape(shift, (2, 1, 1)), (0, 0), "wrap")

    return _geometric("roll", stage)


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

    transform = _geometric("random_scale", lambda seed: _Affine(*draw(seed)))
    transform.affine = draw
    return transform


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

    transform = _geometric("random_rotate", lambda seed: _Affine(*draw(seed)))
    transform.affine = draw
    return transform


def _fit_stage(size, h, w):
    """The stage of :func:`fit_to`: images ``(h, w)`` centre-cropped (or reflect-padded) to ``size``."""
    th, tw = (int(v) for v in size)
    grow_h, grow_w = max(0, th - h), max(0, tw - w)
    top, left = (h + grow_h - th) // 2 - grow_h // 2, (w + grow_w - tw) // 2 - grow_w // 2
    return _Shift(np.array([top, left], np.int32).reshape(2, 1, 1), (th - h, tw - w),
                  "reflect" if grow_h or grow_w else None)


def compose(transforms, size):
    """One function ``f(images, seed)``: the transforms in order, then :func:`fit_to` ``size``.

    Each transform gets its own seed. The built-in transforms that follow
    each other, and the final fit, read the images once: one gather and one
    weighted sum from a small table of source pixels (zooms and rotations that
    follow each other are one bilinear resampling); a transform of your own
    is applied as it is, between such runs.

    Examples
    --------
    >>> import numpy as np
    >>> tuple(compose(standard((12, 12)), (12, 12))(np.ones((2, 12, 12, 1), "float32"), np.array([1, 2])).shape)
    (2, 12, 12, 1)
    """
    transforms = list(transforms)

    def apply(images, seed):
        if not transforms:
            return images
        images, stages = ops.convert_to_tensor(images), []
        for k, t in enumerate(transforms):
            salted = ops.cast(seed, "int32") + ops.convert_to_tensor(np.array([0, 104729 * (k + 1)], np.int32))
            if hasattr(t, "stage"):
                stages.append(t.stage(salted))
                continue
            if stages:
                images, stages = _fold(images, stages), []
            images = t(images, salted)
        return _fold(images, stages, size)

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
    return _fold(images, [], size)
