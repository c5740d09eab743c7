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
- a callable ``f(activations, weights) -> scores`` (tensors: ``(n, h, w,
  maps)`` float32 and ``(n, k)``, returning ``(n,)``), such as the dream
  objectives registered in :data:`skcnn.plugins.dream_objectives` (the engine
  takes the function; it looks up no name).

What the steps change is an image parameterization (:mod:`.params`: pixels,
or a 1/frequency-scaled Fourier spectrum, optionally in a decorrelated colour
basis), and the image passes through random transforms (:mod:`.transforms`)
before each step. Each step normalizes every image's gradient by its own root
mean square, so all images move at the same pace whatever their activation
level. Optional penalties: L2 and total variation. ``pre_activation`` climbs
the layers' values before their activation functions, either always or
(``"auto"``) only for images whose objective is still zero after a ReLU,
where the post-activation gradient is zero.

Batches are cut into chunks of ``batch_size`` images (the one batch loop of
:mod:`._core.batch`), which bounds memory; each chunk runs all its steps in
one compiled call of the runtime's :class:`~._core.probe.Probe`, compiled once
per structure of objective (which layers, which kinds of term), whatever the
number of images, steps or the learning rate. Every step is the runtime's
step rule (:func:`~._core.ascent.ascent_step`), in units of the input range
when one is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._repr import ShortReprMixin
from .._validation import check_int, check_number, check_per_image
from ._core.ascent import ascent_step
from ._core.batch import batch_bounds, batch_seeds, run_in_batches
from ._core.model import import_keras, resolve_model, split_activation
from ._core.probe import Probe, Spec, as_list, value_and_gradient
from .objectives import FunctionTerm, LinearTerm, Objective, as_objectives
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
    """``"bfloat16"`` where the hardware computes it natively (a GPU, or a CPU with AVX512-BF16/AMX), else float32.

    The inspectors' ``"auto"`` precision (``compute_dtype="auto"``,
    ``screen_dtype="auto"``) asks it.

    Examples
    --------
    >>> fast_dtype() in ("bfloat16", "float32")
    True
    """
    try:
        keras = import_keras()
        if keras.distribution.list_devices("gpu"):
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
    objective : Objective, list of Objective, {"map", "weights"} or callable, default="map"
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
    input_range : (float, float), optional
        ``(low, high)`` of the network's input (model space); None: the
        resolved model's own (a fitted estimator's ``input_range_``). With a
        range, ``learning_rate`` is in units of ``high - low`` and the images
        stay inside it: clipped after every step (``param="pixel"`` without
        ``decorrelate``) or at the end (other parameterizations).
    batch_size : int, default=512
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
                 input_range=None, batch_size=512, compute_dtype="float32", jit_compile=False, crop="auto",
                 param="pixel", decorrelate=False, transforms=None, device=None):
        self.model_ = resolve_model(model, device=device, input_range=input_range)
        self.input_range = self.model_.input_range
        self.objective = objective
        self._objective_fn = _check_objective(objective)
        self.layer_index = None if layer is None else self.model_.layer_index(layer)
        self.layer = None if layer is None else self.model_.layers[self.layer_index]
        self.map_shape = None if layer is None else self.model_.layer_shape(self.layer_index)
        if pre_activation not in (True, False, "auto"):
            raise ValueError(f"pre_activation must be True, False or 'auto'; got {pre_activation!r}.")
        self.pre_activation = pre_activation
        self.jitter = check_int(jitter, "jitter", low=0)
        self.alpha_l2 = check_number(alpha_l2, "alpha_l2")
        self.alpha_tv = check_number(alpha_tv, "alpha_tv")
        self.batch_size = check_int(batch_size, "batch_size")
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
        self.transforms = transforms
        self._transforms = ([roll(self.jitter)] if self.jitter else []) + resolve_transforms(
            transforms, self.model_.input_shape[:2])
        self._probe, self._namespace = Probe(self.model_), ()

    def _in_cache(self, probe, namespace):
        """Compile into ``probe`` (an inspector's one cache) under keys that start with ``namespace``; returns self."""
        self._probe, self._namespace = probe, tuple(namespace)
        return self

    # -------------------------------------------------------------- building
    def _compiled(self, plan, name):
        """The compiled ``"ascend"`` or ``"score"`` of one structure of objective (the plan's keys)."""
        key = (*self._namespace, name, plan.keys, tuple(t.shape for t in plan.tables))
        if key not in self._probe.compiled:
            step = _Step(self, plan.terms, [t.shape for t in plan.tables])
            self.crop_ = step.network.crop
            image = Spec((None, *self.model_.input_shape))
            data = [Spec((None, *t.shape)) for t in plan.tables]
            # the step count sizes the history: a compile-time constant where shapes must be static (JAX)
            specs = [image, data] + ([Spec((), "int32", static=True), Spec(()), Spec((2,), "int32")]
                                     if name == "ascend" else [])
            self._probe.function(key, getattr(step, name), specs, jit_compile=self.jit_compile)
        return self._probe.compiled[key]

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
        """A :class:`_Plan`: the objective of every image as terms and per-image tables of their data."""
        if objective is None:
            objective = self.objective
        if isinstance(objective, (Objective, list, tuple)):
            return _objective_plan(self.model_, as_objectives(objective, None if isinstance(objective, Objective)
                                                              else n), n)
        if self.layer_index is None:
            raise ValueError(f"objective={objective!r} needs the engine's layer: give GradientAscent(model, layer), "
                             f"or pass an Objective (channel(...), ...), which names its own layer.")
        c = self.map_shape[2]
        mode = "callable" if self._objective_fn is not None else objective
        if mode == "map":
            maps = self._maps(n, maps)
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
        if mode == "callable":
            if not np.all(spatial == spatial[:1, :1, :1]):
                raise ValueError("points and spatial work with objective='map' or 'weights' only.")
            term = FunctionTerm(self.layer_index, self._objective_fn, np.zeros(weights.shape[1]))
            return _Plan((term.key(self.model_),), (term,), [_Rows(weights.shape[1:], lambda a, b: weights[a:b], n)])

        def mix(start, stop):
            if mode == "map":
                onehot = np.zeros((stop - start, c), dtype=np.float32)
                onehot[np.arange(stop - start), maps[start:stop]] = 1.0
            else:
                onehot = weights[start:stop]
            return spatial[start:stop, :, :, None] * onehot[:, None, None, :]

        term = _Weighted(self.layer_index)
        return _Plan((term.key(self.model_),), (term,), [_Rows(self.map_shape, mix, n)])

    def _maps(self, n, maps):
        c = self.map_shape[2]
        if maps is None:
            raise ValueError("maps is required with objective='map': one map index per image (or one for all).")
        maps = np.broadcast_to(np.asarray(maps), (n,)) if np.ndim(maps) == 0 else np.asarray(maps)
        if maps.shape != (n,) or not np.issubdtype(maps.dtype, np.integer):
            raise ValueError(f"maps must be an int or {n} ints (one per image); got shape {maps.shape}, "
                             f"dtype {maps.dtype}.")
        if np.any((maps < 0) | (maps >= c)):
            raise ValueError(f"maps must lie in [0, {c}) for layer {self.layer.name!r} with {c} maps; got "
                             f"values from {maps.min()} to {maps.max()}.")
        return maps

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
        images = self._images(images)
        index = self.model_.layer_index(layer)
        point = None if point is None else tuple(int(v) for v in point)
        key = (*self._namespace, "map_values", index, point)
        if key not in self._probe.compiled:
            values = _MapValues(self, index, point)
            self._probe.function(key, values, [Spec((None, *self.model_.input_shape))])
        return run_in_batches(self._probe.compiled[key], [images], check_int(batch_size, "batch_size"))[0]

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
            square, in units of the input range when one is known
            (``input_range``).
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
            Seeds the transforms (one seed per chunk of images).
        verbose : int, default=0
            Show a progress bar over the chunks when > 0.
        description : str
            Label of the progress bar.

        Returns
        -------
        AscentResult
        """
        steps = check_int(steps, "steps", low=0)
        learning_rate = check_number(learning_rate, "learning_rate", strict=True)
        images = self._images(images)
        plan = self._plan(len(images), objective, maps, points, spatial, weights)
        if steps == 0:
            scores, climbed = self._scores(images, plan)
            return AscentResult(images.copy(), scores, np.empty((0, len(images)), np.float32), climbed)
        ascend = self._compiled(plan, "ascend")
        bounds = batch_bounds(len(images), self.batch_size)
        seeds = np.repeat(batch_seeds(random_state, len(bounds)), [stop - start for start, stop in bounds])
        ticks = iter(_progress(bounds, verbose, description, len(images)))

        def climb(x, seed, *tables):
            next(ticks, None)
            return ascend(x, list(tables), np.int32(steps), np.float32(learning_rate),
                          np.array([seed[0], 0], dtype=np.int32))

        out, scores, climbed, history = run_in_batches(climb, [images, seeds, *plan.tables], self.batch_size,
                                                       pad=self.jit_compile)
        next(ticks, None)
        return AscentResult(out, scores, np.ascontiguousarray(history.T), climbed)

    def score(self, images, *, objective=None, maps=None, points=None, spatial=None, weights=None):
        """Each image's objective (after the activation functions), without any step.

        Returns
        -------
        ndarray of shape (n,)
        """
        images = self._images(images)
        return self._scores(images, self._plan(len(images), objective, maps, points, spatial, weights))[0]

    def _scores(self, images, plan):
        """(objective after the activations, climbed value) per image."""
        score = self._compiled(plan, "score")
        post, climbed = run_in_batches(lambda x, *tables: score(x, list(tables)), [images, *plan.tables],
                                       self.batch_size, pad=self.jit_compile)
        return post, climbed


def _check_objective(objective):
    """The function of a callable objective, None for the others; a ValueError for what is none of them."""
    if isinstance(objective, (Objective, list, tuple)):
        as_objectives(objective)  # type check
        return None
    if callable(objective):
        return objective
    if isinstance(objective, str) and objective in _OBJECTIVES:
        return None
    raise ValueError(f"objective must be an Objective (or a list of them), 'map', 'weights' or a callable "
                     f"f(activations, weights); got {objective!r}. A registered dream objective is looked up by "
                     f"DreamInspector; pass the function itself here.")


class _Rows:
    """A per-image table whose rows are made on demand: ``rows[start:stop]`` is one batch's."""

    def __init__(self, shape, make, n):
        self.shape, self.make, self.n = tuple(shape), make, n

    def __len__(self):
        return self.n

    def __getitem__(self, rows):
        return np.ascontiguousarray(self.make(rows.start, rows.stop), dtype=np.float32)


class _Plan(NamedTuple):
    """What a batch climbs: ``keys`` (the compiled structure), one term per key, and a table of data per key."""

    keys: tuple
    terms: tuple
    tables: list

    def feed(self, start, stop):
        """The tables' rows for images ``start:stop``."""
        return [table[start:stop] for table in self.tables]


class _Weighted(LinearTerm):
    """The ``"map"``/``"weights"`` objectives: weights over a layer given per image by the plan."""

    def weights(self, shape, name):  # pragma: no cover - the plan feeds the weights
        raise NotImplementedError


def _objective_plan(model, objectives, n):
    """The plan of one Objective per image: equal objectives share their rows of the tables."""
    if len(objectives) == 1 and n > 1:
        objectives = objectives * n
    if len(objectives) != n:
        raise ValueError(f"objective holds {len(objectives)} objectives for {n} images.")
    unique, which, seen = [], [], {}
    for objective in objectives:
        if id(objective) not in seen:
            seen[id(objective)] = len(unique)
            unique.append(objective.parts(model))
        which.append(seen[id(objective)])
    which = np.asarray(which)
    terms = {}
    for parts in unique:
        for key, (term, _) in parts.items():
            terms.setdefault(key, term)
    keys = tuple(sorted(terms, key=lambda k: (k[1], str(k[0]), repr(k[2:]))))
    tables = []
    for key in keys:
        blank = np.zeros_like(next(parts[key][1] for parts in unique if key in parts))
        table = np.stack([parts[key][1] if key in parts else blank for parts in unique]).astype(np.float32)
        tables.append(_Rows(table.shape[1:], lambda a, b, table=table: table[which[a:b]], n))
    return _Plan(keys, tuple(terms[key] for key in keys), tables)


class _Network:
    """The activations one structure of objective reads: ``{layer: (after, before the activation or None)}``.

    Layers whose terms read the value before the activation function (a
    logit, or ``pre_activation``) are split into their linear part and their
    activation. With ``crop``, a layer on a plain chain of valid convolutions
    and poolings is computed from the part of the input it reads only.
    """

    def __init__(self, engine, terms):
        keras = import_keras()
        model, dtype = engine.model_, engine.compute_dtype
        self.layers = sorted({t.layer_index(model) for t in terms})
        wants_pre = {t.layer_index(model) for t in terms if t.reads == "logits" or engine.pre_activation}
        self.splits = {i: split_activation(_twin(model.layers[i], dtype)) for i in sorted(wants_pre)
                       if split_activation(model.layers[i]) is not None}
        cropping = engine.crop is True or (engine.crop == "auto" and dtype == "float32")
        reads_logits = any(t.reads == "logits" for t in terms)
        plan = (_crop_chain(model, self.layers[0]) if cropping and len(self.layers) == 1 and not reads_logits
                else None)
        self.crop = None if plan is None else plan[:2]
        post = [i for i in self.layers if i not in self.splits]
        pre = [i for i in self.layers if i in self.splits]
        if plan is not None:
            rows, cols, chain = plan
            self.feeds = [(_cropped_feed(keras, model, chain[:-1] if pre else chain, rows, cols, dtype), self.layers)]
        else:
            self.feeds = [(_with_dtype(keras, model.submodel(group, inputs_of=inputs_of), dtype), group)
                          for group, inputs_of in ((post, False), (pre, True)) if group]
        self.shapes = {i: model.layer_shape(i) for i in self.layers}

    def __call__(self, x):
        ops = import_keras().ops
        if self.crop is not None:
            x = x[:, :self.crop[0], :self.crop[1], :]
        acts = {}
        for feed, group in self.feeds:
            for index, out in zip(group, as_list(feed(x, training=False))):
                as_maps = lambda t: ops.reshape(ops.cast(t, "float32"), (-1, *self.shapes[index]))  # noqa: E731
                if index in self.splits:
                    linear, activation = self.splits[index]
                    value = linear(out)
                    acts[index] = (as_maps(activation(value)), as_maps(value))
                else:
                    acts[index] = (as_maps(out), None)
        return acts


def _twin(layer, dtype):
    """The layer itself in float32, else a copy computing in ``mixed_<dtype>`` (as the cloned feed does)."""
    if dtype == "float32":
        return layer
    config = layer.get_config()
    config["dtype"] = f"mixed_{dtype}"
    twin = type(layer).from_config(config)
    twin.build(layer.input.shape)
    twin.set_weights(layer.get_weights())
    return twin


class _Step:
    """The compiled computations of one structure of objective: :meth:`ascend` and :meth:`score`."""

    def __init__(self, engine, terms, shapes):
        self.network = _Network(engine, terms)
        model = engine.model_
        self.terms = [(t, t.layer_index(model)) for t in terms]
        self.pre = engine.pre_activation
        self.climbs_pre = any(t.reads != "logits" and i in self.network.splits for t, i in self.terms)
        self.alpha_l2, self.alpha_tv = engine.alpha_l2, engine.alpha_tv
        self.param, self.transform = engine._param, compose_transforms(engine._transforms, model.input_shape[:2])
        self.scale, self.range = model.input_scale, model.input_range
        self.bounds = self.range if self.param.identity else None  # a range bounds the pixels, not a spectrum

    def objective(self, acts, data, use_pre):
        """The sum of the terms' values, each from its layer after (or, ``use_pre``, before) the activation."""
        total = 0.0
        for (term, index), values in zip(self.terms, data):
            post, pre = acts[index]
            if term.reads == "logits":
                act = post if pre is None else pre  # a layer without activation gives its logits as they are
            else:
                act = pre if (use_pre and pre is not None) else post
            total = total + term.value(act, values)
        return total

    def score(self, x, data):
        """(objective after the activations, value that is climbed) per image."""
        ops = import_keras().ops
        acts = self.network(x)
        post = self.objective(acts, data, False)
        if not self.climbs_pre or self.pre is False:
            return post, post
        pre = self.objective(acts, data, True)
        return (post, pre) if self.pre is True else (post, ops.where(post > 0.0, post, pre))

    def penalty(self, x):
        """``alpha_l2 * mean(x**2) + alpha_tv * (mean squared neighbour differences)`` per image."""
        ops = import_keras().ops
        total = 0.0
        if self.alpha_l2:
            total = total + self.alpha_l2 * ops.mean(ops.square(x), axis=(1, 2, 3))
        if self.alpha_tv:
            dy = x[:, 1:, :, :] - x[:, :-1, :, :]
            dx = x[:, :, 1:, :] - x[:, :, :-1, :]
            total = total + self.alpha_tv * (ops.mean(ops.square(dy), axis=(1, 2, 3))
                                             + ops.mean(ops.square(dx), axis=(1, 2, 3)))
        return total

    def gain(self, p, data, seed):
        """(climbed value minus the penalties, objective after the activations) of parameters ``p``."""
        moved = self.transform(self.param.decode(p), seed)
        post, climbed = self.score(moved, data)
        return climbed - self.penalty(moved) if (self.alpha_l2 or self.alpha_tv) else climbed, post

    def ascend(self, x, data, steps, learning_rate, seed):
        """``steps`` steps from ``x``: (images, final objective, final climbed value, history ``(n, steps)``)."""
        ops = import_keras().ops

        def body(step, carry):
            p, history = carry
            _, grad, post = value_and_gradient(self.gain, p, data, seed + ops.stack([0, step]))
            p = ascent_step(p, grad, learning_rate, scale=self.scale, bounds=self.bounds)
            p = ops.reshape(p, (-1, *self.param.param_shape))  # a transform may hide the static shape
            return p, history + post[:, None] * ops.one_hot(step, steps)[None, :]

        start = (self.param.encode(x), ops.zeros((ops.shape(x)[0], steps)))
        p, history = ops.fori_loop(0, steps, body, start)
        x = self.param.decode(p)
        if self.range is not None and self.bounds is None:
            x = ops.clip(x, self.range[0], self.range[1])
        post, climbed = self.score(x, data)
        return x, post, climbed, history


class _MapValues:
    """Every map's mean (or value at one point) of one layer; with pre_activation, the value before the
    activation where the one after it is zero."""

    def __init__(self, engine, index, point):
        model = engine.model_
        self.split = split_activation(model.layers[index]) if engine.pre_activation else None
        self.feed = model.submodel([index], inputs_of=self.split is not None)
        self.shape, self.point = model.layer_shape(index), point

    def reduce(self, t):
        ops = import_keras().ops
        t = ops.reshape(ops.cast(t, "float32"), (-1, *self.shape))
        return ops.mean(t, axis=(1, 2)) if self.point is None else t[:, self.point[0], self.point[1], :]

    def __call__(self, x):
        ops = import_keras().ops
        out = as_list(self.feed(x, training=False))[0]
        if self.split is None:
            return self.reduce(out)
        pre = self.split[0](out)
        post = self.reduce(self.split[1](pre))
        return ops.where(post > 0.0, post, self.reduce(pre))


def _progress(items, verbose, description, n_images):
    if not verbose or len(items) < 2:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=f"{description} ({n_images} images)", unit="chunk", leave=False,
                disable=None)  # None: off when output is not a terminal
