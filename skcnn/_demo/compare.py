"""Demo section: the MLP against the CNN on the same test digits, and what the CNN gets wrong."""

from __future__ import annotations

import numpy as np

from ._context import Section


def run(ctx) -> Section:
    from .. import plotting
    from ..metrics import classification_table, misclassified

    _, X_test, _, y_test = ctx.mnist_split()
    models = {name: ctx.shared[name] for name in ("mlp", "cnn") if name in ctx.shared}
    if "cnn" not in models:
        raise ValueError("the compare section needs the CNN section to run first.")
    lines = []
    predictions = {}
    for name, model in models.items():
        predictions[name] = model.predict(X_test)
        table = classification_table(y_test, predictions[name])
        worst = table.labels[np.argmin(table.f1)]
        lines.append(f"{name.upper():4s} test accuracy {table.overall_accuracy:.4f}; weakest class {worst} "
                     f"(F1 {table.f1.min():.3f})")
    y_pred = predictions["cnn"]
    wrong = np.flatnonzero(y_pred != y_test)
    label = 4
    errors = misclassified(y_test, y_pred, label)
    lines.append(f"CNN errors: {len(wrong)} of {len(y_test)}; for the '{label}'s: {len(errors.fn)} missed "
                 f"(false negatives), {len(errors.fp)} other digits taken for a {label} (false positives)")
    text = "\n".join(lines)
    print("\n== MLP against CNN ==\n" + text)
    images = []
    if len(wrong):
        fig = plotting.plot_digits(X_test[wrong], labels=y_test[wrong], predictions=y_pred[wrong], max_images=40,
                                   n_cols=10, title="digits the CNN got wrong (true -> predicted)")
        images.append((ctx.save(fig, "cnn_misclassified.png"),
                       "Test digits the CNN misclassified, captioned true -> predicted."))
    return Section("MLP against CNN", text, images)
