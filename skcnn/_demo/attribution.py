"""Demo section: why the CNN got some test digits wrong (attribution maps), and whether those maps can be trusted."""

from __future__ import annotations

import time

import numpy as np

from ..metrics import confusions
from ._context import Section


def pick_errors(y_true, y_pred, n):
    """Up to ``n`` mistakes to show: those of the most frequent kind first, then the others in test order.

    Returns
    -------
    indices : ndarray of int
    pair : tuple or None
        ``(true, predicted)`` of the most frequent mistake, the one shown first (None: no mistake).
    n_pair : int
        How many of ``indices`` are mistakes of that kind (they come first).

    Examples
    --------
    >>> pick_errors([4, 9, 9, 7, 9], [9, 4, 4, 1, 9], 3)
    (array([1, 2, 0]), (9, 4), 2)
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    kinds = confusions(y_true, y_pred)
    if not kinds:
        return np.array([], dtype=int), None, 0
    a, b, _ = kinds[0]
    wrong = np.flatnonzero(y_true != y_pred)
    first = wrong[(y_true[wrong] == a) & (y_pred[wrong] == b)]
    rest = wrong[~((y_true[wrong] == a) & (y_pred[wrong] == b))]
    chosen = np.concatenate([first, rest])[:n].astype(int)
    return chosen, (a, b), int(min(len(first), n))


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

    # The CNN's mistakes, each with three kinds of map: its most frequent mistake first.
    chosen, pair, n_pair = pick_errors(y_test, y_pred, 4 if ctx.quick else 6)
    kinds = confusions(y_test, y_pred)
    n_wrong = int(np.sum(y_test != y_pred))
    if pair is None:
        chosen = np.arange(4)
        shown = "The CNN got every test digit right: four of them"
        heading = "four test digits the CNN got right"
    else:
        a, b = pair
        count = kinds[0][2]
        others = len(chosen) - n_pair
        taken = f"a {b}" if n_pair == 1 else f"{b}s"
        shown = (f"Test digits the CNN got wrong: first {_count(n_pair, a)} it took for {taken} (true {a}, predicted "
                 f"{b}: its most frequent mistake, {count} of its {n_wrong} errors)"
                 + (f", then {others} other mistake{'s' if others > 1 else ''}" if others else ""))
        heading = f"the CNN's mistakes, true {a} -> predicted {b} first"
    X_err, y_err = X_test[chosen], y_test[chosen]
    ctx.log(f"attribution: saliency, integrated gradients and Grad-CAM for {len(chosen)} test digits")
    results = {"saliency": inspector.saliency(X_err),
               "integrated gradients": inspector.integrated_gradients(X_err, steps=50),
               "Grad-CAM (conv3)": inspector.gradcam(X_err)}
    ig = results["integrated gradients"]
    fig = plotting.plot_attribution_grid(results, y_true=y_err, title=f"Which pixels it used: {heading}")
    images.append((ctx.save(fig, "attribution_errors.png"),
                   f"{shown}, each with the maps for the predicted class: "
                   "saliency (|gradient| of the logit w.r.t. the raw pixels: the pixels at the border, almost always "
                   "black, dominate it, because the StandardScaler divides them by a tiny standard deviation), "
                   "integrated gradients from a black image (red: evidence for the prediction, blue: against; "
                   "free of that effect) and Grad-CAM of conv3 (3x3 maps, upsampled)."))
    gap = np.abs(ig.completeness_gap) / np.maximum(np.abs(ig.scores - ig.baseline_scores), 1e-12)
    if kinds:
        lines.append(f"CNN errors: {n_wrong} of {len(y_test)}; most frequent (true -> predicted: count): "
                     + ", ".join(f"{t} -> {p}: {c}" for t, p, c in kinds[:5]))
    lines.append(f"{len(chosen)} digits shown: " + "; ".join(f"true {t}, predicted {p}" for t, p in
                                                           zip(y_err, ig.predicted)))
    lines.append(f"integrated gradients (50 steps): completeness gap at most {100 * gap.max():.2f}% of "
                 f"f(x) - f(black)")
    fig = plotting.plot_attribution(ig, y_true=y_err, n_cols=len(chosen),
                                    title=f"Integrated gradients: {heading}")
    images.append((ctx.save(fig, "attribution_ig.png"),
                   "Integrated gradients of the same digits, larger, in the same order."))

    # Sanity checks on correctly and wrongly classified test digits alike.
    sample = X_test[:6] if ctx.quick else X_test[:12]
    ctx.log(f"attribution: randomization test and deletion curves on {len(sample)} test digits")
    seed = ctx.random_state
    randomized = {
        "integrated gradients": inspector.randomization_test(sample, "integrated_gradients",
                                                             steps=8 if ctx.quick else 16, random_state=seed),
        "saliency (signed)": inspector.randomization_test(sample, "saliency", absolute=False, random_state=seed),
        "saliency |gradient|": inspector.randomization_test(sample, "saliency", random_state=seed),
        "Grad-CAM": inspector.randomization_test(sample, "gradcam", random_state=seed),
    }
    fig = plotting.plot_randomization(randomized)
    images.append((ctx.save(fig, "attribution_randomization.png"),
                   "Randomization test: the layers are re-initialized from the top (each weight from its layer's "
                   "own initializer), and each map is compared with the trained network's by rank correlation. "
                   "Maps that explain the model fall toward 0; the |gradient| keeps tracing the strokes of the "
                   "digit whatever the weights. The summary also gives the integrated gradients' absolute maps, "
                   "whose ranking can survive where the signed one falls."))
    for name, r in randomized.items():
        lines.append(f"randomization, {name:21s}: " + "  ".join(f"{layer} {c:+.2f}" for layer, c in
                                                                  zip(r.layers, r.mean_correlation)))
    ig_abs = randomized["integrated gradients"]
    lines.append("randomization, integrated gradients |map|: " + "  ".join(
        f"{layer} {c:+.2f}" for layer, c in zip(ig_abs.layers, ig_abs.mean_absolute_correlation)))
    # the trained network's maps, from the randomization test
    maps = {"integrated gradients": randomized["integrated gradients"].maps[0],
            "saliency": randomized["saliency |gradient|"].maps[0]}
    deletion = {name: inspector.deletion_auc(sample, m, random_state=seed) for name, m in maps.items()}
    fig = plotting.plot_deletion(deletion)
    images.append((ctx.save(fig, "attribution_deletion.png"),
                   "Deletion curves: pixels replaced by those of a blurred copy of the digit, in the order of the "
                   "map (solid) or at random (dashed); the faster the probability of the predicted class falls, the "
                   "better the map found the evidence."))
    for name, d in deletion.items():
        lines.append(f"deletion AUC, {name}: {d.auc.mean():.3f} (random order {d.random_auc.mean():.3f})")
    lines.append(f"attribution section: {time.perf_counter() - start:.1f} s")
    text = "\n".join(lines)
    print("\n== Attribution ==\n" + text)
    return Section("Why the CNN decided: attribution maps and their sanity checks", text, images)


def _count(n, digit):
    """``"the 9"`` or ``"the 3 9s"``."""
    return f"the {digit}" if n == 1 else f"the {n} {digit}s"
