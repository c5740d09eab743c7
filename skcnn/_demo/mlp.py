"""Demo section: the series' NumPy MLP on the embedded MNIST subset."""

from __future__ import annotations

import warnings

from ._context import Section


def run(ctx) -> Section:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import plotting
    from ..metrics import classification_table, misclassified
    from ..mlp import MLPScratchClassifier

    X_train, X_test, y_train, y_test = ctx.mnist_split()
    # quick: 1000 digits; smaller batches give enough updates in 20 short epochs
    max_iter, batch = (20, 100) if ctx.quick else (200, 500)
    ctx.log(f"mlp: (70, 30) MLP, mini-batch sgd, up to {max_iter} epochs on {len(y_train)} digits")
    # the digits are float32 and StandardScaler keeps them so: the default dtype=None trains in float32
    mlp = MLPScratchClassifier(validation_fraction=0.1, max_iter=max_iter, batch_size=batch,
                               random_state=ctx.random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(StandardScaler(), mlp).fit(X_train, y_train)
    ctx.shared["mlp"] = pipe
    y_pred = pipe.predict(X_test)
    table = classification_table(y_test, y_pred)
    per_epoch = 1000 * mlp.fit_time_ / max(mlp.n_iter_, 1)
    text = (
        f"MLPScratchClassifier (NumPy, {mlp.dtype_}): hidden layers {mlp.hidden_layer_sizes}, {mlp.activation}, "
        f"batch {mlp.batch_size}, momentum {mlp.momentum}, alpha_l2 {mlp.alpha_l2}\n"
        f"{mlp.n_iter_} epochs in {mlp.fit_time_:.1f} s ({per_epoch:.1f} ms per epoch); "
        f"test accuracy {table.overall_accuracy:.4f} on {len(y_test)} digits\n\n{table}"
    )
    print("\n== MLP from scratch (NumPy) ==\n" + text)
    missed = misclassified(y_test, y_pred, label=4).fn
    images = [
        (ctx.save(plotting.plot_mlp_learning_curves(pipe, title="MLP learning curves"), "mlp_curves.png"),
         "Cost and averaged error of every mini-batch, penalty share, epoch loss, validation accuracy."),
        (ctx.save(plotting.plot_confusion_matrix(y_test, y_pred), "mlp_confusion.png"),
         "Confusion matrix on the test digits (counts and row percentages)."),
        (ctx.save(plotting.plot_mlp_weights(pipe, title="first-layer weights"), "mlp_weights.png"),
         "Each hidden node's 784 input weights as a 28x28 picture (red: excites, blue: inhibits)."),
    ]
    if len(missed):
        images.append((
            ctx.save(plotting.plot_digits(X_test[missed], y_test[missed], y_pred[missed], n_cols=8,
                                          title='misclassified "4"s'), "mlp_missed_4.png"),
            'The "4"s the MLP got wrong, with its answer.',
        ))
    return Section("MLP from scratch (NumPy)", text, images)
