"""OIPInspector: "original input patterns", the input images that drive one map of a CNN hardest.

An OIP is found by gradient ascent on the input image (the engine
:class:`~skcnn.inspect.GradientAscent`), starting from a pattern that gives the
map a chance to respond: a registered start of :mod:`skcnn.inspect.starts`
(``"multiscale"``, ``"precursor"``), a start function, or start images.
:meth:`OIPInspector.render` renders any objective (:mod:`skcnn.inspect.render`).

Images are made in units of the model's input range: start amplitudes and
steps are fractions of its width, and the images stay inside it, so one call
gives comparable OIPs on a 0..255 and a [-1, 1] version of the same network.
A model that takes images of any size gets ``image_shape=``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._repr import ShortReprMixin
from .._validation import check_int, check_number, is_int
from ..plugins import oip_starts
from ._ascent import GradientAscent, fast_dtype
from ._core.model import InspectedModel, import_keras, resolve_model
from ._core.probe import Probe
from .images import from_range_units
from .objectives import check_point
from .render import render_objectives
from .starts import multiscale_start, precursor_start

__all__ = ["OIPInspector", "OIPResult", "OIPLayerResult", "robustness"]

_SCREEN_DTYPES = ("auto", "float32", "bfloat16")
_RANGE_AMPLITUDE = 0.25  # the built-in starts' spread on a model with an input range, in units of its width


def robustness(engine, images, objective=None, *, maps=None, n_copies=20, shift=2, scale=(0.9, 1.1), degrees=10.0,
               random_state=None):
    """Mean share of each image's objective that survives random shifts, zooms and rotations.

    Each image is shifted by up to ``shift`` pixels, zoomed by a factor in
    ``scale`` and rotated by up to ``degrees``, ``n_copies`` times (one draw
    per copy, the same for all images); the result is the mean over the
    copies of the objective of the copy over the objective of the image.

    Parameters
    ----------
    engine : GradientAscent
        For an inspector's layer: :meth:`OIPInspector.engine`.
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

    The engine of an inspector's layer, as its OIPs were judged:

    >>> inspector = OIPInspector(model)
    >>> robustness(inspector.engine("c1", regularized=False), images, maps=[0, 1, 0], n_copies=4).shape
    (3,)
    """
    from . import transforms

    keras = import_keras()
    images = np.asarray(images, dtype=np.float32)
    change = transforms.compose([transforms.pad(shift), transforms.jitter(2 * shift), transforms.random_scale(*scale),
                                 transforms.random_rotate(degrees)], images.shape[1:3])
    base = engine.score(images, objective=objective, maps=maps)
    seeds = np.random.default_rng(random_state).integers(0, 2**31 - 1, size=(n_copies, 2))
    kept = np.zeros(len(images))
    for seed in seeds:
        moved = change(keras.ops.convert_to_tensor(images), keras.ops.convert_to_tensor(seed, dtype="int32"))
        kept += engine.score(keras.ops.convert_to_numpy(moved), objective=objective, maps=maps) / np.where(
            base != 0, base, 1.0)
    return kept / n_copies




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


def _fixed_size(resolved, shape):
    """``resolved`` on an input of ``shape``: the same layers (shared weights), every layer's shape known."""
    keras = import_keras()
    try:
        graph = keras.models.clone_model(resolved.model, input_tensors=keras.Input(shape),
                                         clone_function=lambda layer: layer)
    except Exception as exc:  # noqa: BLE001 - a layer that needs the model's own size (Flatten before Dense)
        raise ValueError(f"image_shape {shape} does not fit this model, whose input is {resolved.input_shape}; "
                         "leave image_shape out for a model of fixed input size.") from exc
    return InspectedModel(graph, resolved.pre_steps, resolved.classes_, device=resolved.device,
                          output=resolved.output, input_range=resolved.input_range)


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
    batch_size : int, default=512
        Images per compiled call (memory bound).
    screen_dtype : {"auto", "float32", "bfloat16"}, default="auto"
        Precision of the precursor's short screening runs; ``"auto"`` takes
        bfloat16 on hardware that computes it natively. Full optimizations
        always run in float32.
    input_range : (float, float), optional
        ``(low, high)`` of the network's input values (model space). Start
        amplitudes and steps are measured in units of its width and the
        images stay inside it. Default: the estimator's training range
        (``input_range_``); for a bare ``keras.Model``, no range (model units,
        no clipping).
    output : str or int, optional
        The output to explain, for a model with several (used by
        :meth:`render` for objectives on the model's output).
    verbose : int, default=0
        Progress bars for long runs when > 0.
    device : {"auto", "cpu", "gpu"} or str, optional
        Where the ascent runs; default: the estimator's ``device``, or
        ``"auto"`` for a bare model.

    Attributes
    ----------
    model_ : InspectedModel
        The resolved model.
    screen_dtype_ : str
        The precision the precursor's screening runs in (``screen_dtype``
        with ``"auto"`` decided for this machine).

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

    def __init__(self, model, *, pre_activation="auto", jitter=0, alpha_l2=0.0, alpha_tv=0.0, batch_size=512,
                 screen_dtype="auto", input_range=None, output=None, verbose=0, device=None):
        self.pre_activation = pre_activation
        self.jitter = jitter
        self.alpha_l2 = alpha_l2
        self.alpha_tv = alpha_tv
        self.batch_size = batch_size
        self.screen_dtype = screen_dtype
        self.input_range = input_range
        self.output = output
        self.verbose = verbose
        self.device = device
        if pre_activation not in (True, False, "auto"):
            raise ValueError(f"pre_activation must be True, False or 'auto'; got {pre_activation!r}.")
        check_int(jitter, "jitter", low=0)
        check_number(alpha_l2, "alpha_l2")
        check_number(alpha_tv, "alpha_tv")
        check_int(batch_size, "batch_size")
        check_int(verbose, "verbose", low=0)
        if not isinstance(screen_dtype, str) or screen_dtype not in _SCREEN_DTYPES:
            raise ValueError(f"screen_dtype must be one of {_SCREEN_DTYPES}; got {screen_dtype!r}.")
        self.screen_dtype_ = fast_dtype() if screen_dtype == "auto" else screen_dtype
        self.model_ = resolve_model(model, device=device, output=output, input_range=input_range)
        self._engines = {}
        self._sizes = {}
        self._probe = Probe(self.model_)  # every engine compiles into this one cache

    # -------------------------------------------------------------- engines
    def _sized(self, image_shape=None, output=None):
        """The resolved model for ``output``, taking images of ``image_shape`` (cached)."""
        shape = self.model_.image_shape(image_shape)
        key = (shape, output)
        if key not in self._sizes:
            resolved = self.model_ if output is None else resolve_model(self.model_, output=output)
            if shape != resolved.input_shape:
                resolved = _fixed_size(resolved, shape)
            self._sizes[key] = resolved
        return self._sizes[key]

    def _engine_for(self, resolved, layer, dtype="float32", *, regularized=True, param="pixel", decorrelate=False,
                    transforms=None):
        def hashable(value):
            return value if value is None or isinstance(value, (str, bool)) else id(value)

        key = (id(resolved), layer, dtype, regularized, param, hashable(decorrelate), hashable(transforms))
        if key not in self._engines:
            self._engines[key] = GradientAscent(
                resolved, layer, pre_activation=self.pre_activation,
                jitter=self.jitter if regularized else 0, alpha_l2=self.alpha_l2 if regularized else 0.0,
                alpha_tv=self.alpha_tv if regularized else 0.0, batch_size=self.batch_size, compute_dtype=dtype,
                param=param, decorrelate=decorrelate, transforms=transforms,
            )._in_cache(self._probe, ("engine", *key))
        return self._engines[key]

    def engine(self, layer=None, *, dtype="float32", regularized=True, param="pixel", decorrelate=False,
               transforms=None, image_shape=None):
        """The gradient-ascent engine this inspector climbs ``layer`` with (cached).

        For measuring OIPs as the inspector made them, e.g. with
        :func:`robustness`, or for climbing images of your own.

        Parameters
        ----------
        layer : str or int, optional
            Keras name, alias (``"conv3"``) or index; None for an engine
            that climbs :mod:`~skcnn.inspect.objectives` objectives only.
        dtype : {"float32", "bfloat16"}, default="float32"
            The network's arithmetic (the precursor screens in
            :attr:`screen_dtype_`).
        regularized : bool, default=True
            Apply the inspector's ``jitter``, ``alpha_l2`` and ``alpha_tv``
            (False: the plain objective, as the screening climbs it).
        param, decorrelate, transforms
            As in :meth:`oip`.
        image_shape : (int, int), optional
            For a model that takes images of any size.

        Returns
        -------
        GradientAscent

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
        ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
        >>> inspector = OIPInspector(model, alpha_l2=0.1)
        >>> judge = inspector.engine("c1", regularized=False)
        >>> judge.alpha_l2, judge is inspector.engine("c1", regularized=False)
        (0.0, True)
        >>> judge.score(np.ones((1, 8, 8, 1), "float32"), maps=0).shape
        (1,)
        """
        resolved = self._sized(image_shape)
        index = None if layer is None else resolved.layer_index(layer)
        return self._engine_for(resolved, index, dtype, regularized=regularized, param=param,
                                decorrelate=decorrelate, transforms=transforms)

    # --------------------------------------------------------------- starts
    def starts(self, layer, maps, *, start="multiscale", n_starts=None, start_options=None, random_state=None,
               learning_rate=0.05, point=None, image_shape=None):
        """The start images :meth:`oip_layer` would climb for ``maps`` of ``layer``, in model space.

        Parameters
        ----------
        layer : str or int
        maps : sequence of int
        start, n_starts, start_options, random_state
            As in :meth:`oip`.
        learning_rate : float, default=0.05
            Of the precursor's screening steps.
        point : (int, int), optional
            Screen this point of each map instead of the map's mean.
        image_shape : (int, int), optional
            For a model that takes images of any size.

        Returns
        -------
        ndarray of shape (len(maps), n_starts, h, w, c)

        Examples
        --------
        >>> import keras
        >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
        ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
        >>> inspector = OIPInspector(model)
        >>> inspector.starts("c1", [0, 1], n_starts=3, random_state=0).shape
        (2, 3, 8, 8, 1)
        >>> inspector.starts("c1", [1], start="precursor", n_starts=2, start_options={"grid": 2}).shape
        (1, 2, 8, 8, 1)
        """
        _, learning_rate, n_starts = self._check_common(0, learning_rate, n_starts)
        resolved = self._sized(image_shape)
        index = resolved.layer_index(layer)
        maps = self._check_maps(resolved, index, maps)
        point = check_point(point)
        return self._starts(resolved, index, maps, start, _default_starts(start, n_starts),
                            np.random.default_rng(random_state), learning_rate, start_options,
                            None if point is None else np.asarray(point, dtype=int))

    def _starts(self, resolved, index, maps, start, n_starts, rng, learning_rate, start_options, point=None):
        """Start images ``(len(maps), n_starts, h, w, c)`` from a name, a callable or an array."""
        shape = resolved.input_shape
        if not (isinstance(start, str) or callable(start)):
            return _start_images(start, shape, len(maps))
        fn = oip_starts.get(start)
        scale = resolved.input_range

        def screen(images, screen_maps, steps):
            engine = self._engine_for(resolved, index, self.screen_dtype_, regularized=False)
            result = engine.run(from_range_units(images, scale), maps=screen_maps, points=point, steps=int(steps),
                                learning_rate=learning_rate, verbose=self.verbose, description="screening")
            return result.climbed

        options = dict(start_options or {})
        if fn is multiscale_start or fn is precursor_start:
            options.setdefault("amplitude", 1.0 if scale is None else _RANGE_AMPLITUDE)
        if fn is precursor_start:
            options.setdefault("verbose", self.verbose)
            options.setdefault("rank", lambda images: self._engine_for(resolved, index, regularized=False).map_values(
                from_range_units(images, scale), index, point=point))
        starts = np.asarray(fn(list(maps), n_starts, shape, rng, screen=screen, **options), dtype=np.float32)
        expected = (len(maps), n_starts) + shape
        if starts.shape != expected:
            raise ValueError(f"start function {start!r} returned shape {starts.shape}; expected {expected}.")
        return from_range_units(starts, scale)

    # ---------------------------------------------------------------- search
    def _check_common(self, steps, learning_rate, n_starts):
        return (check_int(steps, "steps", low=0), check_number(learning_rate, "learning_rate", strict=True),
                None if n_starts is None else check_int(n_starts, "n_starts"))

    @staticmethod
    def _check_maps(resolved, index, maps):
        n_maps = resolved.layer_shape(index)[2]
        maps = np.asarray(maps)
        if maps.ndim != 1 or not np.issubdtype(maps.dtype, np.integer) or len(maps) == 0:
            raise ValueError(f"maps must be a non-empty list of ints; got {maps!r}.")
        if np.any((maps < 0) | (maps >= n_maps)):
            raise ValueError(f"map indices must lie in [0, {n_maps}) for layer "
                             f"{resolved.layer_name(index)!r}; got {maps.tolist()}.")
        return maps

    def _search(self, resolved, index, maps, *, point, steps, learning_rate, start, n_starts, random_state,
                start_options, look=None):
        """Optimize ``n_starts`` starts for each map in one batch; return everything per start."""
        maps = self._check_maps(resolved, index, maps)
        rng = np.random.default_rng(random_state)
        points = None if point is None else np.asarray(point, dtype=int)
        starts = self._starts(resolved, index, maps, start, n_starts, rng, learning_rate, start_options, points)
        k = starts.shape[1]
        flat = starts.reshape((-1,) + resolved.input_shape)
        engine = self._engine_for(resolved, index, **(look or {}))
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
        return maps, pick, flat, before, result

    # ---------------------------------------------------------------- public
    def oip(self, layer, map, *, point=None, steps=300, learning_rate=0.05, start="multiscale", n_starts=None,
            random_state=None, start_options=None, param="pixel", decorrelate=False, transforms=None,
            image_shape=None):
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
            Step length: per step, each image moves by this much times its
            RMS-normalized gradient, in units of the input range's width.
        start : str, callable or array-like, default="multiscale"
            A registered start (``"multiscale"``, ``"precursor"``; see
            :mod:`skcnn.inspect.starts`), a start function, or start images
            in model space ``(h, w, c)`` or ``(n, h, w, c)``.
        n_starts : int, optional
            Starts optimized together; the best result is kept. Default: 1
            for ``"multiscale"``, 8 for ``"precursor"``.
        random_state : int, optional
            Seeds the start patterns and the jitter; the same seed gives the
            same image.
        start_options : dict, optional
            Keyword arguments for the start function (e.g. ``grid``,
            ``values``, ``screen_steps``, ``n_candidates`` for the precursor;
            ``amplitude``, in units of the input range: 0.25 by default on a
            model with a range, 1 without).
        param : {"pixel", "fft"}, default="pixel"
            Climb the pixels, or the 1/frequency-scaled Fourier spectrum
            (:mod:`~skcnn.inspect.params`): smoother, more readable patterns.
        decorrelate : bool, default=False
            Climb in a decorrelated colour basis (three channels only).
        transforms : None, "standard" or list of callables, default=None
            Random transforms before every step (:mod:`~skcnn.inspect.transforms`).
        image_shape : (int, int), optional
            ``(height, width)`` of the pattern, required for a model whose
            input size is unknown (``(None, None, channels)``).

        Returns
        -------
        OIPResult
        """
        if not is_int(map):
            raise ValueError(f"map must be an int index; got {map!r}.")
        point = check_point(point)
        steps, learning_rate, n_starts = self._check_common(steps, learning_rate, n_starts)
        resolved = self._sized(image_shape)
        index = resolved.layer_index(layer)
        maps, pick, flat, before, result = self._search(
            resolved, index, [int(map)], point=point, steps=steps, learning_rate=learning_rate, start=start,
            n_starts=_default_starts(start, n_starts), random_state=random_state, start_options=start_options,
            look=dict(param=param, decorrelate=decorrelate, transforms=transforms))
        i = int(pick[0])
        image = result.images[i]
        pixels = resolved.to_pixels(image[None])
        return OIPResult(
            layer=resolved.layer_name(index), map=int(map), point=point, image=image,
            image_pixels=None if pixels is None else pixels[0], start=flat[i], activation=float(result.scores[i]),
            start_activation=float(before[i]), objective_history=result.objective_history[:, i].copy(),
            start_activations=result.scores.copy(),
        )

    def oip_layer(self, layer, maps=None, *, steps=300, learning_rate=0.05, start="multiscale", n_starts=None,
                  random_state=None, start_options=None, param="pixel", decorrelate=False, transforms=None,
                  image_shape=None):
        """One OIP per map of a layer, all maps optimized in one batch.

        Parameters
        ----------
        layer : str or int
        maps : sequence of int, optional
            Which maps (default: all).
        steps, learning_rate, start, n_starts, random_state, start_options, param, decorrelate, transforms, \
image_shape
            As in :meth:`oip`; ``n_starts`` starts are optimized per map and
            the best is kept.

        Returns
        -------
        OIPLayerResult
            ``dead`` lists the maps that stayed at zero activation.
        """
        begin = time.perf_counter()
        steps, learning_rate, n_starts = self._check_common(steps, learning_rate, n_starts)
        resolved = self._sized(image_shape)
        index = resolved.layer_index(layer)
        if maps is None:
            maps = np.arange(resolved.layer_shape(index)[2])
        maps, pick, _, _, result = self._search(
            resolved, index, maps, point=None, steps=steps, learning_rate=learning_rate, start=start,
            n_starts=_default_starts(start, n_starts), random_state=random_state, start_options=start_options,
            look=dict(param=param, decorrelate=decorrelate, transforms=transforms))
        images = result.images[pick]
        activations = result.scores[pick]
        return OIPLayerResult(
            layer=resolved.layer_name(index), maps=maps, images=images,
            images_pixels=resolved.to_pixels(images), activations=activations,
            objective_history=result.objective_history[:, pick], dead=maps[activations <= 0],
            seconds=time.perf_counter() - begin,
        )

    def render(self, objective, *, steps=300, learning_rate=0.05, param="fft", decorrelate="auto",
               transforms="standard", amplitude=0.1, random_state=None, image_shape=None, output=None):
        """Render any objective: the image (or batch) that maximizes it.

        Parameters
        ----------
        objective : Objective or list of Objective
            From :mod:`skcnn.inspect.objectives` (``channel``, ``neuron``,
            ``class_logit``, ``direction``, sums of them, ...); a list renders
            one image per objective, in one batch.
        steps : int, default=300
        learning_rate : float, default=0.05
            In units of the input range's width, as in :meth:`oip`.
        param : {"fft", "pixel"}, default="fft"
        decorrelate : bool or "auto", default="auto"
            ``"auto"``: for three-channel inputs.
        transforms : None, "standard" or list of callables, default="standard"
        amplitude : float, default=0.1
            Standard deviation of the multiscale noise the images start from,
            around the middle of the input range and in units of its width
            (model units around 0 without a range).
        random_state : int, optional
        image_shape : (int, int), optional
            Required for a model whose input size is unknown.
        output : str or int, optional
            The output whose units ``class_logit`` objectives climb, for a
            model with several (default: the inspector's ``output``).

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
        return render_objectives(self, objective, steps=steps, learning_rate=learning_rate, param=param,
                                 decorrelate=decorrelate, transforms=transforms, amplitude=amplitude,
                                 random_state=random_state, image_shape=image_shape, output=output)


def _default_starts(start, n_starts):
    """``n_starts``, or its default: 8 for the precursor, 1 otherwise."""
    if n_starts is not None:
        return n_starts
    return 8 if isinstance(start, str) and start == "precursor" else 1


def _start_images(start, shape, n_maps):
    """Start images given as an array: ``(n_maps, n, h, w, c)``, the same for every map."""
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
    return np.broadcast_to(images[None], (n_maps,) + images.shape).copy()
