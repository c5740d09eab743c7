"""Demo section: which map to trust: every attribution method of the CNN measured by the evaluation suite."""

from __future__ import annotations

import time

import numpy as np

from ._context import Section

METHODS = ("saliency", "smoothgrad", "integrated_gradients", "gradcam", "gradcam_plus_plus", "occlusion",
           "gradient_x_input", "guided_backprop", "layercam", "scorecam", "rise", "kernel_shap")
METRICS = ("faithfulness_correlation", "deletion", "insertion", "road", "irof", "model_parameter_randomization",
           "random_logit", "avg_sensitivity", "sparseness", "complexity")
LEFT_OUT = {
    "max_sensitivity": "it explains noisy copies as avg_sensitivity does, again (as long again), and with a handful "
                       "of copies their largest change is mostly chance",
    "local_lipschitz_estimate": "it is in the map's own units, which differ from method to method (a gradient, a "
                                "probability, a logit), so it cannot rank them",
}
FAITHFULNESS = ("faithfulness_correlation", "deletion", "insertion", "road", "irof")
SHORT = {"faithfulness_correlation": "faithCorr", "deletion": "deletion", "insertion": "insertion", "road": "ROAD",
         "irof": "IROF", "model_parameter_randomization": "MPRT", "random_logit": "randLogit",
         "avg_sensitivity": "avgSens", "sparseness": "sparse", "complexity": "entropy"}

RANDOMIZATION_LIMIT = 0.5
"""A method fails model parameter randomization when its |maps| keep a mean Spearman correlation above this with the
trained network's once every layer is re-drawn."""
RANDOM_LOGIT_LIMIT = 0.5
"""A method fails random logit when its map for another class keeps a mean SSIM above this with the explained one's."""
SENSITIVITY_LIMIT = 1.0
"""A method is unstable when noise moves its map, on average, by more than the map's own norm."""
ZERO_SHARE = 0.25
"""A failing method's maps are called input-bound when at least this share of their pixels is 0 where the image is
black."""


def options(quick, noise, random_state):
    """``(method_options, metric_options)`` of the section; ``noise``: the sensitivity's radius, in pixel units."""
    methods = {"integrated_gradients": {"steps": 16}, "smoothgrad": {"n_samples": 8, "random_state": random_state},
               "rise": {"n_masks": 300 if quick else 500, "random_state": random_state},
               "kernel_shap": {"n_samples": 200, "random_state": random_state}}
    metrics = {"faithfulness_correlation": {"n_samples": 50}, "road": {"percentages": [10, 30, 50, 70, 90]},
               "model_parameter_randomization": {"summary": "last"},
               "avg_sensitivity": {"n_samples": 4 if quick else 8, "radius": noise}}
    return methods, metrics


def run(ctx) -> Section:
    from .. import plotting
    from ..inspect import AttributionInspector
    from ..inspect.evaluation import evaluate

    cnn = ctx.shared.get("cnn")
    if cnn is None:
        raise ValueError("the evaluation section needs the CNN section to run first (it trains the network).")
    _, X_test, _, y_test = ctx.mnist_split()
    n = 6 if ctx.quick else 16
    X = np.asarray(X_test[:n], dtype=np.float32)
    inspector = AttributionInspector(cnn)
    noise = 0.02 * float(np.ptp(X))
    method_options, metric_options = options(ctx.quick, noise, ctx.random_state)
    start = time.perf_counter()
    ctx.log(f"evaluation: {len(METHODS)} attribution methods x {len(METRICS)} metrics on {len(X)} test digits")
    result = evaluate(inspector, X, METHODS, METRICS, method_options=method_options, metric_options=metric_options,
                      random_state=ctx.random_state)
    signed = evaluate(inspector, X, ["saliency"], ["model_parameter_randomization"],
                      method_options={"saliency": {"absolute": False}},
                      metric_options={"model_parameter_randomization": {"summary": "last", "absolute": False}},
                      random_state=ctx.random_state)
    signed_value = float(signed.mean()[0, 0])
    lines = [_settings(len(X), method_options, metric_options, noise), "", ranked_table(result), "",
             *verdicts(result, signed_saliency=signed_value), "",
             f"evaluation section: {time.perf_counter() - start:.1f} s"]
    order = result.ranking()
    images = [
        (ctx.save(plotting.plot_evaluation(result, n_cols=5, size=2.3), "evaluation_scores.png"),
         "Each metric's mean score per method (bar; green: the best) and the middle half of the digits' scores "
         "(line); methods in the order of the table, best first. A mean that is not finite is written at the "
         "panel's edge in red, and a panel whose means span more than a factor of 30 has a log scale."),
        (ctx.save(plotting.plot_attribution_grid([result.attributions[m] for m in order], y_true=y_test[:n],
                                                 n_images=3, size=1.25,
                                                 title="The maps measured, in the order of the ranking"),
                  "evaluation_maps.png"),
         "The maps the suite measured, for the first three digits, methods in the order of the ranking."),
    ]
    text = "\n".join(lines)
    print("\n== Which map to trust ==\n" + text)
    return Section("Which map to trust: the attribution methods measured", text, images)


def _settings(n, method_options, metric_options, noise):
    """The lines that say what was measured, and what was left out and why."""
    shown = {m: method_options.get(m, {}) for m in ("integrated_gradients", "smoothgrad", "rise", "kernel_shap")}
    return "\n".join([
        f"{len(METHODS)} methods of AttributionInspector on the first {n} test digits (each explained for its "
        "predicted class), scored by skcnn.inspect.evaluation.evaluate; method options: "
        + "; ".join(f"{m} {_kwargs(o, 'random_state')}" for m, o in shown.items()),
        "metric options: " + "; ".join(f"{k} {_kwargs(o)}" for k, o in metric_options.items())
        + f" (noise: uniform, +-2% of the pixel range, {noise:.1f} grey levels)",
        "left out: " + "; ".join(f"{k}: {why}" for k, why in LEFT_OUT.items()) + ".",
    ])


def _kwargs(options, *skip):
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in options.items()
                     if k not in skip)


def _means(result):
    return {(m, k): v for m, row in zip(result.methods, result.mean()) for k, v in zip(result.metrics, row)}


def mean_ranks(result, metrics=None):
    """``{method: mean rank}`` over ``metrics`` (default: all of the result's), 1 the best, ties averaged.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.inspect.evaluation import EvaluationResult
    >>> r = EvaluationResult(["a", "b"], ["deletion", "sparseness"], {("a", "deletion"): np.array([0.2]),
    ...     ("b", "deletion"): np.array([0.4]), ("a", "sparseness"): np.array([0.1]),
    ...     ("b", "sparseness"): np.array([0.3])}, {"deletion": False, "sparseness": True})
    >>> mean_ranks(r)
    {'a': 1.5, 'b': 1.5}
    """
    from scipy.stats import rankdata

    means = _means(result)
    metrics = list(result.metrics if metrics is None else metrics)
    ranks = np.zeros(len(result.methods))
    for k in metrics:
        values = np.array([means[m, k] for m in result.methods])
        ranks += rankdata(-values if result.higher_is_better[k] else values)
    return {m: float(r) / len(metrics) for m, r in zip(result.methods, ranks)}


def ranked_table(result):
    """The mean scores as text: one row per method, best first, with its mean rank over the metrics."""
    means, ranks = _means(result), mean_ranks(result)
    heads = [f"{SHORT.get(k, k)}({'+' if result.higher_is_better[k] else '-'})" for k in result.metrics]
    width = max(len(m) for m in result.methods) + 4
    lines = ["".join(["method".ljust(width), "rank".rjust(5)] + [h.rjust(max(len(h), 7) + 2) for h in heads])]
    for i, m in enumerate(result.ranking(), start=1):
        cells = [f"{means[m, k]:.3f}".rjust(max(len(h), 7) + 2) for k, h in zip(result.metrics, heads)]
        lines.append("".join([f"{i:2d}. {m}".ljust(width), f"{ranks[m]:5.1f}"] + cells))
    lines.append("rank: mean over the metrics of each method's rank (1 = best of "
                 f"{len(result.methods)}); (+) higher is better, (-) lower is better; "
                 + ", ".join(f"{SHORT[k]} = {k}" for k in result.metrics if SHORT.get(k, k) != k))
    return "\n".join(lines)


def failing(result, metric, limit):
    """``[(method, mean score)]`` of the methods whose mean ``metric`` is above ``limit``, highest first."""
    means = _means(result)
    above = [(m, means[m, metric]) for m in result.methods if means[m, metric] > limit]
    return sorted(above, key=lambda pair: -pair[1])


def _listing(pairs, digits=2):
    return ", ".join(f"{m} {v:.{digits}f}" for m, v in pairs) or "none"


def _check(result, metric, limit, intro):
    """The lines of one pass/fail check: what fails it, what passes it."""
    means = _means(result)
    fails = failing(result, metric, limit)
    passes = sorted(((m, means[m, metric]) for m in result.methods if means[m, metric] <= limit),
                    key=lambda pair: -pair[1])
    return [intro, f"  fails ({len(fails)}): {_listing(fails)}", f"  passes ({len(passes)}): {_listing(passes)}"]


def verdicts(result, *, signed_saliency=None):
    """What the scores say, in words: which methods fail which check, which are the most faithful, robust, sparse.

    Every name and number comes from ``result`` (an :class:`~skcnn.inspect.evaluation.EvaluationResult`, or any
    object with its ``methods``, ``metrics``, ``scores``, ``higher_is_better``, ``mean()`` and ``ranking()``) and
    the limits of this module; a family of metrics the result lacks is left out. ``signed_saliency``: the
    randomization score of the signed gradient, compared signed.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.inspect.evaluation import EvaluationResult
    >>> k = "model_parameter_randomization"
    >>> r = EvaluationResult(["gradcam", "guided_backprop"], [k], {("gradcam", k): np.array([0.1, 0.2]),
    ...                      ("guided_backprop", k): np.array([0.8, 0.9])}, {k: False})
    >>> verdicts(r)[1]
    '  fails (1): guided_backprop 0.85'
    """
    blocks = []
    if "model_parameter_randomization" in result.metrics:
        blocks.append(_randomization(result, signed_saliency))
    if "random_logit" in result.metrics:
        blocks.append(_check(result, "random_logit", RANDOM_LOGIT_LIMIT,
                             "Random logit (Sixt et al. 2020): each digit explained again for another class drawn at "
                             f"random; a method fails if the mean SSIM of the two maps is above {RANDOM_LOGIT_LIMIT} "
                             "(its map hardly depends on the class it explains)."))
    blocks += [_faithfulness(result), _robustness(result) + _sparsity(result), _recommendation(result)]
    return [line for block in blocks if block for line in [*block, ""]][:-1]


def _randomization(result, signed_saliency):
    k = "model_parameter_randomization"
    means = _means(result)
    lines = _check(result, k, RANDOMIZATION_LIMIT,
                   "Model parameter randomization (Adebayo et al. 2018): the layers re-drawn from their initializers, "
                   "from the output down; a method fails if the mean Spearman correlation of its |map| with the "
                   f"trained network's is above {RANDOMIZATION_LIMIT} once every layer is random (its map does not "
                   "depend on what the network learned).")
    named = [m for m in ("guided_backprop", "saliency") if m in result.methods]
    if named:
        said = [f"{m} {'fails' if means[m, k] > RANDOMIZATION_LIMIT else 'passes'} ({means[m, k]:.2f})" for m in named]
        lines.append("  Adebayo et al. report that Guided Backprop and the |gradient| saliency fail it; here "
                     + " and ".join(said) + ".")
    if signed_saliency is not None:
        verdict = "fails" if signed_saliency > RANDOMIZATION_LIMIT else "passes"
        lines.append(f"  The signed gradient (saliency with absolute=False, its signed maps compared) keeps "
                     f"{signed_saliency:.2f}: it {verdict}.")
    if {"guided_backprop", "gradcam"} <= set(result.methods):
        gb, gc = means["guided_backprop", k], means["gradcam", k]
        below = gb > gc
        lines.append(f"  Guided Backprop keeps {'more' if below else 'no more'} of its trained map than Grad-CAM "
                     f"({gb:.2f} against {gc:.2f}): the suite ranks it "
                     + ("below Grad-CAM under randomization, as Adebayo et al. report." if below else
                        "no lower than Grad-CAM under randomization, unlike Adebayo et al.'s finding."))
    bound = [(m, s) for m, s in _black_zeros(result).items() if s >= ZERO_SHARE
             and means[m, k] > RANDOMIZATION_LIMIT]
    if bound:
        lines.append("  " + ", ".join(f"{m} ({100 * s:.0f}%)" for m, s in bound) + ": that share of their pixels "
                     "is exactly 0 where the image is black, a zero the input puts there whatever the weights, "
                     "which the rank correlation counts as agreement.")
    return lines


def _black_zeros(result):
    """``{method: share of the pixels whose map is 0 where the image is black}`` of the measured maps."""
    shares = {}
    for method, attribution in getattr(result, "attributions", {}).items():
        images = np.asarray(attribution.images).max(axis=-1)
        black = images <= images.min(axis=(1, 2), keepdims=True)
        shares[method] = float(np.mean(black & (np.asarray(attribution.maps) == 0)))
    return shares


def _best(result, metric, n=3):
    means = _means(result)
    order = sorted(result.methods, key=lambda m: -means[m, metric] if result.higher_is_better[metric]
                   else means[m, metric])
    return [(m, means[m, metric]) for m in order[:n]], (order[-1], means[order[-1], metric])


def _faithfulness(result):
    family = [k for k in FAITHFULNESS if k in result.metrics]
    if not family:
        return []
    ranks = mean_ranks(result, family)
    order = sorted(result.methods, key=ranks.get)
    best = "; ".join(f"{k}: {_listing(_best(result, k, 1)[0], 3)}" for k in family)
    return [f"Most faithful (mean rank over {', '.join(family)}; 1 = best of {len(result.methods)}): "
            + ", ".join(f"{m} {ranks[m]:.1f}" for m in order[:3]) + f"; least: {order[-1]} {ranks[order[-1]]:.1f}.",
            f"  best per metric: {best}."]


def _robustness(result):
    k = "avg_sensitivity"
    if k not in result.metrics:
        return []
    top, _ = _best(result, k)
    unstable = failing(result, k, SENSITIVITY_LIMIT)
    lines = [f"Most robust (avg_sensitivity: mean change of the map under small noise, relative to the map): "
             f"{_listing(top)}; unstable (above {SENSITIVITY_LIMIT}: noise moves the map by more than its own size): "
             f"{_listing(unstable)}."]
    for m in result.methods:
        n_inf = int(np.sum(np.isinf(result.scores[m, k])))
        if n_inf:
            lines.append(f"  {m} inf: on {n_inf} of {len(result.scores[m, k])} digits its map is all 0 and the map "
                         "of a noisy copy is not.")
    return lines


def _sparsity(result):
    lines = []
    if "sparseness" in result.metrics:
        top, (last, value) = _best(result, "sparseness")
        lines.append(f"Sparsest (Gini index of |map|, 1: one pixel holds it all): {_listing(top)}; the most spread "
                     f"out: {last} {value:.2f}.")
    if "complexity" in result.metrics:
        top, _ = _best(result, "complexity")
        lines.append(f"  Lowest entropy (complexity): {_listing(top)}.")
    return lines


def _recommendation(result):
    checks = [(k, limit) for k, limit in (("model_parameter_randomization", RANDOMIZATION_LIMIT),
                                          ("random_logit", RANDOM_LOGIT_LIMIT)) if k in result.metrics]
    ranking = result.ranking()
    lines = [f"Recommendation: first in the overall ranking (mean rank over all {len(result.metrics)} metrics): "
             f"{', '.join(ranking[:3])}."]
    if not checks:
        return lines
    failed = {m for k, limit in checks for m, _ in failing(result, k, limit)}
    passed = [m for m in result.methods if m not in failed]
    family = [k for k in FAITHFULNESS if k in result.metrics] or list(result.metrics)
    ranks = mean_ranks(result, family)
    names = " and ".join(k for k, _ in checks)
    if not passed:
        lines.append(f"  No method passes {names}: none of these maps can be trusted to explain this network.")
        return lines
    trusted = sorted(passed, key=ranks.get)
    lines.append(f"  Passing {names}: {', '.join(trusted)}; trust first the most faithful of them, {trusted[0]} "
                 f"(mean rank {ranks[trusted[0]]:.1f} over {', '.join(family)})"
                 + (f", then {trusted[1]} ({ranks[trusted[1]]:.1f})." if len(trusted) > 1 else "."))
    doubtful = [m for m in ranking[:3] if m in failed]
    if doubtful:
        lines.append(f"  {', '.join(doubtful)} rank{'s' if len(doubtful) == 1 else ''} high overall but fail a "
                     "randomization check: good scores elsewhere do not make up for a map that does not follow the "
                     "network.")
    return lines
