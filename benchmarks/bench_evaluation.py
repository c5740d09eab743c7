"""Explanation metrics: ``skcnn.inspect.evaluation`` against Quantus 0.6 on the same digits, model and maps.

The series' CNN (``KerasCNNClassifier`` with its default architecture,
``--epochs`` epochs on 4,000 of the embedded digits, pixels scaled to
[0, 1], ``random_state=0``) explains 64 held-out digits (``--images``) by
saliency (``AttributionInspector.saliency``: the absolute gradient of the
predicted class's logit) and by integrated gradients (50 steps from black).
Every metric that Quantus 0.6 also has then scores the same maps of the same
images for the same classes in both libraries, one after the other in this
process, and the table gives per metric and map:

- agreement: for the deterministic metrics the largest per-image relative
  difference ``|skcnn - Quantus| / |Quantus|`` (goal: 1e-4 where the
  definitions coincide); for the stochastic ones (other random draws on
  each side) the difference of the means over the images and the Spearman
  correlation of the per-image scores (goals: 0.05 and 0.8, at 200
  perturbations);
- seconds per call on each side, the median of ``--repeats`` calls after a
  warm-up call (a warm-up call over ``--patience`` seconds is the measure
  itself), and their ratio Quantus / skcnn (goal: 10x).

Each side is called with the settings under which the two compute the same
thing (the Notes of each skcnn metric's docstring; a line under the table
says what was matched where Quantus' own definition needs it). The metrics
that explain again (randomization, robustness) give Quantus an
``explain_func`` that calls skcnn's ``AttributionInspector`` with the same
method, so both sides explain alike. Quantus has no insertion metric: its
``PixelFlipping`` runs insertion here with a ``perturb_func`` that reveals
pixels on the filled image instead of removing them (the same curve
machinery, run the other way).

The backend is TensorFlow for the whole process: a Keras 3 model is a
``tf.keras.Model`` there, which Quantus wraps as it is (on PyTorch it would
need a channels-first wrapper, and its parameter randomization finds no
layer to reset in a Keras model).

Run::

    python benchmarks/bench_evaluation.py --quick     # 16 digits, 20 perturbations, 16 pixels a step, 1 call
    python benchmarks/bench_evaluation.py             # 64 digits, 200 perturbations, 3 calls (~25 min)

Needs Quantus 0.6 in the benchmark's environment only (it pins
``keras<3``, TensorFlow < 2.16 and ``numpy<2`` in its extras, none of
which it needs for this): ``pip install --no-deps quantus==0.6.0
scikit-image opencv-python-headless cachetools imageio tifffile lazy_loader``
(scikit-image and OpenCV are imported by Quantus at start-up). NumPy 2.4
removed ``np.trapz``, which Quantus calls: the benchmark aliases it to
``np.trapezoid`` before Quantus runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: no INFO lines in the table
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

METHODS = {"saliency": {}, "IG": {"steps": 50, "baseline": "black"}}
METHOD_NAMES = {"saliency": "saliency", "IG": "integrated_gradients"}


def sizes(args):
    """Images, perturbations per image, pixels per deletion step and timed calls: the full run or --quick."""
    if args.quick:
        return dict(images=args.images or 16, samples=20, pixels_per_step=16, repeats=args.repeats or 1)
    return dict(images=args.images or 64, samples=200, pixels_per_step=1, repeats=args.repeats or 3)


# ------------------------------------------------------------------------------------------------ setup
def digits():
    """The embedded digits as (n, 28, 28, 1) images in [0, 1], split 4000/1000 (stratified, seed 0)."""
    from sklearn.model_selection import train_test_split

    from skcnn.datasets import load_mnist

    data = load_mnist()
    X = (data.data / 255.0).reshape(-1, 28, 28, 1).astype(np.float32)
    return train_test_split(X, data.target, test_size=1000, stratify=data.target, random_state=0)


def setup(args, n):
    """The fitted CNN's Keras model, ``n`` test digits, their predicted classes and both methods' maps."""
    from skcnn import KerasCNNClassifier
    from skcnn.inspect import AttributionInspector

    X_train, X_test, y_train, y_test = digits()
    start = time.perf_counter()
    clf = KerasCNNClassifier(image_shape=(28, 28, 1), epochs=args.epochs, random_state=0).fit(X_train, y_train)
    fitted = (time.perf_counter() - start, clf.score(X_test, y_test))
    model, x = clf.model_, X_test[:n]
    inspector = AttributionInspector(model)
    saliency = inspector.saliency(x)
    targets = saliency.targets.astype(np.int64)  # the predicted classes, explained on both sides
    maps = {"saliency": saliency.maps,
            "IG": inspector.integrated_gradients(x, targets, **METHODS["IG"]).maps}
    return model, x, targets, maps, fitted


def explain_func(method):
    """Quantus' ``explain_func(model, inputs, targets)`` calling skcnn's inspector with ``method``.

    One inspector per model object, kept with the model: parameter
    randomization changes a clone's weights in place between calls, which the
    inspector's compiled functions read as they are.
    """
    from skcnn.inspect import AttributionInspector

    inspectors = {}

    def explain(model, inputs, targets, **kwargs):
        if id(model) not in inspectors:
            inspectors[id(model)] = (model, AttributionInspector(model))
        attribute = getattr(inspectors[id(model)][1], METHOD_NAMES[method])
        return np.asarray(attribute(inputs, np.asarray(targets), **METHODS[method]).maps)

    return explain


# ------------------------------------------------------------------------------------------------ Quantus
def inserting_perturb_func():
    """A PixelFlipping ``perturb_func`` that reveals pixels on the filled image instead of removing them.

    PixelFlipping hands back what the function returned at the previous step;
    a call whose ``arr`` is not that array starts a new curve: ``arr`` is then
    the images, and the canvas starts as each image's minimum (Quantus'
    ``"black"``).
    """
    state = {}

    def perturb(arr, indices, **kwargs):
        if state.get("canvas") is None or not np.shares_memory(arr, state["canvas"]):
            state["images"] = arr.copy()
            state["canvas"] = np.broadcast_to(arr.min(axis=1, keepdims=True), arr.shape).copy()
        rows = np.arange(len(arr))[:, None]
        state["canvas"][rows, indices] = state["images"][rows, indices]
        return state["canvas"]

    return perturb


def quantus_metrics(quantus, size, fill):
    """Per metric: ``(Quantus name, call(model, x, y, maps, method) -> per-image scores)``."""

    class ROADPerImage(quantus.ROAD):
        """ROAD whose result stays per image: Quantus replaces it by the mean over the first batch's images."""

        def custom_postprocess(self, **kwargs):
            self.evaluation_scores = np.concatenate([np.asarray(s) for s in self.evaluation_scores])

    common = dict(disable_warnings=True, display_progressbar=False)
    samples, step = size["samples"], size["pixels_per_step"]
    explainers = {method: explain_func(method) for method in METHODS}  # traced once, as skcnn's inspector

    def call(metric, model, x, y, maps, method=None, explain=None, **kwargs):
        if method is not None:
            kwargs["explain_func"] = explain or explainers[method]
        np.random.seed(0)  # Quantus draws from NumPy's global generator
        scores = metric(model=model, x_batch=x, y_batch=y, a_batch=maps, channel_first=False, batch_size=len(x),
                        **kwargs)
        return np.asarray(scores, dtype=np.float64)

    def road(model, x, y, maps, method):
        return call(ROADPerImage(percentages=list(range(1, 100, 2)), noise=0.01, **common), model, x, y, maps).mean(1)

    def random_logit(model, x, y, maps, method):
        # each map divided by its own largest |value|, as skcnn does: Quantus' division by the batch's largest
        # value then divides by 1 (it divides the given maps and the other class's maps by different numbers)
        explain = explainers[method]
        return call(quantus.RandomLogit(num_classes=10, seed=42, **common), model, x, y, per_map_max(maps), method,
                    explain=lambda **kwargs: per_map_max(explain(**kwargs)))

    return {
        "deletion": ("PixelFlipping", lambda model, x, y, maps, method: call(
            quantus.PixelFlipping(features_in_step=step, perturb_baseline="black", return_auc_per_sample=True,
                                  **common), model, x, y, maps)),
        "insertion": ("PixelFlipping, inserting", lambda model, x, y, maps, method: call(
            quantus.PixelFlipping(features_in_step=step, perturb_func=inserting_perturb_func(),
                                  return_auc_per_sample=True, **common), model, x, y, maps)),
        "faithfulness_correlation": ("FaithfulnessCorrelation", lambda model, x, y, maps, method: call(
            quantus.FaithfulnessCorrelation(nr_runs=samples, subset_size=224, perturb_baseline="black",
                                            return_aggregate=False, **common), model, x, y, maps)),
        "road": ("ROAD", road),
        "irof": ("IROF", lambda model, x, y, maps, method: call(
            quantus.IROF(segmentation_method="slic", perturb_baseline=fill, return_aggregate=False,
                         **common), model, x, y, maps)),
        "model_parameter_randomization": ("MPRT", lambda model, x, y, maps, method: call(
            quantus.MPRT(layer_order="top_down", return_last_correlation=True, skip_layers=True, **common),
            model, x, y, maps, method)),
        "random_logit": ("RandomLogit", random_logit),
        "max_sensitivity": ("MaxSensitivity", lambda model, x, y, maps, method: call(
            quantus.MaxSensitivity(nr_samples=samples, lower_bound=0.2, **common), model, x, y, maps, method)),
        "avg_sensitivity": ("AvgSensitivity", lambda model, x, y, maps, method: call(
            quantus.AvgSensitivity(nr_samples=samples, lower_bound=0.2, **common), model, x, y, maps, method)),
        "local_lipschitz_estimate": ("LocalLipschitzEstimate", lambda model, x, y, maps, method: call(
            quantus.LocalLipschitzEstimate(nr_samples=samples, perturb_std=0.1, normalise=False, **common),
            model, x, y, maps, method)),
        "sparseness": ("Sparseness", lambda model, x, y, maps, method: call(
            quantus.Sparseness(**common), model, x, y, maps)),
        "complexity": ("Complexity", lambda model, x, y, maps, method: call(
            quantus.Complexity(**common), model, x, y, maps)),
    }


def quantus_other_classes(y, n_classes=10, seed=42):
    """The other classes Quantus' ``RandomLogit(num_classes=10, seed=42)`` draws for one batch ``y``.

    It seeds NumPy's global generator with ``seed``, draws one index per image
    among the ``n_classes - 1`` classes other than its own, in order; skcnn is
    given the same classes, so the two compare image by image.
    """
    draw = np.random.RandomState(seed).randint(0, n_classes - 1, len(y))
    return draw + (draw >= np.asarray(y))


def per_map_max(maps):
    """Each map divided by its largest absolute value."""
    maps = np.asarray(maps, dtype=np.float64)
    top = np.abs(maps).reshape(len(maps), -1).max(axis=1).reshape(-1, *[1] * (maps.ndim - 1))
    return maps / np.where(top > 0, top, 1.0)


def ssim_flat(a, b):
    """Quantus' SSIM: skimage's on the flattened maps (a 1-D window of 7), data range over both maps."""
    from skimage.metrics import structural_similarity

    a, b = np.asarray(a, np.float64).reshape(len(a), -1), np.asarray(b, np.float64).reshape(len(b), -1)
    return np.array([structural_similarity(u, v, data_range=float(max(u.max(), v.max()) - min(u.min(), v.min())))
                     for u, v in zip(a, b)])


# ------------------------------------------------------------------------------------------------ skcnn
def skcnn_metrics(evaluation, size, fill):
    """Per metric: ``call(inspector, x, y, maps, method) -> per-image scores`` with Quantus' settings."""
    from skimage.segmentation import slic

    samples, step = size["samples"], size["pixels_per_step"]

    def explaining(name, **options):
        def call(inspector, x, y, maps, method):
            return getattr(evaluation, name)(inspector, x, maps, y, method=METHOD_NAMES[method],
                                             method_options=METHODS[method], random_state=0, **options)
        return call

    def order(name):
        def call(inspector, x, y, maps, method):
            return getattr(evaluation, name)(inspector, x, maps, y, pixels_per_step=step, fill="min", area="steps",
                                             score="probability")
        return call

    def irof(inspector, x, y, maps, method):
        labels = np.stack([slic(image.astype(np.float64), start_label=0) for image in x])  # as Quantus segments
        return evaluation.irof(inspector, x, maps, y, segments=labels, fill=fill, score="probability",
                               normalize=False)

    return {
        "deletion": order("deletion"),
        "insertion": order("insertion"),
        "faithfulness_correlation": lambda inspector, x, y, maps, method: evaluation.faithfulness_correlation(
            inspector, x, maps, y, n_samples=samples, subset_size=224, fill="min", score="logit", random_state=0),
        "road": lambda inspector, x, y, maps, method: evaluation.road(
            inspector, x, maps, y, percentages=list(range(1, 100, 2)), noise=0.01, score="accuracy",
            random_state=0),
        "irof": irof,
        "model_parameter_randomization": explaining("model_parameter_randomization", layers="top-down",
                                                    absolute=True, similarity="spearman", summary="last"),
        "random_logit": lambda inspector, x, y, maps, method: evaluation.random_logit(
            inspector, x, maps, y, method=METHOD_NAMES[method], method_options=METHODS[method], similarity=ssim_flat,
            other_target=quantus_other_classes(y)),
        "max_sensitivity": explaining("max_sensitivity", n_samples=samples, radius=0.2),
        "avg_sensitivity": explaining("avg_sensitivity", n_samples=samples, radius=0.2),
        "local_lipschitz_estimate": explaining("local_lipschitz_estimate", n_samples=samples, noise=0.1),
        "sparseness": lambda inspector, x, y, maps, method: evaluation.sparseness(None, None, maps),
        "complexity": lambda inspector, x, y, maps, method: evaluation.complexity(None, None, maps),
    }


# ------------------------------------------------------------------------------------------------ rows
# (metric, maps, kind): "exact" rows are deterministic, "random" rows draw perturbations on each side
ROWS = [
    ("deletion", "saliency", "exact"), ("deletion", "IG", "exact"),
    ("insertion", "saliency", "exact"), ("insertion", "IG", "exact"),
    ("faithfulness_correlation", "saliency", "random"), ("faithfulness_correlation", "IG", "random"),
    ("road", "saliency", "random"), ("road", "IG", "random"),
    ("irof", "saliency", "exact"), ("irof", "IG", "exact"),
    ("model_parameter_randomization", "saliency", "random"),
    ("random_logit", "saliency", "exact"),  # the same other classes on both sides
    ("max_sensitivity", "saliency", "random"),
    ("avg_sensitivity", "saliency", "random"),
    ("local_lipschitz_estimate", "saliency", "random"),
    ("sparseness", "saliency", "exact"), ("sparseness", "IG", "exact"),
    ("complexity", "saliency", "exact"), ("complexity", "IG", "exact"),
]


def timed(fn, repeats, patience):
    """The result and seconds of a call: the median of ``repeats`` calls after a warm-up call.

    A warm-up call longer than ``patience`` seconds is the measure itself
    (marked ``*``): the slowest Quantus calls take minutes, and their first
    call has no tracing to hide (Quantus rebuilds its model wrapper every call).
    """
    start = time.perf_counter()
    out = fn()
    first = time.perf_counter() - start
    if first > patience:
        return out, first, "*"
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return out, statistics.median(seconds), " "


def agreement(kind, ours, theirs):
    """The agreement text and whether it meets the goal."""
    from scipy.stats import spearmanr

    if kind == "exact":
        worst = float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-12)))
        return f"max rel {worst:.1e}", worst <= 1e-4
    gap = abs(float(np.mean(ours) - np.mean(theirs)))
    rho = float(spearmanr(ours, theirs)[0])
    return f"dmean {gap:.3f}, rho {rho:.2f}", gap <= 0.05 and rho >= 0.8


NOTES = [
    "deletion/insertion: Quantus' AUC is np.trapz(curve, dx=1) from the first removed pixel; skcnn "
    "area='steps', fill='min' (Quantus' 'black' is each image's minimum), the class probability.",
    "insertion: Quantus' PixelFlipping with a perturb_func that reveals the pixels on the filled image.",
    "ROAD: per image, the mean over the 50 shares of 'still predicted' (Quantus averages over the images).",
    "IROF: SLIC segments as Quantus draws them, passed to skcnn; a fixed fill (the images' mean) on both sides:"
    " Quantus' default 'mean' is the mean of the whole batch of partly removed images at each step.",
    "MPRT: the last stage (every layer random) in both; the two draw different random networks (Quantus on "
    "TensorFlow: a permutation of each weight's first axis in a freshly initialized clone).",
    "random logit: skcnn explains the off-classes Quantus draws (other_target=); maps divided by their own largest "
    "value on both sides, SSIM on the flattened maps as Quantus (skcnn given that similarity as a callable).",
    "MPRT, random logit, sensitivities, local Lipschitz: Quantus' explain_func is skcnn's batched saliency, so "
    "its time is its loop around skcnn's explanations, not an explainer of its own.",
    "local Lipschitz: Quantus with normalise=False (its default divides each batch of maps by its own largest "
    "value).",
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 16 digits, 20 perturbations, 16 pixels per deletion step, 1 timed call")
    parser.add_argument("--images", type=int, default=None, help="digits explained (default 64; --quick 16)")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per side (default 3; --quick 1)")
    parser.add_argument("--patience", type=float, default=30.0,
                        help="a warm-up call longer than this many seconds is the measure itself")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the series CNN on 4,000 digits")
    parser.add_argument("--metrics", nargs="+", default=None, help="only these metrics (skcnn's names)")
    args = parser.parse_args(argv)
    size = sizes(args)

    np.trapz = np.trapezoid  # NumPy 2.4 removed np.trapz, which Quantus' AUCs call (utils.calculate_auc)
    warnings.filterwarnings("ignore")  # Quantus warns about every perturbation that leaves a pixel unchanged
    import keras
    import quantus

    from skcnn.inspect import AttributionInspector, evaluation

    if keras.backend.backend() != "tensorflow":
        raise SystemExit("bench_evaluation runs on TensorFlow (KERAS_BACKEND=tensorflow): Quantus wraps a Keras 3 "
                         "model as a tf.keras.Model there.")
    model, x, y, maps, (fit_seconds, accuracy) = setup(args, size["images"])
    fill = float(x.mean())
    inspector = AttributionInspector(model)  # skcnn's metrics take an inspector built once, or the model
    theirs = quantus_metrics(quantus, size, fill)
    ours = skcnn_metrics(evaluation, size, fill)
    print(f"Quantus {quantus.__version__}, Keras {keras.__version__} on {keras.backend.backend()}; series CNN: "
          f"{args.epochs} epochs on 4,000 digits in {fit_seconds:.1f} s, test accuracy {accuracy:.3f}")
    print(f"{len(x)} test digits, their predicted classes; saliency and IG (50 steps, black) maps; "
          f"{size['samples']} perturbations per image; deletion {size['pixels_per_step']} pixel(s) per step; "
          f"seconds: median of {size['repeats']} calls after a warm-up (*: the warm-up call alone, > "
          f"{args.patience:g} s)")
    header = f"{'metric':29s} {'maps':8s} {'Quantus':24s} {'agreement':22s} {'skcnn s':>9s} {'Quantus s':>10s} " \
             f"{'ratio':>7s}  goals"
    print("\n" + header + "\n" + "-" * len(header))
    for metric, method, kind in ROWS:
        if args.metrics and metric not in args.metrics:
            continue
        name, quantus_call = theirs[metric]
        q_scores, q_seconds, q_mark = timed(lambda: quantus_call(model, x, y, maps[method], method),
                                            size["repeats"], args.patience)
        cells = [f"{metric:29s}", f"{method:8s}", f"{name:24s}"]
        s_scores, s_seconds, s_mark = timed(lambda: ours[metric](inspector, x, y, maps[method], method),
                                            size["repeats"], args.patience)
        text, agrees = agreement(kind, np.asarray(s_scores, np.float64), q_scores)
        ratio = q_seconds / s_seconds
        goals = ("agree" if agrees else "AGREEMENT MISSED") + ", " + ("fast" if ratio >= 10 else "SPEED MISSED")
        print(" ".join(cells + [f"{text:22s}", f"{s_seconds:8.3f}{s_mark}", f"{q_seconds:9.3f}{q_mark}",
                                f"{ratio:6.1f}x", f" {goals}"]), flush=True)
    print("\ngoals: deterministic metrics max rel <= 1e-4; stochastic |mean difference| <= 0.05 and Spearman >= 0.8"
          " (at 200 perturbations); speed >= 10x")
    for note in NOTES:
        print("- " + note)


if __name__ == "__main__":
    main()
