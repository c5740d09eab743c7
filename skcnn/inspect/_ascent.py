"""The one batched gradient-ascent engine behind OIPs, renders and dreams.

:class:`GradientAscent` climbs a batch of input images at once, each image
with its own objective. Objectives are the composable ones of
:mod:`skcnn.inspect.objectives` (``channel``, ``neuron``, ``layer_mean``,
``class_logit``, ``direction``, ``diversity`` and their sums): the linear
ones reach the compiled step as per-image weights over a layer's points and
maps, so one traced graph serves every mix of them and the cost grows
linearly with the batch. The older forms are uses of the same path:

- ``objective="map"``: the mean of one map per image (``maps``), or one point
  of it (``points``), or any spatial weighting (``spatial``): a ``channel``
  or ``neuron`` per image;
- ``objective="weights"``: a weighted sum of the layer's maps per image
  (``weights`` of shape ``(n, maps)``), averaged over the map area: the
  dream's ``layer_mean``;
- a callable ``f(activations, weights) -> scores`` (TensorFlow tensors:
  ``(n, h, w, maps)`` float32 and ``(n, k)``, returning ``(n,)``), or the name
  of one in :data:`skcnn.plugins.dream_objectives`.

What the steps change is an image parameterization (:mod:`.params`: pixels,
or a 1/frequency-scaled Fourier spectrum, optionally in a decorrelated colour
basis), and the image passes through random transforms (:mod:`.transforms`)
before each step. Each step normalizes every image's gradient by its own root
mean square, so all images move at the same pace whatever their activation
level. Optional penalties: L2 and total variation. ``pre_activation`` climbs
the layers' values before their activation functions, either always or
(``"auto"``) only for images whose objective is still zero after a ReLU,
where the post-activation gradient is zero.

Batches are cut into chunks of ``chunk_size`` images, which bounds memory;
each chunk runs all its steps inside one ``tf.function``, traced once per
structure of objective (which layers, which kinds of term), whatever the
number of images, steps or the learning rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._repr import ShortReprMixin
from .._validation import check_int, check_number, check_per_image
from ._core.model import import_keras, resolve_model
from .objectives import Objective, as_objectives
from .params import ImageParam
from .transforms import compose as compose_transforms
from .transforms import roll
from .transforms import resolve as resolve_transforms

__all__ = ["GradientAscent", "AscentResult", "fast_dtype"]

_OBJECTIVES = ("map", "weights")
_DTYPES = ("float32", "bfloat16")


@dataclass(repr=False)
class AscentResult(ShortReprMixin):
    """What a gradient-ascent run returns.

    Attributes
    ----------
    images : ndarray of shape (n, height, width, channels)
        The final images, in model space.
    scores : ndarray of shape (n,)
        Each image's objective (after the activation function) at the end.
    objective_history : ndarray of shape (steps, n) or None
        Each image's objective before every step.
    climbed : ndarray of shape (n,) or None
        The value that was climbed at the end: ``scores``, except for images
        climbing the pre-activation, whose value before the activation
        function it is. Ranks images whose map is dead (score 0).

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
    ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> from skcnn.inspect import GradientAscent
    >>> from skcnn.inspect.objectives import channel
    >>> start = np.random.default_rng(0).normal(size=(2, 8, 8, 1)).astype("float32")
    >>> result = GradientAscent(model).run(start, objective=[channel("c1", 0), channel("c1", 1)], steps=5,
    ...                                    learning_rate=0.1)
    >>> result.images.shape, result.scores.shape, result.objective_history.shape
    ((2, 8, 8, 1), (2,), (5, 2))
    """

    images: np.ndarray
    scores: np.ndarray
    objective_history: np.ndarray | None = None
    climbed: np.ndarray | None = None


def _split_activation(keras, layer):
    """``(linear, activation)`` callables for a layer with an activation function, or None."""
    kind = type(layer).__name__
    if kind in ("Activation", "ReLU", "LeakyReLU", "ELU", "PReLU"):
        return (lambda x: x), layer
    activation = getattr(layer, "activation", None)
    if activation is None or activation is keras.activations.linear or not callable(activation):
        return None

    def linear(x):
        saved = layer.activation
        layer.activation = keras.activations.linear
        try:
            return layer(x)
        finally:
            layer.activation = saved

    return linear, activation


_ELEMENTWISE = ("Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Dropout", "BatchNormalization",
                "GaussianNoise", "GaussianDropout", "SpatialDropout2D")


def _needed_extent(layer, rows, cols):
    """Input rows/cols a layer needs to compute its first ``rows x cols`` outputs; None if unknown."""
    kind = type(layer).__name__
    if kind in _ELEMENTWISE:
        return rows, cols
    if kind in ("Conv2D", "MaxPooling2D", "AveragePooling2D"):
        config = layer.get_config()
        if config.get("padding") != "valid" or config.get("data_format", "channels_last") != "channels_last":
            return None
        if kind == "Conv2D":
            if tuple(config.get("dilation_rate", (1, 1))) != (1, 1) or config.get("groups", 1) != 1:
                return None
            window, strides = config["kernel_size"], config["strides"]
        else:
            window = config["pool_size"]
            strides = config.get("strides") or window
        return (rows - 1) * strides[0] + window[0], (cols - 1) * strides[1] + window[1]
    return None


def _crop_chain(resolved, layer_index):
    """``(rows, cols, layers)`` when the layer sits on a plain chain of convolutions and poolings whose output
    depends only on the top-left ``rows x cols`` of the input (valid poolings drop a remainder), else None."""
    chain = resolved.layers[:layer_index + 1]
    previous = resolved.input_tensor
    try:
        for layer in chain:
            if layer.input is not previous:
                return None
            previous = layer.output
    except (AttributeError, ValueError):
        return None
    if len(chain[-1].output.shape) != 4:
        return None
    rows, cols = (int(v) for v in chain[-1].output.shape[1:3])
    for layer in reversed(chain):
        extent = _needed_extent(layer, rows, cols)
        if extent is None:
            return None
        rows, cols = extent
    height, width = resolved.input_shape[:2]
    if rows > height or cols > width or (rows, cols) == (height, width):
        return None
    return rows, cols, chain


def _cropped_feed(keras, resolved, chain, rows, cols, dtype):
    """Copies of the chain's layers on an input of ``rows x cols``: the same network, less to compute."""
    inputs = keras.Input((rows, cols, resolved.input_shape[2]))
    x = inputs
    copies = []
    for layer in chain:
        config = layer.get_config()
        if dtype != "float32":
            config["dtype"] = f"mixed_{dtype}"
        copy = type(layer).from_config(config)
        x = copy(x)
        copies.append((copy, layer))
    for copy, layer in copies:
        copy.set_weights(layer.get_weights())
    return keras.Model(inputs, x)


def _with_dtype(keras, model, dtype):
    """A copy of ``model`` computing in ``mixed_<dtype>`` (float32 weights), or the model itself."""
    if dtype == "float32":
        return model

    def clone(layer):
        config = layer.get_config()
        config["dtype"] = f"mixed_{dtype}"
        return type(layer).from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def fast_dtype():
    """``"bfloat16"`` where the hardware computes it natively (a GPU, or a CPU with AVX512-BF16/AMX)."""
    try:
        _, tf = import_keras()

        if tf.config.list_physical_devices("GPU"):
            return "bfloat16"
    except Exception:  # noqa: BLE001 - any doubt means float32
        return "float32"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as info:
            flags = info.read(200_000)
    except OSError:
        return "float32"
    return "bfloat16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "float32"


class GradientAscent:
    """Batched gradient ascent on input images, one objective per image.

    Parameters
    ----------
    model : KerasCNNClassifier, Pipeline, keras.Model or InspectedModel
        The network (see :func:`~skcnn.inspect._core.model.resolve_model`).
    layer : str or int, optional
        Keras name, alias (``conv3``) or index of the layer of the
        ``"map"``/``"weights"``/callable objectives; not needed for
        :class:`~skcnn.inspect.objectives.Objective` objectives.
    objective : Objective, list of Objective, {"map", "weights"}, callable or str, default="map"
        What each image maximizes (see the module description). A list holds
        one objective per image; objectives can also be given to :meth:`run`.
    pre_activation : bool or "auto", default=False
        Climb the value before the layers' activation functions: always
        (True), or only for images whose objective is zero or less after it
        (``"auto"``), which revives maps dead after a ReLU.
    jitter : int, default=0
        Roll the batch by up to this many pixels at each step (kept for the
        dreams; :mod:`~skcnn.inspect.transforms` has better transforms).
    alpha_l2 : float, default=0.0
        Weight of the penalty ``mean(x**2)`` per image.
    alpha_tv : float, default=0.0
        Weight of the total-variation penalty (mean squared neighbour
        differences) per image.
    value_range : (float, float), optional
        Clip the images to this range (model space) after every step
        (``param="pixel"`` without ``decorrelate`` only).
    chunk_size : int, default=512
        Images per compiled call; bounds the memory.
    compute_dtype : {"float32", "bfloat16"}, default="float32"
        Precision of the network's arithmetic during the ascent.
    jit_compile : bool, default=False
        Compile the step with XLA.
    crop : bool or "auto", default="auto"
        When the objective reads one layer on a plain chain of valid
        convolutions and poolings that ignores the input's last rows or
        columns, compute on the part it reads only (exact). ``"auto"`` crops
        in float32 only (bfloat16 ran slower on cropped shapes).
    param : {"pixel", "fft"}, default="pixel"
        What the steps change: the pixels, or the 1/frequency-scaled Fourier
        spectrum (:mod:`~skcnn.inspect.params`).
    decorrelate : bool, default=False
        Climb in a decorrelated colour basis (three channels only).
    transforms : None, "standard" or list of callables, default=None
        Random transforms applied before every step
        (:mod:`~skcnn.inspect.transforms`).
    device : {"auto", "cpu", "gpu"} or str, optional
        Where to compute; default: the estimator's ``device``, or ``"auto"``
        for a bare model (see :func:`~skcnn.inspect._core.model.device_name`).

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect.objectives import channel
    >>> model = keras.Sequential([keras.Input((8, 8, 1)),
    ...                           keras.layers.Conv2D(3, 3, activation="relu", name="c1",
    ...                                               kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> engine = GradientAscent(model, pre_activation="auto")
    >>> start = np.random.default_rng(0).normal(size=(3, 8, 8, 1)).astype("float32")
    >>> goals = [channel("c1", 0), channel("c1", 1), channel("c1", 2) - channel("c1", 0)]
    >>> result = engine.run(start, objective=goals, steps=20, learning_rate=0.1)
    >>> result.images.shape, result.objective_history.shape
    ((3, 8, 8, 1), (20, 3))
    >>> bool(np.all(result.scores > engine.score(start, objective=goals)))
    True
    """

    def __init__(self, model, layer=None, *, objective="map", pre_activation=False, jitter=0, alpha_l2=0.0, alpha_tv=0.0,
                 value_range=None, chunk_size=512, compute_dtype="float32", jit_compile=False, crop="auto",
                 param="pixel", decorrelate=False, transforms=None, device=None):
        self.model_ = resolve_model(model, device=device)
        self.objective = objective
        self._objective_fn = None
        if isinstance(objective, (Objective, list, tuple)):
            as_objectives(objective)  # type check
        elif callable(objective):
            self._objective_fn = objective
        elif isinstance(objective, str) and objective not in _OBJECTIVES:
            from ..plugins import dream_objectives

            try:
                self._objective_fn = dream_objectives.get(objective)
            except ValueError:
                raise ValueError(
                    f"objective must be 'map', 'weights', an Objective, a callable or a registered dream objective; "
                    f"got {objective!r}. Registered dream objectives: {dream_objectives.names() or '(none)'}."
                ) from None
        elif not isinstance(objective, str):
            raise ValueError(f"objective must be an Objective, 'map', 'weights', a callable or a name; got "
                             f"{objective!r}.")
        self.layer_index = None if layer is None else self.model_.layer_index(layer)
        self.layer = None if layer is None else self.model_.layers[self.layer_index]
        self.map_shape = None if layer is None else self.model_.layer_shape(self.layer_index)
        if pre_activation not in (True, False, "auto"):
            raise ValueError(f"pre_activation must be True, False or 'auto'; got {pre_activation!r}.")
        self.pre_activation = pre_activation
        self.jitter = check_int(jitter, "jitter", low=0)
        self.alpha_l2 = check_number(alpha_l2, "alpha_l2")
        self.alpha_tv = check_number(alpha_tv, "alpha_tv")
        if value_range is not None:
            try:
                low, high = (float(v) for v in value_range)
            except (TypeError, ValueError):
                low, high = 1.0, 0.0
            if not low < high:
                raise ValueError(f"value_range must be None or a pair (low, high) with low < high; got "
                                 f"{value_range!r}.")
            value_range = (low, high)
        self.value_range = value_range
        self.chunk_size = check_int(chunk_size, "chunk_size")
        if compute_dtype not in _DTYPES:
            raise ValueError(f"compute_dtype must be one of {_DTYPES}; got {compute_dtype!r}.")
        self.compute_dtype = compute_dtype
        self.jit_compile = bool(jit_compile)
        if crop not in (True, False, "auto"):
            raise ValueError(f"crop must be True, False or 'auto'; got {crop!r}.")
        self.crop = crop
        self.crop_ = None
        self.param = param
        self.decorrelate = decorrelate
        self._param = ImageParam(self.model_.input_shape, param, decorrelate)
        if value_range is not None and not self._param.identity:
            raise ValueError("value_range works with param='pixel' and decorrelate=False only.")
        self.transforms = transforms
        self._transforms = ([roll(self.jitter)] if self.jitter else []) + resolve_transforms(
            transforms, self.model_.input_shape[:2])
        self._compiled = {}

    # -------------------------------------------------------------- building
    def _layer_model(self, index):
        return self.model_.layers[index]

    def _build(self, keys):
        """Compile the ascent and the score for one structure of objective parts (``keys``)."""
        keras, tf = import_keras()
        dtype = self.compute_dtype
        layers = sorted({key[1] for key in keys})
        split_layers = set()
        for key in keys:
            wants_pre = key[0] == "logit" or self.pre_activation
            if wants_pre and _split_activation(keras, self._layer_model(key[1])) is not None:
                split_layers.add(key[1])
        splits = {}
        for index in split_layers:
            layer = self._layer_model(index)
            if dtype != "float32":  # a twin of the layer computes in the same precision as the cloned feed
                config = layer.get_config()
                config["dtype"] = f"mixed_{dtype}"
                twin = type(layer).from_config(config)
                twin.build(layer.input.shape)
                twin.set_weights(layer.get_weights())
                layer = twin
            splits[index] = _split_activation(keras, layer)
        # The crop: one layer, read whole (no logits), on a plain chain.
        cropping = self.crop is True or (self.crop == "auto" and dtype == "float32")
        reads_logits = any(key[0] == "logit" for key in keys)
        plan = _crop_chain(self.model_, layers[0]) if cropping and len(layers) == 1 and not reads_logits else None
        crop = None if plan is None else plan[:2]
        post_layers = [i for i in layers if i not in split_layers]
        pre_layers = [i for i in layers if i in split_layers]
        if plan is not None:
            rows, cols, chain = plan
            feeds = [(_cropped_feed(keras, self.model_, chain[:-1] if pre_layers else chain, rows, cols, dtype),
                      layers)]
        else:
            feeds = [(_with_dtype(keras, self.model_.submodel(group, inputs_of=inputs_of), dtype), group)
                     for group, inputs_of in ((post_layers, False), (pre_layers, True)) if group]
        shapes = {i: self.model_.layer_shape(i) for i in layers}
        always_pre = self.pre_activation is True
        auto = self.pre_activation == "auto"

        def as_maps(t, index):
            h, w, c = shapes[index]
            return tf.reshape(tf.cast(t, tf.float32), [-1, h, w, c])

        def activations(x):
            """``{layer: (post, pre)}``: pre is None for layers that are not split."""
            if crop is not None:
                x = x[:, :crop[0], :crop[1], :]
            acts = {}
            for feed, group in feeds:
                outs = feed(x, training=False)
                outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
                for index, out in zip(group, outs):
                    if index in splits:
                        linear, activation = splits[index]
                        pre = linear(out)
                        acts[index] = (as_maps(activation(pre), index), as_maps(pre, index))
                    else:
                        acts[index] = (as_maps(out, index), None)
            return acts

        def value(acts, feed_values, use_pre):
            total = 0.0
            for key, data in zip(keys, feed_values):
                post, pre = acts[key[1]]
                if key[0] == "logit":
                    act = post if pre is None else pre  # a layer without activation gives its logits as is
                else:
                    act = pre if (use_pre and pre is not None) else post
                if key[0] in ("linear", "logit"):
                    total += tf.reduce_sum(act * data, axis=[1, 2, 3])
                elif key[0] == "diversity":
                    total += data * _gram_dissimilarity(tf, act)
                else:
                    total += tf.reshape(tf.cast(key[2](act, data), tf.float32), [-1])
            return total

        split_any = bool(splits) and any(key[0] != "logit" for key in keys if key[1] in splits)

        def forward(x, feed_values):
            """(objective after the activations, value that is climbed) per image."""
            acts = activations(x)
            post = value(acts, feed_values, False)
            if not split_any or not (always_pre or auto):
                return post, post
            pre = value(acts, feed_values, True)
            if always_pre:
                return post, pre
            return post, tf.where(post > 0.0, post, pre)

        l2, tv, value_range = self.alpha_l2, self.alpha_tv, self.value_range
        param, transforms = self._param, self._transforms
        size = self.model_.input_shape[:2]

        def penalty(x):
            total = 0.0
            if l2:
                total += l2 * tf.reduce_mean(tf.square(x), axis=[1, 2, 3])
            if tv:
                dy = x[:, 1:, :, :] - x[:, :-1, :, :]
                dx = x[:, :, 1:, :] - x[:, :, :-1, :]
                total += tv * (tf.reduce_mean(tf.square(dy), axis=[1, 2, 3])
                               + tf.reduce_mean(tf.square(dx), axis=[1, 2, 3]))
            return total

        transform = compose_transforms(transforms, size)

        ih, iw, ic = self.model_.input_shape
        feed_specs = [tf.TensorSpec([None] + list(shapes[key[1]]), tf.float32) if key[0] in ("linear", "logit")
                      else tf.TensorSpec([None], tf.float32) if key[0] == "diversity"
                      else tf.TensorSpec([None, key[3]], tf.float32) for key in keys]
        image_spec = tf.TensorSpec([None, ih, iw, ic], tf.float32)
        signature = [image_spec, feed_specs, tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32),
                     tf.TensorSpec([2], tf.int32)]

        @tf.function(input_signature=signature, jit_compile=self.jit_compile)
        def ascend(x, feed_values, steps, learning_rate, seed):
            history = tf.TensorArray(tf.float32, size=steps)
            p = param.encode(x)
            for step in tf.range(steps):
                with tf.GradientTape(watch_accessed_variables=False) as tape:
                    tape.watch(p)
                    moved = transform(param.decode(p), seed + tf.stack([step, 0]))
                    post, climbed = forward(moved, feed_values)
                    gain = climbed - penalty(moved) if (l2 or tv) else climbed
                    total = tf.reduce_sum(gain)
                grad = tape.gradient(total, p)
                axes = list(range(1, len(param.param_shape) + 1))
                rms = tf.sqrt(tf.reduce_mean(tf.square(grad), axis=axes, keepdims=True))
                p = p + learning_rate * grad / (rms + 1e-8)
                if value_range is not None:
                    p = tf.clip_by_value(p, value_range[0], value_range[1])
                history = history.write(step, post)
            x = param.decode(p)
            final, climbed = forward(x, feed_values)
            return x, final, climbed, history.stack()

        @tf.function(input_signature=signature[:2], jit_compile=self.jit_compile)
        def score(x, feed_values):
            return forward(x, feed_values)

        self.crop_ = crop
        self._compiled[keys] = (ascend, score)
        return ascend, score

    # ------------------------------------------------------------- arguments
    def _images(self, images):
        images = np.asarray(images, dtype=np.float32)
        shape = self.model_.input_shape
        if images.ndim == 3 and shape[2] == 1:
            images = images[..., None]
        if images.ndim != 4 or images.shape[1:] != shape:
            raise ValueError(f"images must have shape (n, {', '.join(map(str, shape))}) in model space; got "
                             f"{images.shape}.")
        if not np.all(np.isfinite(images)):
            raise ValueError("images contains NaN or infinite values.")
        return images

    def _plan(self, n, objective, maps, points, spatial, weights):
        """``(keys, feed(start, stop) -> list of arrays)``: the objective of every image, fed by chunk."""
        if objective is None:
            objective = self.objective
        if isinstance(objective, (Objective, list, tuple)):
            return self._objective_plan(as_objectives(objective, None if isinstance(objective, Objective) else n), n)
        if self.layer_index is None:
            raise ValueError(f"objective={objective!r} needs the engine's layer: give GradientAscent(model, layer), "
                             f"or pass an Objective (channel(...), ...), which names its own layer.")
        h, w, c = self.map_shape
        mode = "callable" if self._objective_fn is not None else objective
        if mode == "map":
            if maps is None:
                raise ValueError("maps is required with objective='map': one map index per image (or one for all).")
            maps = np.broadcast_to(np.asarray(maps), (n,)) if np.ndim(maps) == 0 else np.asarray(maps)
            if maps.shape != (n,) or not np.issubdtype(maps.dtype, np.integer):
                raise ValueError(f"maps must be an int or {n} ints (one per image); got shape {maps.shape}, "
                                 f"dtype {maps.dtype}.")
            if np.any((maps < 0) | (maps >= c)):
                raise ValueError(f"maps must lie in [0, {c}) for layer {self.layer.name!r} with {c} maps; got "
                                 f"values from {maps.min()} to {maps.max()}.")
        spatial = self._spatial(n, points, spatial)
        if weights is None:
            if mode == "weights":
                raise ValueError("weights is required with objective='weights': one weight per map, shape "
                                 f"({c},) or ({n}, {c}).")
            weights = np.zeros((n, 0), dtype=np.float32)
        else:
            width = (np.shape(weights)[-1] if np.ndim(weights) else 0) if mode == "callable" else c
            weights = check_per_image(weights, n, (width,), "weights", image=False, dtype=np.float32,
                                      note="one weight per map")
        index = self.layer_index
        if mode == "callable":
            keys = (("callable", index, self._objective_fn, weights.shape[1]),)

            def feed(start, stop):
                return [np.ascontiguousarray(weights[start:stop])]

            if not np.all(spatial == spatial[:1, :1, :1]):
                raise ValueError("points and spatial work with objective='map' or 'weights' only.")
            return keys, feed

        def feed(start, stop):
            if mode == "map":
                mix = np.zeros((stop - start, c), dtype=np.float32)
                mix[np.arange(stop - start), maps[start:stop]] = 1.0
            else:
                mix = weights[start:stop]
            return [np.ascontiguousarray(spatial[start:stop, :, :, None] * mix[:, None, None, :])]

        return (("linear", index),), feed

    def _spatial(self, n, points, spatial):
        h, w, _ = self.map_shape
        if spatial is not None:
            return check_per_image(spatial, n, (h, w), "spatial", image=False, dtype=np.float32)
        if points is None:
            return np.broadcast_to(np.float32(1.0 / (h * w)), (n, h, w))
        spatial = np.full((n, h, w), 1.0 / (h * w), dtype=np.float32)
        points = check_per_image(points, n, (2,), "points", image=False, note="(row, col) pairs")
        if not np.issubdtype(points.dtype, np.integer):
            raise ValueError(f"points must be a (row, col) pair of integers or {n} of them; got dtype {points.dtype}.")
        for i, (r, col) in enumerate(points):
            if r < 0 and col < 0:
                continue
            if not (0 <= r < h and 0 <= col < w):
                raise ValueError(f"points[{i}] = ({r}, {col}) lies outside the {h}x{w} maps of layer "
                                 f"{self.layer.name!r}; use (-1, -1) for the whole map.")
            spatial[i] = 0.0
            spatial[i, r, col] = 1.0
        return spatial

    def _objective_plan(self, objectives, n):
        if len(objectives) == 1 and n > 1:
            objectives = objectives * n
        if len(objectives) != n:
            raise ValueError(f"objective holds {len(objectives)} objectives for {n} images.")
        unique, which = [], []
        seen = {}
        for objective in objectives:
            if id(objective) not in seen:
                seen[id(objective)] = len(unique)
                unique.append(objective.parts(self.model_))
            which.append(seen[id(objective)])
        which = np.asarray(which)
        keys = []
        for parts in unique:
            keys.extend(key for key in parts if key not in keys)
        keys = tuple(sorted(keys, key=lambda k: (k[1], k[0], id(k[2]) if len(k) > 2 else 0)))
        tables = []
        for key in keys:
            if key[0] in ("linear", "logit"):
                blank = np.zeros(self.model_.layer_shape(key[1]), dtype=np.float32)
            elif key[0] == "callable":
                blank = np.zeros(key[3], dtype=np.float32)
            else:
                blank = np.float32(0.0)
            tables.append(np.stack([np.asarray(parts.get(key, blank), dtype=np.float32) for parts in unique]))

        def feed(start, stop):
            return [np.ascontiguousarray(table[which[start:stop]]) for table in tables]

        return keys, feed

    def _compiled_for(self, keys):
        if keys not in self._compiled:
            with self.model_.device_scope():
                self._build(keys)
        return self._compiled[keys]

    def _chunks(self, n):
        size = self.chunk_size
        return [(start, min(start + size, n)) for start in range(0, n, size)]

    def _pad(self, arrays, stop, start):
        """Pad the last chunk to the full chunk size under XLA, so one compiled shape serves all chunks."""
        count = stop - start
        if not self.jit_compile or count == self.chunk_size:
            return arrays, count
        fill = self.chunk_size - count
        return [np.concatenate([a, np.repeat(a[-1:], fill, axis=0)]) for a in arrays], count

    # ------------------------------------------------------------------- API
    def map_values(self, images, layer, *, point=None, batch_size=2048):
        """Every map's value for every image in one forward pass: ``(n, maps)``.

        The map's mean (or its value at ``point``) after the activation
        function; with ``pre_activation`` set, maps that are zero there show
        their (negative) value before it, as the ascent climbs them. Ranks
        candidates for all maps at once (the precursor's first screen).

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, name="c")])
        >>> GradientAscent(model).map_values(np.ones((3, 6, 6, 1)), "c").shape
        (3, 2)
        """
        keras, tf = import_keras()
        images = self._images(images)
        index = self.model_.layer_index(layer)
        key = ("map_values", index, None if point is None else tuple(int(v) for v in point))
        if key not in self._compiled:
            split = _split_activation(keras, self.model_.layers[index]) if self.pre_activation else None
            with self.model_.device_scope():
                feed = self.model_.submodel([index], inputs_of=split is not None)
            h, w, c = self.model_.layer_shape(index)

            def reduce(t):
                t = tf.reshape(tf.cast(t, tf.float32), [-1, h, w, c])
                return tf.reduce_mean(t, axis=[1, 2]) if point is None else t[:, point[0], point[1], :]

            @tf.function(input_signature=[tf.TensorSpec([None] + list(self.model_.input_shape), tf.float32)])
            def values(x):
                out = feed(x, training=False)
                out = out[0] if isinstance(out, (list, tuple)) else out
                if split is None:
                    return reduce(out)
                pre = split[0](out)
                post = reduce(split[1](pre))
                return tf.where(post > 0.0, post, reduce(pre))

            self._compiled[key] = values
        values = self._compiled[key]
        out = np.empty((len(images), self.model_.layer_shape(index)[2]), dtype=np.float32)
        for start in range(0, len(images), int(batch_size)):
            with self.model_.device_scope():
                out[start:start + batch_size] = values(tf.constant(images[start:start + batch_size])).numpy()
        return out

    def run(self, images, *, steps, learning_rate, objective=None, maps=None, points=None, spatial=None,
            weights=None, random_state=None, verbose=0, description="ascent"):
        """Climb ``images`` for ``steps`` steps; every image follows its own objective.

        Parameters
        ----------
        images : array-like of shape (n, height, width, channels)
            Start images in model space.
        steps : int
            Ascent steps.
        learning_rate : float
            Step length: each step moves an image's parameters by
            ``learning_rate`` times their gradient divided by its root mean
            square.
        objective : Objective or list of Objective, optional
            One objective for all images or one per image (default: the
            engine's ``objective``).
        maps : int or array-like of int, shape (n,)
            Map per image (``objective="map"``).
        points : array-like of shape (2,) or (n, 2), optional
            ``(row, col)`` of the one point of the map to climb; ``(-1, -1)``
            for the whole map.
        spatial : array-like of shape (h, w) or (n, h, w), optional
            Weights over the map's points (default: their mean).
        weights : array-like of shape (maps,) or (n, maps), optional
            Weights of the maps (``objective="weights"``), or what a callable
            objective receives.
        random_state : int, optional
            Seeds the transforms.
        verbose : int, default=0
            Show a progress bar over the chunks when > 0.
        description : str
            Label of the progress bar.

        Returns
        -------
        AscentResult
        """
        check_int(steps, "steps", low=0)
        check_number(learning_rate, "learning_rate", strict=True)
        images = self._images(images)
        keys, feed = self._plan(len(images), objective, maps, points, spatial, weights)
        if steps == 0:
            scores, climbed = self._scores(images, keys, feed)
            return AscentResult(images.copy(), scores, np.empty((0, len(images)), np.float32), climbed)
        ascend, _ = self._compiled_for(keys)
        _, tf = import_keras()
        random = bool(self._transforms)
        seed0 = np.random.default_rng(random_state).integers(0, 2**31 - 1, size=2) if random else (0, 0)
        out = np.empty_like(images)
        scores = np.empty(len(images), dtype=np.float32)
        climbed = np.empty(len(images), dtype=np.float32)
        history = np.empty((int(steps), len(images)), dtype=np.float32)
        chunks = self._chunks(len(images))
        for k, (start, stop) in enumerate(_progress(chunks, verbose, description, len(images))):
            (x, *values), count = self._pad([images[start:stop]] + feed(start, stop), stop, start)
            seed = tf.constant([int(seed0[0]), (int(seed0[1]) + 7919 * k) % (2**31 - 1)], tf.int32)
            with self.model_.device_scope():
                x, final, value, hist = ascend(tf.constant(x), [tf.constant(v) for v in values],
                                               tf.constant(int(steps), tf.int32),
                                               tf.constant(float(learning_rate), tf.float32), seed)
            out[start:stop] = x.numpy()[:count]
            scores[start:stop] = final.numpy()[:count]
            climbed[start:stop] = value.numpy()[:count]
            history[:, start:stop] = hist.numpy()[:, :count]
        return AscentResult(out, scores, history, climbed)

    def score(self, images, *, objective=None, maps=None, points=None, spatial=None, weights=None):
        """Each image's objective (after the activation functions), without any step.

        Returns
        -------
        ndarray of shape (n,)
        """
        images = self._images(images)
        return self._scores(images, *self._plan(len(images), objective, maps, points, spatial, weights))[0]

    def _scores(self, images, keys, feed):
        """(objective after the activations, climbed value) per image."""
        _, score = self._compiled_for(keys)
        _, tf = import_keras()
        scores = np.empty(len(images), dtype=np.float32)
        climbed = np.empty(len(images), dtype=np.float32)
        for start, stop in self._chunks(len(images)):
            (x, *values), count = self._pad([images[start:stop]] + feed(start, stop), stop, start)
            with self.model_.device_scope():
                post, value = score(tf.constant(x), [tf.constant(v) for v in values])
            scores[start:stop] = post.numpy()[:count]
            climbed[start:stop] = value.numpy()[:count]
        return scores, climbed


def _gram_dissimilarity(tf, act):
    """Minus each image's mean cosine similarity between its Gram matrix and the other images' in the batch."""
    n = tf.shape(act)[0]
    flat = tf.reshape(act, [n, -1, tf.shape(act)[3]])
    gram = tf.reshape(tf.einsum("npc,npd->ncd", flat, flat), [n, -1])
    unit = gram / (tf.norm(gram, axis=1, keepdims=True) + 1e-8)
    similarity = tf.matmul(unit, unit, transpose_b=True)
    others = tf.reduce_sum(similarity, axis=1) - tf.linalg.diag_part(similarity)
    return -others / tf.maximum(tf.cast(n, tf.float32) - 1.0, 1.0)


def _progress(items, verbose, description, n_images):
    if not verbose or len(items) < 2:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=f"{description} ({n_images} images)", unit="chunk", leave=False,
                disable=None)  # None: off when output is not a terminal
