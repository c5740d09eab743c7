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
from skcnn.datasets import load_mnist

EPOCHS, BATCH = 5, 64


class Timer:
    """Wall-clock and CPU seconds (all threads of this process) of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def load_split():
    digits = load_mnist()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=1000, stratify=digits.target, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def raw_keras(X_train, X_test, y_train, y_test, seed, dtype=None):
    """The series' CNN written as a plain keras.Sequential; returns (fit Timer, predict Timer, accuracy)."""
    import keras

    layers = keras.layers
    images_train = X_train.reshape(-1, 28, 28, 1).astype("float32")
    images_test = X_test.reshape(-1, 28, 28, 1).astype("float32")
    with Timer() as fit:
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
    with Timer() as predict:
        proba = model.predict(images_test, verbose=0)
    return fit, predict, float(np.mean(np.argmax(proba, axis=1) == y_test))


def estimator(X_train, X_test, y_train, y_test, seed, precision="float32"):
    """The same network as KerasCNNClassifier; returns (fit Timer, predict Timer, accuracy)."""
    clf = KerasCNNClassifier(image_shape=(28, 28, 1), epochs=EPOCHS, batch_size=BATCH, precision=precision,
                             random_state=seed)
    with Timer() as fit:
        clf.fit(X_train, y_train)
    with Timer() as predict:
        y_pred = clf.predict(X_test)
    return fit, predict, float(np.mean(y_pred == y_test))


def summary(results, other=None):
    """Median wall and CPU seconds of fit and predict, median accuracy; with ``other``, the paired ratios."""
    def median(values):
        return statistics.median(values)

    out = {
        "fit": median([r[0].wall for r in results]), "fit_cpu": median([r[0].cpu for r in results]),
        "predict": median([r[1].wall for r in results]), "predict_cpu": median([r[1].cpu for r in results]),
        "accuracy": median([r[2] for r in results]),
    }
    if other is not None:
        # runs i of both sides ran back to back: their ratio sees the same machine load
        for key, index in (("fit", 0), ("predict", 1)):
            out[f"{key}_ratio"] = median([a[index].wall / b[index].wall for a, b in zip(results, other)])
            out[f"{key}_cpu_ratio"] = median([a[index].cpu / b[index].cpu for a, b in zip(results, other)])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--no-bfloat16", action="store_true", help="skip precision='mixed_bfloat16'")
    args = parser.parse_args(argv)

    data = load_split()
    # One untimed warm-up of each side: TensorFlow's first graph is slow to build. The estimator goes first: its
    # first fit imports TensorFlow quietly, so the raw side's imports below print nothing.
    estimator(*[part[:256] for part in data], seed=99)
    import keras
    import tensorflow as tf

    # raw Keras' model.predict on new models trips TensorFlow's retracing warning
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    raw_keras(*[part[:256] for part in data], seed=99)

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

    raw = summary(sides["raw keras"])
    est = summary(sides["KerasCNNClassifier"], other=sides["raw keras"])
    device = "GPU" if tf.config.list_logical_devices("GPU") else "CPU"
    print(f"MNIST 4000/1000, standardized pixels, {EPOCHS} epochs, batch {BATCH}, rmsprop; {args.runs} runs each, "
          f"alternating; TensorFlow {tf.__version__}, Keras {keras.__version__}, {device}")
    print("medians; ratio = median of (estimator / raw keras) over runs done back to back; cpu = process CPU time")
    for key, digits, target in (("fit", 2, 1.05), ("predict", 3, 1.10)):
        print(f"{key:<8} raw keras {raw[key]:6.{digits}f} s (cpu {raw[key + '_cpu']:6.{digits}f})   "
              f"KerasCNNClassifier {est[key]:6.{digits}f} s (cpu {est[key + '_cpu']:6.{digits}f})   "
              f"ratio {est[key + '_ratio']:.3f} (cpu {est[key + '_cpu_ratio']:.3f}; target <= {target})")
    print(f"accuracy raw keras {raw['accuracy']:.4f}   KerasCNNClassifier {est['accuracy']:.4f}   difference "
          f"{100 * (est['accuracy'] - raw['accuracy']):+.2f} points (target within 0.5)")
    if not args.no_bfloat16:
        for name, f32 in (("raw keras", raw), ("KerasCNNClassifier", est)):
            bf16 = summary(sides[f"{name}, mixed_bfloat16"], other=sides[name])
            print(f"bfloat16 {name:<18} fit {bf16['fit']:6.2f} s vs float32 {f32['fit']:6.2f} s: "
                  f"{1 / bf16['fit_ratio']:.2f}x faster (cpu {1 / bf16['fit_cpu_ratio']:.2f}x); "
                  f"accuracy {bf16['accuracy']:.4f} vs {f32['accuracy']:.4f}")


if __name__ == "__main__":
    main()
