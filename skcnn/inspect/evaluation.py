"""Measure attribution maps: faithfulness, randomization, robustness and complexity, one score per image.

Every metric is a function with one signature::

    metric(model, X, maps, target=None, *, output=None, <its own options>,
           random_state=None, batch_size=None, device=None) -> ndarray of shape (n,)

- ``model``: what :class:`~skcnn.inspect.AttributionInspector` takes (a
  fitted :class:`~skcnn.KerasCNNClassifier`, a Pipeline ending in one, a
  ``keras.Model``), or an ``AttributionInspector`` already built (then
  ``output``, ``batch_size`` and ``device`` are the inspector's own).
  :func:`sparseness` and :func:`complexity` read the maps only and take
  ``model=None`` (and ignore ``X`` and ``target``).
- ``X``: the images in pixel space, as the inspectors take them; None to
  use ``maps.images`` when ``maps`` is an :class:`~skcnn.inspect.Attribution`.
- ``maps``: an ``Attribution`` or an array ``(n, height, width)`` of maps.
- ``target``: the class each map explains (labels of the classifier's
  ``classes_``, indices for a bare model); by default the classes the
  ``Attribution`` explains, or the predicted classes for an array.
- The metrics that explain again (randomization, robustness) take
  ``method=`` (a name for :meth:`~skcnn.inspect.AttributionInspector.attribute`;
  default: ``maps.method``) and ``method_options=`` (a dict passed to it).

The images every metric perturbs (pixels removed, noisy copies, randomized
networks) go through the inspection runtime a batch at a time: one
compiled call scores all the perturbed copies of a batch of images, one
call of the method explains all the noisy copies of a batch. Randomness
comes only from ``random_state``: the same seed gives the same scores.

:func:`evaluate` runs several methods under several metrics with one
inspector and returns an :class:`EvaluationResult`;
:func:`skcnn.plotting.plot_evaluation` draws it.

Quantus 0.6 (Hedström et al., 2023) is the reference implementation of most
of these metrics; each docstring gives the Quantus call that computes the
same number and says where the definitions differ. Three differences hold
throughout: Quantus divides a batch of maps by the largest absolute value in
the *whole batch* (``normalise=True``), which changes no score here except
where said; it ranks each channel value of an RGB image apart, where these
metrics rank pixels (the same on one-channel images); and a score divided by
zero is NaN there, where each docstring here says what it is.
"""

from __future__ import annotations

import inspect
import numbers
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .._repr import ShortReprMixin
from .._validation import check_int, check_number
from ._core.batch import budget_batch_size, run_in_batches
from ._core.model import import_keras
from ._core.probe import Spec
from .attribution import (_METHODS, Attribution, AttributionInspector, RandomizationResult, _fold, _logit_split,
                          _pick, _rank_correlation, _reinitialize, _seed_pair, _unfold)

__all__ = [
    "faithfulness_correlation", "deletion", "insertion", "road", "irof",
    "model_parameter_randomization", "model_parameter_randomization_layers", "random_logit",
    "max_sensitivity", "avg_sensitivity", "local_lipschitz_estimate",
    "sparseness", "complexity",
    "evaluate", "EvaluationResult", "METRICS",
]

_SCORES = ("probability", "logit")
_SIMILARITIES = ("spearman", "pearson", "ssim")
# ROAD's noisy linear imputation: each removed pixel is the weighted mean of its 8 neighbours (Rong et al., 2022)
_NEIGHBOURS = (((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12), ((0, -1), 1 / 6),
               ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6))


# ----------------------------------------------------------------------------- inputs
class _Case(NamedTuple):
    inspector: AttributionInspector
    x: np.ndarray  # model-space images
    pixels: np.ndarray  # pixel-space images (n, h, w, c)
    maps: np.ndarray  # (n, h, w) float64
    targets: np.ndarray  # class indices (n,)


def _choice(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}.")
    return value


def _inspector(model, output=None, batch_size=None, device=None):
    if isinstance(model, AttributionInspector):
        return model
    if model is None:
        raise TypeError("model must be a fitted KerasCNNClassifier, a Pipeline ending in one, a keras.Model or an "
                        "AttributionInspector; got None (only sparseness and complexity take model=None).")
    return AttributionInspector(model, output=output, batch_size=batch_size, device=device)


def _as_maps(maps, shape=None):
    """The maps as float64 ``(n, h, w)``, checked against ``shape`` when given."""
    values = maps.maps if isinstance(maps, Attribution) else maps
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"maps must be an Attribution or an array of maps (n, height, width); got "
                        f"{type(maps).__name__}.") from None
    if values.ndim != 3 or (shape is not None and values.shape != tuple(shape)):
        expected = "(n, height, width)" if shape is None else str(tuple(shape))
        raise ValueError(f"maps must have shape {expected}, one map per image; got shape {values.shape}.")
    if not np.all(np.isfinite(values)):
        raise ValueError("maps must hold finite values; got NaN or infinity.")
    return values


def _target_indices(inspector, x, maps, target):
    """Class indices per image: the Attribution's, the requested ones, or the predicted ones."""
    if target is None and isinstance(maps, Attribution):
        return np.asarray(maps.targets, dtype=np.int32)
    requested = inspector._targets(target, len(x))
    if np.any(requested < 0):
        logits, _ = inspector._logits(x)
        requested = np.where(requested < 0, np.argmax(logits, axis=1), requested)
    return requested.astype(np.int32)


def _target_arg(inspector, indices):
    """The ``target`` argument of the inspector's methods for class indices."""
    classes = inspector.model_.classes_
    return indices if classes is None else classes[indices]


def _prepare(model, X, maps, target, output, batch_size, device):
    inspector = _inspector(model, output, batch_size, device)
    if X is None:
        if not isinstance(maps, Attribution):
            raise ValueError("X must hold the images the maps explain; it may be None only when maps is an "
                             "Attribution (then its images are used).")
        X = maps.images
    x, pixels = inspector._images(X)
    values = _as_maps(maps, (len(x), *x.shape[1:3]))
    return _Case(inspector, x, pixels, values, _target_indices(inspector, x, maps, target))


def _method(method, maps, method_options):
    if method is None:
        if not isinstance(maps, Attribution):
            raise ValueError("method must name the attribution method (e.g. 'saliency') when maps is an array; "
                             "an Attribution names its own.")
        method = maps.method
    if not isinstance(method, str):
        raise TypeError(f"method must be the name of an attribution method, a str; got {type(method).__name__}.")
    if method_options is not None and not isinstance(method_options, dict):
        raise TypeError(f"method_options must be a dict of options for the method; got "
                        f"{type(method_options).__name__}.")
    return method, dict(method_options or {})


def _fill_images(inspector, fill, pixels):
    """What a removed pixel becomes, as model-space images: a name, a number, or images."""
    if isinstance(fill, str) and fill == "min":
        low = pixels.reshape(len(pixels), -1).min(axis=1)
        return inspector.model_.to_model(np.broadcast_to(low[:, None, None, None], pixels.shape).copy(), name="fill")
    if isinstance(fill, numbers.Real) and not isinstance(fill, (bool, np.bool_)):
        return inspector.model_.to_model(np.full_like(pixels, check_number(fill, "fill", low=-np.inf)), name="fill")
    return inspector._baseline(fill, pixels, name="fill")


def _ranks(values, descending=True, kind=None):
    """Rank of each entry of each row (0 = first removed), in NumPy's ``kind`` of argsort (default: as Quantus)."""
    flat = values.reshape(len(values), -1)
    order = np.argsort(-flat if descending else flat, axis=1, kind=kind)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(flat.shape[1])[None].repeat(len(flat), 0), axis=1)
    return ranks.reshape(values.shape).astype(np.int32)


# ----------------------------------------------------------------------------- compiled scores
def _score_fn(inspector, score):
    """``images -> (n, classes)``: the logits, or the probabilities.

    The probabilities are the explained output's softmax or sigmoid where its
    last layer applies one, else the softmax of the output (as Quantus'
    ``softmax=True`` does).
    """
    keras = import_keras()
    ops = keras.ops
    forward = inspector._forward()
    resolved = inspector.model_
    squashed = _logit_split(keras, resolved.layers[resolved.output_layer]) is not None

    def scores(images):
        _, logits, probabilities = forward(images)
        if score == "logit":
            return logits
        return probabilities if squashed else ops.softmax(logits, axis=-1)

    return scores


def _curve_fn(inspector, score):
    """``(x, fill, targets, ranks, counts, insert) -> (n, len(counts))`` class scores as pixels go (or come).

    Pixel ``p`` is removed at point ``k`` of the curve where ``ranks[p] <
    counts[k]``: it takes the fill's value (deletion) or, with ``insert``,
    the image starts as the fill and takes the image's value.
    """
    ops = import_keras().ops
    scores = _score_fn(inspector, score)

    def curve(x, b, targets, ranks, counts, insert):
        k = ops.shape(counts)[0]
        hidden = ops.cast(ranks[:, None] < counts[None, :, None, None], "float32")[..., None]
        start, end = ops.where(insert, b, x), ops.where(insert, x, b)
        values = scores(_fold(ops, start[:, None] * (1.0 - hidden) + end[:, None] * hidden))
        return _unfold(ops, _pick(ops, values, ops.repeat(targets, k, axis=0)), k)

    image = inspector._spec()
    return inspector._probe.function(("evaluation_curve", score), curve, [
        image, image, Spec((None,), "int32"), Spec((None, None, None), "int32"), Spec((None,), "int32"),
        Spec((), "bool")])


def _masked_fn(inspector, score):
    """``(x, fill, targets, masks (n, k, h, w)) -> (clean (n,), masked (n, k))`` class scores."""
    ops = import_keras().ops
    scores = _score_fn(inspector, score)

    def masked(x, b, targets, masks):
        n, k = ops.shape(x)[0], ops.shape(masks)[1]
        m = masks[..., None]
        values = scores(ops.concatenate([x, _fold(ops, x[:, None] * (1.0 - m) + b[:, None] * m)], axis=0))
        clean = _pick(ops, values[:n], targets)
        return clean, _unfold(ops, _pick(ops, values[n:], ops.repeat(targets, k, axis=0)), k)

    image = inspector._spec()
    return inspector._probe.function(("evaluation_masked", score), masked, [
        image, image, Spec((None,), "int32"), Spec((None, None, None, None))])


def _class_scores(inspector, x, score):
    """``(n, classes)`` logits or probabilities of model-space images."""
    fn = inspector._probe.function(("evaluation_scores", score), _score_fn(inspector, score), [inspector._spec()])
    scores, = inspector._run(fn, 1, [x])
    return scores


def _removal_curve(inspector, x, fill, targets, ranks, counts, *, insert=False, score="probability"):
    """The class score of ``x`` as the pixels of rank below each count are removed (or revealed); ``(n, k)``.

    The machinery of :func:`deletion`, :func:`insertion` and :func:`irof`:
    ``x`` and ``fill`` are model-space images, ``ranks`` ``(n, h, w)``
    int32, ``counts`` ``(k,)`` int32.
    """
    fn = _curve_fn(inspector, _choice(score, "score", _SCORES))
    curve, = inspector._run(fn, len(counts), [x, fill, targets, ranks], np.asarray(counts, np.int32), bool(insert))
    return curve


# ----------------------------------------------------------------------------- faithfulness
def _counts(size, steps, pixels_per_step):
    if pixels_per_step is not None:
        per = check_int(pixels_per_step, "pixels_per_step")
        return np.minimum(np.arange(-(-size // per) + 1) * per, size).astype(np.int32)
    steps = check_int(steps, "steps")
    return np.round(np.linspace(0.0, 1.0, steps + 1) * size).astype(np.int32)


def _order_metric(model, X, maps, target, output, steps, pixels_per_step, fill, score, area, batch_size, device,
                  insert):
    area = _choice(area, "area", ("fraction", "steps"))
    case = _prepare(model, X, maps, target, output, batch_size, device)
    size = case.maps[0].size
    counts = _counts(size, steps, pixels_per_step)
    fill_images = _fill_images(case.inspector, fill, case.pixels)
    curve = _removal_curve(case.inspector, case.x, fill_images, case.targets, _ranks(case.maps), counts,
                           insert=insert, score=score)
    if area == "steps":
        return np.trapezoid(curve[:, 1:], dx=1.0, axis=1)
    return np.trapezoid(curve, counts / size, axis=1)


def deletion(model, X, maps, target=None, *, output=None, steps=20, pixels_per_step=None, fill="blur",
             score="probability", area="fraction", random_state=None, batch_size=None, device=None):
    """Deletion (Petsiuk et al., 2018; pixel flipping, Bach et al., 2015): remove pixels, most relevant first.

    The pixels are removed in the order of their attribution, highest first,
    ``k`` at a time; ``f_k`` is the class score after removing the first
    ``c_k`` of the ``N = h * w`` pixels (``c_0 = 0``: the image itself). A
    removed pixel takes the value of the ``fill`` image, every channel. The
    score per image is an area under the curve ``f``::

        "fraction": sum_k (c_k+1 - c_k) / N * (f_k + f_k+1) / 2   (trapezoids over the share removed, 0 to 1)
        "steps":    sum_k>=1 (f_k + f_k+1) / 2                    (trapezoids, unit spacing, from f_1)

    Lower is better: a map that finds the evidence makes the score fall fast.

    Parameters
    ----------
    model, X, maps, target, output
        See the module's summary.
    steps : int, default=20
        Points of the curve after the first: ``c_k = round(k / steps * N)``.
    pixels_per_step : int, optional
        Remove this many pixels per point instead (the last point removes the
        rest): ``c_k = min(k * pixels_per_step, N)``; overrides ``steps``.
    fill : {"blur", "black", "mean", "min"}, number or array-like, default="blur"
        What a removed pixel becomes: the pixel of a Gaussian blur of the
        image (sigma ``max(h, w) / 8``), zero, the image's mean per channel,
        the image's smallest value (over all pixels and channels), a number,
        or images (as ``baseline`` in
        :meth:`~skcnn.inspect.AttributionInspector.integrated_gradients`).
    score : {"probability", "logit"}, default="probability"
        The class's probability (its softmax or sigmoid, or the softmax of
        the output of a model without one) or its logit.
    area : {"fraction", "steps"}, default="fraction"
        As in the formula.
    random_state : None
        Not used (the metric is deterministic); accepted as by every metric.
    batch_size, device
        As in :class:`~skcnn.inspect.AttributionInspector`.

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``PixelFlipping(features_in_step=k, perturb_baseline="black",
    return_auc_per_sample=True)`` called with ``softmax=True`` equals
    ``deletion(..., pixels_per_step=k, fill="min", area="steps")`` on
    one-channel images (Quantus' ``"black"`` is each image's minimum, its
    curve starts after the first step and its AUC is ``np.trapz(curve,
    dx=1)``). Pixels are ordered as Quantus orders them, by NumPy's default
    ``argsort`` of the negated map; among pixels of equal attribution
    (Grad-CAM's zeros) that order can differ with the maps' dtype, so
    compare on maps without ties. On RGB images Quantus removes
    one channel value at a time; here a pixel goes with all its channels.
    xplique: ``Deletion(model, X, y, baseline_mode=0.0, steps=s)``
    corresponds to ``fill=0.0, steps=s`` with its mean of trapezoids,
    ``area="fraction"``, on the model's output as it is.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
    ...                           keras.layers.Dense(2, activation="softmax")])
    >>> X = np.random.default_rng(0).random((3, 4, 4))
    >>> a = AttributionInspector(model).integrated_gradients(X, steps=8)
    >>> deletion(model, X, a, steps=4).shape
    (3,)
    """
    return _order_metric(model, X, maps, target, output, steps, pixels_per_step, fill, score, area, batch_size,
                         device, insert=False)


def insertion(model, X, maps, target=None, *, output=None, steps=20, pixels_per_step=None, fill="blur",
              score="probability", area="fraction", random_state=None, batch_size=None, device=None):
    """Insertion (Petsiuk et al., 2018): reveal pixels on the ``fill`` image, most relevant first.

    The curve of :func:`deletion` run the other way: the image starts as
    ``fill`` (by default its blur) and the pixels take their values back in
    the order of their attribution; the score is the same area. Higher is
    better.

    Parameters
    ----------
    model, X, maps, target, output, steps, pixels_per_step, fill, score, area, random_state, batch_size, device
        As in :func:`deletion`.

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus 0.6 has no insertion metric. xplique: ``Insertion(model, X, y,
    baseline_mode=0.0, steps=s)`` corresponds to ``insertion(...,
    fill=0.0, steps=s)`` on the model's output as it is.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
    ...                           keras.layers.Dense(2, activation="softmax")])
    >>> X = np.random.default_rng(0).random((3, 4, 4))
    >>> insertion(model, X, AttributionInspector(model).saliency(X), steps=4, fill="black").shape
    (3,)
    """
    return _order_metric(model, X, maps, target, output, steps, pixels_per_step, fill, score, area, batch_size,
                         device, insert=True)


def _subset(subset_size, size):
    if isinstance(subset_size, float) and 0.0 < subset_size < 1.0:
        return max(1, int(round(subset_size * size)))
    if isinstance(subset_size, (int, np.integer)) and not isinstance(subset_size, bool) and 1 <= subset_size <= size:
        return int(subset_size)
    raise ValueError(f"subset_size must be a share of the pixels in (0, 1) or a number of pixels in [1, {size}]; "
                     f"got {subset_size!r}.")


def _pearson(a, b):
    """Pearson correlation of each row of ``a`` with the same row of ``b`` (0 where a row is constant)."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    norm = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, (a * b).sum(axis=1) / norm, 0.0)


def faithfulness_correlation(model, X, maps, target=None, *, output=None, n_samples=100, subset_size=0.2,
                             fill="black", score="logit", random_state=None, batch_size=None, device=None):
    """Faithfulness correlation (Bhatt, Weller and Moura, 2020): whether the maps predict what removing pixels costs.

    For ``n_samples`` random subsets ``S`` of ``subset_size`` pixels per
    image, the subset is set to ``fill`` and the score is the Pearson
    correlation, over the subsets, of the attribution the subset holds with
    the drop of the class score::

        corr_S( sum_{i in S} a_i ,  f(x) - f(x with S set to the fill) )

    Higher is better (1: the maps add up like the model). An image whose
    attribution sums or drops do not vary scores 0.

    Parameters
    ----------
    model, X, maps, target, output
        See the module's summary.
    n_samples : int, default=100
        Random subsets per image.
    subset_size : float in (0, 1) or int, default=0.2
        Pixels per subset: a share of the pixels, or a number of them.
    fill : str, number or array-like, default="black"
        As in :func:`deletion`.
    score : {"logit", "probability"}, default="logit"
        As in :func:`deletion`.
    random_state : int, numpy Generator or None, default=None
        Seeds the subsets.
    batch_size, device
        As in :class:`~skcnn.inspect.AttributionInspector`.

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``FaithfulnessCorrelation(nr_runs=n, subset_size=s,
    perturb_baseline="black", return_aggregate=False)`` with its default
    ``softmax=False`` is ``faithfulness_correlation(..., n_samples=n,
    subset_size=s, fill="min", score="logit")`` in distribution (other
    random subsets; Quantus' default subset of 224 pixels suits 224 x 224
    images); a constant row is NaN there. xplique: ``MuFidelity(grid_size=None,
    subset_percent=p, baseline_mode=0.0, nb_samples=n)`` draws each pixel
    with probability ``p`` (subsets of varying size) and ``grid_size=9`` (its
    default) removes cells of a 9 x 9 grid, not pixels.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    >>> X = np.random.default_rng(0).random((3, 4, 4))
    >>> a = AttributionInspector(model).integrated_gradients(X, steps=4)
    >>> np.round(faithfulness_correlation(model, X, a, n_samples=20, subset_size=4, random_state=0), 4)
    array([1., 1., 1.])
    """
    case = _prepare(model, X, maps, target, output, batch_size, device)
    n_samples = check_int(n_samples, "n_samples", low=2)
    n, h, w = case.maps.shape
    subset = _subset(subset_size, h * w)
    fn = _masked_fn(case.inspector, _choice(score, "score", _SCORES))
    seed = _seed_pair(random_state)

    def batch(x, b, targets, values, index):
        rng = np.random.default_rng([seed, int(index[0])])  # a batch's subsets come from its first image's position
        chosen = np.argpartition(rng.random((len(x), n_samples, h * w)), subset - 1, axis=2)[..., :subset]
        masks = np.zeros((len(x), n_samples, h * w), dtype=np.float32)
        np.put_along_axis(masks, chosen, 1.0, axis=2)
        clean, masked = fn(x, b, targets, masks.reshape(len(x), n_samples, h, w))
        return clean[:, None] - masked, np.einsum("nkp,np->nk", masks, values.reshape(len(x), h * w))

    arrays = [case.x, _fill_images(case.inspector, fill, case.pixels), case.targets, case.maps,
              np.arange(n, dtype=np.int64)]
    drops, sums = run_in_batches(batch, arrays, case.inspector._batch(n_samples + 1, case.x[0].size))
    return _pearson(sums, drops.astype(np.float64))


def _impute(images, removed, noise, rng):
    """Noisy linear imputation: each removed pixel the weighted mean of its 8 neighbours, plus Gaussian noise.

    ``images`` ``(m, h, w, c)``, ``removed`` ``(m, h, w)`` bool. The removed
    values of all ``m`` images solve one sparse linear system (a block per
    image): ``sum_j w_ij (v_i - v_j) = 0`` over the neighbours ``j`` inside
    the image, with ``v_j = x_j`` for the kept ones.
    """
    from scipy.sparse import csc_matrix
    from scipy.sparse.linalg import splu

    m, h, w, c = images.shape
    unknown = np.flatnonzero(removed.reshape(-1))
    ids = np.full(m * h * w, -1, dtype=np.int64)
    ids[unknown] = np.arange(len(unknown))
    image, row, col = np.unravel_index(unknown, (m, h, w))
    values = images.reshape(-1, c).astype(np.float64)
    right, diagonal = np.zeros((len(unknown), c)), np.zeros(len(unknown))
    rows, cols, weights = [np.arange(len(unknown))], [np.arange(len(unknown))], []
    for (dr, dc), weight in _NEIGHBOURS:
        r, q = row + dr, col + dc
        inside = np.flatnonzero((r >= 0) & (r < h) & (q >= 0) & (q < w))
        neighbour = np.ravel_multi_index((image[inside], r[inside], q[inside]), (m, h, w))
        diagonal[inside] += weight
        known = ids[neighbour] < 0
        np.add.at(right, inside[known], weight * values[neighbour[known]])
        rows.append(inside[~known])
        cols.append(ids[neighbour[~known]])
        weights.append(np.full(int((~known).sum()), -weight))
    system = csc_matrix((np.concatenate([diagonal] + weights), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(len(unknown), len(unknown)))
    # the unknowns are numbered row by row, so the system is banded: no reordering beats the natural order
    solution = splu(system, permc_spec="NATURAL").solve(right) if len(unknown) else right
    out = values.copy()
    out[unknown] = solution + noise * rng.standard_normal(solution.shape)
    return out.reshape(images.shape).astype(np.float32)


def road(model, X, maps, target=None, *, output=None, percentages=None, order="morf", noise=0.01,
         score="accuracy", random_state=None, batch_size=None, device=None):
    """ROAD (Rong et al., 2022): remove pixels by noisy linear imputation, then ask the model again.

    For each share ``p`` of ``percentages``, the ``int(N * p / 100)`` pixels
    of highest attribution (``order="morf"``; lowest with ``"lerf"``) are
    removed and imputed from their neighbours: each removed pixel takes the
    weighted mean of its 8 neighbours (weights 1/6 on the sides, 1/12 on the
    corners, over those inside the image), known or imputed, which is one
    sparse linear system per image, plus Gaussian noise of standard
    deviation ``noise`` (pixel units) per channel. The imputation leaves no
    trace of the removed pixels' shape for the model to read. The score per
    image is the mean over the shares of::

        "accuracy":    1 if the model still predicts the target class, else 0
        "probability": the target class's probability

    Lower is better for ``"morf"`` (the map found what matters), higher for
    ``"lerf"``.

    Parameters
    ----------
    model, X, maps, target, output
        See the module's summary.
    percentages : sequence of numbers in (0, 100), optional
        Shares of the pixels to remove (default 1, 3, ..., 99, as Quantus).
    order : {"morf", "lerf"}, default="morf"
        Most or least relevant pixels first.
    noise : float, default=0.01
        Standard deviation of the noise added to each imputed value.
    score : {"accuracy", "probability"}, default="accuracy"
    random_state : int, numpy Generator or None, default=None
        Seeds the noise.
    batch_size, device
        As in :class:`~skcnn.inspect.AttributionInspector`.

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``ROAD(percentages=P, noise=s)`` returns, per share, the
    accuracy over the images; its mean over the shares is the mean of
    ``road(..., percentages=P, noise=s)`` over the images (in distribution:
    other noise; on one-channel images, as Quantus ranks channel values).
    xplique has no ROAD.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten(),
    ...                           keras.layers.Dense(2, activation="softmax")])
    >>> X = np.random.default_rng(0).random((3, 6, 6))
    >>> s = road(model, X, AttributionInspector(model).saliency(X), percentages=[10, 50, 90], random_state=0)
    >>> s.shape, bool(np.all((s >= 0) & (s <= 1)))
    ((3,), True)
    """
    case = _prepare(model, X, maps, target, output, batch_size, device)
    shares = np.arange(1, 100, 2) if percentages is None else np.asarray(percentages, dtype=np.float64).ravel()
    if shares.size == 0 or not np.all((shares > 0) & (shares < 100)):
        raise ValueError(f"percentages must be shares of the pixels in (0, 100); got {percentages!r}.")
    descending = _choice(order, "order", ("morf", "lerf")) == "morf"
    score = _choice(score, "score", ("accuracy", "probability"))
    noise = check_number(noise, "noise")
    n, h, w = case.maps.shape
    counts = np.array([int(h * w * p / 100) for p in shares.tolist()])
    fn = case.inspector._probe.function(("evaluation_scores", "probability"),
                                        _score_fn(case.inspector, "probability"), [case.inspector._spec()])
    seed = _seed_pair(random_state)

    def batch(pixels, values, targets, index):
        rng = np.random.default_rng([seed, int(index[0])])
        removed = _ranks(values, descending)[:, None] < counts[None, :, None, None]  # (b, shares, h, w)
        copies = np.repeat(pixels, len(counts), axis=0)
        imputed = _impute(copies, removed.reshape(-1, h, w), noise, rng)
        probabilities = fn(case.inspector.model_.to_model(imputed))
        picked = probabilities[np.arange(len(imputed)), np.repeat(targets, len(counts))]
        hit = np.argmax(probabilities, axis=1) == np.repeat(targets, len(counts))
        return (hit if score == "accuracy" else picked).reshape(len(pixels), len(counts)).mean(axis=1)

    per_batch = case.inspector._batch(len(counts), case.x[0].size)
    scores, = run_in_batches(batch, [case.pixels, case.maps, case.targets, np.arange(n)], per_batch)
    return scores.astype(np.float64)


def _segments(segments, n, h, w):
    """Segment labels ``(n, h, w)`` numbered 0.. per image, and the number of segments per image."""
    if segments is None or (isinstance(segments, (int, np.integer)) and not isinstance(segments, bool)):
        side = max(1, -(-min(h, w) // 8)) if segments is None else check_int(segments, "segments")
        cells = (np.arange(h)[:, None] // side) * (-(-w // side)) + np.arange(w)[None] // side
        labels = np.broadcast_to(cells, (n, h, w))
    else:
        labels = np.asarray(segments)
        if labels.shape == (h, w):
            labels = np.broadcast_to(labels, (n, h, w))
        if labels.shape != (n, h, w) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"segments must be None, a cell side in pixels (int) or integer labels of shape "
                             f"({h}, {w}) or ({n}, {h}, {w}); got {labels.dtype} of shape {labels.shape}.")
    shifted = labels.astype(np.int64) - labels.min()
    keyed = shifted + np.arange(n)[:, None, None] * (int(shifted.max()) + 1)  # one range of keys per image
    _, inverse = np.unique(keyed, return_inverse=True)
    inverse = inverse.reshape(n, h, w)
    first = inverse.reshape(n, -1).min(axis=1)
    local = inverse - first[:, None, None]
    return local, local.reshape(n, -1).max(axis=1) + 1


def irof(model, X, maps, target=None, *, output=None, segments=None, fill="mean", score="probability",
         normalize=True, random_state=None, batch_size=None, device=None):
    """IROF (Rieger and Hansen, 2020): remove whole segments, most relevant first; the area over the curve.

    Each image is cut into ``S`` segments (a regular grid, or a given
    segmentation); segments are ranked by their mean attribution and
    removed (set to ``fill``) one more at a time. With ``r_k`` the class
    score after removing ``k`` segments divided by the score of the image
    itself::

        IROF = S - sum_{k=1}^{S-1} (r_k + r_k+1) / 2     (divided by S with normalize=True)

    Higher is better: the score falls fast when the map ranks the
    segments that matter first.

    Parameters
    ----------
    model, X, maps, target, output
        See the module's summary.
    segments : None, int or array-like of int, optional
        A square grid of cells of this side in pixels (default: a side of
        ``ceil(min(h, w) / 8)``, about 8 x 8 cells), or labels of shape
        ``(h, w)`` (for every image) or ``(n, h, w)``: pixels with one label
        form one segment (e.g. ``skimage.segmentation.slic(image,
        start_label=0)``, as Quantus segments).
    fill : str, number or array-like, default="mean"
        As in :func:`deletion` (``"mean"``: each image's mean per channel).
    score : {"probability", "logit"}, default="probability"
        As in :func:`deletion`; every image's score must be positive.
    normalize : bool, default=True
        Divide by the number of segments, for a score in [0, 1] when the
        scores only fall.
    random_state : None
        Not used (the metric is deterministic).
    batch_size, device
        As in :class:`~skcnn.inspect.AttributionInspector`.

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``IROF(segmentation_method="slic", perturb_baseline=v,
    return_aggregate=False)`` with a number ``v`` and ``softmax=True``
    equals ``irof(..., segments=slic_labels, fill=v, normalize=False)``
    where every image has the same number of segments (with fewer, Quantus
    pads the curve with zeros, which adds half the last ratio to its area).
    Quantus' default ``perturb_baseline="mean"`` is the mean of the whole
    batch of partly removed images at each step, not of each image. xplique
    has no IROF.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
    ...                           keras.layers.Dense(2, activation="softmax")])
    >>> X = np.random.default_rng(0).random((3, 8, 8))
    >>> irof(model, X, AttributionInspector(model).saliency(X), segments=2).shape
    (3,)
    """
    case = _prepare(model, X, maps, target, output, batch_size, device)
    n, h, w = case.maps.shape
    labels, count = _segments(segments, n, h, w)
    most = int(count.max())
    flat = (labels + np.arange(n)[:, None, None] * most).ravel()
    sums = np.bincount(flat, weights=case.maps.ravel(), minlength=n * most).reshape(n, most)
    sizes = np.bincount(flat, minlength=n * most).reshape(n, most)
    means = np.where(sizes > 0, sums / np.maximum(sizes, 1), -np.inf)  # absent segments rank last
    segment_rank = _ranks(means)
    ranks = np.take_along_axis(segment_rank, labels.reshape(n, -1), axis=1).reshape(n, h, w)
    fill_images = _fill_images(case.inspector, fill, case.pixels)
    curve = _removal_curve(case.inspector, case.x, fill_images, case.targets, ranks,
                           np.arange(most + 1, dtype=np.int32), score=score).astype(np.float64)
    if np.any(curve[:, 0] <= 0):
        raise ValueError(f"irof divides by each image's class score, which must be positive; image "
                         f"{int(np.argmax(curve[:, 0] <= 0))} scores {curve[:, 0].min():.4g}. Use score='probability'.")
    ratio = curve[:, 1:] / curve[:, :1]
    k = np.arange(most)[None]
    weights = (k < count[:, None]) - 0.5 * (k == 0) - 0.5 * (k == count[:, None] - 1)  # trapezoids over r_1..r_S
    area = count - (ratio * weights).sum(axis=1)
    return area / count if normalize else area


# ----------------------------------------------------------------------------- randomization
def _ssim(a, b):
    """Structural similarity of each map of ``a`` with the same map of ``b`` (``(n, h, w)`` each).

    As ``skimage.metrics.structural_similarity`` computes it by default: a
    uniform 7 x 7 window (the largest odd side up to 7 that fits), sample
    covariances, ``K1 = 0.01``, ``K2 = 0.03``, the data range of the pair
    (max - min over both maps), and the mean over the window positions that
    lie wholly inside the map. Two equal constant maps score 1.
    """
    from scipy.ndimage import uniform_filter

    side = min(7, *a.shape[1:])
    side -= 1 - side % 2
    lo = np.minimum(a.min(axis=(1, 2)), b.min(axis=(1, 2)))
    span = (np.maximum(a.max(axis=(1, 2)), b.max(axis=(1, 2))) - lo)[:, None, None]
    c1, c2 = (0.01 * span) ** 2, (0.03 * span) ** 2
    mean = lambda t: uniform_filter(t, size=(1, side, side))  # noqa: E731
    ua, ub = mean(a), mean(b)
    unbiased = side * side / (side * side - 1.0) if side > 1 else 1.0
    va, vb = unbiased * (mean(a * a) - ua * ua), unbiased * (mean(b * b) - ub * ub)
    cov = unbiased * (mean(a * b) - ua * ub)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (2 * ua * ub + c1) * (2 * cov + c2) / ((ua * ua + ub * ub + c1) * (va + vb + c2))
    pad = (side - 1) // 2
    s = s[:, pad:s.shape[1] - pad, pad:s.shape[2] - pad].mean(axis=(1, 2))
    return np.where(span[:, 0, 0] > 0, s, np.where(np.all(a == b, axis=(1, 2)), 1.0, 0.0))


def _similarity(similarity, a, b):
    """Per-image similarity of two stacks of maps: a name or a callable ``(a, b) -> (n,)``."""
    if callable(similarity):
        return np.asarray(similarity(a, b), dtype=np.float64).reshape(len(a))
    name = _choice(similarity, "similarity", _SIMILARITIES)
    if name == "spearman":
        return _rank_correlation(a, b)
    if name == "pearson":
        return _pearson(a.reshape(len(a), -1), b.reshape(len(b), -1))
    return _ssim(a, b)


def _randomized_maps(inspector, X, method, target, layers, random_state, options):
    """``(layer paths, mode, maps (stages, n, h, w))`` of a copy of the network randomized layer by layer."""
    keras = import_keras()
    order, mode = inspector._randomized_layers(keras, layers)
    twin = inspector._twin(keras)
    trained = [[np.asarray(v) for v in layer.weights] for layer in twin.model_.layers]
    rng = np.random.default_rng(random_state)
    stages = []
    for index in order:
        if mode == "independent":
            for other, values in zip(twin.model_.layers, trained):
                for variable, value in zip(other.weights, values):
                    variable.assign(value)
        _reinitialize(keras, twin.model_.layers[index], rng)
        stages.append(twin.attribute(X, method, target, **options).maps)
    return [inspector.model_.paths[i] for i in order], mode, np.stack(stages).astype(np.float64)


def model_parameter_randomization_layers(model, X, maps, target=None, *, output=None, method=None,
                                         method_options=None, layers="top-down", similarity="spearman",
                                         random_state=None, batch_size=None, device=None):
    """The per-layer values behind :func:`model_parameter_randomization`.

    Parameters
    ----------
    model, X, maps, target, output, method, method_options, layers, similarity, random_state, batch_size, device
        As in :func:`model_parameter_randomization`.

    Returns
    -------
    RandomizationResult
        ``correlations`` and ``absolute_correlations`` ``(layers, n)``: the
        similarity of each stage's maps with ``maps``, signed and absolute
        (by ``similarity``, Spearman by default); ``maps``: the given maps,
        then each stage's.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, name="c"),
    ...                           keras.layers.Flatten(), keras.layers.Dense(2, name="d")])
    >>> X = np.random.default_rng(0).random((3, 6, 6))
    >>> r = model_parameter_randomization_layers(model, X, AttributionInspector(model).saliency(X), random_state=0)
    >>> r.layers, r.correlations.shape
    (['d', 'c'], (2, 3))
    """
    case = _prepare(model, X, maps, target, output, batch_size, device)
    method, options = _method(method, maps, method_options)
    names, mode, stages = _randomized_maps(case.inspector, case.pixels, method,
                                           _target_arg(case.inspector, case.targets), layers, random_state, options)
    signed = np.stack([_similarity(similarity, case.maps, m) for m in stages])
    absolute = np.stack([_similarity(similarity, np.abs(case.maps), np.abs(m)) for m in stages])
    return RandomizationResult(method=method, layers=names, correlations=signed, absolute_correlations=absolute,
                               maps=np.concatenate([case.maps[None], stages]), mode=mode)


def model_parameter_randomization(model, X, maps, target=None, *, output=None, method=None, method_options=None,
                                  layers="top-down", absolute=True, similarity="spearman", summary="mean",
                                  random_state=None, batch_size=None, device=None):
    """Model parameter randomization (Adebayo et al., 2018): whether the maps change when the network does.

    A copy of the network has its layers re-drawn from their initializers,
    from the output down, one more at each stage (``"top-down"``,
    cascading) or one at a time with the others trained
    (``"independent"``); the method explains the same classes on each
    stage, and each stage's maps are compared with ``maps`` by
    ``similarity`` (of their absolute values, or of the signed maps). The
    score per image summarizes the stages::

        "mean": (1 / L) sum_l sim(a, a_l)        "last": sim(a, a_L)

    (``a_L``: every layer random in top-down order.) Lower is better: maps
    that explain the model lose their likeness to the trained maps. The
    per-layer values are in :func:`model_parameter_randomization_layers`.

    Parameters
    ----------
    model, X, maps, target, output
        See the module's summary.
    method : str, optional
        The method that made ``maps`` (default: ``maps.method``).
    method_options : dict, optional
        Passed to the method: the options that made ``maps`` (an
        ``Attribution`` does not record them; ``saliency`` is absolute
        unless ``{"absolute": False}``).
    layers : {"top-down", "independent"} or list of str, default="top-down"
        As in :meth:`~skcnn.inspect.AttributionInspector.randomization_test`.
    absolute : bool, default=True
        Compare absolute maps (Quantus' default) or signed ones (a signed map
        can lose its sign's ranking and keep its magnitudes').
    similarity : {"spearman", "pearson", "ssim"} or callable, default="spearman"
        ``ssim``: as ``skimage.metrics.structural_similarity`` on the 2-D
        maps; a callable takes two stacks of maps and returns one value per
        image.
    summary : {"mean", "last"}, default="mean"
    random_state : int, numpy Generator or None, default=None
        Seeds the initializers.
    batch_size, device
        As in :class:`~skcnn.inspect.AttributionInspector`.

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``MPRT(layer_order="top_down", return_last_correlation=True)``
    (``abs=True``, Spearman) is ``summary="last"`` in distribution. Its
    ``return_average_correlation=True`` averages over the stages *and* the
    maps' correlation with the method's maps of the trained network (1 for
    a deterministic method): ``(1 + L * mean) / (L + 1)``. Quantus draws
    the new weights otherwise: on PyTorch each module's
    ``reset_parameters()``; on TensorFlow a permutation of the weights'
    first axis, in a clone whose other layers also start from fresh
    weights. xplique: ``ModelRandomizationMetric`` with
    ``ProgressiveLayerRandomization`` compares the trained network's maps
    with the fully randomized one's (Spearman by default), as
    ``summary="last"``.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
    ...                           keras.layers.Flatten(), keras.layers.Dense(2)])
    >>> X = np.random.default_rng(0).random((3, 6, 6))
    >>> model_parameter_randomization(model, X, AttributionInspector(model).saliency(X), random_state=0).shape
    (3,)
    """
    summary = _choice(summary, "summary", ("mean", "last"))
    result = model_parameter_randomization_layers(
        model, X, maps, target, output=output, method=method, method_options=method_options, layers=layers,
        similarity=similarity, random_state=random_state, batch_size=batch_size, device=device)
    values = result.absolute_correlations if absolute else result.correlations
    return values.mean(axis=0) if summary == "mean" else values[-1]


def random_logit(model, X, maps, target=None, *, output=None, method=None, method_options=None, similarity="ssim",
                 other_target=None, random_state=None, batch_size=None, device=None):
    """Random logit (Sixt, Granz and Landgraf, 2020): whether the maps change with the class explained.

    Each image is explained again for a class drawn uniformly among the
    others; the score is the similarity of that map with ``maps`` (each map
    divided by its largest absolute value first). Lower is better.

    Parameters
    ----------
    model, X, maps, target, output, method, method_options
        As in :func:`model_parameter_randomization`.
    similarity : {"ssim", "spearman", "pearson"} or callable, default="ssim"
        As in :func:`model_parameter_randomization`.
    other_target : class label or array-like of shape (n,), optional
        The other class to explain per image, as ``target`` (it must differ
        from each image's class); by default drawn uniformly among the others.
    random_state : int, numpy Generator or None, default=None
        Seeds the classes drawn.
    batch_size, device
        As in :class:`~skcnn.inspect.AttributionInspector`.

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``RandomLogit(num_classes=K)`` compares with SSIM on the
    *flattened* maps (a 1-D window of 7 values) after dividing the batch by
    its largest value; pass a callable ``similarity`` to compute that
    instead. Its classes are drawn as here, from NumPy's global generator
    (seeded with its ``seed``): pass them as ``other_target`` to compare
    image by image.
    xplique: ``RandomLogitMetric`` (Spearman).

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    >>> X = np.random.default_rng(0).random((2, 8, 8))
    >>> random_logit(model, X, AttributionInspector(model).saliency(X), random_state=0).shape
    (2,)
    """
    case = _prepare(model, X, maps, target, output, batch_size, device)
    method, options = _method(method, maps, method_options)
    k = case.inspector.n_classes_
    if k < 2:
        raise ValueError("random_logit needs a model with at least two classes to draw another one from.")
    if other_target is None:
        draw = np.random.default_rng(random_state).integers(0, k - 1, size=len(case.targets))
        others = (draw + (draw >= case.targets)).astype(np.int32)
    else:
        others = case.inspector._targets(other_target, len(case.targets))
        if np.any(others == case.targets):
            raise ValueError("other_target must differ from the class each map explains; image "
                             f"{int(np.flatnonzero(others == case.targets)[0])} has the same.")
    again = case.inspector.attribute(case.pixels, method, _target_arg(case.inspector, others), **options).maps
    return _similarity(similarity, _unit(case.maps), _unit(again.astype(np.float64)))


def _unit(maps):
    top = np.abs(maps).reshape(len(maps), -1).max(axis=1)
    return maps / np.where(top > 0, top, 1.0)[:, None, None]


# ----------------------------------------------------------------------------- robustness
def _noisy_distances(model, X, maps, target, output, method, method_options, n_samples, draw, random_state,
                     batch_size, device):
    """``(||a - a'_j||_2, ||x - x'_j||_2)``, each ``(n, n_samples)``: maps of noisy copies explained in batches.

    All ``n_samples`` noisy copies of a batch of images are explained by one
    call of the method; ``draw(rng, shape)`` gives the noise (pixel space).
    """
    case = _prepare(model, X, maps, target, output, batch_size, device)
    method, options = _method(method, maps, method_options)
    n_samples = check_int(n_samples, "n_samples")
    rng = np.random.default_rng(random_state)
    per_batch = budget_batch_size(case.pixels[0].size, per_image=n_samples)

    def batch(pixels, values, targets):
        noise = draw(rng, (len(pixels), n_samples) + pixels.shape[1:]).astype(np.float32)
        noisy = (pixels[:, None] + noise).reshape((-1,) + pixels.shape[1:])
        again = case.inspector.attribute(noisy, method, _target_arg(case.inspector, np.repeat(targets, n_samples)),
                                         **options).maps.astype(np.float64)
        gap = again.reshape(len(pixels), n_samples, -1) - values.reshape(len(pixels), 1, -1)
        return np.linalg.norm(gap, axis=2), np.linalg.norm(noise.reshape(len(pixels), n_samples, -1), axis=2)

    return case.maps, *run_in_batches(batch, [case.pixels, case.maps, case.targets], per_batch)


def _uniform(radius):
    radius = check_number(radius, "radius", strict=True)
    return lambda rng, shape: rng.uniform(-radius, radius, size=shape)


def _relative(maps, gaps):
    """``gaps / ||a||``: 0 where both are 0, infinite where only the map is 0."""
    norm = np.linalg.norm(maps.reshape(len(maps), -1), axis=1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, gaps / np.where(norm > 0, norm, 1.0), np.where(gaps > 0, np.inf, 0.0))


def max_sensitivity(model, X, maps, target=None, *, output=None, method=None, method_options=None, n_samples=50,
                    radius=0.2, random_state=None, batch_size=None, device=None):
    """Max-sensitivity (Yeh et al., 2019): the largest change of the map under small noise, relative to the map.

    ``n_samples`` copies of each image get uniform noise in ``[-radius,
    radius]`` per value (pixel units), the method explains them (for the
    same class), and::

        max_j ||a - a(x + e_j)||_2 / ||a||_2

    Lower is better. A map of zeros scores 0 if its noisy maps are zero
    too, infinity otherwise.

    Parameters
    ----------
    model, X, maps, target, output, method, method_options
        As in :func:`model_parameter_randomization`.
    n_samples : int, default=50
        Noisy copies per image (Quantus: 200).
    radius : float, default=0.2
        Half-width of the uniform noise, in pixel units.
    random_state : int, numpy Generator or None, default=None
        Seeds the noise (and not the method: give it its own in
        ``method_options``).
    batch_size, device
        As in :class:`~skcnn.inspect.AttributionInspector`.

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``MaxSensitivity(nr_samples=m, lower_bound=r)`` with its
    defaults (``normalise=False``, ``abs=False``, the Frobenius norm of the
    difference over that of the map) is ``max_sensitivity(...,
    n_samples=m, radius=r)`` in distribution, on a model whose inputs are
    the pixels. Yeh et al. define the unnormalized maximum; xplique has no
    maximum (see :func:`avg_sensitivity`).

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    >>> X = np.random.default_rng(0).random((2, 4, 4))
    >>> a = AttributionInspector(model).saliency(X, absolute=False)
    >>> max_sensitivity(model, X, a, method_options={"absolute": False}, n_samples=5, random_state=0)
    array([0., 0.])
    """
    values, gaps, _ = _noisy_distances(model, X, maps, target, output, method, method_options, n_samples,
                                       _uniform(radius), random_state, batch_size, device)
    return _relative(values, gaps).max(axis=1)


def avg_sensitivity(model, X, maps, target=None, *, output=None, method=None, method_options=None, n_samples=50,
                    radius=0.2, random_state=None, batch_size=None, device=None):
    """Average sensitivity (Yeh et al., 2019): :func:`max_sensitivity` with the mean over the noisy copies.

    ``(1 / m) sum_j ||a - a(x + e_j)||_2 / ||a||_2``. Lower is better.

    Parameters
    ----------
    model, X, maps, target, output, method, method_options, n_samples, radius, random_state, batch_size, device
        As in :func:`max_sensitivity`.

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``AvgSensitivity(nr_samples=m, lower_bound=r)`` (defaults
    otherwise) in distribution. xplique: ``AverageStability(radius=r,
    distance="l2")`` averages ``||a - a(x + e)||`` without dividing by
    ``||a||``, with noise in ``[0, r]``.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    >>> X = np.random.default_rng(0).random((2, 4, 4))
    >>> avg_sensitivity(model, X, AttributionInspector(model).saliency(X), n_samples=5, random_state=0)
    array([0., 0.])
    """
    values, gaps, _ = _noisy_distances(model, X, maps, target, output, method, method_options, n_samples,
                                       _uniform(radius), random_state, batch_size, device)
    return _relative(values, gaps).mean(axis=1)


def local_lipschitz_estimate(model, X, maps, target=None, *, output=None, method=None, method_options=None,
                             n_samples=50, noise=0.1, random_state=None, batch_size=None, device=None):
    """Local Lipschitz estimate (Alvarez-Melis and Jaakkola, 2018): how fast the map moves with the image.

    ``n_samples`` copies of each image get Gaussian noise of standard
    deviation ``noise`` (pixel units); the method explains them, and::

        max_j ||a - a(x_j)||_2 / (||x - x_j||_2 + 1e-10)

    Lower is better.

    Parameters
    ----------
    model, X, maps, target, output, method, method_options
        As in :func:`model_parameter_randomization`.
    n_samples : int, default=50
        Noisy copies per image (Quantus: 200).
    noise : float, default=0.1
        Standard deviation of the noise, in pixel units.
    random_state : int, numpy Generator or None, default=None
        Seeds the noise.
    batch_size, device
        As in :class:`~skcnn.inspect.AttributionInspector`.

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``LocalLipschitzEstimate(nr_samples=m, perturb_std=s,
    normalise=False)`` (``abs=False``, Euclidean norms) is
    ``local_lipschitz_estimate(..., n_samples=m, noise=s)`` in
    distribution; its default ``normalise=True`` divides the given maps by
    the largest value of the whole batch and each batch of noisy maps by
    its own, which changes the score. xplique has no such metric.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from skcnn.inspect import AttributionInspector
    >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    >>> X = np.random.default_rng(0).random((2, 4, 4))
    >>> local_lipschitz_estimate(model, X, AttributionInspector(model).saliency(X), n_samples=5, random_state=0)
    array([0., 0.])
    """
    noise = check_number(noise, "noise", strict=True)
    _, gaps, moves = _noisy_distances(model, X, maps, target, output, method, method_options, n_samples,
                                      lambda rng, shape: rng.normal(0.0, noise, size=shape), random_state,
                                      batch_size, device)
    return (gaps / (moves + 1e-10)).max(axis=1)


# ----------------------------------------------------------------------------- complexity
def sparseness(model, X, maps, target=None, *, output=None, random_state=None, batch_size=None, device=None):
    """Sparseness (Chalasani et al., 2020): the Gini index of the absolute map.

    With ``v`` the map's ``N`` absolute values, each divided by the largest,
    plus ``1e-7``, sorted ascending::

        G = sum_{i=1}^{N} (2 i - N - 1) v_i / (N sum_i v_i)

    0 for a flat map, toward 1 when one pixel holds everything. Higher is
    better (a sparse map is easier to read). The metric reads the maps
    only: ``model``, ``X`` and ``target`` may be None and are not used, nor
    are the other arguments, kept for a signature shared with every metric.

    Parameters
    ----------
    model, X : ignored
    maps : Attribution or array-like of shape (n, h, w)
    target, output, random_state, batch_size, device : ignored

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``Sparseness()`` (``abs=True``, ``normalise=True``): the same
    formula, with the maps divided by the batch's largest value (only the
    ``1e-7`` tells the two apart, by less than ``1e-7 / mean(v)``
    relative). xplique: ``Sparseness``, the same index without the ``1e-7``
    (channels averaged).

    Examples
    --------
    >>> import numpy as np
    >>> maps = np.zeros((2, 2, 2))
    >>> maps[0] = 1.0
    >>> maps[1, 0, 0] = 5.0
    >>> np.round(sparseness(None, None, maps), 4)
    array([0.  , 0.75])
    """
    values = np.abs(_as_maps(maps))
    values = values.reshape(len(values), -1)
    top = values.max(axis=1, keepdims=True)
    v = np.sort(values / np.where(top > 0, top, 1.0) + 1e-7, axis=1)
    size = v.shape[1]
    i = np.arange(1, size + 1)
    return ((2 * i - size - 1) * v).sum(axis=1) / (size * v.sum(axis=1))


def complexity(model, X, maps, target=None, *, output=None, random_state=None, batch_size=None, device=None):
    """Complexity (Bhatt, Weller and Moura, 2020): the entropy of the map's share of attribution per pixel.

    With ``p_i = |a_i| / sum_j |a_j|``::

        H = - sum_i p_i log(p_i + 1e-12)

    (natural log; clipped at 0). ``log N`` for a flat map, 0 when one pixel holds
    everything; a map of zeros counts as flat. Lower is better. As
    :func:`sparseness`, the metric reads the maps only.

    Parameters
    ----------
    model, X : ignored
    maps : Attribution or array-like of shape (n, h, w)
    target, output, random_state, batch_size, device : ignored

    Returns
    -------
    ndarray of shape (n,)

    Notes
    -----
    Quantus: ``Complexity()`` (``abs=True``, ``normalise=True``): the same
    formula (a map of zeros is NaN there). xplique: ``Complexity``, the
    same entropy with ``1e-8`` in the log (channels averaged).

    Examples
    --------
    >>> import numpy as np
    >>> maps = np.zeros((2, 2, 2))
    >>> maps[0] = 1.0
    >>> maps[1, 0, 0] = -3.0
    >>> np.round(complexity(None, None, maps), 4)  # log 4, then 0
    array([1.3863, 0.    ])
    """
    values = np.abs(_as_maps(maps))
    values = values.reshape(len(values), -1)
    total = values.sum(axis=1, keepdims=True)
    p = np.where(total > 0, values / np.where(total > 0, total, 1.0), 1.0 / values.shape[1])
    return np.maximum(-(p * np.log(p + 1e-12)).sum(axis=1), 0.0)  # the 1e-12 makes one-pixel maps -1e-12


# ----------------------------------------------------------------------------- evaluate
@dataclass(frozen=True)
class _Metric:
    function: object
    higher_is_better: bool
    family: str
    explains: bool = False  # explains again: takes method= and method_options=


METRICS = {
    "faithfulness_correlation": _Metric(faithfulness_correlation, True, "faithfulness"),
    "deletion": _Metric(deletion, False, "faithfulness"),
    "insertion": _Metric(insertion, True, "faithfulness"),
    "road": _Metric(road, False, "faithfulness"),
    "irof": _Metric(irof, True, "faithfulness"),
    "model_parameter_randomization": _Metric(model_parameter_randomization, False, "randomization", True),
    "random_logit": _Metric(random_logit, False, "randomization", True),
    "max_sensitivity": _Metric(max_sensitivity, False, "robustness", True),
    "avg_sensitivity": _Metric(avg_sensitivity, False, "robustness", True),
    "local_lipschitz_estimate": _Metric(local_lipschitz_estimate, False, "robustness", True),
    "sparseness": _Metric(sparseness, True, "complexity"),
    "complexity": _Metric(complexity, False, "complexity"),
}
"""Every metric by name: its function, whether a higher score is better, its family, whether it explains again."""


def _higher_is_better(name, options):
    if name == "road" and options.get("order") == "lerf":
        return True
    return METRICS[name].higher_is_better


@dataclass(repr=False)
class EvaluationResult(ShortReprMixin):
    """Scores of several attribution methods under several metrics, one per image.

    Printed, it is a table of mean scores: one row per metric, marked
    ``(+)`` where higher is better and ``(-)`` where lower is, and one
    column per method, ranked by their mean rank over the metrics (best
    first).

    Attributes
    ----------
    methods : list of str
    metrics : list of str
    scores : dict of (method, metric) -> ndarray of shape (n,)
        The score of each image.
    higher_is_better : dict of metric -> bool
    attributions : dict of method -> Attribution
        The maps that were measured.

    Examples
    --------
    >>> import numpy as np
    >>> r = EvaluationResult(["a", "b"], ["deletion"], {("a", "deletion"): np.array([0.2, 0.4]),
    ...                      ("b", "deletion"): np.array([0.1, 0.1])}, {"deletion": False})
    >>> r.mean().tolist()
    [[0.30000000000000004], [0.1]]
    >>> r.ranking()
    ['b', 'a']
    >>> print(r)
    metric             b       a
    deletion (-)  0.1000  0.3000
    """

    methods: list
    metrics: list
    scores: dict
    higher_is_better: dict
    attributions: dict = field(default_factory=dict)

    def mean(self):
        """Mean score over the images, ``(len(methods), len(metrics))``."""
        return np.array([[float(np.mean(self.scores[m, k])) for k in self.metrics] for m in self.methods])

    def ranking(self):
        """The methods, best first by their mean rank over the metrics (ties keep the given order)."""
        from scipy.stats import rankdata

        means = self.mean()
        signed = np.where([self.higher_is_better[k] for k in self.metrics], -means, means)
        ranks = np.stack([rankdata(column) for column in signed.T], axis=1) if len(self.metrics) else means
        order = np.argsort(ranks.mean(axis=1) if len(self.metrics) else np.zeros(len(self.methods)), kind="stable")
        return [self.methods[i] for i in order]

    def to_frame(self, *, per_image=False):
        """A pandas DataFrame: mean scores (methods x metrics, ranked), or one row per image and method.

        With ``per_image``, the index is ``(method, image)`` and the columns
        the metrics.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("EvaluationResult.to_frame needs pandas; install it with `pip install pandas`.") from None
        if per_image:
            frames = [pd.DataFrame({k: self.scores[m, k] for k in self.metrics}).assign(method=m)
                      for m in self.methods]
            frame = pd.concat(frames).rename_axis("image").reset_index()
            return frame.set_index(["method", "image"])
        order = self.ranking()
        means = dict(zip(self.methods, self.mean()))
        return pd.DataFrame([means[m] for m in order], index=pd.Index(order, name="method"), columns=self.metrics)

    def __repr__(self):
        order = self.ranking()
        means = dict(zip(self.methods, self.mean()))
        names = [f"{k} ({'+' if self.higher_is_better[k] else '-'})" for k in self.metrics]
        width = max(len("metric"), *map(len, names))
        cells = {m: [f"{v:.4f}" for v in means[m]] for m in order}
        sizes = {m: max(len(m), *map(len, cells[m])) for m in order}
        lines = ["  ".join(["metric".ljust(width)] + [m.rjust(sizes[m]) for m in order])]
        for j, name in enumerate(names):
            lines.append("  ".join([name.ljust(width)] + [cells[m][j].rjust(sizes[m]) for m in order]))
        return "\n".join(lines)

    __str__ = __repr__


def _options(options, keys, name):
    if options is None:
        return {k: {} for k in keys}
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise TypeError(f"{name} must be a dict of name -> dict of options; got {options!r}.")
    unknown = sorted(set(options) - set(keys))
    if unknown:
        raise ValueError(f"{name} names {unknown[0]!r}, which is not among {list(keys)}.")
    return {k: dict(options.get(k, {})) for k in keys}


def evaluate(model, X, methods=("saliency", "integrated_gradients", "gradcam"), metrics=None, target=None, *,
             output=None, method_options=None, metric_options=None, random_state=None, batch_size=None,
             device=None):
    """Several attribution methods under several metrics, with one inspector; one score per image each.

    Each method explains ``X`` once; every metric measures those maps. The
    metrics that explain again use the same method with the same options.
    Each metric draws its randomness from one seed for all the methods, so
    the methods meet the same subsets, noise and random networks.

    Parameters
    ----------
    model : KerasCNNClassifier, Pipeline, keras.Model or AttributionInspector
    X : array-like
        Images in pixel space.
    methods : sequence of str, default=("saliency", "integrated_gradients", "gradcam")
        Names for :meth:`~skcnn.inspect.AttributionInspector.attribute`.
    metrics : sequence of str, optional
        Names in :data:`METRICS` (default: all of them).
    target : optional
        As in :meth:`~skcnn.inspect.AttributionInspector.saliency`.
    output
        As in :class:`~skcnn.inspect.AttributionInspector`.
    method_options : dict of method -> dict, optional
        Options per method (``{"smoothgrad": {"n_samples": 20}}``).
    metric_options : dict of metric -> dict, optional
        Options per metric (``{"deletion": {"steps": 10}}``).
    random_state : int, numpy Generator or None, default=None
        Seeds every metric (one seed each, drawn from this one), and every
        method that draws (SmoothGrad's noise, RISE's masks, KernelSHAP's
        coalitions) unless its ``method_options`` give its own
        ``random_state``: the same seed gives the same result. The metrics
        that explain again explain with that seed too, so a randomized
        network meets the same RISE masks as the trained one.
    batch_size, device
        As in :class:`~skcnn.inspect.AttributionInspector`.

    Returns
    -------
    EvaluationResult

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
    ...                           keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    >>> X = np.random.default_rng(0).random((3, 8, 8))
    >>> r = evaluate(model, X, ["saliency", "gradcam"], ["deletion", "sparseness"], random_state=0)
    >>> sorted(r.ranking()), r.scores["gradcam", "deletion"].shape
    (['gradcam', 'saliency'], (3,))
    """
    methods = [methods] if isinstance(methods, str) else list(methods)
    metrics = list(METRICS) if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
    for name in metrics:
        _choice(name, "metrics", tuple(METRICS))
    if not methods or not metrics:
        raise ValueError("methods and metrics must each name at least one.")
    inspector = _inspector(model, output, batch_size, device)
    per_method = _options(method_options, methods, "method_options")
    per_metric = _options(metric_options, metrics, "metric_options")
    rng = np.random.default_rng(random_state)
    seeds = dict(zip(metrics, rng.integers(2**31 - 1, size=len(metrics)).tolist()))
    for method in methods:  # a method's own draws (noise, masks, coalitions) are seeded too, unless its options say
        if method in _METHODS and "random_state" in inspect.signature(getattr(inspector, method)).parameters:
            per_method[method].setdefault("random_state", int(rng.integers(2**31 - 1)))
    scores, attributions = {}, {}
    for method in methods:
        attributions[method] = attribution = inspector.attribute(X, method, target, **per_method[method])
        for name in metrics:
            kwargs = {"random_state": seeds[name], **per_metric[name]}
            if METRICS[name].explains:
                kwargs.update(method=method, method_options=per_method[method])
            scores[method, name] = np.asarray(METRICS[name].function(inspector, X, attribution, **kwargs))
    return EvaluationResult(methods, metrics, scores, {k: _higher_is_better(k, per_metric[k]) for k in metrics},
                            attributions)
