"""OIPInspector: "original input patterns", the input images that drive one map of a CNN hardest.

An OIP is found by gradient ascent on the input image (the engine in
:mod:`skcnn.inspect._ascent`), starting from a pattern that gives the map a
chance to respond. Start patterns come from the registry
:data:`skcnn.plugins.oip_starts`:

- ``"multiscale"``: random fluctuations on four length scales, added with a
  weight per scale;
- ``"precursor"``: the series' systematic search. The image is covered by a
  ``grid x grid`` array of squares, each square takes one of a few grey values
  (``values``), every combination is upscaled bicubically to the input size
  and standardized, each candidate gets a few ascent steps (``screen_steps``),
  and the best ones are kept as starts for the full optimization.

A start function has the signature
``start(maps, n_starts, image_shape, rng, *, screen, **options)`` and returns
an array ``(len(maps), n_starts, h, w, c)`` of model-space images;
``screen(images, maps, steps)`` climbs images for a few steps and returns the
climbed values, for starts that select among candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._repr import ShortReprMixin
from .._validation import check_int, check_number, is_int
from ..plugins import oip_starts
from ._ascent import GradientAscent, fast_dtype
from ._core.model import import_keras, resolve_model
from .objectives import check_point

__all__ = ["OIPInspector", "OIPResult", "OIPLayerResult", "RenderResult", "high_frequency_share", "robustness",
           "multiscale_start", "precursor_start", "precursor_candidates", "enhance_contrast", "bicubic_upscale"]


# ------------------------------------------------------------------ helpers
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


def robustness(engine, images, objective=None, *, maps=None, n_copies=20, shift=2, scale=(0.9, 1.1), degrees=10.0,
               random_state=0):
    """Mean share of each image's objective that survives random shifts, zooms and rotations.

    Each image is shifted by up to ``shift`` pixels, zoomed by a factor in
    ``scale`` and rotated by up to ``degrees``, ``n_copies`` times (one draw
    per copy, the same for all images); the result is the mean over the
    copies of the objective of the copy over the objective of the image.

    Parameters
    ----------
    engine : GradientAscent
    images : ndarray of shape (n, h, w, c)
        Model space.
    objective : Objective or list of Objective, optional
        What to measure (or give ``maps`` for the engine's layer).
    maps : array-like of int, optional
    n_copies, shift, scale, degrees, random_state

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import GradientAscent
    >>> from skcnn.inspect.objectives import channel
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
    ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> images = np.random.default_rng(0).normal(size=(3, 8, 8, 1)).astype("float32")
    >>> robustness(GradientAscent(model), images, channel("c1", 0), n_copies=4).shape
    (3,)
    """
    from . import transforms

    _, tf = import_keras()
    images = np.asarray(images, dtype=np.float32)
    change = transforms.compose([transforms.pad(shift), transforms.jitter(2 * shift), transforms.random_scale(*scale),
                                 transforms.random_rotate(degrees)], images.shape[1:3])
    base = engine.score(images, objective=objective, maps=maps)
    seeds = np.random.default_rng(random_state).integers(0, 2**31 - 1, size=(n_copies, 2))
    kept = np.zeros(len(images))
    for seed in seeds:
        moved = change(tf.constant(images), tf.constant(seed, tf.int32))
        kept += engine.score(moved.numpy(), objective=objective, maps=maps) / np.where(base != 0, base, 1.0)
    return kept / n_copies


# ----------------------------------------------------------- start patterns
@oip_starts.register("multiscale")
def multiscale_start(maps, n_starts, image_shape, rng, *, screen=None, length_scales=(1, 3, 7, 14),
                     scale_weights=(0.25, 0.5, 1.0, 1.0), amplitude=1.0):
    """Random fluctuations on several length scales, one weight per scale.

    For each length scale ``L`` (pixels), uniform noise on a grid of squares
    of side ``L`` is upscaled bicubically to the image size; the layers are
    added with ``scale_weights`` and every image is standardized to mean 0 and
    standard deviation ``amplitude`` (model space).

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


# ------------------------------------------------------------------ results
@dataclass(repr=False)
class OIPResult(ShortReprMixin):
    """The OIP of one map.

    Attributes
    ----------
    layer : str
        Keras name of the layer.
    map : int
    point : tuple of int or None
        The point of the map that was climbed, or None for the whole map.
    image : ndarray of shape (h, w, c)
        The pattern in model space (what the network sees).
    image_pixels : ndarray or None
        The pattern in pixel space (through a Pipeline's inverse steps), or
        None when a step cannot be inverted.
    start : ndarray of shape (h, w, c)
        The start image the best OIP grew from.
    activation : float
        The map's mean activation (or the point's) for ``image``.
    start_activation : float
        The same for ``start``.
    objective_history : ndarray of shape (steps,)
        The objective before every step.
    start_activations : ndarray of shape (n_starts,)
        Final activation from every start that was tried.

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
    ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> from skcnn.inspect import OIPInspector
    >>> result = OIPInspector(model).oip("c1", 0, steps=5, random_state=0)
    >>> result.layer, result.map, result.image.shape
    ('c1', 0, (8, 8, 1))
    """

    layer: str
    map: int
    point: tuple | None
    image: np.ndarray
    image_pixels: np.ndarray | None
    start: np.ndarray
    activation: float
    start_activation: float
    objective_history: np.ndarray
    start_activations: np.ndarray

    @property
    def alive(self):
        """True when the map responds to the OIP (activation > 0)."""
        return bool(self.activation > 0)


@dataclass(repr=False)
class OIPLayerResult(ShortReprMixin):
    """One OIP per map of a layer.

    Attributes
    ----------
    layer : str
    maps : ndarray of int
        The maps, in the order of the arrays' first axis.
    images : ndarray of shape (n_maps, h, w, c)
        Model space.
    images_pixels : ndarray or None
        Pixel space.
    activations : ndarray of shape (n_maps,)
    objective_history : ndarray of shape (steps, n_maps)
    dead : ndarray of int
        Maps whose activation stayed at 0 (no OIP found).
    seconds : float
        Wall-clock time of the search.

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
    ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> from skcnn.inspect import OIPInspector
    >>> result = OIPInspector(model).oip_layer("c1", steps=5, random_state=0)
    >>> result.maps.tolist(), result.images.shape, result.objective_history.shape
    ([0, 1], (2, 8, 8, 1), (5, 2))
    """

    layer: str
    maps: np.ndarray
    images: np.ndarray
    images_pixels: np.ndarray | None
    activations: np.ndarray
    objective_history: np.ndarray
    dead: np.ndarray
    seconds: float = 0.0


# ---------------------------------------------------------------- inspector
class OIPInspector:
    """Original input patterns: images that maximize one map (or one point of it).

    Parameters
    ----------
    model : KerasCNNClassifier, Pipeline or keras.Model
        A fitted classifier, a Pipeline ending in one, or a Keras model.
    pre_activation : bool or "auto", default="auto"
        Climb the value before the layer's activation function: never
        (False), always (True), or only while a map is dead after its ReLU
        (``"auto"``, so that dead starts can come alive).
    jitter : int, default=0
        Random shift (pixels) of the image at every step.
    alpha_l2 : float, default=0.0
        L2 penalty on the image.
    alpha_tv : float, default=0.0
        Total-variation penalty on the image.
    chunk_size : int, default=512
        Images per compiled call (memory bound).
    screen_dtype : {"auto", "float32", "bfloat16"}, default="auto"
        Precision of the precursor's short screening runs; ``"auto"`` takes
        bfloat16 on hardware that computes it natively. Full optimizations
        always run in float32.
    verbose : int, default=0
        Progress bars for long runs when > 0.
    device : {"auto", "cpu", "gpu"} or str, optional
        Where the ascent runs; default: the estimator's ``device``, or
        ``"auto"`` for a bare model.

    Attributes
    ----------
    target_ : InspectedModel

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
    ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> inspector = OIPInspector(model)
    >>> res = inspector.oip("c1", 1, steps=20, learning_rate=0.1, random_state=0)
    >>> res.image.shape, res.objective_history.shape, res.activation > res.start_activation
    ((8, 8, 1), (20,), True)
    >>> layer = inspector.oip_layer("conv1", steps=5, learning_rate=0.1, random_state=0)
    >>> layer.images.shape, layer.dead.tolist()
    ((2, 8, 8, 1), [])
    """

    def __init__(self, model, *, pre_activation="auto", jitter=0, alpha_l2=0.0, alpha_tv=0.0, chunk_size=512,
                 screen_dtype="auto", verbose=0, device=None):
        self.device = device
        self.pre_activation = pre_activation
        self.jitter = jitter
        self.alpha_l2 = alpha_l2
        self.alpha_tv = alpha_tv
        self.chunk_size = chunk_size
        self.screen_dtype = screen_dtype
        self.verbose = verbose
        if pre_activation not in (True, False, "auto"):
            raise ValueError(f"pre_activation must be True, False or 'auto'; got {pre_activation!r}.")
        check_int(jitter, "jitter", low=0)
        check_int(chunk_size, "chunk_size")
        check_number(alpha_l2, "alpha_l2")
        check_number(alpha_tv, "alpha_tv")
        self._screen_dtype()
        self.model_ = resolve_model(model, device=device)
        self._engines = {}

    def _engine(self, layer_index, dtype="float32", *, regularized=True, param="pixel", decorrelate=False,
                transforms=None):
        def hashable(value):
            return value if value is None or isinstance(value, (str, bool)) else id(value)

        key = (layer_index, dtype, regularized, param, hashable(decorrelate), hashable(transforms))
        if key not in self._engines:
            self._engines[key] = GradientAscent(
                self.model_, layer_index, pre_activation=self.pre_activation,
                jitter=self.jitter if regularized else 0, alpha_l2=self.alpha_l2 if regularized else 0.0,
                alpha_tv=self.alpha_tv if regularized else 0.0, chunk_size=self.chunk_size, compute_dtype=dtype,
                param=param, decorrelate=decorrelate, transforms=transforms)
        return self._engines[key]

    def _screen_dtype(self):
        if self.screen_dtype == "auto":
            return fast_dtype()
        if self.screen_dtype not in ("float32", "bfloat16"):
            raise ValueError(f"screen_dtype must be 'auto', 'float32' or 'bfloat16'; got {self.screen_dtype!r}.")
        return self.screen_dtype

    def _starts(self, layer_index, maps, start, n_starts, rng, learning_rate, start_options, point=None):
        """Start images ``(len(maps), n_starts, h, w, c)`` from a name, a callable or an array."""
        shape = self.model_.input_shape
        if isinstance(start, str) or callable(start):
            fn = oip_starts.get(start)
            screen_engine = None

            def screen(images, screen_maps, steps):
                nonlocal screen_engine
                if screen_engine is None:
                    screen_engine = self._engine(layer_index, self._screen_dtype(), regularized=False)
                result = screen_engine.run(images, maps=screen_maps, points=point, steps=int(steps),
                                           learning_rate=learning_rate, verbose=self.verbose, description="screening")
                return result.climbed

            options = dict(start_options or {})
            if start == "precursor" or fn is precursor_start:
                options.setdefault("verbose", self.verbose)
                options.setdefault("rank", lambda images: self._engine(layer_index, regularized=False).map_values(
                    images, layer_index, point=point))
            starts = np.asarray(fn(list(maps), n_starts, shape, rng, screen=screen, **options), dtype=np.float32)
            expected = (len(maps), n_starts) + shape
            if starts.shape != expected:
                raise ValueError(f"start function {start!r} returned shape {starts.shape}; expected {expected}.")
            return starts
        images = np.asarray(start, dtype=np.float32)
        if images.shape == shape or (images.ndim == 2 and shape[2] == 1 and images.shape == shape[:2]):
            images = images.reshape((1,) + shape)
        if images.ndim == 3 and shape[2] == 1:
            images = images[..., None]
        if images.ndim != 4 or images.shape[1:] != shape or not np.all(np.isfinite(images)):
            raise ValueError(
                f"start must be 'multiscale', 'precursor', another registered start "
                f"({', '.join(oip_starts.names())}), a callable, or finite model-space images of shape {shape} "
                f"or (n, {', '.join(map(str, shape))}); got an array of shape {np.shape(start)}."
            )
        return np.broadcast_to(images[None], (len(maps),) + images.shape).copy()

    def _check_common(self, steps, learning_rate, n_starts):
        return (check_int(steps, "steps", low=0), check_number(learning_rate, "learning_rate", strict=True),
                None if n_starts is None else check_int(n_starts, "n_starts"))

    def _search(self, layer, maps, *, point, steps, learning_rate, start, n_starts, random_state, start_options,
                look=None):
        """Optimize ``n_starts`` starts for each map in one batch; return everything per start."""
        index = self.model_.layer_index(layer)
        n_maps = self.model_.layer_shape(index)[2]
        maps = np.asarray(maps)
        if maps.ndim != 1 or not np.issubdtype(maps.dtype, np.integer) or len(maps) == 0:
            raise ValueError(f"maps must be a non-empty list of ints; got {maps!r}.")
        if np.any((maps < 0) | (maps >= n_maps)):
            raise ValueError(f"map indices must lie in [0, {n_maps}) for layer "
                             f"{self.model_.layer_name(index)!r}; got {maps.tolist()}.")
        rng = np.random.default_rng(random_state)
        points = None if point is None else np.asarray(point, dtype=int)
        starts = self._starts(index, maps, start, n_starts, rng, learning_rate, start_options, points)
        k = starts.shape[1]
        flat = starts.reshape((-1,) + self.model_.input_shape)
        engine = self._engine(index, **(look or {}))
        per_image_maps = np.repeat(maps, k)
        before = engine.score(flat, maps=per_image_maps, points=points)
        result = engine.run(flat, maps=per_image_maps, points=points, steps=steps, learning_rate=learning_rate,
                            random_state=int(rng.integers(2**31 - 1)), verbose=self.verbose, description="OIP")
        shape = (len(maps), k)
        scores, climbed = result.scores.reshape(shape), result.climbed.reshape(shape)
        live = scores > 0
        # The best live start; where none came alive, the one closest to life.
        best = np.where(live.any(axis=1), np.argmax(np.where(live, scores, -np.inf), axis=1),
                        np.argmax(climbed, axis=1))
        pick = np.arange(len(maps)) * k + best
        return index, maps, pick, flat, before, result

    def oip(self, layer, map, *, point=None, steps=300, learning_rate=0.05, start="multiscale", n_starts=None,
            random_state=None, start_options=None, param="pixel", decorrelate=False, transforms=None):
        """Find the input pattern that drives one map (or one point of it) hardest.

        Parameters
        ----------
        layer : str or int
            Keras name, alias (``"conv3"``) or index.
        map : int
            Index of the map in the layer.
        point : (int, int), optional
            Climb this point of the map instead of the map's mean.
        steps : int, default=300
            Ascent steps of the full optimization.
        learning_rate : float, default=0.05
            Step length (per step, each image moves by this much times its
            RMS-normalized gradient).
        start : str, callable or array-like, default="multiscale"
            A registered start (``"multiscale"``, ``"precursor"``), a start
            function, or start images in model space ``(h, w, c)`` or
            ``(n, h, w, c)``.
        n_starts : int, optional
            Starts optimized together; the best result is kept. Default: 1
            for ``"multiscale"``, 8 for ``"precursor"``.
        random_state : int, optional
            Seeds the start patterns and the jitter; the same seed gives the
            same image.
        start_options : dict, optional
            Keyword arguments for the start function (e.g. ``grid``,
            ``values``, ``screen_steps``, ``n_candidates`` for the precursor).
        param : {"pixel", "fft"}, default="pixel"
            Climb the pixels, or the 1/frequency-scaled Fourier spectrum
            (:mod:`~skcnn.inspect.params`): smoother, more readable patterns.
        decorrelate : bool, default=False
            Climb in a decorrelated colour basis (three channels only).
        transforms : None, "standard" or list of callables, default=None
            Random transforms before every step (:mod:`~skcnn.inspect.transforms`).

        Returns
        -------
        OIPResult
        """
        if not is_int(map):
            raise ValueError(f"map must be an int index; got {map!r}.")
        point = check_point(point)
        steps, learning_rate, n_starts = self._check_common(steps, learning_rate, n_starts)
        if n_starts is None:
            n_starts = 8 if isinstance(start, str) and start == "precursor" else 1
        index, maps, pick, flat, before, result = self._search(
            layer, [int(map)], point=point, steps=steps, learning_rate=learning_rate, start=start,
            n_starts=n_starts, random_state=random_state, start_options=start_options,
            look=dict(param=param, decorrelate=decorrelate, transforms=transforms))
        i = int(pick[0])
        image = result.images[i]
        pixels = self.model_.to_pixels(image[None])
        return OIPResult(
            layer=self.model_.layer_name(index), map=int(map), point=point, image=image,
            image_pixels=None if pixels is None else pixels[0], start=flat[i], activation=float(result.scores[i]),
            start_activation=float(before[i]), objective_history=result.objective_history[:, i].copy(),
            start_activations=result.scores.copy(),
        )

    def oip_layer(self, layer, maps=None, *, steps=300, learning_rate=0.05, start="multiscale", n_starts=None,
                  random_state=None, start_options=None, param="pixel", decorrelate=False, transforms=None):
        """One OIP per map of a layer, all maps optimized in one batch.

        Parameters
        ----------
        layer : str or int
        maps : sequence of int, optional
            Which maps (default: all).
        steps, learning_rate, start, n_starts, random_state, start_options, param, decorrelate, transforms
            As in :meth:`oip`; ``n_starts`` starts are optimized per map and
            the best is kept.

        Returns
        -------
        OIPLayerResult
            ``dead`` lists the maps that stayed at zero activation.
        """
        import time

        begin = time.perf_counter()
        steps, learning_rate, n_starts = self._check_common(steps, learning_rate, n_starts)
        if n_starts is None:
            n_starts = 8 if isinstance(start, str) and start == "precursor" else 1
        index = self.model_.layer_index(layer)
        if maps is None:
            maps = np.arange(self.model_.layer_shape(index)[2])
        index, maps, pick, _, _, result = self._search(
            index, maps, point=None, steps=steps, learning_rate=learning_rate, start=start, n_starts=n_starts,
            random_state=random_state, start_options=start_options,
            look=dict(param=param, decorrelate=decorrelate, transforms=transforms))
        images = result.images[pick]
        activations = result.scores[pick]
        return OIPLayerResult(
            layer=self.model_.layer_name(index), maps=maps, images=images,
            images_pixels=self.model_.to_pixels(images), activations=activations,
            objective_history=result.objective_history[:, pick], dead=maps[activations <= 0],
            seconds=time.perf_counter() - begin,
        )


    def render(self, objective, *, steps=300, learning_rate=0.05, param="fft", decorrelate="auto",
               transforms="standard", amplitude=0.1, random_state=None):
        """Render any objective: the image (or batch) that maximizes it.

        Parameters
        ----------
        objective : Objective or list of Objective
            From :mod:`skcnn.inspect.objectives` (``channel``, ``neuron``,
            ``class_logit``, ``direction``, sums of them, ...); a list renders
            one image per objective, in one batch.
        steps : int, default=300
        learning_rate : float, default=0.05
        param : {"fft", "pixel"}, default="fft"
        decorrelate : bool or "auto", default="auto"
            ``"auto"``: for three-channel inputs.
        transforms : None, "standard" or list of callables, default="standard"
        amplitude : float, default=0.1
            Standard deviation of the multiscale noise the images start from.
        random_state : int, optional

        Returns
        -------
        RenderResult

        Examples
        --------
        >>> import keras
        >>> from skcnn.inspect.objectives import channel
        >>> model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(
        ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
        >>> out = OIPInspector(model).render([channel("c1", 0), channel("c1", 1)], steps=30, random_state=0)
        >>> out.images.shape, bool(out.objective_history[-1].mean() > out.objective_history[0].mean())
        ((2, 12, 12, 1), True)
        """
        import time

        from .objectives import as_objectives

        begin = time.perf_counter()
        steps, learning_rate, _ = self._check_common(steps, learning_rate, None)
        objectives = as_objectives(objective)
        shape = self.model_.input_shape
        if decorrelate == "auto":
            decorrelate = shape[2] == 3
        rng = np.random.default_rng(random_state)
        starts = multiscale_start(range(len(objectives)), 1, shape, rng, amplitude=check_number(
            amplitude, "amplitude", strict=True))[:, 0]
        engine = self._engine(None, param=param, decorrelate=decorrelate, transforms=transforms)
        result = engine.run(starts, objective=objectives, steps=steps, learning_rate=learning_rate,
                            random_state=int(rng.integers(2**31 - 1)), verbose=self.verbose, description="render")
        return RenderResult(objectives=[repr(o) for o in objectives], images=result.images,
                            images_pixels=self.model_.to_pixels(result.images), activations=result.scores,
                            objective_history=result.objective_history, seconds=time.perf_counter() - begin)


@dataclass(repr=False)
class RenderResult(ShortReprMixin):
    """What :meth:`OIPInspector.render` returns.

    Attributes
    ----------
    objectives : list of str
        The objectives, one per image.
    images : ndarray of shape (n, h, w, c)
        Model space.
    images_pixels : ndarray or None
        Pixel space (through a Pipeline's inverse steps).
    activations : ndarray of shape (n,)
        Each image's objective at the end.
    objective_history : ndarray of shape (steps, n)
    seconds : float

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
    ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> from skcnn.inspect import OIPInspector
    >>> from skcnn.inspect.objectives import channel
    >>> result = OIPInspector(model).render([channel("c1", 0), channel("c1", 1)], steps=5, random_state=0)
    >>> len(result.objectives), result.images.shape, result.objective_history.shape
    (2, (2, 8, 8, 1), (5, 2))
    """

    objectives: list
    images: np.ndarray
    images_pixels: np.ndarray | None
    activations: np.ndarray
    objective_history: np.ndarray
    seconds: float = 0.0
