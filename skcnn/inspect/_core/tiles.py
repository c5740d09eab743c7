"""Tiled gradients of a whole image: roll, cut into equal tiles, one batch through the network, roll back.

A network that sees a whole image larger than it can take in one piece (or
than memory allows) climbs it tile by tile. :func:`tiled_objective` rolls the
image by an offset, pads it to a grid of equal tiles (reflected borders that
carry no gradient back, so every pixel counts once), sends all tiles through
the network as one batch and sums an objective over them; its gradient w.r.t.
the image is the whole image's gradient, rolled back by the autodiff itself.
:func:`tiled_climb` runs all steps of one level in one compiled call, with
the one step rule (:func:`~skcnn.inspect._core.ascent.ascent_step`). Both are
written with ``keras.ops`` and compiled by a :class:`~skcnn.inspect._core.probe.Probe`.

A grayscale network behind a Pipeline's per-pixel scaler takes tiles of its
own input size only, so its dreams cut and paste tiles in NumPy, outside the
compiled call: :func:`cut` and :func:`paste` are the one way to do it, on
NumPy arrays or ``keras.ops`` tensors alike.

Examples
--------
>>> import numpy as np, keras
>>> from skcnn.inspect._core.model import resolve_model
>>> from skcnn.inspect._core.probe import Probe
>>> model = keras.Sequential([keras.Input((None, None, 1)), keras.layers.Conv2D(1, 1, use_bias=False,
...     kernel_initializer="ones", name="c")])
>>> probe = Probe(resolve_model(model))
>>> objective = tiled_objective(model, lambda maps, w: keras.ops.mean(maps, axis=(1, 2, 3)), [1], 1)
>>> climb = probe.function("climb", tiled_climb(objective), climb_specs(1, 1))
>>> image = np.zeros((1, 6, 8, 1), "float32")
>>> out, history = climb(image, grid(6, 8, 4), np.ones(1, "float32"), np.zeros((3, 2), "int32"),
...                      np.arange(4, dtype="int32"), 0.5, 1.0, np.zeros(1, "float32"), np.ones(1, "float32"))
>>> out.shape, history.round(3).tolist()
((1, 6, 8, 1), [0.0, 0.5, 1.0, 1.0])
"""

from __future__ import annotations

import numpy as np

from ..._keras import import_keras
from .ascent import ascent_step
from .backends import current
from .probe import Spec, as_list, value_and_gradient

__all__ = ["grid", "cut", "paste", "tiled_objective", "tiled_climb", "climb_specs", "shape_errors"]


def grid(height, width, tile_size):
    """``[tiles down, tiles across, tile height, tile width]``: the fewest equal tiles of at most ``tile_size``."""
    ny, nx = -(-height // tile_size), -(-width // tile_size)
    return np.array([ny, nx, -(-height // ny), -(-width // nx)], dtype=np.int32)


def cut(images, tiling, xp=np):
    """Tiles ``(n * ny * nx, th, tw, c)`` of images ``(n, ny * th, nx * tw, c)``, image by image, row by row.

    ``tiling`` is ``[ny, nx, th, tw]`` (:func:`grid`); ``xp`` is ``numpy``
    (images climbed tile by tile outside a compiled call) or ``keras.ops``
    (inside one), so that both cut the same way. :func:`paste` undoes it.

    >>> image = np.arange(24).reshape(1, 4, 6, 1)
    >>> tiles = cut(image, [2, 3, 2, 2])
    >>> tiles.shape, tiles[1, :, :, 0].tolist()
    ((6, 2, 2, 1), [[2, 3], [8, 9]])
    >>> bool(np.array_equal(paste(tiles, 1, [2, 3, 2, 2]), image))
    True
    """
    ny, nx, th, tw = tiling[0], tiling[1], tiling[2], tiling[3]
    n, c = xp.shape(images)[0], xp.shape(images)[3]
    blocks = xp.transpose(xp.reshape(images, [n, ny, th, nx, tw, c]), [0, 1, 3, 2, 4, 5])
    return xp.reshape(blocks, [n * ny * nx, th, tw, c])


def paste(tiles, n, tiling, xp=np):
    """The images ``(n, ny * th, nx * tw, c)`` whose tiles :func:`cut` gave."""
    ny, nx, th, tw = tiling[0], tiling[1], tiling[2], tiling[3]
    c = xp.shape(tiles)[3]
    blocks = xp.transpose(xp.reshape(tiles, [n, ny, nx, th, tw, c]), [0, 1, 3, 2, 4, 5])
    return xp.reshape(blocks, [n, ny * th, nx * tw, c])


def _rolled_and_padded(image, shift, height, width):
    """``image`` rolled by ``shift`` and reflect-padded to ``height x width`` by two gathers (PyTorch).

    PyTorch's roll takes Python ints only and its reflecting pad the last
    axes only; here each axis is read through one table of source rows (or
    columns), the roll and the reflection folded in. As with the padding
    elsewhere, the reflected border carries no gradient back.
    """
    ops = import_keras().ops
    for axis, size_out in ((1, height), (2, width)):
        size = ops.shape(image)[axis]
        rows = np.arange(size_out)
        source = np.where(rows < size, rows, 2 * (size - 1) - rows).astype(np.int32)
        taken = ops.take(image, ops.mod(ops.convert_to_tensor(source) - shift[axis - 1], size), axis=axis)
        keep = ops.convert_to_tensor((rows < size).astype(np.float32).reshape([-1 if a == axis else 1
                                                                                 for a in range(4)]))
        image = taken * keep + ops.stop_gradient(taken * (1.0 - keep))
    return image


def tiled_objective(feed, objective, sizes, channels):
    """``f(image, grid, shift, weights)``: the objective summed over layers, averaged over tiles of the rolled image.

    ``feed`` maps a batch of tiles to one output per layer (maps
    ``(n, h, w, c)``); ``objective(maps, weights)`` gives one value per tile;
    ``weights`` holds ``sizes[k]`` weights for layer ``k``, one after the other.
    """
    ops = import_keras().ops
    bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    gathered = current().NAME == "torch"  # its roll and reflecting pad take no tensor shifts or inner axes

    def total(image, tiling, shift, weights):
        ny, nx, th, tw = tiling[0], tiling[1], tiling[2], tiling[3]
        if gathered:
            padded = _rolled_and_padded(image, shift, ny * th, nx * tw)
        else:
            rolled = ops.roll(image, shift, axis=[1, 2])
            pads = [[0, 0], [0, ny * th - ops.shape(image)[1]], [0, nx * tw - ops.shape(image)[2]], [0, 0]]
            plain = ops.pad(rolled, pads)
            padded = plain + ops.stop_gradient(ops.pad(rolled, pads, mode="reflect") - plain)
        tiles = cut(padded, tiling, ops)
        value = 0.0
        for k, output in enumerate(as_list(feed(tiles, training=False))):
            vector = ops.tile(weights[None, bounds[k]:bounds[k + 1]], [ny * nx, 1])
            value = value + ops.mean(ops.cast(objective(ops.cast(output, "float32"), vector), "float32"))
        return value

    return total


def tiled_climb(objective):
    """``climb(image, grid, weights, shifts, positions, learning_rate, scale, low, high) -> (image, history)``.

    One step per row of ``shifts`` (the roll of that step); ``positions`` is
    ``arange(steps + 1)``; ``history`` holds the objective before every step
    and after the last one (unrolled). Steps follow
    :func:`~skcnn.inspect._core.ascent.ascent_step` in units of ``scale``,
    clipped into ``[low, high]`` (per channel).
    """
    ops = import_keras().ops

    def climb(image, tiling, weights, shifts, positions, learning_rate, scale, low, high):
        def step(k, state):
            x, history = state
            value, grad = value_and_gradient(objective, x, tiling, ops.take(shifts, k, axis=0), weights)
            x = ascent_step(x, grad, learning_rate, scale=scale, bounds=(low, high))
            return x, ops.where(ops.equal(positions, k), value, history)

        steps = ops.shape(shifts)[0]
        image, history = ops.fori_loop(0, steps, step, (image, ops.zeros(ops.shape(positions), "float32")))
        final = objective(image, tiling, ops.zeros((2,), "int32"), weights)
        return image, ops.where(ops.equal(positions, steps), final, history)

    return climb


def climb_specs(channels, n_weights):
    """The argument specs of :func:`tiled_climb` for one image of ``channels`` and ``n_weights`` weights."""
    return [Spec((1, None, None, channels)), Spec((4,), "int32", static=True), Spec((n_weights,)), Spec((None, 2), "int32"),
            Spec((None,), "int32"), Spec(()), Spec(()), Spec((channels,)), Spec((channels,))]


def shape_errors():
    """The exceptions the backend raises when a network cannot take an image's size."""
    return current().SHAPE_ERRORS
