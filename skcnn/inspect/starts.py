"""Start images for OIPs, from the registry :data:`skcnn.plugins.oip_starts`.

- ``"multiscale"``: random fluctuations on four length scales, added with a
  weight per scale;
- ``"precursor"``: the series' systematic search. The image is covered by a
  ``grid x grid`` array of squares, each square takes one of a few grey values
  (``values``), every combination is upscaled bicubically to the image size
  and standardized, each candidate gets a few ascent steps (``screen_steps``),
  and the best ones are kept as starts for the full optimization.

A start function has the signature
``start(maps, n_starts, image_shape, rng, *, screen, **options)`` and returns
an array ``(len(maps), n_starts, h, w, c)`` of images in units of the input
range, centred on 0: :class:`~skcnn.inspect.OIPInspector` places them in
model space as ``middle + width * image`` for an input range
``(middle - width / 2, middle + width / 2)`` (as they are, without a range),
so one start means the same on a 0..255 and a [-1, 1] copy of a network.
``screen(images, maps, steps)`` climbs such images for a few steps and
returns the climbed values, for starts that select among candidates.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ..plugins import oip_starts
from .images import _standardize, bicubic_upscale

__all__ = ["multiscale_start", "precursor_start", "precursor_candidates"]


@oip_starts.register("multiscale")
def multiscale_start(maps, n_starts, image_shape, rng, *, screen=None, length_scales=(1, 3, 7, 14),
                     scale_weights=(0.25, 0.5, 1.0, 1.0), amplitude=1.0):
    """Random fluctuations on several length scales, one weight per scale.

    For each length scale ``L`` (pixels), uniform noise on a grid of squares
    of side ``L`` is upscaled bicubically to the image size; the layers are
    added with ``scale_weights`` and every image is standardized to mean 0 and
    standard deviation ``amplitude`` (in units of the input range: see the
    module description).

    Parameters
    ----------
    maps : sequence of int
        The maps the starts are for (only their number matters here).
    n_starts : int
        Starts per map.
    image_shape : (int, int, int)
    rng : numpy.random.Generator
    screen : callable, optional
        Unused.
    length_scales : sequence of int, default=(1, 3, 7, 14)
    scale_weights : sequence of float, default=(0.25, 0.5, 1.0, 1.0)
    amplitude : float, default=1.0
        Standard deviation of each image; :class:`~skcnn.inspect.OIPInspector`
        asks for 0.25 (a quarter of the range's width) on a model with an
        input range.

    Returns
    -------
    ndarray of shape (len(maps), n_starts, h, w, c)

    Examples
    --------
    >>> import numpy as np
    >>> starts = multiscale_start([0, 1], 3, (8, 8, 1), np.random.default_rng(0))
    >>> starts.shape, bool(np.allclose(starts.std(axis=(2, 3, 4)), 1.0, atol=1e-5))
    ((2, 3, 8, 8, 1), True)
    """
    if len(length_scales) != len(scale_weights) or not len(length_scales):
        raise ValueError(f"length_scales and scale_weights must have the same, non-zero length; got "
                         f"{len(length_scales)} and {len(scale_weights)}.")
    h, w, c = image_shape
    n = len(maps) * n_starts * c
    total = np.zeros((n, h, w))
    for scale, weight in zip(length_scales, scale_weights):
        scale = check_int(scale, "length_scales")
        gh, gw = max(1, int(np.ceil(h / scale))), max(1, int(np.ceil(w / scale)))
        noise = rng.uniform(-1.0, 1.0, size=(n, gh, gw))
        total += float(weight) * (noise if (gh, gw) == (h, w) else bicubic_upscale(noise, (h, w)))
    images = total.reshape(len(maps), n_starts, c, h, w).transpose(0, 1, 3, 4, 2)
    flat = _standardize(images.reshape((-1, h, w, c)), amplitude)
    return flat.reshape((len(maps), n_starts, h, w, c))


def precursor_candidates(image_shape, *, grid=3, values=(0.2, 0.5, 0.8), indices=None, amplitude=1.0):
    """The precursor's candidate images: every assignment of ``values`` to ``grid x grid`` squares.

    Candidate ``k`` gives square ``j`` (row-major) the value
    ``values[(k // len(values)**j) % len(values)]``; the ``grid x grid``
    pattern is upscaled bicubically to the image size and standardized to
    mean 0 and standard deviation ``amplitude``. Candidates whose squares are
    all equal are constant (zero after standardization).

    Parameters
    ----------
    image_shape : (int, int, int)
    grid : int, default=3
    values : sequence of float, default=(0.2, 0.5, 0.8)
    indices : array-like of int, optional
        Which candidates (default: all ``len(values)**(grid*grid)``).
    amplitude : float, default=1.0

    Returns
    -------
    ndarray of shape (len(indices), h, w, c), float32

    Examples
    --------
    >>> import numpy as np
    >>> cands = precursor_candidates((28, 28, 1))
    >>> cands.shape
    (19683, 28, 28, 1)
    >>> one = precursor_candidates((9, 9, 1), indices=[1])[0, :, :, 0]  # top-left square 0.5, the rest 0.2
    >>> bool(one[:3, :3].mean() > 1.0 > 0.0 > one[6:, 6:].mean())
    True
    """
    grid = check_int(grid, "grid")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"values must hold at least two grey values; got {values!r}.")
    squares = grid * grid
    total = len(values) ** squares
    indices = np.arange(total) if indices is None else np.asarray(indices, dtype=np.int64)
    if indices.size and (indices.min() < 0 or indices.max() >= total):
        raise ValueError(f"indices must lie in [0, {total}); got values from {indices.min()} to {indices.max()}.")
    digits = (indices[:, None] // len(values) ** np.arange(squares)) % len(values)
    h, w, c = image_shape
    # Upscaling is linear: every candidate is its square values times the upscaled unit squares.
    basis = bicubic_upscale(np.eye(squares).reshape(squares, grid, grid), (h, w)).reshape(squares, h * w)
    images = _standardize(values[digits] @ basis, amplitude).reshape(-1, h, w, 1)
    return images if c == 1 else np.repeat(images, c, axis=3)


def _distinct_patterns(indices, grid, values):
    """The candidates among ``indices`` that differ after standardization, constant ones dropped.

    Upscaling keeps constants and is linear, so two candidates give the same
    standardized image exactly when their square values do: the same
    arrangement in other grey values (0.2/0.5 and 0.5/0.8, say) is one
    pattern. The first index of each pattern is kept.
    """
    values = np.asarray(values, dtype=np.float64)
    squares = grid * grid
    vectors = values[(indices[:, None] // len(values) ** np.arange(squares)) % len(values)]
    vectors = _standardize(vectors).astype(np.float64).round(5)
    _, first = np.unique(vectors, axis=0, return_index=True)
    keep = np.sort(first)
    return indices[keep[np.any(vectors[keep] != 0, axis=1)]]


@oip_starts.register("precursor")
def precursor_start(maps, n_starts, image_shape, rng, *, screen, grid=3, values=(0.2, 0.5, 0.8), screen_steps=10,
                    n_candidates=None, prescreen=64, rank=None, amplitude=1.0, block_size=16384, verbose=0):
    """The series' precursor search: screen every coarse pattern, keep the best as starts.

    Every candidate of :func:`precursor_candidates` is climbed for
    ``screen_steps`` steps on each map; the ``n_starts`` with the highest
    climbed value per map are returned (still the unclimbed patterns, for the
    full optimization to start from). With ``prescreen`` and a ``rank``
    function (the inspector gives one), one forward pass first ranks every
    candidate on all maps at once and only each map's best ``prescreen`` are
    climbed: 18660 forward passes instead of 186600 ascent steps per map.
    ``prescreen=None`` screens every candidate on every map, as the series did. Candidates that standardize to the same
    image (one arrangement in other grey values; 1022 of the 19683 defaults,
    the 3 constant ones included) are screened once, constants not at all.

    Parameters
    ----------
    maps : sequence of int
    n_starts : int
        Starts kept per map (the series keeps 8).
    image_shape : (int, int, int)
    rng : numpy.random.Generator
        Draws the subset when ``n_candidates`` is given.
    screen : callable
        ``screen(images, maps, steps) -> values``, from the inspector.
    grid, values
        See :func:`precursor_candidates`.
    screen_steps : int, default=10
    n_candidates : int, optional
        Screen a random subset of this many candidates (default: all
        ``len(values)**(grid*grid)``, 19683 for the defaults).
    prescreen : int or None, default=64
        Candidates per map kept by the one-pass ranking for the ascent
        screening; None screens all of them (the full, slow search).
    rank : callable, optional
        ``rank(images) -> (n, all maps)``: each map's value per image (see
        :meth:`~skcnn.inspect.GradientAscent.map_values`). Without it every
        candidate is screened.
    amplitude
        See :func:`precursor_candidates`.
    block_size : int, default=16384
        Images (candidates times maps) screened per call; bounds memory.
    verbose : int, default=0

    Returns
    -------
    ndarray of shape (len(maps), n_starts, h, w, c)

    Examples
    --------
    >>> import numpy as np
    >>> brightest_corner = lambda images, maps, steps: images[:, 0, 0, 0]
    >>> best = precursor_start([0], 2, (6, 6, 1), np.random.default_rng(0), screen=brightest_corner, grid=2)
    >>> best.shape, bool(best[0, 0, 0, 0, 0] >= best[0, 1, 0, 0, 0])
    ((1, 2, 6, 6, 1), True)
    """
    if screen is None:
        raise ValueError("the precursor start needs a screen function; use it through OIPInspector.")
    total = len(values) ** (int(grid) ** 2)
    if n_candidates is None or n_candidates >= total:
        pool = np.arange(total)
    else:
        pool = np.sort(rng.choice(total, size=check_int(n_candidates, "n_candidates"), replace=False))
    pool = _distinct_patterns(pool, int(grid), values)
    if n_starts > len(pool):
        raise ValueError(f"n_starts ({n_starts}) exceeds the {len(pool)} distinct precursor candidates.")
    maps = np.asarray(maps)
    if prescreen is not None and rank is not None and len(pool) > check_int(prescreen, "prescreen"):
        ranked = np.empty((len(maps), len(pool)), dtype=np.float32)
        for start in range(0, len(pool), int(block_size)):
            ids = pool[start:start + int(block_size)]
            cands = precursor_candidates(image_shape, grid=grid, values=values, indices=ids, amplitude=amplitude)
            ranked[:, start:start + len(ids)] = np.asarray(rank(cands))[:, maps].T
        kept = pool[np.argsort(-ranked, axis=1, kind="stable")[:, :max(int(prescreen), n_starts)]]
        cands = precursor_candidates(image_shape, grid=grid, values=values, indices=kept.ravel(),
                                     amplitude=amplitude)
        scores = screen(cands, np.repeat(maps, kept.shape[1]), screen_steps).reshape(kept.shape)
        best = np.take_along_axis(kept, np.argsort(-scores, axis=1, kind="stable")[:, :n_starts], axis=1)
        chosen = precursor_candidates(image_shape, grid=grid, values=values, indices=best.ravel(),
                                      amplitude=amplitude)
        return chosen.reshape((len(maps), n_starts) + tuple(image_shape))
    per_block = max(1, int(block_size) // len(maps))
    best_values = np.full((len(maps), 0), -np.inf)
    best_index = np.zeros((len(maps), 0), dtype=np.int64)
    blocks = range(0, len(pool), per_block)
    if verbose and len(blocks) > 1:
        from tqdm.auto import tqdm

        blocks = tqdm(blocks, desc=f"precursor ({len(pool)} candidates x {len(maps)} maps)", unit="block",
                      leave=False, disable=None)  # None: off when output is not a terminal
    for start in blocks:
        ids = pool[start:start + per_block]
        cands = precursor_candidates(image_shape, grid=grid, values=values, indices=ids, amplitude=amplitude)
        batch = np.broadcast_to(cands[None], (len(maps),) + cands.shape).reshape((-1,) + cands.shape[1:])
        scores = screen(batch, np.repeat(maps, len(ids)), screen_steps).reshape(len(maps), len(ids))
        merged_values = np.concatenate([best_values, scores], axis=1)
        merged_index = np.concatenate([best_index, np.broadcast_to(ids, scores.shape)], axis=1)
        keep = np.argsort(-merged_values, axis=1, kind="stable")[:, :n_starts]
        best_values = np.take_along_axis(merged_values, keep, axis=1)
        best_index = np.take_along_axis(merged_index, keep, axis=1)
    chosen = precursor_candidates(image_shape, grid=grid, values=values, indices=best_index.ravel(),
                                  amplitude=amplitude)
    return chosen.reshape((len(maps), n_starts) + tuple(image_shape))


