"""
Why did the CNN get these digits wrong? Attribution maps and their sanity checks
================================================================================

A CNN trained on the embedded MNIST digits gets some test digits wrong. The
script finds its most frequent mistake (true digit a taken for digit b) and
shows those digits first, titled with that pair as it came out. For each
mistake, :class:`~skcnn.inspect.AttributionInspector` shows which pixels
drove the prediction: the saliency (gradient of the class logit), SmoothGrad,
integrated gradients from a black image, Grad-CAM and Grad-CAM++ of the last
convolution, and occlusion. The maps are in pixel space: through the
Pipeline's StandardScaler, the saliency is the gradient with respect to the
raw grey levels, and the border pixels, almost always black, dominate it (the
scaler divides them by a tiny standard deviation, so one grey level there is a
large change for the network). Integrated gradients do not depend on that
scaling.

Maps are easy to draw and hard to trust. Two checks follow: the
randomization test of Adebayo et al. (2018) re-initializes the layers from
the top and measures how much each map still looks like the trained
network's (a map that explains the model must change with it), by the rank
correlation of the maps and of their absolute values, and the deletion curve
replaces pixels, in the map's order, by those of a blurred copy of the image
and watches the class probability fall, against a random order.

The pictures go to the folder ``plot_attribution/`` (or ``--out DIR``).
Run time, measured: 30 s wall clock (14 s of CPU) on 2 CPU cores shared with
other jobs (load average 13-17), imports and 3 epochs of training included.
"""

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import KerasCNNClassifier
from skcnn.datasets import load_mnist
from skcnn.inspect import AttributionInspector
from skcnn.metrics import confusions
from skcnn.plotting import (plot_attribution, plot_attribution_grid, plot_deletion, plot_randomization,
                            save_figure)

parser = argparse.ArgumentParser(description="Attribution maps of the CNN's mistakes and their sanity checks.")
parser.add_argument("--out", default="plot_attribution", help="folder for the pictures (default: %(default)s)")
out = Path(parser.parse_args().out)
start = time.perf_counter()

digits = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=1000, stratify=digits.target, random_state=0)
cnn = make_pipeline(StandardScaler(), KerasCNNClassifier(image_shape=(28, 28, 1), epochs=3, random_state=0))
cnn.fit(X_train, y_train)
y_pred = cnn.predict(X_test)
print(f"CNN test accuracy: {np.mean(y_pred == y_test):.3f}")

# %%
# The mistakes, those of the most frequent kind (true a, predicted b) first.
a, b, count = confusions(y_test, y_pred)[0]
wrong = np.flatnonzero(y_pred != y_test)
first = (y_test[wrong] == a) & (y_pred[wrong] == b)
wrong = np.concatenate([wrong[first], wrong[~first]])[:6]
print(f"{int(np.sum(y_pred != y_test))} mistakes; the most frequent: {count} {a}s taken for {b}s, shown first")
inspector = AttributionInspector(cnn)
X_err, y_err = X_test[wrong], y_test[wrong]
maps = {
    "saliency": inspector.saliency(X_err),
    "SmoothGrad": inspector.smoothgrad(X_err, random_state=0),
    "integrated gradients": inspector.integrated_gradients(X_err, steps=50),
    "Grad-CAM": inspector.gradcam(X_err),
    "Grad-CAM++": inspector.gradcam_plus_plus(X_err),
    "occlusion": inspector.occlusion(X_err),
}
ig = maps["integrated gradients"]
print("completeness gap of integrated gradients, share of f(x) - f(black):",
      np.round(np.abs(ig.completeness_gap) / np.abs(ig.scores - ig.baseline_scores), 4))
heading = f"the CNN's mistakes, true {a} -> predicted {b} first"
save_figure(plot_attribution_grid(maps, y_true=y_err, title=f"Which pixels it used: {heading}"), out / "methods.png")
save_figure(plot_attribution(ig, y_true=y_err, n_cols=3, title=f"Integrated gradients: {heading}"),
            out / "integrated_gradients.png")

# %%
# What the true class had going for it: the same digits explained for their true class.
for_truth = inspector.integrated_gradients(X_err, target=y_err, steps=50)
save_figure(plot_attribution(for_truth, y_true=y_err, n_cols=3,
                             title="integrated gradients for the true class"), out / "true_class.png")

# %%
# Sanity checks on 16 test digits.
sample = X_test[:16]
randomized = {
    "integrated gradients": inspector.randomization_test(sample, "integrated_gradients", steps=32, random_state=0),
    "saliency (signed)": inspector.randomization_test(sample, "saliency", absolute=False, random_state=0),
    "saliency |gradient|": inspector.randomization_test(sample, "saliency", random_state=0),
    "Grad-CAM": inspector.randomization_test(sample, "gradcam", random_state=0),
}
for name, r in randomized.items():
    print(f"randomization, {name:21s}", "  ".join(f"{layer} {c:+.2f}" for layer, c in zip(r.layers,
                                                                                         r.mean_correlation)))
    print(f"  the same, |map|{'':8s}", "  ".join(f"{layer} {c:+.2f}" for layer, c in zip(r.layers,
                                                                                       r.mean_absolute_correlation)))
save_figure(plot_randomization(randomized), out / "randomization.png")
deletion = {name: inspector.deletion_auc(sample, inspector.attribute(sample, method), random_state=0)
            for name, method in [("integrated gradients", "integrated_gradients"), ("saliency", "saliency"),
                                 ("occlusion", "occlusion")]}
for name, d in deletion.items():
    print(f"deletion AUC, {name}: {d.auc.mean():.3f} (random order {d.random_auc.mean():.3f})")
save_figure(plot_deletion(deletion), out / "deletion.png")
print(f"pictures in {out}/; {time.perf_counter() - start:.0f} s in all")
