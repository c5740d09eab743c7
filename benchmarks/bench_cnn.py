"""KerasCNNClassifier against the same network written directly in Keras.

Data: the embedded 5,000 MNIST digits split 4000/1000 (stratified,
random_state=0, the split of the MLP benchmark), pixels standardized with a
StandardScaler fitted on the training part. Both sides train the series' CNN
(conv 32, pool, conv 64, pool, conv 64, dense 70, softmax) with rmsprop for
5 epochs in batches of 64. The runs alternate in one process so that both
see the same machine load; the medians and their ratios are printed.

Fit time counts building, compiling and training the network; predict time
is one prediction of the 1,000 test digits (raw Keras: ``model.predict``).
The estimator gets the flat standardized pixels, as it would in a Pipeline.

Run ``python benchmarks/bench_cnn.py`` (``--runs 5`` for more runs,
``--no-bfloat16`` to skip the precision comparison).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skcnn import KerasCNNClassifier
from skcnn.cnn._keras import import_keras
from skcnn.datasets import load_mnist

EPOCHS, BATCH = 5, 64


def load_split():
    digits = load_mnist()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=1000, stratify=digits.target, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def raw_keras(X_train, X_test, y_train, y_test, seed, dtype=None):
    """The series' CNN written as a plain keras.Sequential; returns (fit s, predict s, accuracy)."""
    keras, _ = import_keras()
    layers = keras.layers
    images_train = X_train.reshape(-1, 28, 28, 1).astype("float32")
    images_test = X_test.reshape(-1, 28, 28, 1).astype("float32")
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu", dtype=dtype),
        layers.MaxPooling2D(2, dtype=dtype),
        layers.Conv2D(64, 3, activation="relu", dtype=dtype),
        layers.MaxPooling2D(2, dtype=dtype),
        layers.Conv2D(64, 3, activation="relu", dtype=dtype),
        layers.Flatten(dtype=dtype),
        layers.Dense(70, activation="relu", dtype=dtype),
        layers.Dense(10, activation="softmax", dtype="float32"),
    ])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images_train, y_train, epochs=EPOCHS, batch_size=BATCH, verbose=0)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    proba = model.predict(images_test, verbose=0)
    predict_s = time.perf_counter() - start
    return fit_s, predict_s, float(np.mean(np.argmax(proba, axis=1) == y_test))


def estimator(X_train, X_test, y_train, y_test, seed, precision="float32"):
    """The same network as KerasCNNClassifier; returns (fit s, predict s, accuracy)."""
    clf = KerasCNNClassifier(image_shape=(28, 28, 1), epochs=EPOCHS, batch_size=BATCH, precision=precision,
                             random_state=seed)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    y_pred = clf.predict(X_test)
    predict_s = time.perf_counter() - start
    return fit_s, predict_s, float(np.mean(y_pred == y_test))


def medians(results):
    return [statistics.median(column) for column in zip(*results)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--no-bfloat16", action="store_true", help="skip precision='mixed_bfloat16'")
    args = parser.parse_args(argv)

    data = load_split()
    keras, tf = import_keras()
    # raw Keras' model.predict on new models trips TensorFlow's retracing warning
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    # One untimed warm-up of each side: TensorFlow's first graph is slow to build.
    raw_keras(*[part[:256] for part in data], seed=99)
    estimator(*[part[:256] for part in data], seed=99)

    sides = {"raw keras": [], "KerasCNNClassifier": []}
    if not args.no_bfloat16:
        sides["raw keras, mixed_bfloat16"] = []
        sides["KerasCNNClassifier, mixed_bfloat16"] = []
    for run in range(args.runs):
        seed = run
        # Alternate which side goes first, so neither always gets the warmer machine.
        order = list(sides) if run % 2 == 0 else list(sides)[::-1]
        for name in order:
            if name.startswith("raw"):
                result = raw_keras(*data, seed=seed, dtype="mixed_bfloat16" if "bfloat16" in name else None)
            else:
                result = estimator(*data, seed=seed, precision="mixed_bfloat16" if "bfloat16" in name else "float32")
            sides[name].append(result)

    med = {name: medians(results) for name, results in sides.items()}
    raw, est = med["raw keras"], med["KerasCNNClassifier"]
    print(f"MNIST 4000/1000, standardized pixels, {EPOCHS} epochs, batch {BATCH}, rmsprop; median of {args.runs} "
          f"runs each; TensorFlow {tf.__version__}, Keras {keras.__version__}, device {'GPU' if tf.config.list_logical_devices('GPU') else 'CPU'}")
    print(f"fit      raw keras {raw[0]:6.2f} s   KerasCNNClassifier {est[0]:6.2f} s   ratio {est[0] / raw[0]:.3f} "
          f"(target <= 1.05)")
    print(f"predict  raw keras {raw[1]:6.3f} s   KerasCNNClassifier {est[1]:6.3f} s   ratio {est[1] / raw[1]:.3f} "
          f"(target <= 1.10)")
    print(f"accuracy raw keras {raw[2]:.4f}     KerasCNNClassifier {est[2]:.4f}     difference "
          f"{100 * (est[2] - raw[2]):+.2f} points (target within 0.5)")
    if not args.no_bfloat16:
        for name, f32 in (("raw keras", raw), ("KerasCNNClassifier", est)):
            bf16 = med[f"{name}, mixed_bfloat16"]
            print(f"bfloat16 {name:<18} fit {bf16[0]:6.2f} s vs float32 {f32[0]:6.2f} s: {f32[0] / bf16[0]:.2f}x "
                  f"faster; accuracy {bf16[2]:.4f} vs {f32[2]:.4f}")


if __name__ == "__main__":
    main()
