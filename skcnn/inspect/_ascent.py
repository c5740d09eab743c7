"""The one batched gradient-ascent engine behind OIPs and dreams.

:class:`GradientAscent` climbs a batch of input images at once, each image
with its own objective at one layer:

- ``objective="map"``: the mean of one map per image (``maps``), or one point
  of it (``points``), or any spatial weighting (``spatial``);
- ``objective="weights"``: a weighted sum of the layer's maps per image
  (``weights`` of shape ``(n, maps)``), averaged over the map area: a dream
  of a whole layer;
- a callable ``f(activations, weights) -> scores`` (TensorFlow tensors:
  ``(n, h, w, maps)`` float32 and ``(n, k)``, returning ``(n,)``), or the name
  of one in :data:`skcnn.plugins.dream_objectives`.

The per-image choice of map is a gather along the map axis, so one compiled
graph serves every objective and the cost grows linearly with the batch.
Each step normalizes every image's gradient by its own root mean square, so
all images move at the same pace whatever their activation level. Optional
regularizers: random jitter (a shift of the whole batch by a few pixels per
step), an L2 penalty and a total-variation penalty. ``pre_activation``
climbs the layer's value before its activation function, either always or
(``"auto"``) only for images whose map is still dead after its ReLU, where the
post-activation gradient is zero.

Batches are cut into chunks of ``chunk_size`` images, which bounds memory;
each chunk runs all its steps inside one ``tf.function`` (traced once per
engine, whatever the number of images, steps or the learning rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_int, check_number
from ._target import import_keras, resolve_target

__all__ = ["GradientAscent", "AscentResult", "fast_dtype"]

_OBJECTIVES = ("map", "weights")
_DTYPES = ("float32", "bfloat16")


@dataclass
class AscentResult:
    """What a gradient-ascent run returns.

    Attributes
    ----------
    images : ndarray of shape (n, height, width, channels)
        The final images, in model space.
    scores : ndarray of shape (n,)
        Each image's objective (after the activation function) at the end.
    history : ndarray of shape (steps, n) or None
        Each image's objective before every step.
    climbed : ndarray of shape (n,) or None
        The value that was climbed at the end: ``scores``, except for images
        climbing the pre-activation, whose value before the activation
        function it is. Ranks images whose map is dead (score 0).
    """

    images: np.ndarray
    scores: np.ndarray
    history: np.ndarray | None = None
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


def _crop_chain(target, layer_index):
    """``(rows, cols, layers)`` when the layer sits on a plain chain of convolutions and poolings whose output
    depends only on the top-left ``rows x cols`` of the input (valid poolings drop a remainder), else None."""
    chain = target.layers[:layer_index + 1]
    previous = target.input_tensor
    try:
        for layer in chain:
            if layer.input is not previous:
                return None
            previous = layer.output
    except (AttributeError, ValueError):
        return None
    rows, cols = (int(v) for v in chain[-1].output.shape[1:3])
    for layer in reversed(chain):
        extent = _needed_extent(layer, rows, cols)
        if extent is None:
            return None
        rows, cols = extent
    height, width = target.input_shape[:2]
    if rows > height or cols > width or (rows, cols) == (height, width):
        return None
    return rows, cols, chain


def _cropped_feed(keras, target, chain, rows, cols, dtype):
    """Copies of the chain's layers on an input of ``rows x cols``: the same network, less to compute."""
    inputs = keras.Input((rows, cols, target.input_shape[2]))
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
    """Batched gradient ascent on input images for objectives at one layer.

    Parameters
    ----------
    target : KerasCNNClassifier, Pipeline, keras.Model or Target
        The network (see :func:`~skcnn.inspect._target.resolve_target`).
    layer : str or int
        Keras name, alias (``conv3``) or index of the layer.
    objective : {"map", "weights"} or callable or str, default="map"
        What each image maximizes (see the module description); a string
        other than ``"map"``/``"weights"`` names a
        :data:`skcnn.plugins.dream_objectives` entry.
    pre_activation : bool or "auto", default=False
        Climb the value before the layer's activation function: always
        (True), or only for images whose objective is zero after it
        (``"auto"``), which revives maps dead after a ReLU. Ignored for layers
        without an activation function.
    jitter : int, default=0
        Shift the batch by up to this many pixels (rolling) at each step.
    l2 : float, default=0.0
        Weight of the penalty ``mean(x**2)`` per image.
    tv : float, default=0.0
        Weight of the total-variation penalty (mean squared neighbour
        differences) per image.
    value_range : (float, float), optional
        Clip the images to this range (model space) after every step.
    chunk_size : int, default=512
        Images per compiled call; bounds the memory.
    compute_dtype : {"float32", "bfloat16"}, default="float32"
        Precision of the network's arithmetic during the ascent (bfloat16 is
        faster on CPUs and GPUs that support it; scores stay float32).
    jit_compile : bool, default=False
        Compile the step with XLA. On CPUs the default TensorFlow kernels
        (oneDNN) are usually faster; on GPUs XLA may help.
    crop : bool or "auto", default="auto"
        When the layer sits on a plain chain of valid convolutions and
        poolings that ignores the input's last rows or columns (a pooling
        drops an odd remainder: 28x28 digits reach the series' conv3 only
        through their top-left 26x26), compute on that part only. Exact:
        the ignored pixels have no influence and get zero gradient anyway.
        ``"auto"`` crops in float32 only: on this AMX CPU the cropped shapes
        made bfloat16 steps 1.7 x slower (169 against 100 us per
        candidate-step for the series' conv3), while float32 gains 4 %.

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)),
    ...                           keras.layers.Conv2D(3, 3, activation="relu", name="c1",
    ...                                               kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> engine = GradientAscent(model, "c1", pre_activation="auto")
    >>> start = np.random.default_rng(0).normal(size=(3, 8, 8, 1)).astype("float32")
    >>> result = engine.run(start, maps=[0, 1, 2], steps=20, learning_rate=0.1)
    >>> result.images.shape, result.history.shape
    ((3, 8, 8, 1), (20, 3))
    >>> bool(np.all(result.scores > engine.score(start, maps=[0, 1, 2])))
    True
    """

    def __init__(self, target, layer, *, objective="map", pre_activation=False, jitter=0, l2=0.0, tv=0.0,
                 value_range=None, chunk_size=512, compute_dtype="float32", jit_compile=False, crop="auto"):
        self.target = resolve_target(target)
        self.layer_index = self.target.layer_index(layer)
        self.layer = self.target.layers[self.layer_index]
        if callable(objective):
            self._objective_fn = objective
        elif objective in _OBJECTIVES:
            self._objective_fn = None
        elif isinstance(objective, str):
            from ..plugins import dream_objectives

            try:
                self._objective_fn = dream_objectives.get(objective)
            except ValueError:
                raise ValueError(
                    f"objective must be 'map', 'weights', a callable or a registered dream objective; got "
                    f"{objective!r}. Registered dream objectives: {dream_objectives.names() or '(none)'}."
                ) from None
        else:
            raise ValueError(f"objective must be 'map', 'weights', a callable or a name; got {objective!r}.")
        self.objective = objective
        if pre_activation not in (True, False, "auto"):
            raise ValueError(f"pre_activation must be True, False or 'auto'; got {pre_activation!r}.")
        self.pre_activation = pre_activation
        self.jitter = check_int(jitter, "jitter", low=0)
        self.l2 = check_number(l2, "l2")
        self.tv = check_number(tv, "tv")
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
        self.map_shape = self.target.layer_shape(self.layer_index)
        self._step_fn = None
        self._score_fn = None

    # -------------------------------------------------------------- building
    def _build(self):
        keras, tf = import_keras()
        split = _split_activation(keras, self.layer) if self.pre_activation else None
        dtype = self.compute_dtype
        cropping = self.crop is True or (self.crop == "auto" and dtype == "float32")
        plan = _crop_chain(self.target, self.layer_index) if cropping else None
        self.crop_ = None if plan is None else plan[:2]
        if plan is not None:
            rows, cols, chain = plan
            feed = _cropped_feed(keras, self.target, chain if split is None else chain[:-1], rows, cols, dtype)
        if split is None:
            if plan is None:
                feed = _with_dtype(keras, self.target.submodel([self.layer_index]), dtype)
            linear = activation = None
        else:
            if plan is None:
                feed = _with_dtype(keras, self.target.submodel([self.layer_index], inputs_of=True), dtype)
            if dtype == "float32":
                linear, activation = split
            else:
                # The cloned feed ends at the layer's input; a clone of the layer itself
                # computes the rest in the same precision.
                config = self.layer.get_config()
                config["dtype"] = f"mixed_{dtype}"
                twin = type(self.layer).from_config(config)
                twin.build(self.layer.input.shape)
                twin.set_weights(self.layer.get_weights())
                linear, activation = _split_activation(keras, twin)
        h, w, c = self.map_shape
        objective_fn = self._objective_fn
        mode = self.objective if objective_fn is None else "callable"
        always_pre = self.pre_activation is True

        def as_maps(t):
            t = tf.cast(t, tf.float32)
            return tf.reshape(t, [-1, h, w, c])

        def reduce(act, maps, spatial, weights):
            if mode == "map":
                picked = tf.gather(act, maps, axis=3, batch_dims=1)
                return tf.reduce_sum(picked * spatial, axis=[1, 2])
            if mode == "weights":
                mixed = tf.einsum("nhwc,nc->nhw", act, weights)
                return tf.reduce_sum(mixed * spatial, axis=[1, 2])
            return tf.reshape(tf.cast(objective_fn(act, weights), tf.float32), [-1])

        crop = self.crop_

        def forward(x, maps, spatial, weights):
            """(score after the activation, score that is climbed) per image."""
            if crop is not None:
                x = x[:, :crop[0], :crop[1], :]
            if linear is None:
                post = reduce(as_maps(feed(x, training=False)), maps, spatial, weights)
                return post, post
            pre_out = linear(feed(x, training=False))
            post = reduce(as_maps(activation(pre_out)), maps, spatial, weights)
            pre = reduce(as_maps(pre_out), maps, spatial, weights)
            if always_pre:
                return post, pre
            return post, tf.where(post > 0.0, post, pre)

        l2, tv, jitter, value_range = self.l2, self.tv, self.jitter, self.value_range

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

        ih, iw, ic = self.target.input_shape
        signature = [
            tf.TensorSpec([None, ih, iw, ic], tf.float32),
            tf.TensorSpec([None], tf.int32),
            tf.TensorSpec([None, h, w], tf.float32),
            tf.TensorSpec([None, None], tf.float32),
            tf.TensorSpec([], tf.int32),
            tf.TensorSpec([], tf.float32),
            tf.TensorSpec([2], tf.int32),
        ]

        @tf.function(input_signature=signature, jit_compile=self.jit_compile)
        def ascend(x, maps, spatial, weights, steps, learning_rate, seed):
            history = tf.TensorArray(tf.float32, size=steps)
            for step in tf.range(steps):
                with tf.GradientTape(watch_accessed_variables=False) as tape:
                    tape.watch(x)
                    moved = x
                    if jitter:
                        shift = tf.random.stateless_uniform([2], seed=seed + tf.stack([step, 0]), minval=-jitter,
                                                            maxval=jitter + 1, dtype=tf.int32)
                        moved = tf.roll(x, shift=shift, axis=[1, 2])
                    post, climbed = forward(moved, maps, spatial, weights)
                    gain = climbed - penalty(moved) if (l2 or tv) else climbed
                    total = tf.reduce_sum(gain)
                grad = tape.gradient(total, x)
                rms = tf.sqrt(tf.reduce_mean(tf.square(grad), axis=[1, 2, 3], keepdims=True))
                x = x + learning_rate * grad / (rms + 1e-8)
                if value_range is not None:
                    x = tf.clip_by_value(x, value_range[0], value_range[1])
                history = history.write(step, post)
            final, climbed = forward(x, maps, spatial, weights)
            return x, final, climbed, history.stack()

        @tf.function(input_signature=signature[:4], jit_compile=self.jit_compile)
        def score(x, maps, spatial, weights):
            return forward(x, maps, spatial, weights)

        self._step_fn, self._score_fn = ascend, score

    # ------------------------------------------------------------- arguments
    def _prepare(self, images, maps, points, spatial, weights):
        images = np.asarray(images, dtype=np.float32)
        shape = self.target.input_shape
        if images.ndim == 3 and shape[2] == 1:
            images = images[..., None]
        if images.ndim != 4 or images.shape[1:] != shape:
            raise ValueError(f"images must have shape (n, {', '.join(map(str, shape))}) in model space; got "
                             f"{images.shape}.")
        if not np.all(np.isfinite(images)):
            raise ValueError("images contains NaN or infinite values.")
        n = len(images)
        h, w, c = self.map_shape
        if self.objective == "map":
            if maps is None:
                raise ValueError("maps is required with objective='map': one map index per image (or one for all).")
            maps = np.broadcast_to(np.asarray(maps), (n,)) if np.ndim(maps) == 0 else np.asarray(maps)
            if maps.shape != (n,) or not np.issubdtype(maps.dtype, np.integer):
                raise ValueError(f"maps must be an int or {n} ints (one per image); got shape {maps.shape}, "
                                 f"dtype {maps.dtype}.")
            if np.any((maps < 0) | (maps >= c)):
                raise ValueError(f"maps must lie in [0, {c}) for layer {self.layer.name!r} with {c} maps; got "
                                 f"values from {maps.min()} to {maps.max()}.")
        else:
            maps = np.zeros(n, dtype=np.int32)
        if spatial is None:
            spatial = np.full((n, h, w), 1.0 / (h * w), dtype=np.float32)
            if points is not None:
                points = np.asarray(points)
                if points.ndim == 1:
                    points = np.broadcast_to(points, (n, 2))
                if points.shape != (n, 2) or not np.issubdtype(points.dtype, np.integer):
                    raise ValueError(f"points must be a (row, col) pair or {n} of them; got shape {points.shape}.")
                for i, (r, col) in enumerate(points):
                    if r < 0 and col < 0:
                        continue
                    if not (0 <= r < h and 0 <= col < w):
                        raise ValueError(f"points[{i}] = ({r}, {col}) lies outside the {h}x{w} maps of layer "
                                         f"{self.layer.name!r}; use (-1, -1) for the whole map.")
                    spatial[i] = 0.0
                    spatial[i, r, col] = 1.0
        else:
            spatial = np.asarray(spatial, dtype=np.float32)
            if spatial.shape == (h, w):
                spatial = np.broadcast_to(spatial, (n, h, w))
            if spatial.shape != (n, h, w):
                raise ValueError(f"spatial must have shape ({h}, {w}) or ({n}, {h}, {w}); got {spatial.shape}.")
        if weights is None:
            if self.objective == "weights":
                raise ValueError("weights is required with objective='weights': one weight per map, shape "
                                 f"({c},) or ({n}, {c}).")
            weights = np.zeros((n, 0), dtype=np.float32)
        else:
            weights = np.asarray(weights, dtype=np.float32)
            if weights.ndim == 1:
                weights = np.broadcast_to(weights, (n, weights.shape[0]))
            if weights.ndim != 2 or weights.shape[0] != n or (self.objective == "weights"
                                                                and weights.shape[1] != c):
                raise ValueError(f"weights must have shape ({c},) or ({n}, {c}); got {weights.shape}.")
        return images, maps.astype(np.int32), np.ascontiguousarray(spatial), np.ascontiguousarray(weights)

    def _chunks(self, n):
        size = self.chunk_size
        return [(start, min(start + size, n)) for start in range(0, n, size)]

    def _pad(self, arrays, stop, start):
        """Pad the last chunk to the full chunk size under XLA, so one compiled shape serves all chunks."""
        count = stop - start
        if not self.jit_compile or count == self.chunk_size or stop - start == 0:
            return [a[start:stop] for a in arrays], count
        fill = self.chunk_size - count
        padded = [np.concatenate([a[start:stop], np.repeat(a[stop - 1:stop], fill, axis=0)]) for a in arrays]
        return padded, count

    # ------------------------------------------------------------------- API
    def run(self, images, *, steps, learning_rate, maps=None, points=None, spatial=None, weights=None,
            random_state=None, verbose=0, description="ascent"):
        """Climb ``images`` for ``steps`` steps; every image follows its own objective.

        Parameters
        ----------
        images : array-like of shape (n, height, width, channels)
            Start images in model space.
        steps : int
            Ascent steps.
        learning_rate : float
            Step length: each step moves an image by ``learning_rate`` times its
            gradient divided by the gradient's root mean square.
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
            Seeds the jitter.
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
        images, maps, spatial, weights = self._prepare(images, maps, points, spatial, weights)
        if self._step_fn is None:
            self._build()
        _, tf = import_keras()

        seed0 = np.random.default_rng(random_state).integers(0, 2**31 - 1, size=2) if self.jitter else (0, 0)
        out = np.empty_like(images)
        scores = np.empty(len(images), dtype=np.float32)
        climbed = np.empty(len(images), dtype=np.float32)
        history = np.empty((int(steps), len(images)), dtype=np.float32)
        chunks = self._chunks(len(images))
        bar = _progress(chunks, verbose, description, len(images))
        if steps == 0:
            scores, climbed = self._scores(images, maps, spatial, weights)
            return AscentResult(images.copy(), scores, history, climbed)
        for k, (start, stop) in enumerate(bar):
            (x, m, s, w), count = self._pad((images, maps, spatial, weights), stop, start)
            seed = tf.constant([int(seed0[0]), (int(seed0[1]) + 7919 * k) % (2**31 - 1)], tf.int32)
            x, final, value, hist = self._step_fn(tf.constant(x), tf.constant(m), tf.constant(s), tf.constant(w),
                                           tf.constant(int(steps), tf.int32),
                                           tf.constant(float(learning_rate), tf.float32), seed)
            out[start:stop] = x.numpy()[:count]
            scores[start:stop] = final.numpy()[:count]
            climbed[start:stop] = value.numpy()[:count]
            history[:, start:stop] = hist.numpy()[:, :count]
        return AscentResult(out, scores, history, climbed)

    def score(self, images, *, maps=None, points=None, spatial=None, weights=None):
        """Each image's objective (after the activation function), without any step.

        Returns
        -------
        ndarray of shape (n,)
        """
        return self._scores(*self._prepare(images, maps, points, spatial, weights))[0]

    def _scores(self, images, maps, spatial, weights):
        """(score after the activation, climbed value) per prepared image."""
        if self._score_fn is None:
            self._build()
        _, tf = import_keras()

        scores = np.empty(len(images), dtype=np.float32)
        climbed = np.empty(len(images), dtype=np.float32)
        for start, stop in self._chunks(len(images)):
            (x, m, s, w), count = self._pad((images, maps, spatial, weights), stop, start)
            post, value = self._score_fn(tf.constant(x), tf.constant(m), tf.constant(s), tf.constant(w))
            scores[start:stop] = post.numpy()[:count]
            climbed[start:stop] = value.numpy()[:count]
        return scores, climbed


def _progress(items, verbose, description, n_images):
    if not verbose or len(items) < 2:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=f"{description} ({n_images} images)", unit="chunk", leave=False)
