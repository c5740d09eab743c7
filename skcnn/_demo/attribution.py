"""Demo section: why the CNN called a 4 a 9 (attribution maps), and whether those maps can be trusted."""

from __future__ import annotations

import time

import numpy as np

from ._context import Section


def _errors(y_true, y_pred, n):
    """Indices of up to ``n`` mistakes, the 4s taken for 9s (and 9s for 4s) first."""
    wrong = np.flatnonzero(y_true != y_pred)
    pair = [i for i in wrong if {int(y_true[i]), int(y_pred[i])} == {4, 9}]
    rest = [i for i in wrong if i not in pair]
    return np.array((pair + rest)[:n], dtype=int)


def run(ctx) -> Section:
    from .. import plotting
    from ..inspect import AttributionInspector

    cnn = ctx.shared.get("cnn")
    if cnn is None:
        raise ValueError("the attribution section needs the CNN section to run first (it trains the network).")
    _, X_test, _, y_test = ctx.mnist_split()
    X_test = np.asarray(X_test, dtype=np.float32)
    y_pred = cnn.predict(X_test)
    inspector = AttributionInspector(cnn)
    images, lines = [], []
    start = time.perf_counter()

    # The CNN's mistakes, each with three kinds of map.
    chosen = _errors(y_test, y_pred, 4 if ctx.quick else 6)
    if len(chosen) == 0:
        chosen = np.arange(4)
    X_err, y_err = X_test[chosen], y_test[chosen]
    ctx.log(f"attribution: saliency, integrated gradients and Grad-CAM for {len(chosen)} mistakes")
    results = {"saliency": inspector.saliency(X_err),
               "integrated gradients": inspector.integrated_gradients(X_err, steps=50),
               "Grad-CAM (conv3)": inspector.gradcam(X_err)}
    ig = results["integrated gradients"]
    fig = plotting.plot_attribution_grid(results, y_true=y_err, title="The CNN's mistakes: which pixels it used")
    images.append((ctx.save(fig, "attribution_errors.png"),
                   "Test digits the CNN got wrong (the 4s taken for 9s first), with the maps for the predicted class: "
                   "saliency (|gradient| of the logit w.r.t. the raw pixels: the pixels at the border, almost always "
                   "black, dominate it, because the StandardScaler divides them by a tiny standard deviation), "
                   "integrated gradients from a black image (red: evidence for the prediction, blue: against; "
                   "free of that effect) and Grad-CAM of conv3 (3x3 maps, upsampled)."))
    gap = np.abs(ig.completeness_gap) / np.maximum(np.abs(ig.scores - ig.baseline_scores), 1e-12)
    lines.append(f"{len(chosen)} mistakes shown: " + "; ".join(f"true {t}, predicted {p}" for t, p in
                                                               zip(y_err, ig.predicted)))
    lines.append(f"integrated gradients (50 steps): completeness gap at most {100 * gap.max():.2f}% of "
                 f"f(x) - f(black)")
    fig = plotting.plot_attribution(ig, y_true=y_err, n_cols=len(chosen))
    images.append((ctx.save(fig, "attribution_ig.png"), "Integrated gradients of the mistakes, larger."))

    # Sanity checks on correctly and wrongly classified test digits alike.
    sample = X_test[:6] if ctx.quick else X_test[:12]
    ctx.log(f"attribution: randomization test and deletion curves on {len(sample)} test digits")
    randomized = {
        "integrated gradients": inspector.randomization_test(sample, "integrated_gradients",
                                                             steps=8 if ctx.quick else 16),
        "saliency (signed)": inspector.randomization_test(sample, "saliency", absolute=False),
        "saliency |gradient|": inspector.randomization_test(sample, "saliency"),
        "Grad-CAM": inspector.randomization_test(sample, "gradcam"),
    }
    fig = plotting.plot_randomization(randomized)
    images.append((ctx.save(fig, "attribution_randomization.png"),
                   "Randomization test: the layers are re-initialized from the top, and each map is compared with "
                   "the trained network's by rank correlation. Maps that explain the model fall toward 0; the "
                   "|gradient| keeps tracing the strokes of the digit whatever the weights."))
    for name, r in randomized.items():
        lines.append(f"randomization, {name:21s}: " + "  ".join(f"{layer} {c:+.2f}" for layer, c in
                                                                  zip(r.layers, r.mean_correlation)))
    # the trained network's maps, from the randomization test
    maps = {"integrated gradients": randomized["integrated gradients"].maps[0],
            "saliency": randomized["saliency |gradient|"].maps[0]}
    deletion = {name: inspector.deletion_auc(sample, m) for name, m in maps.items()}
    fig = plotting.plot_deletion(deletion)
    images.append((ctx.save(fig, "attribution_deletion.png"),
                   "Deletion curves: pixels set to black in the order of the map (solid) or at random (dashed); the "
                   "faster the probability of the predicted class falls, the better the map found the evidence."))
    for name, d in deletion.items():
        lines.append(f"deletion AUC, {name}: {d.auc.mean():.3f} (random order {d.random_auc.mean():.3f})")
    lines.append(f"attribution section: {time.perf_counter() - start:.1f} s")
    text = "\n".join(lines)
    print("\n== Attribution ==\n" + text)
    return Section("Why the CNN decided: attribution maps and their sanity checks", text, images)
