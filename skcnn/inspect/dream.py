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

from .._validation import check_int, check_number
from ..plugins import dream_objectives
from ._ascent import GradientAscent, fast_dtype
from ._target import import_keras, resolve_target

__all__ = ["DreamInspector", "DreamResult"]

_METHODS = ("rescale", "octaves", "tiles")
_CHANNELS = ("luminance", "each")
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dream_objectives.register("mean")
def mean_objective(activations, weights):
    """Weighted mean activation of a layer's maps: ``sum_c w_c * mean_hw(a_c)`` per image."""
    _, tf = import_keras()

    return tf.einsum("nhwc,nc->n", activations, weights) / tf.cast(
        tf.shape(activations)[1] * tf.shape(activations)[2], activations.dtype)


@dream_objectives.register("l2")
def l2_objective(activations, weights):
    """Weighted mean squared activation: favours strong, sharp responses (classic DeepDream)."""
    _, tf = import_keras()

    return tf.einsum("nhwc,nc->n", tf.square(activations), weights) / tf.cast(
        tf.shape(activations)[1] * tf.shape(activations)[2], activations.dtype)


@dataclass
class DreamResult:
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
    """

    image: np.ndarray
    intermediates: list = field(default_factory=list)
    small: list = field(default_factory=list)
    scores: list = field(default_factory=list)
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


class DreamInspector:
    """DeepDreams of a fitted CNN on images of any size.

    Parameters
    ----------
    target : KerasCNNClassifier, Pipeline ending in one, or keras.Model
        The network. With a Pipeline, images pass through the preceding steps
        (e.g. StandardScaler) on the way in and are mapped back on the way out.
    objective : str or callable, default="mean"
        How a whole layer's maps combine: a name in
        :data:`skcnn.plugins.dream_objectives` (``"mean"``, ``"l2"``) or a
        callable ``f(activations, weights) -> scores`` on TensorFlow tensors.
    pre_activation : bool or "auto", default="auto"
        Passed to the engine: climb a dead map's value before its ReLU.
    jitter : int, default=1
        Random shift (pixels) of the CNN-sized images at each step.
    clip : float or None, default=6.0
        With preprocessing steps (a Pipeline's scaler), clip model-space
        values to ``[-clip, clip]`` while ascending, so that pixels which never
        varied in the training data (a StandardScaler leaves them unscaled)
        cannot dominate. Without preprocessing no clipping is done.
    compute_dtype : {"auto", "float32", "bfloat16"}, default="auto"
        Precision of the network's arithmetic while ascending. ``"auto"``
        takes bfloat16 where the hardware computes it natively (a GPU, or a
        CPU with AVX512-BF16/AMX: about twice as fast for tiles), else float32.
    chunk_size : int, default=1024
        Tiles per compiled call.

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c")])
    >>> DreamInspector(model).dream(np.zeros((8, 8)), "c", method="nap")
    Traceback (most recent call last):
    ...
    ValueError: method must be one of ('rescale', 'octaves', 'tiles'); got 'nap'.
    """

    def __init__(self, target, *, objective="mean", pre_activation="auto", jitter=1, clip=6.0,
                 compute_dtype="auto", chunk_size=1024):
        self.target = resolve_target(target)
        if not callable(objective):
            dream_objectives.get(objective)  # unknown names fail here, listing the registered ones
        self.objective = objective
        self.pre_activation = pre_activation
        self.jitter = jitter
        self.clip = clip
        if compute_dtype not in ("auto", "float32", "bfloat16"):
            raise ValueError(f"compute_dtype must be 'auto', 'float32' or 'bfloat16'; got {compute_dtype!r}.")
        self.compute_dtype = compute_dtype
        self.chunk_size = chunk_size
        self._engines = {}
        h, w, c = self.target.input_shape
        if c != 1:
            raise ValueError(f"DreamInspector needs a network with one (grayscale) input channel; this one has "
                             f"{c}. RGB images are dreamed on their luminance or channel by channel.")
        if self.target.pre_steps and not self.target.has_pixel_space:
            raise ValueError("The Pipeline's preprocessing steps cannot be inverted (a step lacks "
                             "inverse_transform), so dreams cannot be mapped back to pixels.")

    # ----------------------------------------------------------------- pieces
    def _engine(self, layer):
        index = self.target.layer_index(layer)
        if index not in self._engines:
            scaled = bool(self.target.pre_steps) and self.clip is not None
            value_range = (-float(self.clip), float(self.clip)) if scaled else None
            self._engines[index] = GradientAscent(
                self.target, index, objective=self.objective, pre_activation=self.pre_activation,
                jitter=self.jitter, value_range=value_range, chunk_size=self.chunk_size,
                compute_dtype=fast_dtype() if self.compute_dtype == "auto" else self.compute_dtype)
        return self._engines[index]

    def _weights(self, engine, maps, weights):
        n_maps = engine.map_shape[2]
        if maps is None:
            chosen = np.arange(n_maps)
        else:
            chosen = np.atleast_1d(np.asarray(maps))
            if not np.issubdtype(chosen.dtype, np.integer) or chosen.ndim != 1 or len(chosen) == 0:
                raise ValueError(f"maps must be None, an int or a list of ints; got {maps!r}.")
            if chosen.min() < 0 or chosen.max() >= n_maps:
                raise ValueError(f"maps must lie in [0, {n_maps}) for layer {engine.layer.name!r}; got {maps!r}.")
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

    def _climb(self, engine, patches, vector, steps, step_size, seed):
        """Ascend pixel-space patches ``(n, h, w, c)``; return them in pixel space and the mean score."""
        x = self.target.to_model(patches, name="image")
        if engine.value_range is not None:
            x = np.clip(x, *engine.value_range)
        result = engine.run(x, steps=steps, learning_rate=step_size * self._unit,
                            weights=np.broadcast_to(vector, (len(x), len(vector))), random_state=seed)
        change = self.target.to_pixels(result.images) - self.target.to_pixels(x)
        return patches + change.reshape(patches.shape), float(np.mean(result.scores))

    def _ascend_tiled(self, engine, planes, vector, steps, step_size, rng, shift=True):
        """Ascend planes ``(p, H, W)`` of any size, tile by tile, one step at a time with a random grid shift."""
        th, tw, _ = self.target.input_shape
        p, H, W = planes.shape
        if (H, W) == (th, tw):
            climbed, score = self._climb(engine, planes[..., None], vector, steps, step_size,
                                         int(rng.integers(2**31)))
            return climbed[..., 0], score
        ph, pw = -(-H // th) * th + (th if shift else 0), -(-W // tw) * tw + (tw if shift else 0)
        score = 0.0
        planes = planes.copy()
        offsets_y, offsets_x = (_stratified_offsets(rng, size, steps, shift) for size in (th, tw))
        for dy, dx in zip(offsets_y, offsets_x):
            padded = np.pad(planes, ((0, 0), (dy, ph - H - dy), (dx, pw - W - dx)), mode="reflect")
            tiles = padded.reshape(p, ph // th, th, pw // tw, tw).transpose(0, 1, 3, 2, 4).reshape(-1, th, tw, 1)
            climbed, score = self._climb(engine, tiles, vector, 1, step_size, int(rng.integers(2**31)))
            padded = climbed.reshape(p, ph // th, pw // tw, th, tw).transpose(0, 1, 3, 2, 4).reshape(p, ph, pw)
            planes = padded[:, dy:dy + H, dx:dx + W]
        return planes, score

    # -------------------------------------------------------------------- API
    def dream(self, image, layer, maps=None, weights=None, *, method="rescale", loops=4, octaves=4,
              octave_scale=1.4, steps=20, step_size=0.02, channels="luminance", tile_shift=True,
              random_state=None):
        """Let the network dream on ``image``.

        Parameters
        ----------
        image : array-like, (H, W) grayscale or (H, W, 3) RGB, uint8 or float
            Any size at least the CNN's input size. uint8 images are read in
            [0, 255]; float images in their own units.
        layer : str or int
            Keras name, alias (``conv3``) or index of the layer to dream with.
        maps : None, int or list of int
            None dreams with the whole layer; otherwise only these maps.
        weights : array-like, optional
            One weight per chosen map (default: equal weights).
        method : {"rescale", "octaves", "tiles"}, default="rescale"
        loops : int, default=4
            Repetitions for ``"rescale"`` and ``"tiles"``.
        octaves : int, default=4
            Pyramid levels for ``"octaves"``.
        octave_scale : float, default=1.4
            Size ratio between pyramid levels (levels are never smaller than
            the CNN's input).
        steps : int, default=20
            Ascent steps per loop or level.
        step_size : float, default=0.02
            Length of each normalized step: in model-space units behind a
            scaler (standard deviations for a StandardScaler), otherwise in
            units of the image's own standard deviation, so that images in
            [0, 255] and in [0, 1] dream alike.
        channels : {"luminance", "each"}, default="luminance"
            For RGB images and a grayscale network: dream on the luminance and
            add its change to every channel, or dream on each channel.
        tile_shift : bool, default=True
            Shift the tile grid randomly at every step (``"tiles"``, and the
            levels of ``"octaves"`` larger than the CNN's input). Without it the
            tile borders show as seams.
        random_state : int, optional
            Seeds the jitter and the tile shifts: the same seed gives the same dream.

        Returns
        -------
        DreamResult
        """
        if method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}; got {method!r}.")
        if channels not in _CHANNELS:
            raise ValueError(f"channels must be one of {_CHANNELS}; got {channels!r}.")
        loops, octaves, steps = (check_int(v, name) for v, name in
                                 ((loops, "loops"), (octaves, "octaves"), (steps, "steps")))
        octave_scale = check_number(octave_scale, "octave_scale", low=1, strict=True)
        step_size = check_number(step_size, "step_size", strict=True)
        original = np.asarray(image)
        if original.ndim == 3 and original.shape[2] == 1:
            original = original[..., 0]
        if original.ndim not in (2, 3) or (original.ndim == 3 and original.shape[2] != 3):
            raise ValueError(f"image must be (height, width) grayscale or (height, width, 3) RGB; got shape "
                             f"{np.asarray(image).shape}.")
        if not (np.issubdtype(original.dtype, np.number) and np.all(np.isfinite(original))):
            raise ValueError("image must hold finite numbers (uint8 or float).")
        th, tw, _ = self.target.input_shape
        if original.shape[0] < th or original.shape[1] < tw:
            raise ValueError(f"image must be at least the network's input size {th}x{tw}; got "
                             f"{original.shape[0]}x{original.shape[1]}.")

        engine = self._engine(layer)
        vector = self._weights(engine, maps, weights)
        rng = np.random.default_rng(random_state)
        pixels = original.astype(np.float32)
        if original.ndim == 2:
            planes = pixels[None]
        elif channels == "each":
            planes = np.moveaxis(pixels, 2, 0)
        else:
            planes = (pixels @ _LUMA)[None]
        self._unit = 1.0 if self.target.pre_steps else float(np.std(planes)) or 1.0
        run = {"rescale": self._rescale, "octaves": self._octaves, "tiles": self._tiles}[method]
        result = run(engine, planes, vector, loops=loops, octaves=octaves, octave_scale=octave_scale,
                     steps=steps, step_size=step_size, rng=rng, shift=bool(tile_shift))
        to_image = lambda p: self._to_image(p, pixels, original, channels)  # noqa: E731
        result.intermediates = [to_image(p) for p in result.intermediates]
        result.small = [q[0] if len(q) == 1 else np.moveaxis(q, 0, 2) for q in result.small]
        result.image = self._cast(result.intermediates[-1], original)
        result.method = method
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

    def _rescale(self, engine, planes, vector, *, loops, steps, step_size, rng, **_):
        th, tw, _ = self.target.input_shape
        p, H, W = planes.shape
        small = _resize(planes, (th, tw))
        detail = planes - _resize(small, (H, W))
        result = DreamResult(image=None)
        for _ in range(loops):
            small, score = self._climb(engine, small[..., None], vector, steps, step_size,
                                       int(rng.integers(2**31)))
            small = small[..., 0]
            result.small.append(small.copy())
            big = _resize(small, (H, W)) + detail
            result.intermediates.append(big)
            result.scores.append(score)
            small = _resize(big, (th, tw))
        return result

    def _octaves(self, engine, planes, vector, *, octaves, octave_scale, steps, step_size, rng, shift, **_):
        th, tw, _ = self.target.input_shape
        p, H, W = planes.shape
        sizes = []
        for k in reversed(range(octaves)):
            size = (max(th, int(round(H / octave_scale**k))), max(tw, int(round(W / octave_scale**k))))
            if not sizes or size != sizes[-1]:
                sizes.append(size)
        levels = [_resize(planes, size) for size in sizes]
        result = DreamResult(image=None)
        current = levels[0].copy()
        for k, size in enumerate(sizes):
            if k:
                enlarged = _resize(current, size)
                lost = levels[k] - _resize(levels[k - 1], size)
                current = enlarged + lost
            current, score = self._ascend_tiled(engine, current, vector, steps, step_size, rng, shift)
            result.intermediates.append(_resize(current, (H, W)))  # a copy when already full size
            result.scores.append(score)
        return result

    def _tiles(self, engine, planes, vector, *, loops, steps, step_size, rng, shift, **_):
        result = DreamResult(image=None)
        current = planes
        for _ in range(loops):
            current, score = self._ascend_tiled(engine, current, vector, steps, step_size, rng, shift)
            result.intermediates.append(current.copy())
            result.scores.append(score)
        return result
