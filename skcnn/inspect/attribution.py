"""Which pixels made the prediction: attribution maps and the checks that they mean something.

:class:`AttributionInspector` explains a fitted classifier's decision for a
batch of images with twelve methods, each returning an :class:`Attribution`
(one map of shape ``(height, width)`` per image, in pixel space):

- ``saliency``: the gradient of the class *logit* (the value before a softmax
  or sigmoid, which saturates) with respect to the input;
- ``gradient_x_input``: that gradient times the input, signed (Shrikumar et
  al., 2016);
- ``guided_backprop``: the gradient with every ReLU passing back only
  positive gradients where its input was positive (Springenberg et al., 2015);
- ``smoothgrad``: the saliency averaged over noisy copies of each image;
- ``integrated_gradients``: the gradient averaged along the straight path
  from a baseline (black, blurred or any image) to the image, times the
  difference; the maps sum to ``f(x) - f(baseline)`` (completeness), and the
  gap is reported per image;
- ``gradcam`` and ``gradcam_plus_plus``: a convolutional layer's maps weighted
  by the gradient (by default the last convolution), upsampled to the input;
- ``layercam``: the same maps weighted position by position by their positive
  gradient (Jiang et al., 2021);
- ``scorecam``: the same maps weighted by how much the class probability
  keeps when the image is masked by each of them (Wang et al., 2020);
- ``occlusion``: how much the logit drops when a window of the image is
  greyed out, averaged over the windows that cover each pixel;
- ``rise``: the class probability under random coarse masks, averaged per
  pixel over the masks that keep it (Petsiuk et al., 2018);
- ``kernel_shap``: Shapley values of superpixels (a grid, or the user's
  segmentation), from a weighted linear regression over coalitions (Lundberg
  and Lee, 2017); they sum to ``f(x) - f(baseline)`` exactly.

Every method is one compiled function of the inspection runtime's probe,
run over a batch of images (the noisy copies, path points, occluded or masked
copies of a batch included), so the only Python loop is the runtime's batch
loop, whose batch size bounds memory (RISE, KernelSHAP and Score-CAM, whose
copies per image can outnumber a batch, also go through their masks,
coalitions or channels in chunks of one batch). Seeds give the same maps on the same
device.

Any Keras image model works whose explained output is a vector of class
scores per image: the one output of a single-output model, or the one chosen
with ``output=`` among several (a model with several outputs and no
``output`` is refused with the list of them). "The logit" is that output's
value before its softmax or sigmoid, where its last layer applies one (a
subclassed network is explained on the output it returns, since its inner
values are not reachable: return logits from it to explain logits).

Two checks tell whether a map can be trusted. :meth:`~AttributionInspector.
randomization_test` re-initializes the network's layers from the top, each
weight with its layer's own initializer (Adebayo et al., 2018, "Sanity
checks for saliency maps"), and measures by rank correlation, of the signed
and of the absolute maps, how much the maps still look like the trained
network's: a map that explains the model changes when the model does.
:meth:`~AttributionInspector.deletion_auc` and
:meth:`~AttributionInspector.insertion_auc` remove (or add) pixels in the
map's order and integrate the class probability, against a random order; a
removed pixel takes its value from a blurred copy of the image by default.

Through a Pipeline (``StandardScaler`` then the CNN) the maps are gradients
with respect to the raw pixels: the chain rule through the preceding steps,
which must act on each pixel by an affine map (scalers do). A masked or
mixed image is made in pixel space too: "``x * mask``" (Score-CAM, RISE) is
the raw pixels times the mask, which the scaler then transforms, i.e. the
model-space image moved toward the model-space image of black pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._repr import ShortReprMixin
from .._validation import check_int, check_number, check_per_image, is_int
from ._core.batch import batch_bounds, budget_batch_size, run_in_batches
from ._core.model import InspectedModel, import_keras, resolve_model, split_activation
from ._core.probe import Probe, Spec, as_list, value_and_gradient
from ._guided import guided_relus

__all__ = ["AttributionInspector", "Attribution", "RandomizationResult", "AUCResult"]

_METHODS = ("saliency", "smoothgrad", "integrated_gradients", "gradcam", "gradcam_plus_plus", "occlusion",
            "gradient_x_input", "guided_backprop", "scorecam", "layercam", "rise", "kernel_shap")
_BASELINES = ("black", "blur", "mean")


@dataclass(repr=False)
class Attribution(ShortReprMixin):
    """Attribution maps for a batch of images.

    Attributes
    ----------
    maps : ndarray of shape (n, height, width)
        One map per image, in pixel space. Signed for ``integrated_gradients``,
        ``occlusion``, ``gradient_x_input``, ``kernel_shap`` and
        ``saliency``/``guided_backprop`` with ``absolute=False``; at least 0
        otherwise (``rise`` of a model whose output has no softmax or sigmoid
        can be negative).
    method : str
    targets : ndarray of shape (n,)
        Index of the explained class per image.
    labels : ndarray of shape (n,)
        The explained class labels (the indices when the classes are unknown).
    predicted : ndarray of shape (n,)
        The predicted class labels.
    scores : ndarray of shape (n,)
        The explained class's logit for each image.
    images : ndarray of shape (n, height, width, channels)
        The images in pixel space, for display.
    layer : str or None
        The layer a Grad-CAM, LayerCAM or Score-CAM looked at.
    baseline_scores : ndarray of shape (n,) or None
        Integrated gradients and KernelSHAP: the logit of each image's baseline.
    completeness_gap : ndarray of shape (n,) or None
        Integrated gradients and KernelSHAP: the sum of each map minus
        ``scores - baseline_scores``; it goes to 0 as integrated gradients'
        number of steps grows, and is rounding error for KernelSHAP.

    Examples
    --------
    >>> import numpy as np
    >>> a = Attribution(np.zeros((2, 4, 4)), "saliency", np.array([1, 0]), np.array([1, 0]), np.array([1, 0]),
    ...                 np.array([0.5, 2.0]), np.zeros((2, 4, 4, 1)))
    >>> a  # doctest: +NORMALIZE_WHITESPACE
    Attribution(
        maps=float64 (2, 4, 4),
        method='saliency',
        targets=[1 0],
        labels=[1 0],
        predicted=[1 0],
        scores=[0.5 2. ],
        images=float64 (2, 4, 4, 1),
        layer=None,
        baseline_scores=None,
        completeness_gap=None,
    )
    >>> len(a)
    2
    """

    maps: np.ndarray
    method: str
    targets: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray
    scores: np.ndarray
    images: np.ndarray
    layer: str | None = None
    baseline_scores: np.ndarray | None = None
    completeness_gap: np.ndarray | None = None

    def __len__(self):
        return len(self.maps)


@dataclass(repr=False)
class RandomizationResult(ShortReprMixin):
    """How the maps change as the network's layers are re-initialized from the top.

    Attributes
    ----------
    method : str
    layers : list of str
        The layers re-initialized, in order; stage ``k`` has the first ``k + 1``
        of them random (``"independent"``: only layer ``k``).
    correlations : ndarray of shape (len(layers), n)
        Spearman rank correlation of each image's map with its map from the
        trained network, per stage (0 where a map is constant): the maps as
        the method gives them, signed where they are signed.
    maps : ndarray of shape (len(layers) + 1, n, height, width)
        The trained network's maps, then each stage's.
    mode : str
        ``"top-down"`` (cascading) or ``"independent"``.
    absolute_correlations : ndarray of shape (len(layers), n)
        The same for the absolute values of the maps (Quantus' MPRT ranks
        these; Adebayo et al. show both). A signed map whose sign flips with
        the weights can fall to 0 on ``correlations`` while its magnitudes,
        and so this, stay high.

    Examples
    --------
    >>> import numpy as np
    >>> r = RandomizationResult("saliency", ["output", "conv1"], np.array([[0.2, 0.4], [0.0, 0.1]]),
    ...                         np.zeros((3, 2, 4, 4)), "top-down", np.array([[0.9, 0.7], [0.5, 0.3]]))
    >>> r.mean_correlation, r.mean_absolute_correlation
    (array([0.3 , 0.05]), array([0.8, 0.4]))
    """

    method: str
    layers: list
    correlations: np.ndarray
    maps: np.ndarray
    mode: str = "top-down"
    absolute_correlations: np.ndarray | None = None

    @property
    def mean_correlation(self):
        """Mean rank correlation of the maps over the images, per stage."""
        return self.correlations.mean(axis=1)

    @property
    def mean_absolute_correlation(self):
        """Mean rank correlation of the absolute maps over the images, per stage (None where not measured)."""
        return None if self.absolute_correlations is None else self.absolute_correlations.mean(axis=1)


@dataclass(repr=False)
class AUCResult(ShortReprMixin):
    """A deletion or insertion curve of attribution order against a random order.

    Attributes
    ----------
    kind : str
        ``"deletion"`` or ``"insertion"``.
    fractions : ndarray of shape (steps + 1,)
        Share of the pixels removed (deletion) or revealed (insertion).
    curve, random_curve : ndarray of shape (n, steps + 1)
        The class probability along the attribution's order and a random one.
    auc, random_auc : ndarray of shape (n,)
        Areas under the curves (trapezoids over ``fractions``). For deletion
        lower is better, for insertion higher.

    Examples
    --------
    >>> import numpy as np
    >>> r = AUCResult("deletion", np.linspace(0, 1, 3), np.array([[1.0, 0.2, 0.0]]), np.array([[1.0, 0.8, 0.0]]),
    ...               np.array([0.35]), np.array([0.65]))
    >>> r.auc.mean() < r.random_auc.mean()
    np.True_
    """

    kind: str
    fractions: np.ndarray
    curve: np.ndarray
    random_curve: np.ndarray
    auc: np.ndarray
    random_auc: np.ndarray


# ----------------------------------------------------------------------------- helpers
def _logit_split(keras, layer):
    """``(linear, activation)`` for a last layer ending in a softmax or sigmoid, else None."""
    if type(layer).__name__ == "Softmax":
        return (lambda x: x), layer
    activation = getattr(layer, "activation", None)
    saturating = (keras.activations.softmax, keras.activations.sigmoid)
    if activation is None or not any(activation is f for f in saturating):
        return None
    return split_activation(layer)


def _choose(ops, requested, logits):
    """The class per image: the requested index, or the predicted one where ``requested`` is -1."""
    return ops.where(requested < 0, ops.cast(ops.argmax(logits, axis=1), "int32"), requested)


def _pick(ops, values, indices):
    """``values[i, indices[i]]`` for a batch (a one-hot product: the gradient of a batched gather is None)."""
    return ops.sum(values * ops.one_hot(indices, values.shape[1], dtype=values.dtype), axis=1)


def _fold(ops, t):
    """``(n, k, ...)`` -> ``(n * k, ...)``."""
    return ops.reshape(t, (-1,) + tuple(ops.shape(t)[2:]))


def _unfold(ops, t, k):
    """``(n * k, ...)`` -> ``(n, k, ...)``."""
    return ops.reshape(t, (-1, k) + tuple(ops.shape(t)[1:]))


def _interpolation(size_out, size_in):
    """``(size_out, size_in)`` bilinear weights that put the corners of both grids on each other."""
    position = np.linspace(0.0, size_in - 1.0, size_out)
    low = np.clip(np.floor(position), 0, max(size_in - 2, 0)).astype(int)
    weight = (position - low)[:, None]
    eye = np.eye(size_in + 1)[:, :size_in]
    return eye[low] * (1.0 - weight) + eye[low + 1] * weight


def _half_pixel_interpolation(size_out, size_in):
    """``(size_out, size_in)`` bilinear weights with pixel centres aligned and the edges held (no antialiasing)."""
    position = np.clip((np.arange(size_out) + 0.5) * size_in / size_out - 0.5, 0.0, size_in - 1.0)
    low = np.clip(np.floor(position), 0, max(size_in - 2, 0)).astype(int)
    weight = (position - low)[:, None]
    eye = np.eye(size_in + 1)[:, :size_in]
    return eye[low] * (1.0 - weight) + eye[low + 1] * weight


def _targets_of(requested, logits):
    """The class index per image: the requested one, or the predicted one where ``requested`` is -1."""
    return np.where(requested < 0, np.argmax(logits, axis=1), requested).astype(np.int32)


def _rise_draws(rng, n_masks, grid, keep, cells):
    """RISE's draws: grids ``(n_masks, grid, grid)``, each cell 1 with probability ``keep``; shifts ``(n_masks, 2)``."""
    grids = (rng.random((n_masks, grid, grid)) < keep).astype(np.float64)
    shifts = np.stack([rng.integers(0, cell, n_masks) for cell in cells], axis=1)
    return grids, shifts


def _rise_masks(grids, shifts, size, cells):
    """Each grid upsampled bilinearly to ``(grid + 1) * cell`` per axis and cropped to ``size`` at its shift."""
    grid = grids.shape[1]
    rows, cols = (_half_pixel_interpolation((grid + 1) * cell, grid)[shifts[:, axis, None] + np.arange(side)]
                  for axis, (side, cell) in enumerate(zip(size, cells)))
    return np.einsum("mis,mst,mjt->mij", rows, grids, cols).astype(np.float32)


def _shapley_kernel(m, sizes):
    """The Shapley kernel of coalitions of ``sizes`` present features out of ``m`` (neither 0 nor ``m``)."""
    from scipy.special import comb

    return (m - 1) / (comb(m, sizes) * sizes * (m - sizes))


def _coalitions(m, n_samples, rng):
    """``(coalitions (S, m) of 0/1, regression weights (S,))``, the empty and full coalitions left out.

    Every coalition with its Shapley kernel weight where there are at most
    ``n_samples`` of them; otherwise ``n_samples`` draws from the kernel
    itself (a size with the kernel's total mass on it, then the features
    uniformly), each then weighing the same.
    """
    if 2**m - 2 <= n_samples:
        codes = np.arange(1, 2**m - 1)
        z = (codes[:, None] >> np.arange(m)) & 1
        return z.astype(np.float64), _shapley_kernel(m, z.sum(axis=1))
    sizes = np.arange(1, m)
    mass = (m - 1) / (sizes * (m - sizes))  # the kernel summed over the coalitions of each size
    drawn = rng.choice(sizes, size=n_samples, p=mass / mass.sum())
    ranks = np.argsort(np.argsort(rng.random((n_samples, m)), axis=1), axis=1)
    return (ranks < drawn[:, None]).astype(np.float64), np.ones(n_samples)


def _shap_regression(z, weights, values, full, empty):
    """Shapley values ``(n, m)`` from the coalitions' logits ``(n, S)`` by weighted least squares.

    The empty and full coalitions are constraints rather than samples (their
    kernel weight is infinite): the intercept is ``empty`` and the values sum
    to ``full - empty``, so the last feature's value follows from the others'
    and the regression fits the rest (Lundberg and Lee, 2017).
    """
    from sklearn.linear_model import LinearRegression

    total = full - empty
    if z.shape[1] == 1:
        return total[:, None]
    design = z[:, :-1] - z[:, -1:]
    response = values.T - empty[None] - z[:, -1:] * total[None]
    fit = LinearRegression(fit_intercept=False).fit(design, response, sample_weight=weights)
    rest = fit.coef_.reshape(len(total), -1)
    return np.concatenate([rest, (total - rest.sum(axis=1))[:, None]], axis=1)


def _rank_correlation(a, b):
    """Spearman correlation of each row of ``a`` with the same row of ``b`` (0 where a row is constant)."""
    from scipy.stats import rankdata

    ra = rankdata(a.reshape(len(a), -1), axis=1)
    rb = rankdata(b.reshape(len(b), -1), axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    norm = np.sqrt((ra * ra).sum(axis=1) * (rb * rb).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (ra * rb).sum(axis=1) / norm
    return np.where(norm > 0, corr, 0.0)


def _draw_normal(seed, shape):
    from ._core.ops import normal  # loads the backend: imported on first use

    return normal(seed, shape)


def _seed_pair(random_state):
    rng = np.random.default_rng(random_state)
    return int(rng.integers(2**31 - 1))


def _class_scores(resolved):
    """The number of class scores of the explained output; a ValueError for any other kind of output."""
    index = resolved.output_index  # several outputs and none chosen: the runtime's error, listing them
    shape = resolved.output_shape
    if len(shape) == 1 and shape[0] is not None:
        return shape[0]
    name = resolved.output_names[index]
    fix = ("choose another output with output=" if len(resolved.output_names) > 1 else
           "give a model with a classification head (e.g. GlobalAveragePooling2D then Dense(n_classes))")
    raise ValueError(f"model's output {name!r} gives values of shape {shape} per image; attribution explains a "
                     f"vector of class scores per image, shape (n_classes,): {fix}.")


def _initializers(layer):
    """``{id(variable): initializer}`` from the layer's ``*_initializer`` attributes (``kernel``, ``alpha``, ...)."""
    found = {}
    for attribute, initializer in vars(layer).items():
        if not attribute.endswith("_initializer") or not callable(initializer):
            continue
        stem = attribute[:-len("_initializer")]
        for name in (stem, f"{stem}_kernel"):
            variable = getattr(layer, name, None)
            if variable is not None and hasattr(variable, "assign"):
                found[id(variable)] = initializer
    return found


def _reinitialize(keras, layer, rng):
    """Every weight of ``layer`` drawn anew from its own initializer, seeded from ``rng``.

    A weight without a known initializer gets Keras' defaults: Glorot-uniform
    for a kernel (two or more axes), zeros otherwise.
    """
    known = _initializers(layer)
    for variable in layer.weights:
        initializer = known.get(id(variable))
        if initializer is None:
            initializer = (keras.initializers.GlorotUniform() if len(variable.shape) >= 2
                           else keras.initializers.Zeros())
        config = initializer.get_config()
        if "seed" in config:
            initializer = type(initializer).from_config({**config, "seed": int(rng.integers(2**31 - 1))})
        variable.assign(keras.ops.cast(initializer(tuple(variable.shape), dtype=variable.dtype), variable.dtype))


class AttributionInspector:
    """Attribution maps for a fitted image classifier, with sanity checks.

    Twelve methods, each a method of the inspector and a name for
    :meth:`attribute` and :meth:`randomization_test`: gradients
    (:meth:`saliency`, :meth:`gradient_x_input`, :meth:`guided_backprop`,
    :meth:`smoothgrad`, :meth:`integrated_gradients`), class activation maps
    of a layer (:meth:`gradcam`, :meth:`gradcam_plus_plus`, :meth:`layercam`,
    :meth:`scorecam`) and perturbations (:meth:`occlusion`, :meth:`rise`,
    :meth:`kernel_shap`).

    Parameters
    ----------
    model : KerasCNNClassifier, Pipeline or keras.Model
        A fitted classifier, a Pipeline ending in one (its preceding steps
        must act on each pixel by an affine map, as scalers do), or any Keras
        image model with one input ``(height, width, channels)``:
        Sequential, functional, nested or subclassed (built).
    output : str or int, optional
        Which output to explain, for a model with several (the name of the
        layer that gives it, or its position in ``model.outputs``); it must
        give a vector of class scores per image.
    batch_size : int, optional
        Model evaluations per compiled call: a batch holds
        ``batch_size // evaluations_per_image`` images (at least one), so
        SmoothGrad's samples and IG's steps share the budget (RISE's masks,
        KernelSHAP's coalitions and Score-CAM's channels go in chunks of at
        most one call's evaluations). Default: about
        four million values in the largest layer output per call (193
        evaluations of the series' CNN, 68 of a 64x64 RGB model with 16 maps
        in its first layer): on a CPU, larger calls ran up to twice as slow.
    device : {"auto", "cpu", "gpu"} or str, optional
        Where to compute, for a bare Keras model (an estimator's own
        ``device`` otherwise); see :func:`~skcnn.inspect.resolve_model`.

    Attributes
    ----------
    model_ : InspectedModel
        The resolved model with its layers, outputs and pre-processing; the
        explained output is ``model_.output_index``.
    n_classes_ : int
        Size of the explained output (the valid ``target`` indices).

    Raises
    ------
    ValueError
        At construction, for a bad ``batch_size``, ``output`` or ``device``, a
        model with several outputs and no ``output``, or an explained output
        that is not a vector of class scores (a feature map, for instance).

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(3, 3, activation="relu", name="c"),
    ...                           keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    >>> inspector = AttributionInspector(model)
    >>> X = np.random.default_rng(0).random((4, 8, 8))
    >>> inspector.saliency(X).maps.shape
    (4, 8, 8)
    >>> ig = inspector.integrated_gradients(X, target=1, steps=64)
    >>> bool(np.all(np.abs(ig.completeness_gap) < 0.05 * np.abs(ig.scores - ig.baseline_scores) + 1e-3))
    True
    >>> inspector.gradcam(X).layer, inspector.occlusion(X, window=4).maps.shape
    ('c', (4, 8, 8))
    >>> shap = inspector.kernel_shap(X, target=1, cell=4)  # 4 superpixels: exact Shapley values
    >>> bool(np.allclose(shap.maps.sum(axis=(1, 2)), shap.scores - shap.baseline_scores, atol=1e-4))
    True
    >>> [inspector.attribute(X, m).maps.shape for m in ("gradient_x_input", "guided_backprop", "layercam")]
    [(4, 8, 8), (4, 8, 8), (4, 8, 8)]
    """

    def __init__(self, model, *, output=None, batch_size=None, device=None):
        self.output = output
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size")
        self.device = device
        self.model_ = resolve_model(model, device=device, output=output)
        self.n_classes_ = _class_scores(self.model_)
        self._probe = Probe(self.model_)
        self._scale = None

    # ------------------------------------------------------------------ network
    def _forward(self, layer_index=None):
        """A function ``(x, delta=None) -> (maps or None, logits, probabilities)`` on model-space images.

        The logits are the explained output's value before its softmax or
        sigmoid (see ``_logit_split``). ``maps`` are
        the outputs of ``layers[layer_index]`` as the forward pass computes
        them (the layer's ``call`` is wrapped while the graph is traced, in
        nested models too), plus ``delta``: a zero ``delta`` leaves every value
        as it is, and the gradient with respect to it is the gradient with
        respect to the maps.
        """
        keras = import_keras()
        ops = keras.ops
        resolved = self.model_
        last = resolved.output_layer
        position = resolved.model.outputs[resolved.output_index]._keras_history[2]
        split = _logit_split(keras, resolved.layers[last])
        sub = resolved.submodel([last], inputs_of=split is not None)
        layer = None if layer_index is None else resolved.layers[layer_index]

        def forward(x, delta=None):
            seen = []
            if layer is not None:
                own = layer.__dict__.get("call")  # an instance-level call someone set, restored afterwards
                call = layer.call

                def recording(*args, **kwargs):
                    out = call(*args, **kwargs)
                    seen.append(out)
                    return out if delta is None else out + ops.cast(delta, out.dtype)

                object.__setattr__(layer, "call", recording)
            try:
                head = as_list(sub(x, training=False))[0]
            finally:
                if layer is not None and own is not None:
                    object.__setattr__(layer, "call", own)
                elif layer is not None:
                    object.__delattr__(layer, "call")
            head = head[position] if isinstance(head, (list, tuple)) else head
            if layer is not None and not seen:
                raise ValueError(f"layer {resolved.paths[layer_index]!r} does not feed the model's output.")
            maps = ops.cast(seen[-1], "float32") if seen else None
            if split is None:
                logits = ops.cast(head, "float32")
                return maps, logits, logits
            linear, activation = split
            z = linear(head)
            return maps, ops.cast(z, "float32"), ops.cast(activation(z), "float32")

        return forward

    def _spec(self):
        return Spec((None, *self.model_.input_shape))

    # -------------------------------------------------------------- batching
    def _largest_output(self, values_per_image):
        """Values in the largest layer output of one evaluation (16 times the input where sizes vary)."""
        sizes = [16 * values_per_image]
        for layer in self.model_.layers:
            try:
                shape = tuple(layer.output.shape[1:])
            except (AttributeError, ValueError):
                continue
            if shape and all(isinstance(d, int) for d in shape):
                sizes.append(int(np.prod(shape)))
        return max(sizes) if len(sizes) == 1 else max(sizes[1:])

    def _batch(self, per_image, values_per_image):
        """Images per compiled call when each takes ``per_image`` model evaluations."""
        if self.batch_size is not None:
            return budget_batch_size(1, self.batch_size, per_image=per_image)
        return budget_batch_size(self._largest_output(values_per_image), per_image=per_image)

    def _run(self, fn, per_image, arrays, *extra):
        """``fn(*batch_of_each_array, *extra)`` batch by batch on the model's device; each output concatenated."""
        return run_in_batches(fn, arrays, self._batch(per_image, arrays[0][0].size), *extra)

    def _chunks(self, fn, arrays, items, *extra, make=None):
        """``fn(*image batch, *extra, make(chunk))`` over chunks of ``items`` (masks, coalitions, channels).

        Each image costs one evaluation per item of a chunk, and a chunk holds
        as many items as one call evaluates (at least one), so a call holds a
        chunk for a batch of images; the outputs come back one per chunk.
        """
        per_call = self._batch(1, arrays[0][0].size)
        size = max(1, min(len(items), per_call - 1))
        return [self._run(fn, stop - start + 1, arrays, *extra,
                          items[start:stop] if make is None else make(items[start:stop]))[0]
                for start, stop in batch_bounds(len(items), size)]

    # ---------------------------------------------------------------- inputs
    def _images(self, X):
        """``(model-space images, pixel-space images)`` of ``X``."""
        x = self.model_.to_model(X)
        if not self.model_.pre_steps:
            return x, x
        pixels = np.asarray(X, dtype=np.float32).reshape(x.shape)
        return x, pixels

    def _pixel_scale(self):
        """Per-feature ``d(model input) / d(pixel)`` of the preceding steps, or None without steps."""
        resolved = self.model_
        if not resolved.pre_steps:
            return None
        if self._scale is None:
            shape = resolved.input_shape
            size = int(np.prod(shape))
            probe = np.random.default_rng(0).random((1, size)) * 255.0
            zero, one, moved = (resolved.to_model(v.reshape((1,) + shape)).astype(np.float64)
                                for v in (np.zeros((1, size)), np.ones((1, size)), probe))
            scale = one - zero
            if not np.allclose(moved, zero + scale * probe.reshape(moved.shape), rtol=1e-3, atol=1e-3 * (
                    np.abs(moved).max() + 1)):
                raise ValueError(
                    "attribution through a Pipeline needs the steps before the network to act on each pixel by an "
                    "affine map (StandardScaler, MinMaxScaler, a division by 255, ...); these steps do not. "
                    "Explain the network itself on transformed images instead."
                )
            self._scale = scale[0].astype(np.float32)
        return self._scale

    def _in_model_space(self, values, pixels, name):
        """A pixel-space image, batch of one or one per image (broadcast to ``pixels``) in model space."""
        values = check_per_image(values, len(pixels), pixels.shape[1:], name, dtype=np.float32, note="pixel space")
        return self.model_.to_model(np.ascontiguousarray(values), name=name)

    def _baseline(self, baseline, pixels, sigma=None, name="baseline"):
        """``baseline`` (a name, one image, a batch of one or one per image) for every image, in model space."""
        if isinstance(baseline, str):
            if baseline == "black":
                return self.model_.to_model(np.zeros_like(pixels), name=name)
            if baseline == "blur":
                from scipy.ndimage import gaussian_filter

                h, w = pixels.shape[1:3]
                s = max(h, w) / 8.0 if sigma is None else sigma
                return self.model_.to_model(gaussian_filter(pixels, sigma=(0, s, s, 0), mode="nearest"), name=name)
            if baseline == "mean":
                means = pixels.mean(axis=(1, 2), keepdims=True, dtype=np.float64).astype(pixels.dtype)
                return self.model_.to_model(np.broadcast_to(means, pixels.shape), name=name)
            raise ValueError(f"{name} must be one of {_BASELINES} or an array of images; got {baseline!r}.")
        return self._in_model_space(baseline, pixels, name)

    def _masking_base(self, pixels):
        """Black pixels in model space: ``x * mask`` in pixel space is ``base + mask * (x - base)`` in model space."""
        self._pixel_scale()  # refuses preceding steps that do not act on each pixel by an affine map
        return self._baseline("black", pixels)

    def _logits(self, x):
        def logits(images):
            _, z, p = forward(images)
            return z, p

        forward = self._forward()
        return self._run(self._probe.function("logits", logits, [self._spec()]), 1, [x])

    def _targets(self, target, n):
        """Class indices ``(n,)`` from ``target``: -1 for the predicted class (None); labels where classes are known."""
        k = self.n_classes_
        if target is None:
            return np.full(n, -1, dtype=np.int32)
        values = np.asarray(target)
        if values.ndim == 0:
            values = np.full(n, values.item(), dtype=values.dtype)
        if values.shape != (n,):
            raise ValueError(f"target must be None, one class or one class per image ({n}); got shape {values.shape}.")
        classes = self.model_.classes_
        if classes is not None:
            index = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(classes)}
            missing = [v for v in values.tolist() if v not in index]
            if missing:
                raise ValueError(f"target must hold class labels of the classifier, {classes.tolist()}; "
                                 f"got {missing[0]!r}.")
            return np.array([index[v] for v in values.tolist()], dtype=np.int32)
        wrong = [v for v in values.tolist() if not (is_int(v) and 0 <= v < k)]
        if wrong:
            name = self.model_.output_names[self.model_.output_index]
            raise ValueError(f"target must hold class indices in [0, {k}) for the model's output {name!r} of {k} "
                             f"class scores; got {wrong[0]!r}.")
        return values.astype(np.int32)

    def _as_target(self, attribution):
        """The ``target`` argument that explains the same classes as ``attribution``."""
        return attribution.targets if self.model_.classes_ is None else attribution.labels

    def _labels(self, indices):
        classes = self.model_.classes_
        return indices.copy() if classes is None else classes[indices]

    def _setup(self, X, target):
        """Model-space and pixel-space images, and the requested class indices (-1: the predicted class)."""
        x, pixels = self._images(X)
        return x, pixels, self._targets(target, len(x))

    def _result(self, method, maps, requested, logits, pixels, **extra):
        """The result, with the classes explained and their logits from the logits of the clean images."""
        predicted = np.argmax(logits, axis=1).astype(np.int32)
        targets = np.where(requested < 0, predicted, requested).astype(np.int32)
        scores = logits[np.arange(len(logits)), targets]
        return Attribution(maps=maps.astype(np.float32), method=method, targets=targets,
                           labels=self._labels(targets), predicted=self._labels(predicted),
                           scores=scores.astype(np.float32), images=pixels, **extra)

    def _reduce(self, grads, absolute):
        """Model-space input gradients ``(n, h, w, c)`` -> pixel-space maps ``(n, h, w)``."""
        scale = self._pixel_scale()
        if scale is not None:
            grads = grads * (np.abs(scale) if absolute else scale)
        return grads.max(axis=3) if absolute else grads.sum(axis=3)

    # --------------------------------------------------------------- gradients
    def _gradient_fn(self, noisy, samples=1):
        """Saliency (``noisy=False``) or SmoothGrad over ``samples`` noisy copies: ``(gradients, clean logits)``."""
        keras = import_keras()
        ops = keras.ops
        forward = self._forward()

        def objective(images, targets):
            _, logits, _ = forward(images)
            return _pick(ops, logits, targets), logits

        def saliency(x, requested, absolute):
            def chosen(images):  # the targets follow from the same pass that is differentiated
                _, logits, _ = forward(images)
                return _pick(ops, logits, _choose(ops, requested, logits)), logits

            _, grads, clean = value_and_gradient(chosen, x)
            return ops.where(absolute, ops.abs(grads), grads), clean

        def smoothgrad(x, requested, sigma, index, seed, absolute):
            # every image repeated `samples` times with noise: one gradient pass for all copies of a batch
            _, clean, _ = forward(x)
            targets = ops.repeat(_choose(ops, requested, clean), samples, axis=0)
            tiled = ops.repeat(x, samples, axis=0)
            noise = _draw_normal(ops.stack([seed, index[0]]), ops.shape(tiled))
            _, grads, _ = value_and_gradient(objective, tiled + noise * ops.repeat(sigma, samples, axis=0), targets)
            grads = ops.where(absolute, ops.abs(grads), grads)
            return ops.mean(_unfold(ops, grads, samples), axis=1), clean

        image, flag = self._spec(), Spec((), "bool")
        if noisy:
            return self._probe.function(("smoothgrad", samples), smoothgrad,
                                        [image, Spec((None,), "int32"), image, Spec((None,), "int32"),
                                         Spec((), "int32"), flag])
        return self._probe.function("saliency", saliency, [image, Spec((None,), "int32"), flag])

    def saliency(self, X, target=None, *, absolute=True):
        """The gradient of the class logit with respect to the input pixels.

        Parameters
        ----------
        X : array-like of shape (n, h, w), (n, h, w, c) or (n, h * w * c)
            Images in pixel space (raw, before a Pipeline's scaler).
        target : None, class label or array-like of shape (n,), default=None
            The class to explain per image: None for the predicted class;
            labels of the classifier's ``classes_`` (class indices for a bare
            model).
        absolute : bool, default=True
            True: the largest absolute gradient over the channels (Simonyan
            et al.); False: the signed gradient summed over the channels.

        Returns
        -------
        Attribution

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
        ...                           keras.layers.Dense(2, activation="softmax")])
        >>> w = model.layers[-1].get_weights()[0]
        >>> maps = AttributionInspector(model).saliency(np.zeros((1, 4, 4)), target=1, absolute=False).maps
        >>> bool(np.allclose(maps[0].ravel(), w[:, 1], atol=1e-6))
        True
        """
        x, pixels, requested = self._setup(X, target)
        grads, logits = self._run(self._gradient_fn(False), 1, [x, requested], bool(absolute))
        return self._result("saliency", self._reduce(grads, absolute), requested, logits, pixels)

    def gradient_x_input(self, X, target=None):
        """Gradient x Input (Shrikumar et al., 2016): the class logit's gradient times the pixels, signed.

        ``sum_c x[i, j, c] * d logit / d x[i, j, c]``, in pixel space: through
        a Pipeline's scaler, the gradient with respect to the raw pixels times
        the raw pixels. For a model whose logit is linear in its input it is
        integrated gradients from a black baseline, and sums to
        ``f(x) - f(0)``.

        Parameters
        ----------
        X, target
            As in :meth:`saliency`.

        Returns
        -------
        Attribution
            Signed maps.

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
        >>> w = model.layers[-1].get_weights()[0]
        >>> X = np.random.default_rng(0).random((1, 4, 4))
        >>> maps = AttributionInspector(model).gradient_x_input(X, target=1).maps
        >>> bool(np.allclose(maps[0].ravel(), w[:, 1] * X[0].ravel(), atol=1e-6))
        True
        """
        x, pixels, requested = self._setup(X, target)
        grads, logits = self._run(self._gradient_fn(False), 1, [x, requested], False)
        return self._result("gradient_x_input", self._reduce(grads * pixels, False), requested, logits, pixels)

    def _guided_fn(self):
        """The compiled ``(x, requested, absolute) -> (guided gradients, logits)``."""
        ops = import_keras().ops
        forward = self._forward()
        layers = self.model_.layers

        def guided(x, requested, absolute):
            def chosen(images):
                with guided_relus(layers):  # only while this pass is traced or run
                    _, logits, _ = forward(images)
                return _pick(ops, logits, _choose(ops, requested, logits)), logits

            _, grads, clean = value_and_gradient(chosen, x)
            return ops.where(absolute, ops.abs(grads), grads), clean

        return self._probe.function("guided_backprop", guided,
                                    [self._spec(), Spec((None,), "int32"), Spec((), "bool")])

    def guided_backprop(self, X, target=None, *, absolute=True):
        """Guided backpropagation (Springenberg et al., 2015): a gradient that passes only positive signals back.

        The class logit's gradient with respect to the input, with every
        ReLU's backward pass changed: it passes on a gradient only where the
        gradient is positive and the ReLU's input was positive (a plain ReLU
        checks only the input). The ReLUs are found in every layer of the
        network, nested models' included: an ``activation`` of ``"relu"`` or
        ``"relu6"`` (in ``Conv2D``, ``Dense``, ``Activation``...) and
        ``keras.layers.ReLU`` layers; other activations, and ReLUs called
        inside a custom layer's own code, backpropagate as usual. The forward
        values do not change. Adebayo et al. (2018) show that these maps
        hardly change when the network's weights are randomized (see
        :meth:`randomization_test`): they show the image's edges more than
        the model's reasons.

        Parameters
        ----------
        X, target, absolute
            As in :meth:`saliency`.

        Returns
        -------
        Attribution

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(3, 3, activation="relu"),
        ...                           keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
        >>> inspector = AttributionInspector(model)
        >>> X = np.random.default_rng(0).random((2, 6, 6))
        >>> inspector.guided_backprop(X, absolute=False).maps.shape
        (2, 6, 6)
        """
        x, pixels, requested = self._setup(X, target)
        grads, logits = self._run(self._guided_fn(), 1, [x, requested], bool(absolute))
        return self._result("guided_backprop", self._reduce(grads, absolute), requested, logits, pixels)

    def smoothgrad(self, X, target=None, *, n_samples=50, noise=0.15, absolute=True, random_state=None):
        """The saliency averaged over ``n_samples`` copies of each image with Gaussian noise.

        Parameters
        ----------
        X, target
            As in :meth:`saliency`.
        n_samples : int, default=50
        noise : float, default=0.15
            Standard deviation of the noise as a share of each image's pixel
            range (max - min), in pixel space.
        absolute : bool, default=True
            Average absolute gradients (then the largest over the channels),
            or signed ones (then summed over the channels).
        random_state : int, numpy Generator or None
            Seeds the noise; the same seed gives the same maps.

        Returns
        -------
        Attribution

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
        ...                           keras.layers.Flatten(), keras.layers.Dense(3)])
        >>> inspector = AttributionInspector(model)
        >>> X = np.random.default_rng(1).random((2, 6, 6))
        >>> a = inspector.smoothgrad(X, n_samples=8, random_state=0)
        >>> bool(np.array_equal(a.maps, inspector.smoothgrad(X, n_samples=8, random_state=0).maps))
        True
        """
        n_samples = check_int(n_samples, "n_samples")
        noise = check_number(noise, "noise")
        x, pixels, requested = self._setup(X, target)
        spread = (pixels.reshape(len(pixels), -1).max(axis=1) - pixels.reshape(len(pixels), -1).min(axis=1))
        sigma = noise * spread[:, None, None, None] * np.ones_like(x)
        scale = self._pixel_scale()
        if scale is not None:
            sigma = sigma * np.abs(scale)
        index = np.arange(len(x), dtype=np.int32)  # a batch's noise is seeded by its first image's position
        grads, logits = self._run(self._gradient_fn(True, n_samples), n_samples + 1,
                                  [x, requested, sigma.astype(np.float32), index],
                                  np.int32(_seed_pair(random_state)), bool(absolute))
        return self._result("smoothgrad", self._reduce(grads, absolute), requested, logits, pixels)

    def integrated_gradients(self, X, target=None, *, baseline="black", steps=50):
        """Integrated gradients (Sundararajan et al., 2017) from a baseline to each image.

        The gradient of the class logit is averaged over ``steps`` points of the
        straight path from the baseline to the image (the midpoint rule) and
        multiplied by ``image - baseline``; the maps sum to about
        ``f(image) - f(baseline)``, and the difference is reported.

        Parameters
        ----------
        X, target
            As in :meth:`saliency`.
        baseline : {"black", "blur", "mean"} or array-like, default="black"
            ``"black"``: all-zero pixels; ``"blur"``: each image under a
            Gaussian blur of sigma ``max(h, w) / 8``; ``"mean"``: each
            image's mean per channel everywhere; or images in pixel space:
            one image (``(h, w, c)``, ``(h, w)`` with one channel, or flat), a
            batch of one ``(1, h, w, c)`` (both broadcast to every image), or
            one per image ``(n, h, w, c)``.
        steps : int, default=50

        Returns
        -------
        Attribution
            Signed maps, with ``baseline_scores`` and ``completeness_gap``.

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
        >>> a = AttributionInspector(model).integrated_gradients(np.ones((3, 4, 4)), steps=4)
        >>> bool(np.allclose(a.completeness_gap, 0, atol=1e-4))
        True
        """
        steps = check_int(steps, "steps")
        x, pixels, requested = self._setup(X, target)
        base = self._baseline(baseline, pixels)
        keras = import_keras()
        ops = keras.ops
        forward = self._forward()

        def objective(path, targets):
            _, logits, _ = forward(path)
            return _pick(ops, logits, targets)

        def integrate(x, b, requested, alphas):
            n, k = ops.shape(x)[0], ops.shape(alphas)[0]
            _, ends, _ = forward(ops.concatenate([x, b], axis=0))
            clean, base_logits = ends[:n], ends[n:]
            targets = _choose(ops, requested, clean)
            path = _fold(ops, b[:, None] + ops.reshape(alphas, (1, -1, 1, 1, 1)) * (x - b)[:, None])
            _, grads = value_and_gradient(objective, path, ops.repeat(targets, k, axis=0))
            return (x - b) * ops.mean(_unfold(ops, grads, k), axis=1), _pick(ops, base_logits, targets), clean

        image = self._spec()
        fn = self._probe.function("integrated_gradients", integrate,
                                  [image, image, Spec((None,), "int32"), Spec((None,))])
        alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
        attributions, base_scores, logits = self._run(fn, steps + 2, [x, base, requested], alphas)
        maps = attributions.sum(axis=3)
        result = self._result("integrated_gradients", maps, requested, logits, pixels,
                              baseline_scores=base_scores.astype(np.float32))
        gap = maps.reshape(len(maps), -1).sum(axis=1) - (result.scores - base_scores)
        result.completeness_gap = gap.astype(np.float32)
        return result

    # ---------------------------------------------------------------- Grad-CAM
    def _cam_layer(self, layer, method="Grad-CAM"):
        resolved = self.model_
        if layer is None:
            convs = [name for name in resolved.conv_layers()
                     if len(resolved.layers[resolved.layer_index(name)].output.shape) == 4]
            if not convs:
                raise ValueError(f"{method} needs a convolutional layer with maps (n, h, w, maps); this model has "
                                 "none. Pass layer= a layer with such an output.")
            layer = convs[-1]
        index = resolved.layer_index(layer)
        shape = resolved.layers[index].output.shape
        if len(shape) != 4:
            raise ValueError(f"layer must have maps of shape (n, h, w, maps) for {method}; "
                             f"{resolved.layer_name(index)!r} outputs {tuple(shape)}.")
        return index

    def _layer_gradient(self, index):
        """``(x, requested) -> (gradients, maps, logits)``: the class logit's gradient w.r.t. the layer's maps."""
        keras = import_keras()
        ops = keras.ops
        resolved = self.model_
        forward = self._forward(index)
        shape = resolved.layer_shape(index)
        to_layer = resolved.submodel([index]) if None in shape else None

        def objective(delta, x, requested):
            maps, logits, _ = forward(x, delta)
            return _pick(ops, logits, _choose(ops, requested, logits)), maps, logits

        def gradient(x, requested):
            if to_layer is None:
                delta = ops.zeros((ops.shape(x)[0],) + tuple(shape))
            else:  # maps whose size follows the image's
                delta = ops.zeros_like(ops.cast(as_list(to_layer(x, training=False))[0], "float32"))
            _, grads, maps, logits = value_and_gradient(objective, delta, x, requested)
            return grads, maps, logits

        return gradient

    def _cam_fn(self, index, plus):
        """The compiled ``(x, requested) -> (coarse maps, logits)`` of Grad-CAM or Grad-CAM++ at ``layers[index]``."""
        ops = import_keras().ops
        gradient = self._layer_gradient(index)

        def cam(x, requested):
            grads, maps, logits = gradient(x, requested)
            if plus:
                # Grad-CAM++ (Chattopadhyay et al., 2018) with the exponential of the logit as the score:
                # its derivatives are powers of the gradient, so the weights need no second pass.
                g2 = ops.square(grads)
                denominator = 2.0 * g2 + ops.sum(maps, axis=(1, 2), keepdims=True) * g2 * grads
                alpha = ops.divide_no_nan(g2, denominator)
                alpha = ops.divide_no_nan(alpha, ops.sum(alpha, axis=(1, 2), keepdims=True))
                weights = ops.sum(alpha * ops.relu(grads), axis=(1, 2))
            else:
                weights = ops.mean(grads, axis=(1, 2))
            return ops.relu(ops.einsum("nijk,nk->nij", maps, weights)), logits

        return self._probe.function(("gradcam_plus_plus" if plus else "gradcam", index), cam,
                                    [self._spec(), Spec((None,), "int32")])

    def _cam_result(self, method, coarse, requested, logits, pixels, index):
        """The result of a CAM method: the coarse maps upsampled bilinearly (corners aligned) to the images."""
        rows, cols = (_interpolation(pixels.shape[axis], coarse.shape[axis]) for axis in (1, 2))
        maps = rows @ coarse.astype(np.float64) @ cols.T  # rows then columns
        return self._result(method, maps, requested, logits, pixels, layer=self.model_.layer_name(index))

    def _cam(self, X, target, layer, plus):
        index = self._cam_layer(layer, "Grad-CAM++" if plus else "Grad-CAM")
        x, pixels, requested = self._setup(X, target)
        coarse, logits = self._run(self._cam_fn(index, plus), 1, [x, requested])
        return self._cam_result("gradcam_plus_plus" if plus else "gradcam", coarse, requested, logits, pixels, index)

    def gradcam(self, X, target=None, *, layer=None):
        """Grad-CAM (Selvaraju et al., 2017): a layer's maps weighted by their mean gradient.

        ``ReLU(sum_k w_k A_k)`` with ``w_k`` the mean over the map of the class
        logit's gradient with respect to map ``A_k``, upsampled bilinearly to
        the input size (the corners of the grids aligned).

        Parameters
        ----------
        X, target
            As in :meth:`saliency`.
        layer : str or int, optional
            A layer with maps (default: the last convolution).

        Returns
        -------
        Attribution

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
        ...                           keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
        >>> a = AttributionInspector(model).gradcam(np.random.default_rng(0).random((2, 8, 8)))
        >>> a.maps.shape, bool(a.maps.min() >= 0)
        ((2, 8, 8), True)
        """
        return self._cam(X, target, layer, plus=False)

    def gradcam_plus_plus(self, X, target=None, *, layer=None):
        """Grad-CAM++ (Chattopadhyay et al., 2018): maps weighted by positive gradients, pixel by pixel.

        The weights use the closed form for an exponential score and are
        normalized per map, as the authors' code does.

        Parameters
        ----------
        X, target, layer
            As in :meth:`gradcam`.

        Returns
        -------
        Attribution

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
        ...                           keras.layers.Flatten(), keras.layers.Dense(2)])
        >>> AttributionInspector(model).gradcam_plus_plus(np.ones((1, 8, 8))).maps.shape
        (1, 8, 8)
        """
        return self._cam(X, target, layer, plus=True)

    def layercam(self, X, target=None, *, layer=None):
        """LayerCAM (Jiang et al., 2021): a layer's maps weighted position by position by their positive gradient.

        ``ReLU(sum_k ReLU(dy / dA_k[i, j]) * A_k[i, j])`` with ``y`` the class
        logit and ``A_k`` the layer's maps, upsampled bilinearly to the input
        size as in :meth:`gradcam`. Where Grad-CAM gives each map one weight
        (its mean gradient), LayerCAM keeps the gradient's place, so it also
        gives fine maps at early layers.

        Parameters
        ----------
        X, target, layer
            As in :meth:`gradcam`.

        Returns
        -------
        Attribution

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu", name="c"),
        ...                           keras.layers.Flatten(), keras.layers.Dense(2)])
        >>> a = AttributionInspector(model).layercam(np.random.default_rng(0).random((2, 8, 8)))
        >>> a.maps.shape, a.layer, bool(a.maps.min() >= 0)
        ((2, 8, 8), 'c', True)
        """
        index = self._cam_layer(layer, "LayerCAM")
        x, pixels, requested = self._setup(X, target)
        ops = import_keras().ops
        gradient = self._layer_gradient(index)

        def layercam(x, requested):
            grads, maps, logits = gradient(x, requested)
            return ops.relu(ops.sum(ops.relu(grads) * maps, axis=3)), logits

        fn = self._probe.function(("layercam", index), layercam, [self._spec(), Spec((None,), "int32")])
        coarse, logits = self._run(fn, 1, [x, requested])
        return self._cam_result("layercam", coarse, requested, logits, pixels, index)

    def _scorer(self, index):
        """``(x, black, targets, rows, cols, channels) -> (n, len(channels))``: Score-CAM's scores of the channels.

        Each channel's maps, upsampled by ``rows`` and ``cols`` and scaled to
        [0, 1] per image, mask the image; the score is the class probability of
        the masked image.
        """
        ops = import_keras().ops
        forward = self._forward(index)

        def score(x, b, targets, rows, cols, channels):
            k = ops.shape(channels)[0]
            maps, _, _ = forward(x)
            up = ops.einsum("ip,npqk->nkiq", rows, ops.take(maps, channels, axis=3))
            up = ops.einsum("nkiq,jq->nkij", up, cols)
            low, high = ops.min(up, axis=(2, 3), keepdims=True), ops.max(up, axis=(2, 3), keepdims=True)
            masks = ops.divide_no_nan(up - low, high - low)[..., None]  # a constant map masks everything
            _, _, probabilities = forward(_fold(ops, b[:, None] + masks * (x - b)[:, None]))
            return _unfold(ops, _pick(ops, probabilities, ops.repeat(targets, k, axis=0)), k)

        image, matrix = self._spec(), Spec((None, None))
        return self._probe.function(("scorecam", index), score, [image, image, Spec((None,), "int32"), matrix,
                                                                 matrix, Spec((None,), "int32")])

    def scorecam(self, X, target=None, *, layer=None):
        """Score-CAM (Wang et al., 2020): a layer's maps weighted by the class probability they keep as masks.

        Each map ``A_k`` of the layer is upsampled to the input size (bilinear,
        corners aligned, as in :meth:`gradcam`) and scaled to [0, 1] per
        image, ``H_k = (A_k - min A_k) / (max A_k - min A_k)`` (0 for a
        constant map); the image masked by it, ``x * H_k``, gets the score
        ``s_k = p_c(x * H_k)``, and the map is ``ReLU(sum_k w_k A_k)`` with
        ``w = softmax_k(s)``, upsampled.

        The paper scores the *increase* of confidence, ``p_c(x * H_k) -
        p_c(x_b)`` for a baseline image ``x_b``; the baseline's term is the
        same for every ``k``, and a softmax over ``k`` does not change when the
        same number is added to every score, so the weights are those of the
        paper for any baseline (the black image, ``x * 0``, for instance) and
        the baseline is not evaluated.

        Masking is in pixel space: ``x * H_k`` multiplies the raw pixels,
        before a Pipeline's scaler, which then transforms the masked image
        (the masked-out pixels are black in raw pixels, whatever the scaler
        makes of them). ``p_c`` is the class probability, the explained
        output after its softmax or sigmoid where its last layer applies one
        (else the output itself, as :meth:`deletion_auc` reads it). Every
        image costs one model evaluation per channel (and one more per chunk
        of channels): all the masked copies of a batch go through the
        network together, and a layer with more channels than one call holds
        is scored in chunks of channels.

        Parameters
        ----------
        X, target, layer
            As in :meth:`gradcam`.

        Returns
        -------
        Attribution

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
        ...                           keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
        >>> a = AttributionInspector(model).scorecam(np.random.default_rng(0).random((3, 8, 8)))
        >>> a.maps.shape, bool(a.maps.min() >= 0)
        ((3, 8, 8), True)
        """
        index = self._cam_layer(layer, "Score-CAM")
        x, pixels, requested = self._setup(X, target)
        black = self._masking_base(pixels)
        forward = self._forward(index)

        def maps_and_logits(images):
            maps, logits, _ = forward(images)
            return maps, logits

        maps, logits = self._run(self._probe.function(("layer_maps", index), maps_and_logits, [self._spec()]), 1, [x])
        rows, cols = (_interpolation(x.shape[axis], maps.shape[axis]).astype(np.float32) for axis in (1, 2))
        channels = np.arange(maps.shape[3], dtype=np.int32)
        scores = np.concatenate(self._chunks(self._scorer(index), [x, black, _targets_of(requested, logits)],
                                             channels, rows, cols), axis=1).astype(np.float64)
        weights = np.exp(scores - scores.max(axis=1, keepdims=True))
        weights /= weights.sum(axis=1, keepdims=True)
        coarse = np.maximum(np.einsum("npqk,nk->npq", maps.astype(np.float64), weights), 0.0)
        return self._cam_result("scorecam", coarse, requested, logits, pixels, index)

    # --------------------------------------------------------------- occlusion
    def _occluder(self):
        """``(x, fill, requested, masks) -> (summed logit drops per pixel, logits)``, every mask a copy of x."""
        keras = import_keras()
        ops = keras.ops
        forward = self._forward()

        def occlude(x, b, requested, masks):
            p = ops.shape(masks)[0]
            _, own, _ = forward(x)
            targets = _choose(ops, requested, own)
            _, logits, _ = forward(_fold(ops, x[:, None] * (1.0 - masks[None]) + b[:, None] * masks[None]))
            picked = _unfold(ops, _pick(ops, logits, ops.repeat(targets, p, axis=0)), p)
            drop = _pick(ops, own, targets)[:, None] - picked
            return ops.einsum("np,pij->nij", drop, masks[..., 0]), own

        return occlude

    def occlusion(self, X, target=None, *, window=None, stride=None, fill="black"):
        """How much the class logit drops when a square window is covered, per pixel.

        Every window position is one copy of the image with the window set to
        ``fill``; all copies of a chunk of images go through the network in one
        call. A pixel's value is the mean drop over the windows that cover it
        (pixels that no window covers get 0).

        Parameters
        ----------
        X, target
            As in :meth:`saliency`.
        window : int, optional
            Side of the window (default: a seventh of the shorter side, at least 1).
        stride : int, optional
            Step between windows (default: half the window, at least 1).
        fill : {"black", "blur", "mean"} or array-like, default="black"
            What covers the window, as ``baseline`` in :meth:`integrated_gradients`.

        Returns
        -------
        Attribution
            Signed maps: positive where covering lowers the logit.

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
        >>> a = AttributionInspector(model).occlusion(np.ones((2, 6, 6)), window=2, stride=2)
        >>> a.maps.shape
        (2, 6, 6)
        """
        x, pixels, requested = self._setup(X, target)
        h, w = x.shape[1:3]
        window = max(1, min(h, w) // 7) if window is None else check_int(window, "window")
        stride = max(1, window // 2) if stride is None else check_int(stride, "stride")
        if window > min(h, w):
            raise ValueError(f"window must be at most the image's shorter side ({min(h, w)}); got {window}.")
        covered = self._baseline(fill, pixels, name="fill")
        tops = list(range(0, h - window + 1, stride))
        lefts = list(range(0, w - window + 1, stride))
        if tops[-1] != h - window:
            tops.append(h - window)
        if lefts[-1] != w - window:
            lefts.append(w - window)
        masks = np.zeros((len(tops) * len(lefts), h, w, 1), dtype=np.float32)
        for k, (top, left) in enumerate((t, l) for t in tops for l in lefts):
            masks[k, top:top + window, left:left + window] = 1.0
        coverage = masks[..., 0].sum(axis=0)

        fn = self._probe.function("occlusion", self._occluder(),
                                  [self._spec(), self._spec(), Spec((None,), "int32"), Spec((None, None, None, 1))])
        summed, logits = self._run(fn, len(masks) + 1, [x, covered, requested], masks)
        maps = np.where(coverage > 0, summed / np.maximum(coverage, 1), 0.0)
        return self._result("occlusion", maps, requested, logits, pixels)

    # ----------------------------------------------------- masks and coalitions
    def _mixer(self, kind):
        """The compiled masked evaluations of ``rise`` or ``kernel_shap`` (every mask a copy of each image).

        ``"rise"``: ``(x, black, targets, masks (m, h, w)) -> (n, h, w)``, the
        sum over the masks of the class probability of ``black + mask * (x -
        black)`` times the mask. ``"kernel_shap"``: ``(x, baseline, targets,
        labels (n, h, w), coalitions (s, m)) -> (n, s)``, the class logit of
        each image with the superpixels a coalition leaves out taken from
        the baseline.
        """
        ops = import_keras().ops
        forward = self._forward()

        def scores(x, b, targets, masks, probability):
            k = ops.shape(masks)[1]
            _, logits, probabilities = forward(_fold(ops, b[:, None] + masks[..., None] * (x - b)[:, None]))
            return _unfold(ops, _pick(ops, probabilities if probability else logits, ops.repeat(targets, k, axis=0)), k)

        def rise(x, b, targets, masks):
            weights = scores(x, b, targets, ops.repeat(masks[None], ops.shape(x)[0], axis=0), True)
            return ops.einsum("nm,mij->nij", weights, masks)

        def kernel_shap(x, b, targets, labels, coalitions):
            present = ops.transpose(ops.take(coalitions, labels, axis=1), (1, 0, 2, 3))
            return scores(x, b, targets, present, False)

        image, labels = self._spec(), Spec((None, None, None), "int32")
        if kind == "rise":
            return self._probe.function("rise", rise, [image, image, Spec((None,), "int32"), Spec((None, None, None))])
        return self._probe.function("kernel_shap", kernel_shap,
                                    [image, image, Spec((None,), "int32"), labels, Spec((None, None))])

    def rise(self, X, target=None, *, n_masks=4000, grid=7, keep=0.5, random_state=None):
        """RISE (Petsiuk et al., 2018): the class probability under random masks, per pixel.

        ``map = 1 / (n_masks * keep) * sum_i p_c(x * M_i) * M_i``, the Monte
        Carlo estimate of ``E[p_c(x * M) * M] / keep``: about the mean class
        probability over the masks that keep the pixel. Each
        mask ``M_i`` is a random ``grid x grid`` grid of 0 and 1 (1 with
        probability ``keep``), upsampled bilinearly (pixel centres aligned,
        edges held) to ``(grid + 1) * cell`` per axis, ``cell = ceil(side /
        grid)``, and cropped to the image at a random shift in ``[0, cell)``
        per axis, so that the masks' soft edges fall anywhere. The same masks
        serve every image.

        Masking is in pixel space (``x * M`` multiplies the raw pixels, before
        a Pipeline's scaler), and ``p_c`` is the class probability, as in
        :meth:`scorecam`. The masked copies of a batch go through the network
        together, in chunks of masks of one call each.

        Parameters
        ----------
        X, target
            As in :meth:`saliency`.
        n_masks : int, default=4000
        grid : int, default=7
            Cells per side of the random grids (``s`` in the paper).
        keep : float in (0, 1], default=0.5
            Probability that a cell of a grid is kept (``p`` in the paper).
        random_state : int, numpy Generator or None, default=None
            Seeds the masks (drawn on the host with NumPy); the same seed
            gives the same maps.

        Returns
        -------
        Attribution

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
        ...                           keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
        >>> inspector = AttributionInspector(model)
        >>> X = np.random.default_rng(0).random((2, 8, 8))
        >>> a = inspector.rise(X, n_masks=64, grid=4, random_state=0)
        >>> bool(np.array_equal(a.maps, inspector.rise(X, n_masks=64, grid=4, random_state=0).maps))
        True
        """
        n_masks, grid = check_int(n_masks, "n_masks"), check_int(grid, "grid")
        keep = check_number(keep, "keep", strict=True)
        if keep > 1:
            raise ValueError(f"keep must be a probability in (0, 1]; got {keep!r}.")
        x, pixels, requested = self._setup(X, target)
        black = self._masking_base(pixels)
        logits, _ = self._logits(x)
        size = x.shape[1:3]
        cells = tuple(-(-side // grid) for side in size)
        grids, shifts = _rise_draws(np.random.default_rng(random_state), n_masks, grid, keep, cells)
        parts = self._chunks(self._mixer("rise"), [x, black, _targets_of(requested, logits)], np.arange(n_masks),
                             make=lambda chunk: _rise_masks(grids[chunk], shifts[chunk], size, cells))
        maps = np.sum(parts, axis=0, dtype=np.float64) / (n_masks * keep)
        return self._result("rise", maps, requested, logits, pixels)

    def _segments(self, segments, cell, n, size):
        """``(labels (n, h, w) from 0 to count - 1 per image, counts (n,))`` of the superpixels."""
        if segments is None:
            cell = max(1, -(-min(size) // 7)) if cell is None else check_int(cell, "cell")
            if cell > max(size):
                raise ValueError(f"cell must be at most the image's longer side ({max(size)}); got {cell}.")
            columns = -(-size[1] // cell)
            grid = (np.arange(size[0])[:, None] // cell) * columns + np.arange(size[1])[None] // cell
            return np.broadcast_to(grid, (n,) + size).astype(np.int32), np.full(n, grid.max() + 1)
        if cell is not None:
            raise ValueError("give cell (a grid of superpixels) or segments (your own), not both.")
        labels = check_per_image(segments, n, size, "segments", image=False, note="integer labels")
        if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
            raise ValueError(f"segments must hold integer labels; got dtype {labels.dtype}.")
        # each image's labels renumbered 0, 1, ...: unique (image, label) pairs come sorted by image
        pairs, inverse = np.unique(np.stack([np.repeat(np.arange(n), int(np.prod(size))),
                                             labels.astype(np.int64).ravel()]), axis=1, return_inverse=True)
        counts = np.bincount(pairs[0], minlength=n)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        ranks = inverse.reshape((n,) + size) - first[:, None, None]
        return ranks.astype(np.int32), counts

    def kernel_shap(self, X, target=None, *, cell=None, segments=None, n_samples=1000, baseline="black",
                    random_state=None):
        """KernelSHAP (Lundberg and Lee, 2017): Shapley values of superpixels by a weighted linear regression.

        The features are superpixels: the squares of a grid (``cell`` pixels a
        side) or the regions of a segmentation. A coalition ``z`` of them
        keeps the image's pixels where a feature is present and takes the
        baseline's where it is absent; its value is the class logit ``f`` of
        that image. The Shapley values ``phi`` minimise ``sum_z pi(z) (f(z) -
        f(baseline) - z . phi)^2`` with the Shapley kernel ``pi(z) = (M - 1) /
        (C(M, |z|) |z| (M - |z|))`` over ``M`` features, under the efficiency
        constraint ``sum(phi) = f(x) - f(baseline)`` (the empty and full
        coalitions, whose kernel weight is infinite), solved by a
        scikit-learn ``LinearRegression`` with ``sample_weight``. Where there
        are at most ``n_samples`` coalitions (``2**M - 2``) all of them are
        used and the values are the exact Shapley values; otherwise
        ``n_samples`` coalitions are drawn from the kernel itself (a size with
        the kernel's total mass on it, then the features uniformly) and each
        weighs the same. A model linear in its input gets its exact values
        either way (given ``n_samples >= M - 1``).

        Each pixel's map value is its superpixel's value divided by the
        superpixel's size, so each map sums to ``f(x) - f(baseline)``; the
        baselines' logits and the gap (rounding error) are reported as by
        :meth:`integrated_gradients`. The coalitions of a batch of images go
        through the network together, in chunks of one call each; the images
        share the draws, and with a segmentation per image, images with the
        same number of superpixels share one regression.

        Parameters
        ----------
        X, target
            As in :meth:`saliency`.
        cell : int, optional
            Side of the grid's squares in pixels (default: a seventh of the
            shorter side, rounded up: about 7 x 7 superpixels).
        segments : array-like of int, shape (h, w) or (n, h, w), optional
            Your own superpixels (any integer labels, e.g. from
            ``skimage.segmentation.slic``): one segmentation for every image,
            or one per image. Not with ``cell``.
        n_samples : int, default=1000
            Coalitions per image, besides the empty and full ones.
        baseline : {"black", "blur", "mean"} or array-like, default="black"
            What an absent superpixel shows, as in :meth:`integrated_gradients`.
        random_state : int, numpy Generator or None, default=None
            Seeds the coalitions; the same seed gives the same maps.

        Returns
        -------
        Attribution
            Signed maps, with ``baseline_scores`` and ``completeness_gap``.

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
        ...                           keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
        >>> X = np.random.default_rng(0).random((2, 8, 8))
        >>> a = AttributionInspector(model).kernel_shap(X, cell=4, random_state=0)  # 4 superpixels: exact
        >>> bool(np.allclose(a.maps.sum(axis=(1, 2)), a.scores - a.baseline_scores, atol=1e-5))
        True
        """
        n_samples = check_int(n_samples, "n_samples")
        x, pixels, requested = self._setup(X, target)
        n, size = len(x), x.shape[1:3]
        labels, counts = self._segments(segments, cell, n, size)
        self._pixel_scale()  # a coalition mixes image and baseline: the steps must be affine per pixel
        base = self._baseline(baseline, pixels)
        logits, _ = self._logits(np.concatenate([x, base]))
        targets = _targets_of(requested, logits[:n])
        full, empty = (logits[part, targets] for part in (np.arange(n), np.arange(n, 2 * n)))
        rng = np.random.default_rng(random_state)
        values = np.zeros((n, counts.max()))
        fn = self._mixer("kernel_shap")
        for m in np.unique(counts):  # one regression per number of superpixels, over all its images
            group = np.flatnonzero(counts == m)
            z, weights = _coalitions(int(m), n_samples, rng)
            parts = self._chunks(fn, [x[group], base[group], targets[group], labels[group]], z.astype(np.float32))
            scores = np.concatenate(parts, axis=1) if parts else np.zeros((len(group), 0))  # one superpixel: none
            values[group, :m] = _shap_regression(z, weights, scores, full[group], empty[group])
        flat = labels.reshape(n, -1)
        features = values.shape[1]
        sizes = np.bincount((flat + features * np.arange(n)[:, None]).ravel(), minlength=n * features)
        maps = np.take_along_axis(values / np.maximum(sizes, 1).reshape(n, features), flat, axis=1).reshape(x.shape[:3])
        result = self._result("kernel_shap", maps, requested, logits[:n], pixels,
                              baseline_scores=empty.astype(np.float32))
        result.completeness_gap = (maps.reshape(n, -1).sum(axis=1) - (result.scores - empty)).astype(np.float32)
        return result

    # ------------------------------------------------------------ sanity checks
    def attribute(self, X, method, target=None, **options):
        """Maps by the method named ``method``: the inspector's methods by name.

        Parameters
        ----------
        X
            As in :meth:`saliency`.
        method : str
            ``saliency``, ``gradient_x_input``, ``guided_backprop``,
            ``smoothgrad``, ``integrated_gradients``, ``gradcam``,
            ``gradcam_plus_plus``, ``layercam``, ``scorecam``, ``occlusion``,
            ``rise`` or ``kernel_shap``.
        target
            As in :meth:`saliency`.
        **options
            Passed to the method: ``absolute`` (saliency, guided_backprop,
            smoothgrad), ``n_samples``, ``noise``, ``random_state``
            (smoothgrad); ``baseline``, ``steps`` (integrated_gradients);
            ``layer`` (the CAMs); ``window``, ``stride``, ``fill``
            (occlusion); ``n_masks``, ``grid``, ``keep``, ``random_state``
            (rise); ``cell``, ``segments``, ``n_samples``, ``baseline``,
            ``random_state`` (kernel_shap).

        Returns
        -------
        Attribution

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
        >>> AttributionInspector(model).attribute(np.ones((1, 4, 4)), "saliency").method
        'saliency'
        >>> AttributionInspector(model).attribute(np.ones((1, 4, 4)), "kernel_shap", cell=2, n_samples=20).method
        'kernel_shap'
        """
        if method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}.")
        return getattr(self, method)(X, target, **options)

    def randomization_test(self, X, method="saliency", *, target=None, layers="top-down", random_state=None,
                           method_options=None, **options):
        """Adebayo et al.'s model-randomization check: whether the maps change when the network does.

        A copy of the network has its layers re-initialized, from the output
        layer down, one more at every stage (``"top-down"``, cascading) or one
        at a time with the others trained (``"independent"``). Every layer
        with weights takes part (the layers of a nested model count one by
        one), and each weight is drawn anew from its layer's own initializer,
        as when the layer was built: a kernel from ``kernel_initializer``, a
        bias from ``bias_initializer``, a PReLU's slopes from
        ``alpha_initializer`` (zeros by default), a batch normalization's
        ``gamma``, ``beta`` and moving statistics from theirs (a weight with
        none: Glorot-uniform for a kernel, zeros otherwise). Each stage's maps
        for the trained network's classes are compared with the trained
        network's maps by Spearman rank correlation, of the maps as they are
        and of their absolute values: a method that explains the model falls
        toward 0; one that only shows edges of the input does not. Signed
        maps can lose their sign's ranking and keep their magnitudes', so
        read both (Adebayo et al. report both).

        Parameters
        ----------
        X
            As in :meth:`saliency`.
        method : str, default="saliency"
            One of the methods of :meth:`attribute`.
        target
            As in :meth:`saliency` (fixed from the trained network).
        layers : {"top-down", "independent"} or list of str, default="top-down"
            Which layers, in which order: every layer with a kernel from the
            top, or the given ones in the given order (cascading).
        random_state : int, numpy Generator or None, default=None
            Seeds the initializers' draws.
        method_options : dict, optional
            Options for the method, as in
            :func:`skcnn.inspect.evaluation.model_parameter_randomization`;
            the way to seed the draws of ``smoothgrad``, ``rise`` and
            ``kernel_shap`` (``{"random_state": 0}``), since ``random_state``
            here seeds the initializers.
        **options
            Passed to the method too (``n_samples``, ``steps``, ``layer``, ...).

        Returns
        -------
        RandomizationResult

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, activation="relu", name="c"),
        ...                           keras.layers.Flatten(), keras.layers.Dense(2, name="d")])
        >>> r = AttributionInspector(model).randomization_test(np.random.default_rng(0).random((3, 6, 6)))
        >>> r.layers, r.correlations.shape, r.absolute_correlations.shape
        (['d', 'c'], (2, 3), (2, 3))
        """
        from .evaluation import _method, _randomized_maps  # evaluation imports this module

        method, given = _method(method, None, method_options)
        if method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}.")
        options = {**given, **options}
        original = self.attribute(X, method, target, **options)
        names, mode, stages = _randomized_maps(self, X, method, self._as_target(original), layers, random_state,
                                               options)
        maps = np.concatenate([original.maps[None], stages.astype(original.maps.dtype)])
        signed = np.stack([_rank_correlation(maps[0], m) for m in maps[1:]])
        absolute = np.stack([_rank_correlation(np.abs(maps[0]), np.abs(m)) for m in maps[1:]])
        return RandomizationResult(method=method, layers=names, correlations=signed, absolute_correlations=absolute,
                                   maps=maps, mode=mode)

    def _randomized_layers(self, keras, layers):
        """``(indices into model_.layers in the order they are randomized, mode)``."""
        resolved = self.model_
        with_weights = [i for i, layer in enumerate(resolved.layers)  # nested models count by their own layers
                        if not isinstance(layer, keras.Model) and layer.weights]
        if isinstance(layers, str) and layers in ("top-down", "independent"):
            if not with_weights:
                raise ValueError("the model has no layer with weights to re-initialize.")
            return with_weights[::-1], layers
        if isinstance(layers, str) or not isinstance(layers, (list, tuple)):
            raise ValueError(f"layers must be 'top-down', 'independent' or a list of layer names; got {layers!r}.")
        order = [resolved.layer_index(layer) for layer in layers]
        if not order:
            raise ValueError("layers must name at least one layer.")
        return order, "top-down"

    def _twin(self, keras):
        """An inspector of a copy of the network (same weights, same explained output), for re-initializing."""
        resolved = self.model_
        try:
            copy = keras.models.clone_model(resolved.model)
        except Exception as exc:  # noqa: BLE001 - Keras raises several kinds when a layer cannot be rebuilt
            raise ValueError(
                f"randomization_test re-initializes a copy of the network made by keras.models.clone_model, which "
                f"cannot rebuild this one ({type(exc).__name__} while cloning); give its custom layers and models "
                "get_config() and from_config(), or build the network functionally.") from None
        copy.set_weights(resolved.model.get_weights())
        twin = InspectedModel(copy, resolved.pre_steps, resolved.classes_, device=resolved.device,
                              output=resolved.output, input_range=resolved.input_range)
        return AttributionInspector(twin, batch_size=self.batch_size)

    def _order_curve(self, X, attribution, target, steps, fill, random_state, insert):
        from .evaluation import _counts, _ranks, _removal_curve  # evaluation imports this module

        steps = check_int(steps, "steps")
        if target is None and isinstance(attribution, Attribution):
            target = self._as_target(attribution)
        x, pixels, requested = self._setup(X, target)
        logits, _ = self._logits(x)
        targets = np.where(requested < 0, np.argmax(logits, axis=1), requested).astype(np.int32)
        maps = np.asarray(getattr(attribution, "maps", attribution), dtype=np.float64)
        h, w = x.shape[1:3]
        if maps.shape != (len(x), h, w):
            raise ValueError(f"attribution must be an Attribution or maps of shape ({len(x)}, {h}, {w}); "
                             f"got shape {maps.shape}.")
        covered = self._baseline(fill, pixels, name="fill")
        size = h * w
        ranks = _ranks(maps, kind="stable")  # rank 0 = the highest attribution; ties broken by position
        rng = np.random.default_rng(random_state)
        random_ranks = np.argsort(rng.random((len(maps), size)), axis=1).reshape(ranks.shape).astype(np.int32)
        fractions = np.linspace(0.0, 1.0, steps + 1)
        counts = _counts(size, steps, None)

        curve, random_curve = (_removal_curve(self, x, covered, targets, r, counts, insert=insert)
                               for r in (ranks, random_ranks))
        area = lambda c: np.trapezoid(c, fractions, axis=1)  # noqa: E731
        return AUCResult(kind="insertion" if insert else "deletion", fractions=fractions, curve=curve,
                         random_curve=random_curve, auc=area(curve), random_auc=area(random_curve))

    def deletion_auc(self, X, attribution, *, target=None, steps=20, fill="blur", random_state=None):
        """Remove pixels in the attribution's order; the area under the class probability.

        A map that finds the pixels the decision rests on makes the probability
        fall fast: a lower area than removing pixels in a random order. The
        probability is the explained output after its softmax or sigmoid, or
        the softmax of an output that ends without one. The curve is
        :func:`skcnn.inspect.evaluation.deletion`'s, with a random order beside it.

        Parameters
        ----------
        X : array-like
            The images the attribution explains (pixel space).
        attribution : Attribution or ndarray of shape (n, h, w)
        target : optional
            The class to score (default: the attribution's).
        steps : int, default=20
            Points of the curve after the first (0%, 5%, ..., 100% for 20).
        fill : {"blur", "black", "mean"} or array-like, default="blur"
            What a removed pixel becomes: the same pixel of the image under a
            Gaussian blur of sigma ``max(h, w) / 8`` (as RISE, Petsiuk et al.,
            2018), zero (``"black"``), the image's own mean per channel
            (``"mean"``), or images as ``baseline`` in
            :meth:`integrated_gradients`. The default is the blur because a
            removed pixel should lose its information without bringing a new
            signal: on photos, black pixels scattered in a random order are
            salt-and-pepper noise that ruins any prediction about as fast as
            the best order does (so the random baseline wins or ties, and the
            check measures the noise, not the map), while a blurred pixel keeps
            the image's colours and coarse shapes and loses only its detail.
            On patches of scikit-learn's two sample photos, saliency and
            integrated gradients beat the random order with the blur.
        random_state : int, numpy Generator or None, default=None
            Seeds the random order.

        Returns
        -------
        AUCResult

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
        ...                           keras.layers.Dense(2, activation="softmax")])
        >>> inspector = AttributionInspector(model)
        >>> X = np.random.default_rng(0).random((2, 4, 4))
        >>> r = inspector.deletion_auc(X, inspector.integrated_gradients(X), steps=4)
        >>> r.curve.shape, r.fractions.tolist()
        ((2, 5), [0.0, 0.25, 0.5, 0.75, 1.0])
        """
        return self._order_curve(X, attribution, target, steps, fill, random_state, insert=False)

    def insertion_auc(self, X, attribution, *, target=None, steps=20, fill="blur", random_state=None):
        """Reveal pixels in the attribution's order on the ``fill`` image; the area under the probability.

        Higher than the random order's area for a map that finds the evidence.
        Parameters as in :meth:`deletion_auc` (the default ``fill="blur"``
        starts from the blurred image, as RISE's insertion does).

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
        ...                           keras.layers.Dense(2, activation="softmax")])
        >>> inspector = AttributionInspector(model)
        >>> X = np.random.default_rng(0).random((2, 4, 4))
        >>> inspector.insertion_auc(X, inspector.saliency(X), steps=4).kind
        'insertion'
        """
        return self._order_curve(X, attribution, target, steps, fill, random_state, insert=True)
