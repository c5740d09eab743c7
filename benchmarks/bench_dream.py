"""DreamInspector on a 560x560 photo: seconds per method, against the series' eager loop.

Setup (issue 7): a "series" CNN (Pipeline(StandardScaler, KerasCNNClassifier))
trained 5 epochs on the embedded MNIST split of the MLP benchmark; the flower
photo that scikit-learn ships, cropped square and resized to 560x560; the whole
conv3 layer as the objective; 4 loops (or octaves) of 20 steps per method.

The peer is the series' own way of running the "rescale" method: an eager
``tf.GradientTape`` step per iteration on one 28x28 image, no compiled graph.
For "tiles" the eager baseline is timed on a sample of tiles, one tile at a
time, and extrapolated to all tiles. Each timing is the median of
``--repeats`` runs; skcnn and the baseline alternate in one process.

Run::

    python benchmarks/bench_dream.py                 # 3 repeats
    python benchmarks/bench_dream.py --repeats 1 --dtype float32
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def train_cnn(epochs):
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skcnn import KerasCNNClassifier
    from skcnn.datasets import load_mnist

    digits = load_mnist()
    X_train, X_test, y_train, y_test = train_test_split(digits.data, digits.target, test_size=1000,
                                                        stratify=digits.target, random_state=0)
    pipe = make_pipeline(StandardScaler(), KerasCNNClassifier(image_shape=(28, 28, 1), epochs=epochs,
                                                              random_state=0))
    pipe.fit(X_train, y_train)
    return pipe, pipe.score(X_test, y_test)


def eager_steps(pipe, images, steps, step_size=0.05):
    """The series' loop: one eager GradientTape step at a time on model-space images (n, 28, 28, 1)."""
    import keras
    import tensorflow as tf

    model = pipe[-1].model_
    conv3 = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"][2]
    sub = keras.Model(model.inputs, conv3.output)
    x = tf.Variable(pipe[0].transform(images.reshape(len(images), -1)).reshape(images.shape).astype("float32"))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(sub(x, training=False))
        grad = tape.gradient(loss, x)
        x.assign_add(step_size * grad / (tf.sqrt(tf.reduce_mean(tf.square(grad))) + 1e-8))
    return x.numpy()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--size", type=int, default=560)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    args = parser.parse_args()

    from skcnn.datasets import load_flower
    from skcnn.inspect import DreamInspector

    pipe, accuracy = train_cnn(args.epochs)
    print(f"CNN: {args.epochs} epochs, test accuracy {accuracy:.4f}")
    photo = load_flower(args.size)
    inspector = DreamInspector(pipe, compute_dtype=args.dtype)
    for method in ("rescale", "octaves", "tiles"):  # warm-up: trace the compiled steps once
        inspector.dream(photo, "conv3", method=method, loops=1, octaves=2, steps=2, random_state=0)
    tiles_total = (-(-args.size // 28) + 1) ** 2
    sample = 20
    eager_tile_images = np.random.default_rng(0).uniform(0, 255, (1, 28, 28, 1)).astype("float32")
    eager_steps(pipe, eager_tile_images, 2)
    times = {m: [] for m in ("rescale", "octaves", "tiles", "eager rescale", "eager tiles")}
    loops = 4
    for _ in range(args.repeats):
        for method in ("rescale", "octaves", "tiles"):
            start = time.perf_counter()
            inspector.dream(photo, "conv3", method=method, loops=loops, octaves=loops, steps=args.steps,
                            random_state=0)
            times[method].append(time.perf_counter() - start)
        start = time.perf_counter()
        eager_steps(pipe, eager_tile_images, loops * args.steps)
        times["eager rescale"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(sample):
            eager_steps(pipe, eager_tile_images, args.steps)
        times["eager tiles"].append((time.perf_counter() - start) / sample * tiles_total * loops)
    med = {k: statistics.median(v) for k, v in times.items()}
    dtype = inspector._engine("conv3").compute_dtype
    print(f"photo {args.size}x{args.size}, conv3 whole layer, {loops} loops/octaves x {args.steps} steps, "
          f"compute {args.dtype} ({dtype}), median of {args.repeats}")
    for method in ("rescale", "octaves", "tiles"):
        print(f"  skcnn {method:8s} {med[method]:7.2f} s   (target <= 5 s)")
    print(f"  eager rescale (series' loop)           {med['eager rescale']:7.2f} s   "
          f"ratio skcnn/eager {med['rescale'] / med['eager rescale']:.2f}")
    print(f"  eager tiles, one tile at a time (extrapolated from {sample} of {tiles_total} tiles) "
          f"{med['eager tiles']:7.1f} s   ratio skcnn/eager {med['tiles'] / med['eager tiles']:.3f}")


if __name__ == "__main__":
    main()
