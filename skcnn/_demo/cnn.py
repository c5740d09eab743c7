"""Demo section: the series' CNN (Keras) on the embedded MNIST subset; later sections inspect it."""

from __future__ import annotations

from ._context import Section


def run(ctx) -> Section:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import plotting
    from ..cnn import KerasCNNClassifier
    from ..metrics import classification_table

    X_train, X_test, y_train, y_test = ctx.mnist_split()
    epochs = ctx.epochs or (1 if ctx.quick else 5)
    cnn = KerasCNNClassifier(image_shape=(28, 28, 1), epochs=epochs, validation_fraction=0.1,
                             random_state=ctx.random_state)
    ctx.log(f"cnn: series CNN (conv 32-64-64, dense 70), rmsprop, {epochs} epoch(s) on {len(y_train)} digits")
    pipe = make_pipeline(StandardScaler(), cnn).fit(X_train, y_train)
    y_pred = pipe.predict(X_test)
    table = classification_table(y_test, y_pred)
    ctx.shared["cnn"] = pipe
    shapes = ", ".join("x".join(map(str, layer.output.shape[1:])) for layer in cnn.model_.layers
                       if layer.name.startswith(("conv", "pool")))
    text = (
        f"Pipeline(StandardScaler, KerasCNNClassifier): conv filters {cnn.conv_filters}, kernel {cnn.kernel_size}, "
        f"dense {cnn.dense_units}, {cnn.optimizer}, batch {cnn.batch_size}; maps {shapes}; "
        f"{cnn.model_.count_params():,} weights\n"
        f"{len(cnn.history_)} epoch(s) in {cnn.fit_time_:.1f} s on {len(y_train)} digits "
        f"(10% held out for validation); test accuracy {table.overall_accuracy:.4f} on {len(y_test)} digits\n\n"
        f"{table}"
    )
    text = f"{_framework()}\n{text}"
    print("\n== CNN (Keras) ==\n" + text)
    images = [
        (ctx.save(plotting.plot_cnn_learning_curves(pipe, title="CNN learning curves"), "cnn_curves.png"),
         "Loss and score (accuracy) per epoch on the training digits and the 10% held out."),
        (ctx.save(plotting.plot_confusion_matrix(y_test, y_pred), "cnn_confusion.png"),
         "Confusion matrix of the CNN on the test digits (counts and row percentages)."),
        (ctx.save(plotting.plot_conv_kernels(pipe), "cnn_kernels.png"),
         "The 32 trained 3x3 kernels of the first convolution (red: positive, blue: negative weights)."),
    ]
    return Section("CNN (Keras)", text, images)


def _framework() -> str:
    """Which Keras and which backend (with its version) trained the network, e.g. ``Keras 3.15.1 on jax 0.10.2``."""
    from importlib.metadata import PackageNotFoundError, version

    import keras

    name = keras.backend.backend()
    try:
        backend_version = version(name)
    except PackageNotFoundError:
        backend_version = "(version unknown)"
    return f"Keras {keras.version()} on {name} {backend_version}"
