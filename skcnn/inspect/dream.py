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
from ._core.model import import_keras, inference_copy, resolve_model

# TensorFlow is bound once, here, when the dream module is first used: the objectives below run inside
# compiled functions, where a call to import_keras (os.environ, ...) would be Python run at trace time and
# AutoGraph would try to convert it (and print the environment in its warning).
_, tf = import_keras()

__all__ = ["DreamInspector", "DreamResult"]

_METHODS = ("rescale", "octaves", "tiles")
_CHANNELS = ("luminance", "each")
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dream_objectives.register("mean")
def mean_objective(activations, weights):
    """Weighted mean activation of a layer's maps: ``sum_c w_c * mean_hw(a_c)`` per image."""
    return tf.einsum("nhwc,nc->n", activations, weights) / tf.cast(
        tf.shape(activations)[1] * tf.shape(activations)[2], activations.dtype)


@dream_objectives.register("l2")
def l2_objective(activations, weights):
    """Weighted mean squared activation: favours strong, sharp responses (classic DeepDream)."""
    return tf.einsum("nhwc,nc->n", tf.square(activations), weights) / tf.cast(
        tf.shape(activations)[1] * tf.shape(activations)[2], activations.dtype)


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

    def __init__(self, model, *, objective="mean", pre_activation="auto", jitter=1, clip=6.0,
                 compute_dtype="auto", chunk_size=1024, preprocess=None, deprocess=None, tile_size=512,
                 device=None):
        self.model_ = resolve_model(model, device=device)
        self.device = device
        self._objective_fn = objective if callable(objective) else dream_objectives.get(objective)
        self.objective = objective
        self.pre_activation = pre_activation
        self.jitter = jitter
        self.clip = clip
        if compute_dtype not in ("auto", "float32", "bfloat16"):
            raise ValueError(f"compute_dtype must be 'auto', 'float32' or 'bfloat16'; got {compute_dtype!r}.")
        self.compute_dtype = compute_dtype
        self.chunk_size = chunk_size
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
        self._climbers = {}
        self.whole_image_ = self.model_.input_shape[2] != 1
        if self.whole_image_ and self.model_.pre_steps:
            raise ValueError("A network with several input channels dreams on the whole image; a Pipeline's "
                             "preprocessing steps (which work on flat images of one size) cannot feed it. Pass "
                             "the Keras model with preprocess=/deprocess= instead.")
        if self.model_.pre_steps and not self.model_.has_pixel_space:
            raise ValueError("The Pipeline's preprocessing steps cannot be inverted (a step lacks "
                             "inverse_transform), so dreams cannot be mapped back to pixels.")

    # ----------------------------------------------------------------- pieces
    def _engine(self, layer):
        index = self.model_.layer_index(layer)
        if index not in self._engines:
            scaled = bool(self.model_.pre_steps) and self.clip is not None
            value_range = (-float(self.clip), float(self.clip)) if scaled else None
            self._engines[index] = GradientAscent(
                self.model_, index, pre_activation=self.pre_activation,
                # "mean" is the engine's linear layer_mean path (weights over the maps); others are callables.
                objective="weights" if self.objective == "mean" else self.objective,
                jitter=self.jitter, value_range=value_range, chunk_size=self.chunk_size,
                compute_dtype=fast_dtype() if self.compute_dtype == "auto" else self.compute_dtype)
        return self._engines[index]

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

    def _climb(self, engine, patches, vector, steps, step_size, seed):
        """Ascend pixel-space patches ``(n, h, w, c)``; return them in pixel space and the mean score."""
        x = self.model_.to_model(patches, name="image")
        if engine.value_range is not None:
            x = np.clip(x, *engine.value_range)
        with self.model_.device_scope():
            result = engine.run(x, steps=steps, learning_rate=step_size * self._unit,
                                weights=np.broadcast_to(vector, (len(x), len(vector))), random_state=seed)
        change = self.model_.to_pixels(result.images) - self.model_.to_pixels(x)
        return patches + change.reshape(patches.shape), float(np.mean(result.scores))

    def _ascend_tiled(self, engine, planes, vector, steps, step_size, rng, shift=True):
        """Ascend planes ``(p, H, W)`` of any size, tile by tile, one step at a time with a random grid shift."""
        th, tw, _ = self.model_.input_shape
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

    # ------------------------------------------------- networks that see the whole image
    def _climber(self, indices):
        """Compiled ``(climb, gradient)`` for the layers ``indices``: tiled gradients with a random roll."""
        if indices in self._climbers:
            return self._climbers[indices]
        dtype = fast_dtype() if self.compute_dtype == "auto" else self.compute_dtype
        feed = inference_copy(self.model_.submodel(list(indices)), dtype)  # batch norms folded; any image size
        sizes = [self.model_.layer_shape(i)[2] for i in indices]
        objective = self._objective_fn
        channels = self.model_.input_shape[2]

        def tiled_objective(image, grid, shift, weights):
            """Sum over layers of the objective, over tiles of the rolled image: one batch of equal tiles."""
            ny, nx, th, tw = grid[0], grid[1], grid[2], grid[3]
            rolled = tf.roll(image, shift, axis=[1, 2])
            pads = [[0, 0], [0, ny * th - tf.shape(image)[1]], [0, nx * tw - tf.shape(image)[2]], [0, 0]]
            plain = tf.pad(rolled, pads)
            # Reflected borders fill the last tiles, but carry no gradient back: each pixel counts once.
            padded = plain + tf.stop_gradient(tf.pad(rolled, pads, mode="REFLECT") - plain)
            tiles = tf.reshape(tf.transpose(tf.reshape(padded, [ny, th, nx, tw, channels]), [0, 2, 1, 3, 4]),
                               [ny * nx, th, tw, channels])
            outputs = feed(tiles, training=False)
            outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            total = 0.0
            for output, vector in zip(outputs, tf.split(weights, sizes)):
                output = tf.cast(output, tf.float32)
                maps = tf.reshape(output, [ny * nx, 1, 1, -1]) if len(output.shape) == 2 else output
                scores = objective(maps, tf.tile(vector[None], [ny * nx, 1]))
                total += tf.reduce_mean(tf.cast(scores, tf.float32))
            return total

        def gradient(image, grid, shift, weights):
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(image)
                total = tiled_objective(image, grid, shift, weights)
            return total, tape.gradient(total, image)

        spec = [tf.TensorSpec([1, None, None, channels], tf.float32), tf.TensorSpec([4], tf.int32),
                tf.TensorSpec([2], tf.int32), tf.TensorSpec([sum(sizes)], tf.float32)]
        gradient_fn = tf.function(gradient, input_signature=spec)

        @tf.function(input_signature=spec[:2] + spec[3:] + [
            tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32), tf.TensorSpec([2], tf.int32),
            tf.TensorSpec([], tf.bool), tf.TensorSpec([channels], tf.float32), tf.TensorSpec([channels], tf.float32)])
        def climb(image, grid, weights, steps, step_size, seed, roll, low, high):
            history = tf.TensorArray(tf.float32, size=steps + 1)
            extent = tf.cast(tf.shape(image)[1:3], tf.float32) * tf.cast(roll, tf.float32)
            for step in tf.range(steps):
                draw = tf.random.stateless_uniform([2], seed=seed + tf.stack([step, 0]))
                shift = tf.cast(tf.floor(draw * extent), tf.int32)
                total, grad = gradient(image, grid, shift, weights)
                grad = grad / (tf.math.reduce_std(grad) + 1e-8)
                image = tf.clip_by_value(image + step_size * grad, low, high)
                history = history.write(step, total)
            history = history.write(steps, tiled_objective(image, grid, tf.zeros([2], tf.int32), weights))
            return image, history.stack()

        self._climbers[indices] = climb, gradient_fn
        return self._climbers[indices]

    def _grid(self, height, width):
        """Tiles per axis and tile size: the fewest equal tiles of at most ``tile_size`` that cover the image."""
        ny, nx = -(-height // self.tile_size), -(-width // self.tile_size)
        return np.array([ny, nx, -(-height // ny), -(-width // nx)], dtype=np.int32)

    def _to_model_space(self, pixels):
        if self.preprocess is None:
            return pixels.astype(np.float32)
        return np.asarray(self.preprocess(pixels.astype(np.float32)), dtype=np.float32)  # a copy: may work in place

    def _to_pixel_space(self, image):
        if self.deprocess is None:
            return image.astype(np.float32)
        return np.asarray(self.deprocess(image.astype(np.float32)), dtype=np.float32)

    def _climb_whole(self, climb, image, weights, steps, step, rng, roll, bounds):
        """``steps`` steps on one model-space image ``(h, w, c)``; the image and the objective history."""
        seed = rng.integers(0, 2**31 - 1, size=2).astype(np.int32)
        with self.model_.device_scope():
            try:
                out, history = climb(tf.constant(image[None]), tf.constant(self._grid(*image.shape[:2])),
                                     tf.constant(weights), tf.constant(int(steps), tf.int32),
                                     tf.constant(float(step), tf.float32), tf.constant(seed), tf.constant(bool(roll)),
                                     tf.constant(bounds[0]), tf.constant(bounds[1]))
            except (ValueError, tf.errors.InvalidArgumentError) as exc:
                raise ValueError(f"the network cannot take an image of {image.shape[0]}x{image.shape[1]} up to these "
                                 f"layers (too small for its poolings, or fixed-size layers before them); use fewer "
                                 f"octaves, a larger image or a smaller octave_scale.") from exc
        return out.numpy()[0], history.numpy()

    def _dream_whole(self, original, layers, maps, weights, *, method, loops, octaves, octave_scale, steps,
                     step_size, tile_shift, random_state, **_):
        c = self.model_.input_shape[2]
        if method == "rescale":
            raise ValueError("method='rescale' shrinks the image to a grayscale CNN's window; a network with "
                             f"{c} input channels sees the whole image: use method='octaves' or 'tiles'.")
        if original.ndim != 3 or original.shape[2] != c:
            raise ValueError(f"image must be (height, width, {c}) for a network with {c} input channels; got shape "
                             f"{original.shape}.")
        indices = tuple(self.model_.layer_index(layer) for layer in layers)
        if len(indices) > 1 and (maps is not None or weights is not None):
            raise ValueError("maps and weights choose maps of one layer; with several layers every map counts.")
        vector = np.concatenate([self._weights(self.model_.layer_shape(i)[2], self.model_.paths[i], maps, weights)
                                 for i in indices])
        climb, _ = self._climber(indices)
        pixels = original.astype(np.float32)
        image = self._to_model_space(pixels)
        if np.issubdtype(original.dtype, np.integer):
            info = np.iinfo(original.dtype)
            low, high = float(info.min), float(info.max)
        else:
            low, high = float(pixels.min()), float(pixels.max())
        ends = [self._to_model_space(np.full((1, 1, c), v, np.float32)).reshape(c) for v in (low, high)]
        bounds = (np.minimum(*ends), np.maximum(*ends))
        step = step_size * (float(np.std(image)) or 1.0)
        rng = np.random.default_rng(random_state)
        H, W = original.shape[:2]
        result = DreamResult(image=None, method=method)
        if method == "tiles":
            sizes, rounds = [(H, W)] * loops, None
        else:
            sizes = []
            for k in reversed(range(octaves)):
                size = (max(16, int(round(H / octave_scale**k))), max(16, int(round(W / octave_scale**k))))
                if not sizes or size != sizes[-1]:
                    sizes.append(size)
            rounds = [_planes_resize(image, size) for size in sizes]
        current = image if rounds is None else rounds[0]
        for k, size in enumerate(sizes):
            if rounds is not None and k:
                lost = rounds[k] - _planes_resize(rounds[k - 1], size)
                current = _planes_resize(current, size) + lost
            current, history = self._climb_whole(climb, current, vector, steps, step, rng, tile_shift, bounds)
            result.objective_history.append(history)
            result.scores.append(float(history[-1]))
            result.intermediates.append(self._to_pixel_space(_planes_resize(current, (H, W))))
        result.image = self._cast(result.intermediates[-1], original)
        return result

    # -------------------------------------------------------------------- API
    def dream(self, image, layers, maps=None, weights=None, *, method=None, loops=4, octaves=4,
              octave_scale=1.3, steps=20, step_size=0.02, channels="luminance", tile_shift=True,
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
            to dream with. Several layers (networks with several channels):
            the sum of their objectives, e.g. InceptionV3's
            ``["mixed3", "mixed5"]``.
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
        loops, octaves, steps = (check_int(v, name) for v, name in
                                 ((loops, "loops"), (octaves, "octaves"), (steps, "steps")))
        octave_scale = check_number(octave_scale, "octave_scale", low=1, strict=True)
        step_size = check_number(step_size, "step_size", strict=True)
        original = np.asarray(image)
        if original.ndim == 3 and original.shape[2] == 1 and not self.whole_image_:
            original = original[..., 0]
        if original.ndim not in (2, 3) or (original.ndim == 3 and original.shape[2] != 3 and not self.whole_image_):
            raise ValueError(f"image must be (height, width) grayscale or (height, width, 3) RGB; got shape "
                             f"{np.asarray(image).shape}.")
        if not (np.issubdtype(original.dtype, np.number) and np.all(np.isfinite(original))):
            raise ValueError("image must hold finite numbers (uint8 or float).")
        if self.whole_image_:
            return self._dream_whole(original, layers, maps, weights, method=method, loops=loops, octaves=octaves,
                                     octave_scale=octave_scale, steps=steps, step_size=step_size,
                                     tile_shift=tile_shift, random_state=random_state)
        if len(layers) != 1:
            raise ValueError(f"a grayscale network dreams with one layer at a time; got layers={layers!r}.")
        th, tw, _ = self.model_.input_shape
        if original.shape[0] < th or original.shape[1] < tw:
            raise ValueError(f"image must be at least the network's input size {th}x{tw}; got "
                             f"{original.shape[0]}x{original.shape[1]}.")

        engine = self._engine(layers[0])
        vector = self._weights(engine.map_shape[2], engine.layer.name, maps, weights)
        rng = np.random.default_rng(random_state)
        pixels = original.astype(np.float32)
        if original.ndim == 2:
            planes = pixels[None]
        elif channels == "each":
            planes = np.moveaxis(pixels, 2, 0)
        else:
            planes = (pixels @ _LUMA)[None]
        self._unit = 1.0 if self.model_.pre_steps else float(np.std(planes)) or 1.0
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
        th, tw, _ = self.model_.input_shape
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
        th, tw, _ = self.model_.input_shape
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
