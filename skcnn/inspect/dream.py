"""DeepDream on an image of any size, driven by a small CNN (reference 003).

A CNN trained on 28x28 digits sees the world through a 28x28 window. To let
it "dream" on a photo, :class:`DreamInspector` offers three ways of bringing
the photo to that window, all of them driving the one gradient-ascent engine
(:class:`~skcnn.inspect._ascent.GradientAscent`) that also makes the OIPs:

- ``"rescale"`` (the series): shrink the image bicubically to the CNN's input
  size and keep the detail lost on the way; then, a few times: ascend, enlarge
  to full size, put the detail back, shrink again.
- ``"octaves"``: a pyramid of resolutions from the CNN's input size up to the
  full image. Ascend at the coarsest level, enlarge to the next level, add
  that level's detail, ascend again, and so on; levels larger than the
  CNN's window are ascended tile by tile.
- ``"tiles"``: cut the full image into tiles of the CNN's input size and
  ascend all of them in one batch, shifting the tile grid randomly at every
  step so that no seams show.

A network with several input channels (RGB: a ``keras.applications``
model, a transfer-learning stack) sees the whole image instead, as in the
TensorFlow DeepDream tutorial: ``"octaves"`` climbs a pyramid of sizes,
``"tiles"`` the full size; at every step the image is rolled by a random
offset, cut into equal tiles of at most ``tile_size`` pixels that go through
the network as one batch, and the gradient of the objective (summed over
several layers, e.g. InceptionV3's ``mixed3`` and ``mixed5``) is rolled back,
normalized and climbed, all steps of a level in one compiled call, on an
inference copy of the network whose batch normalizations are folded into
their convolutions (:func:`~skcnn.inspect._core.model.inference_copy`). The
model's own preprocessing is a ``preprocess=``/``deprocess=`` pair or the
model's own layers (``Rescaling``).

The objective is a whole layer (weighted maps, from the
:data:`skcnn.plugins.dream_objectives` registry) or chosen maps of it. Images
enter the network the way its training data did (through a Pipeline's
preprocessing steps, e.g. a StandardScaler) and come back to pixel space;
the result has the input's shape and dtype.

Examples
--------
>>> import numpy as np, keras
>>> from skcnn.inspect import DreamInspector
>>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
...     4, 3, activation="relu", name="c", kernel_initializer=keras.initializers.GlorotUniform(0))])
>>> photo = np.random.default_rng(0).integers(0, 256, (24, 20), dtype=np.uint8)
>>> result = DreamInspector(model).dream(photo, "c", method="tiles", loops=2, steps=3, random_state=0)
>>> result.image.shape, result.image.dtype, len(result.intermediates)
((24, 20), dtype('uint8'), 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._repr import ShortReprMixin
from .._validation import check_int, check_number
from ..plugins import dream_objectives
from ._ascent import GradientAscent, fast_dtype
from ._core import tiles
from ._core.model import import_keras, inference_copy, resolve_model
from ._core.probe import Probe

# keras.ops is bound once, here, when the dream module is first used: the objectives below run inside
# compiled functions, where a call to import_keras (os.environ, ...) would be Python run at trace time.
ops = import_keras().ops

__all__ = ["DreamInspector", "DreamResult"]

_METHODS = ("rescale", "octaves", "tiles")
_CHANNELS = ("luminance", "each")
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dream_objectives.register("mean")
def mean_objective(activations, weights):
    """Weighted mean activation of a layer's maps: ``sum_c w_c * mean_hw(a_c)`` per image."""
    return ops.mean(ops.einsum("nhwc,nc->nhw", activations, weights), axis=(1, 2))


@dream_objectives.register("l2")
def l2_objective(activations, weights):
    """Weighted mean squared activation: favours strong, sharp responses (classic DeepDream)."""
    return ops.mean(ops.einsum("nhwc,nc->nhw", ops.square(activations), weights), axis=(1, 2))


@dataclass(repr=False)
class DreamResult(ShortReprMixin):
    """What :meth:`DreamInspector.dream` returns.

    Attributes
    ----------
    image : ndarray
        The dream, with the input's shape and dtype.
    intermediates : list of ndarray
        The full-size image after every loop (``"rescale"``, ``"tiles"``) or
        the image at every pyramid level (``"octaves"``), as float arrays in
        the input's value units.
    small : list of ndarray
        ``"rescale"`` only: the CNN-sized image after each loop's ascent
        (grayscale; RGB with ``channels="each"``).
    scores : list of float
        The objective (mean over the batch) after each loop or level.
    objective_history : list of ndarray
        Networks that see the whole image (RGB models): per loop or level,
        the objective before every step and after the last one.
    method : str
        The method that made the dream.

    Examples
    --------
    >>> DreamResult(np.zeros((4, 6), np.uint8), scores=[0.5, 0.75], method="tiles")
    DreamResult(
        image=uint8 (4, 6),
        intermediates=[],
        small=[],
        scores=[0.5, 0.75],
        objective_history=[],
        method='tiles',
    )
    """

    image: np.ndarray
    intermediates: list = field(default_factory=list)
    small: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    objective_history: list = field(default_factory=list)
    method: str = "rescale"


def _resize(planes, size):
    """Bicubic resize of float planes ``(p, h, w)`` to ``size = (h, w)`` each."""
    from PIL import Image

    h, w = size
    if planes.shape[1:] == (h, w):
        return planes.astype(np.float32, copy=True)
    return np.stack([
        np.asarray(Image.fromarray(np.ascontiguousarray(q, dtype=np.float32), mode="F").resize(
            (int(w), int(h)), Image.Resampling.BICUBIC), dtype=np.float32)
        for q in planes
    ])


def _planes_resize(image, size):
    """Bicubic resize of an image ``(h, w, c)`` to ``size = (h, w)``."""
    return np.moveaxis(_resize(np.moveaxis(image, 2, 0), size), 0, 2)


def _stratified_offsets(rng, size, steps, shift):
    """Grid offsets for ``steps`` steps: every offset in ``range(size)`` once per ``size`` steps, in random order.

    Drawing the offsets independently would let some grid position come up
    more often than others by chance, and its tile borders would show; a
    shuffled cycle spreads the borders evenly over the image.
    """
    if not shift:
        return [0] * steps
    cycles = -(-steps // size)
    return [int(v) for v in np.concatenate([rng.permutation(size) for _ in range(cycles)])[:steps]]


def _level_sizes(method, size, *, loops, octaves, octave_scale, smallest):
    """The image size of every level: ``loops`` times the full size (``"tiles"``), or a pyramid (``"octaves"``).

    Pyramid levels grow by ``octave_scale`` up to the full size, are never
    smaller than ``smallest`` and never repeat.
    """
    if method == "tiles":
        return [tuple(size)] * loops
    sizes = []
    for k in reversed(range(octaves)):
        level = tuple(max(m, int(round(s / octave_scale**k))) for s, m in zip(size, smallest))
        if not sizes or level != sizes[-1]:
            sizes.append(level)
    return sizes


def _pyramid(image, sizes, resize, climb):
    """The one octave loop: climb each level, enlarge it to the next and add the detail the smaller level lacked.

    ``resize(image, size)`` resizes (a copy at the same size), ``climb(image)``
    climbs one level. Levels of equal size (the ``"tiles"`` method) add no
    detail. Returns each climbed level enlarged to the last level's size.
    """
    levels = [resize(image, size) for size in sizes]
    current, stages = levels[0], []
    for k, size in enumerate(sizes):
        if k:
            current = resize(current, size) + (levels[k] - resize(levels[k - 1], size))
        current = climb(current)
        stages.append(resize(current, sizes[-1]))
    return stages


def _pixel_range(original, pixels):
    """The range of an image's values: its dtype's for integers, else its own minimum and maximum."""
    if np.issubdtype(original.dtype, np.integer):
        info = np.iinfo(original.dtype)
        return float(info.min), float(info.max)
    return float(pixels.min()), float(pixels.max())


@dataclass(frozen=True)
class _Plan:
    """What one dream climbs with, handed explicitly to every level: no state kept on the inspector."""

    climber: object  # a GradientAscent (grayscale) or a compiled tiled climb (networks that see the whole image)
    weights: np.ndarray
    steps: int
    learning_rate: float  # in units of the input range
    scale: float  # the input range's width, model space
    bounds: tuple  # (low, high) in model space: floats (grayscale) or per-channel arrays
    rng: np.random.Generator
    shift: bool


class DreamInspector:
    """DeepDreams of a fitted CNN on images of any size.

    Parameters
    ----------
    model : KerasCNNClassifier, Pipeline ending in one, or keras.Model
        The network. With a Pipeline, images pass through the preceding steps
        (e.g. StandardScaler) on the way in and are mapped back on the way out.
    objective : str or callable, default="mean"
        How a whole layer's maps combine: a name in
        :data:`skcnn.plugins.dream_objectives` (``"mean"``, ``"l2"``) or a
        callable ``f(activations, weights) -> scores`` written with ``keras.ops``.
    pre_activation : bool or "auto", default="auto"
        Grayscale networks: climb a dead map's value before its ReLU.
    jitter : int, default=1
        Grayscale networks: random shift (pixels) of the CNN-sized images at each step.
    clip : float or None, default=6.0
        With preprocessing steps (a Pipeline's scaler), keep model-space
        values within ``[-clip, clip]`` as well as within the input range, so
        that pixels which never varied in the training data (a StandardScaler
        leaves them unscaled) cannot dominate. Without preprocessing it does nothing.
    input_range : (float, float), optional
        The range of the values the network takes (model space). Dreams stay
        inside it, and ``learning_rate`` is measured in units of its width.
        Default: the estimator's training range (``input_range_``), else the
        image's own range (its dtype's, e.g. 0..255 for uint8; its minimum
        and maximum for floats) taken to model space.
    compute_dtype : {"auto", "float32", "bfloat16"}, default="auto"
        Precision of the network's arithmetic while ascending. ``"auto"``
        takes bfloat16 where the hardware computes it natively (a GPU, or a
        CPU with AVX512-BF16/AMX: about twice as fast for tiles), else float32.
    batch_size : int, default=1024
        Grayscale networks: tiles per compiled call.
    preprocess, deprocess : callable, optional
        Networks with several input channels: pixels to model space and back
        (given together); default: the model's own layers preprocess.
    tile_size : int, default=512
        Networks with several input channels: the largest tile of a gradient.
    device : {"auto", "cpu", "gpu"} or str, optional
        Where to compute.

    Attributes
    ----------
    model_ : InspectedModel
        The resolved network.
    compute_dtype_ : str
        The precision in use (``"auto"`` resolved).
    whole_image_ : bool
        True for a network with several input channels, which sees the whole image.

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c")])
    >>> DreamInspector(model).dream(np.zeros((8, 8)), "c", method="nap")
    Traceback (most recent call last):
    ...
    ValueError: method must be one of ('rescale', 'octaves', 'tiles'); got 'nap'.
    """

    def __init__(self, model, *, objective="mean", pre_activation="auto", jitter=1, clip=6.0, input_range=None,
                 compute_dtype="auto", batch_size=1024, preprocess=None, deprocess=None, tile_size=512,
                 device=None):
        self.model_ = resolve_model(model, device=device, input_range=input_range)
        self.device, self.input_range = device, input_range
        if not (callable(objective) or isinstance(objective, str)):
            raise ValueError(f"objective must be a name in dream_objectives ({', '.join(dream_objectives.names())}) "
                             f"or a callable f(activations, weights); got {objective!r}.")
        self._objective_fn = objective if callable(objective) else dream_objectives.get(objective)
        self.objective = objective
        if pre_activation not in (True, False, "auto"):
            raise ValueError(f"pre_activation must be True, False or 'auto'; got {pre_activation!r}.")
        self.pre_activation = pre_activation
        self.jitter = check_int(jitter, "jitter", low=0)
        self.clip = None if clip is None else check_number(clip, "clip", strict=True)
        if compute_dtype not in ("auto", "float32", "bfloat16"):
            raise ValueError(f"compute_dtype must be 'auto', 'float32' or 'bfloat16'; got {compute_dtype!r}.")
        self.compute_dtype = compute_dtype
        self.compute_dtype_ = fast_dtype() if compute_dtype == "auto" else compute_dtype
        self.batch_size = check_int(batch_size, "batch_size")
        for name, value in (("preprocess", preprocess), ("deprocess", deprocess)):
            if value is not None and not callable(value):
                raise ValueError(f"{name} must be None or a callable on image arrays; got {type(value).__name__}.")
        if (preprocess is None) != (deprocess is None):
            raise ValueError("preprocess and deprocess come as a pair: give both (deprocess undoing preprocess) or "
                             "neither (the model's own layers preprocess).")
        self.preprocess = preprocess
        self.deprocess = deprocess
        self.tile_size = check_int(tile_size, "tile_size", low=8)
        self._engines = {}
        self._probe = Probe(self.model_)
        self.whole_image_ = self.model_.input_shape[2] != 1
        if self.whole_image_ and self.model_.pre_steps:
            raise ValueError("A network with several input channels dreams on the whole image; a Pipeline's "
                             "preprocessing steps (which work on flat images of one size) cannot feed it. Pass "
                             "the Keras model with preprocess=/deprocess= instead.")
        if self.model_.pre_steps and not self.model_.has_pixel_space:
            raise ValueError("The Pipeline's preprocessing steps cannot be inverted (a step lacks "
                             "inverse_transform), so dreams cannot be mapped back to pixels.")

    # ----------------------------------------------------------------- pieces
    def _has_maps(self, index):
        try:
            shape = self.model_.layers[index].output.shape
        except (AttributeError, ValueError):
            shape = self.model_.submodel([index]).outputs[0].shape
        return len(shape) == 4

    def _check_maps(self, indices):
        """Dreams climb maps: a layer without height and width (Dense, Flatten) is refused with the ones that have them."""
        for index in indices:
            if not self._has_maps(index):
                with_maps = [p for j, p in enumerate(self.model_.paths) if self._has_maps(j)]
                listed = ", ".join(with_maps[:12]) + (f", ... ({len(with_maps) - 12} more)" if len(with_maps) > 12
                                                       else "")
                raise ValueError(f"dreams need a layer with maps (height, width, channels); layer "
                                 f"{self.model_.paths[index]!r} has none. Layers with maps: {listed}.")

    def _engine(self, index, bounds):
        """The grayscale networks' climber: the one gradient-ascent engine, per layer and input range."""
        key = (index, bounds)
        if key not in self._engines:
            self._engines[key] = GradientAscent(
                self.model_, index, pre_activation=self.pre_activation,
                # "mean" is the engine's linear layer_mean path (weights over the maps); others are callables.
                objective="weights" if self.objective == "mean" else self._objective_fn,
                jitter=self.jitter, input_range=bounds, batch_size=self.batch_size, compute_dtype=self.compute_dtype_,
            )._in_cache(self._probe, ("engine", *key))
        return self._engines[key]

    def _gray_bounds(self, original, pixels):
        """``(low, high)`` in model space for a grayscale network: the input range, capped by ``clip``."""
        if self.model_.input_range is not None:
            low, high = self.model_.input_range
        else:
            th, tw, _ = self.model_.input_shape
            ends = [self.model_.to_model(np.full((1, th, tw, 1), v, np.float32), name="image")
                    for v in _pixel_range(original, pixels)]
            low, high = float(np.minimum(*ends).min()), float(np.maximum(*ends).max())
        if self.model_.pre_steps and self.clip is not None:
            low, high = max(low, -self.clip), min(high, self.clip)
        if not low < high:
            raise ValueError(f"the input range ({low}, {high}) is empty after clip={self.clip}: give a larger clip, "
                             "clip=None or another input_range.")
        return float(low), float(high)

    def _weights(self, n_maps, layer_name, maps, weights):
        if maps is None:
            chosen = np.arange(n_maps)
        else:
            chosen = np.atleast_1d(np.asarray(maps))
            if not np.issubdtype(chosen.dtype, np.integer) or chosen.ndim != 1 or len(chosen) == 0:
                raise ValueError(f"maps must be None, an int or a list of ints; got {maps!r}.")
            if chosen.min() < 0 or chosen.max() >= n_maps:
                raise ValueError(f"maps must lie in [0, {n_maps}) for layer {layer_name!r}; got {maps!r}.")
        vector = np.zeros(n_maps, dtype=np.float32)
        if weights is None:
            vector[chosen] = 1.0 / len(chosen)
        else:
            weights = np.asarray(weights, dtype=np.float32).ravel()
            if weights.shape != (len(chosen),) or not np.all(np.isfinite(weights)):
                raise ValueError(f"weights must hold {len(chosen)} finite numbers, one per chosen map; got shape "
                                 f"{weights.shape}.")
            vector[chosen] = weights
        return vector

    def _climb(self, plan, patches, steps):
        """Ascend pixel-space patches ``(n, h, w, c)``; return them in pixel space and the mean score."""
        x = np.clip(self.model_.to_model(patches, name="image"), *plan.bounds)
        with self.model_.device_scope():
            # the engine measures learning_rate in units of its input range, plan.bounds (width plan.scale)
            result = plan.climber.run(x, steps=steps, learning_rate=plan.learning_rate,
                                      weights=np.broadcast_to(plan.weights, (len(x), len(plan.weights))),
                                      random_state=int(plan.rng.integers(2**31)))
        if not self.model_.pre_steps:  # model space is pixel space: the climbed images, inside the range
            return result.images.reshape(patches.shape), float(np.mean(result.scores))
        # behind a scaler the range caps model-space values; only the change goes back to the pixels
        change = self.model_.to_pixels(result.images) - self.model_.to_pixels(x)
        return patches + change.reshape(patches.shape), float(np.mean(result.scores))

    def _ascend_tiled(self, plan, planes):
        """Ascend planes ``(p, H, W)`` of any size, tile by tile, one step at a time with a random grid shift."""
        th, tw, _ = self.model_.input_shape
        p, H, W = planes.shape
        if (H, W) == (th, tw):
            climbed, score = self._climb(plan, planes[..., None], plan.steps)
            return climbed[..., 0], score
        shift = plan.shift
        ph, pw = -(-H // th) * th + (th if shift else 0), -(-W // tw) * tw + (tw if shift else 0)
        tiling = [ph // th, pw // tw, th, tw]
        score = 0.0
        planes = planes.copy()
        offsets_y, offsets_x = (_stratified_offsets(plan.rng, size, plan.steps, shift) for size in (th, tw))
        for dy, dx in zip(offsets_y, offsets_x):
            padded = np.pad(planes, ((0, 0), (dy, ph - H - dy), (dx, pw - W - dx)), mode="reflect")
            climbed, score = self._climb(plan, tiles.cut(padded[..., None], tiling), 1)
            planes = tiles.paste(climbed, p, tiling)[:, dy:dy + H, dx:dx + W, 0]
        return planes, score

    # ------------------------------------------------- networks that see the whole image
    def _whole_climber(self, indices):
        """The compiled tiled climb for the layers ``indices`` (on an inference copy: batch norms folded)."""
        key = ("dream climb", indices)
        if key not in self._probe.compiled:
            feed = inference_copy(self.model_.submodel(list(indices)), self.compute_dtype_)  # any image size
            sizes = [self.model_.layer_shape(i)[2] for i in indices]
            channels = self.model_.input_shape[2]
            objective = tiles.tiled_objective(feed, self._objective_fn, sizes, channels)
            self._probe.function(key, tiles.tiled_climb(objective), tiles.climb_specs(channels, sum(sizes)))
        return self._probe.compiled[key]

    def _to_model_space(self, pixels):
        if self.preprocess is None:
            return pixels.astype(np.float32)
        return np.asarray(self.preprocess(pixels.astype(np.float32)), dtype=np.float32)  # a copy: may work in place

    def _to_pixel_space(self, image):
        if self.deprocess is None:
            return image.astype(np.float32)
        return np.asarray(self.deprocess(image.astype(np.float32)), dtype=np.float32)

    def _whole_bounds(self, original, pixels):
        """Per-channel ``(low, high)`` in model space: the input range, else the image's range preprocessed."""
        c = self.model_.input_shape[2]
        if self.model_.input_range is not None:
            return tuple(np.full(c, v, np.float32) for v in self.model_.input_range)
        ends = [self._to_model_space(np.full((1, 1, c), v, np.float32)).reshape(c)
                for v in _pixel_range(original, pixels)]
        return np.minimum(*ends), np.maximum(*ends)

    def _climb_whole(self, plan, image):
        """``plan.steps`` steps on one model-space image ``(h, w, c)``; the image and the objective history."""
        h, w = image.shape[:2]
        shifts = plan.rng.integers(0, (h, w), size=(plan.steps, 2)) if plan.shift else np.zeros((plan.steps, 2))
        try:
            out, history = plan.climber(image[None].astype(np.float32), tiles.grid(h, w, self.tile_size),
                                        plan.weights, shifts.astype(np.int32), np.arange(plan.steps + 1, dtype=np.int32),
                                        plan.learning_rate, plan.scale, *plan.bounds)
        except tiles.shape_errors() as exc:
            raise ValueError(f"the network cannot take an image of {h}x{w} up to these layers (too small for its "
                             f"poolings, or fixed-size layers before them); use fewer octaves, a larger image or a "
                             f"smaller octave_scale.") from exc
        return out[0], history

    def _dream_whole(self, original, layers, maps, weights, *, method, loops, octaves, octave_scale, steps,
                     learning_rate, tile_shift, random_state):
        c = self.model_.input_shape[2]
        if method == "rescale":
            raise ValueError("method='rescale' shrinks the image to a grayscale CNN's window; a network with "
                             f"{c} input channels sees the whole image: use method='octaves' or 'tiles'.")
        if original.ndim != 3 or original.shape[2] != c:
            raise ValueError(f"image must be (height, width, {c}) for a network with {c} input channels; got shape "
                             f"{original.shape}.")
        indices = tuple(self.model_.layer_index(layer) for layer in layers)
        self._check_maps(indices)
        if len(indices) > 1 and (maps is not None or weights is not None):
            raise ValueError("maps and weights choose maps of one layer; with several layers every map counts.")
        vector = np.concatenate([self._weights(self.model_.layer_shape(i)[2], self.model_.paths[i], maps, weights)
                                 for i in indices])
        pixels = original.astype(np.float32)
        low, high = self._whole_bounds(original, pixels)
        plan = _Plan(self._whole_climber(indices), vector, steps, learning_rate, float(np.mean(high - low)),
                     (low, high), np.random.default_rng(random_state), bool(tile_shift))
        result = DreamResult(image=None, method=method)

        def climb(current):
            current, history = self._climb_whole(plan, current)
            result.objective_history.append(history)
            result.scores.append(float(history[-1]))
            return current

        sizes = _level_sizes(method, original.shape[:2], loops=loops, octaves=octaves, octave_scale=octave_scale,
                             smallest=(16, 16))
        stages = _pyramid(np.clip(self._to_model_space(pixels), low, high), sizes, _planes_resize, climb)
        result.intermediates = [self._to_pixel_space(np.clip(stage, low, high)) for stage in stages]
        result.image = self._cast(result.intermediates[-1], original)
        return result

    # -------------------------------------------------------------------- API
    def dream(self, image, layers, maps=None, weights=None, *, method=None, loops=4, octaves=4,
              octave_scale=1.3, steps=20, learning_rate=None, channels="luminance", tile_shift=True,
              random_state=None):
        """Let the network dream on ``image``.

        Parameters
        ----------
        image : array-like, (H, W) grayscale or (H, W, channels), uint8 or float
            For a grayscale network: any size at least the CNN's input size,
            RGB images dreamed on their luminance or channel by channel. For a
            network with several input channels (RGB): any size its
            convolutions take. uint8 images are read in [0, 255]; float images
            in their own units.
        layers : str, int or list of them
            Keras names or paths, aliases (``conv3``) or indices of the layers
            to dream with; layers with maps (height, width, channels) only.
            Several layers (networks with several channels): the sum of their
            objectives, e.g. InceptionV3's ``["mixed3", "mixed5"]``.
        maps : None, int or list of int
            None dreams with the whole layer; otherwise only these maps (one
            layer only).
        weights : array-like, optional
            One weight per chosen map (default: equal weights).
        method : {"rescale", "octaves", "tiles"}, optional
            Default: ``"rescale"`` for a grayscale network (the series),
            ``"octaves"`` for a network with several channels, which sees the
            whole image, so ``"rescale"`` does not apply to it.
        loops : int, default=4
            Repetitions for ``"rescale"`` and ``"tiles"``.
        octaves : int, default=4
            Pyramid levels for ``"octaves"``.
        octave_scale : float, default=1.3
            Size ratio between pyramid levels (levels are never smaller than
            a grayscale CNN's input, or than 16 pixels).
        steps : int, default=20
            Ascent steps per loop or level.
        learning_rate : float, optional
            Length of each step (the gradient divided by its root mean
            square), in units of the input range's width (see ``input_range``;
            for a StandardScaler's Pipeline, of the range capped by ``clip``),
            so that images in [0, 255] and in [0, 1] dream alike. Default:
            0.003 for a grayscale network, 0.006 for one that sees the whole image.
        channels : {"luminance", "each"}, default="luminance"
            For RGB images and a grayscale network: dream on the luminance and
            add its change to every channel, or dream on each channel.
        tile_shift : bool, default=True
            Shift the tile grid randomly at every step (``"tiles"``, and the
            levels of ``"octaves"`` larger than the CNN's input; for a network
            that sees the whole image, roll the image by a random offset before
            its tiled gradient). Without it the tile borders show as seams.
        random_state : int, optional
            Seeds the jitter and the tile shifts: the same seed gives the same dream.

        Returns
        -------
        DreamResult

        Examples
        --------
        An RGB network dreams on the whole image, here with two layers at once:

        >>> import keras
        >>> rgb = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Rescaling(1 / 255, name="unit"),
        ...     keras.layers.Conv2D(4, 3, activation="relu", name="a", kernel_initializer=keras.initializers.GlorotUniform(0)),
        ...     keras.layers.Conv2D(4, 3, activation="relu", name="b", kernel_initializer=keras.initializers.GlorotUniform(1))])
        >>> photo = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
        >>> result = DreamInspector(rgb, tile_size=24).dream(photo, ["a", "b"], octaves=2, steps=3, random_state=0)
        >>> result.image.shape, result.method, len(result.objective_history)
        ((40, 50, 3), 'octaves', 2)
        """
        layers = list(layers) if isinstance(layers, (list, tuple)) else [layers]
        if not layers:
            raise ValueError("layers must name at least one layer.")
        if method is None:
            method = "octaves" if self.whole_image_ else "rescale"
        if method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}; got {method!r}.")
        if channels not in _CHANNELS:
            raise ValueError(f"channels must be one of {_CHANNELS}; got {channels!r}.")
        sizes = dict(loops=check_int(loops, "loops"), octaves=check_int(octaves, "octaves"),
                     octave_scale=check_number(octave_scale, "octave_scale", low=1, strict=True))
        steps = check_int(steps, "steps")
        if learning_rate is None:
            learning_rate = 0.006 if self.whole_image_ else 0.003
        learning_rate = check_number(learning_rate, "learning_rate", strict=True)
        original = self._check_image(image)
        if self.whole_image_:
            return self._dream_whole(original, layers, maps, weights, method=method, **sizes, steps=steps,
                                     learning_rate=learning_rate, tile_shift=tile_shift, random_state=random_state)
        if len(layers) != 1:
            raise ValueError(f"a grayscale network dreams with one layer at a time; got layers={layers!r}.")
        th, tw, _ = self.model_.input_shape
        if original.shape[0] < th or original.shape[1] < tw:
            raise ValueError(f"image must be at least the network's input size {th}x{tw}; got "
                             f"{original.shape[0]}x{original.shape[1]}.")
        index = self.model_.layer_index(layers[0])
        self._check_maps((index,))
        vector = self._weights(self.model_.layer_shape(index)[2], self.model_.paths[index], maps, weights)
        pixels = original.astype(np.float32)
        if original.ndim == 2:
            planes = pixels[None]
        elif channels == "each":
            planes = np.moveaxis(pixels, 2, 0)
        else:
            planes = (pixels @ _LUMA)[None]
        bounds = self._gray_bounds(original, planes)
        plan = _Plan(self._engine(index, bounds), vector, steps, learning_rate, bounds[1] - bounds[0], bounds,
                     np.random.default_rng(random_state), bool(tile_shift))
        result = self._dream_gray(plan, planes, method, **sizes)
        if not self.model_.pre_steps:  # resizing and added detail may overshoot: the planes stay inside the range
            result.intermediates = [np.clip(p, *bounds) for p in result.intermediates]
        result.intermediates = [self._to_image(p, pixels, original, channels) for p in result.intermediates]
        result.small = [q[0] if len(q) == 1 else np.moveaxis(q, 0, 2) for q in result.small]
        result.image = self._cast(result.intermediates[-1], original)
        result.method = method
        return result

    def _check_image(self, image):
        original = np.asarray(image)
        if original.ndim == 3 and original.shape[2] == 1 and not self.whole_image_:
            original = original[..., 0]
        if original.ndim not in (2, 3) or (original.ndim == 3 and original.shape[2] != 3 and not self.whole_image_):
            raise ValueError(f"image must be (height, width) grayscale or (height, width, 3) RGB; got shape "
                             f"{np.asarray(image).shape}.")
        if not (np.issubdtype(original.dtype, np.number) and np.all(np.isfinite(original))):
            raise ValueError("image must hold finite numbers (uint8 or float).")
        return original

    def _dream_gray(self, plan, planes, method, *, loops, octaves, octave_scale):
        """A grayscale network's dream of planes ``(p, H, W)``: the series' rescale, or the octave loop."""
        if method == "rescale":
            return self._rescale(plan, planes, loops)
        result = DreamResult(image=None)

        def climb(current):
            current, score = self._ascend_tiled(plan, current)
            result.scores.append(score)
            return current

        th, tw, _ = self.model_.input_shape
        sizes = _level_sizes(method, planes.shape[1:], loops=loops, octaves=octaves, octave_scale=octave_scale,
                             smallest=(th, tw))
        result.intermediates = _pyramid(planes, sizes, _resize, climb)
        return result

    def _to_image(self, planes, pixels, original, channels):
        if original.ndim == 2:
            return planes[0]
        if channels == "each":
            return np.moveaxis(planes, 0, 2)
        return pixels + (planes[0] - pixels @ _LUMA)[..., None]

    @staticmethod
    def _cast(dreamed, original):
        if np.issubdtype(original.dtype, np.integer):
            info = np.iinfo(original.dtype)
            return np.clip(np.rint(dreamed), info.min, info.max).astype(original.dtype)
        return dreamed.astype(original.dtype)

    def _rescale(self, plan, planes, loops):
        th, tw, _ = self.model_.input_shape
        p, H, W = planes.shape
        small = _resize(planes, (th, tw))
        detail = planes - _resize(small, (H, W))
        result = DreamResult(image=None)
        for _ in range(loops):
            small, score = self._climb(plan, small[..., None], plan.steps)
            small = small[..., 0]
            result.small.append(small.copy())
            big = _resize(small, (H, W)) + detail
            result.intermediates.append(big)
            result.scores.append(score)
            small = _resize(big, (th, tw))
        return result
