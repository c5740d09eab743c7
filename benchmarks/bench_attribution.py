"""Attribution maps: skcnn's AttributionInspector against tf-keras-vis on the same models and images.

For the series' CNN (trained for one epoch on 1,000 embedded MNIST digits)
and a small RGB model (random weights, 64x64x3), on the same 256 images:
saliency, SmoothGrad (50 samples), Grad-CAM and Grad-CAM++ by both
libraries, each explaining the predicted class's logit (tf-keras-vis with its
``ReplaceToLinear`` model modifier). For every method: the mean and lowest
per-image Pearson correlation of the two maps, and the time per image: the
best of three calls after a first one (which traces). SmoothGrad draws different noise in the two
libraries, so its maps agree only up to that noise. Integrated gradients
(50 steps; tf-keras-vis has none) are timed alone.

Run: ``python benchmarks/bench_attribution.py [--images 256]`` (needs the
``bench`` extra, which installs tf-keras-vis).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: no INFO lines in the tables


def _timed(fn, repeat=3, patience=20.0):
    """The result and the best of ``repeat`` timed calls after a warm-up (fewer when one takes > ``patience`` s)."""
    fn()  # trace / warm up
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
        if best > patience:
            break
    return out, best


def _pearson(a, b):
    a = a.reshape(len(a), -1) - a.reshape(len(a), -1).mean(axis=1, keepdims=True)
    b = b.reshape(len(b), -1) - b.reshape(len(b), -1).mean(axis=1, keepdims=True)
    norm = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    return np.where(norm > 0, (a * b).sum(axis=1) / np.where(norm > 0, norm, 1), 1.0)


def _models(n):
    import keras

    from skcnn import KerasCNNClassifier
    from skcnn.datasets import load_mnist

    digits = load_mnist()
    X = digits.data.reshape(-1, 28, 28, 1).astype(np.float32) / 255.0
    cnn = KerasCNNClassifier(image_shape=(28, 28, 1), epochs=1, random_state=0).fit(X[:1000], digits.target[:1000])
    keras.utils.set_random_seed(0)
    inputs = keras.Input((64, 64, 3))  # functional: tf-keras-vis's model modifier needs output_names
    x = keras.layers.Conv2D(16, 3, activation="relu", name="c1")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, activation="relu", name="c2")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, activation="relu", name="c3")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    rgb = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    images = np.random.default_rng(0).random((n, 64, 64, 3)).astype(np.float32)
    return [("series CNN, 28x28x1", cnn.model_, X[1000:1000 + n]), ("small RGB model, 64x64x3", rgb, images)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=256)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="The structure of `inputs`")  # tf-keras-vis passes a list
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    from skcnn.inspect import AttributionInspector

    for title, model, X in _models(args.images):
        n = len(X)
        inspector = AttributionInspector(model)
        targets = inspector.saliency(X).targets  # the predicted classes, explained by both libraries
        score = CategoricalScore(targets.tolist())
        saliency = Saliency(model, model_modifier=ReplaceToLinear(), clone=True)
        gradcam = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True)
        gradcam_pp = GradcamPlusPlus(model, model_modifier=ReplaceToLinear(), clone=True)
        rows = [
            ("saliency", lambda: inspector.saliency(X, targets).maps,
             lambda: saliency(score, X, normalize_map=False)),
            ("SmoothGrad (50)", lambda: inspector.smoothgrad(X, targets, n_samples=50, noise=0.15, random_state=0).maps,
             lambda: saliency(score, X, smooth_samples=50, smooth_noise=0.15, normalize_map=False)),
            ("Grad-CAM", lambda: inspector.gradcam(X, targets).maps,
             lambda: gradcam(score, X, normalize_cam=False)),
            ("Grad-CAM++", lambda: inspector.gradcam_plus_plus(X, targets).maps,
             lambda: gradcam_pp(score, X, normalize_cam=False)),
        ]
        print(f"\n{title}, {n} images (time per image; Pearson correlation of the two maps per image)")
        print(f"{'method':18s} {'skcnn ms':>9s} {'tf-keras-vis ms':>16s} {'speed-up':>9s} {'mean r':>8s} {'min r':>8s}")
        for name, ours, theirs in rows:
            a, t_ours = _timed(ours)
            b, t_theirs = _timed(theirs)
            r = _pearson(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
            print(f"{name:18s} {1e3 * t_ours / n:9.3f} {1e3 * t_theirs / n:16.3f} {t_theirs / t_ours:8.1f}x "
                  f"{r.mean():8.4f} {r.min():8.4f}")
        ig, t_ig = _timed(lambda: inspector.integrated_gradients(X, targets, steps=50))
        gap = np.abs(ig.completeness_gap) / np.maximum(np.abs(ig.scores - ig.baseline_scores), 1e-12)
        print(f"{'IG (50 steps)':18s} {1e3 * t_ig / n:9.3f} {'(none)':>16s} {'':9s}  completeness gap: median "
              f"{100 * np.median(gap):.2f}%, max {100 * gap.max():.2f}%")


if __name__ == "__main__":
    main()
