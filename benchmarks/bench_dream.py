"""DreamInspector against the TensorFlow DeepDream tutorial's loop, and against the series' eager loop.

InceptionV3 (default, ``--model inception``): a random-weight
``keras.applications.InceptionV3(weights=None, include_top=False)``, layers
``mixed3`` + ``mixed5``, the flower photo at 299x299, preprocessing to
[-1, 1]. The peer is the tutorial's own loop, rewritten here from its
description: a ``tf.function`` that rolls the image by a random offset, sums
the gradients of one tile at a time (a Python loop over tile positions inside
the function), normalizes them by their standard deviation, and a Python loop
of steps around it, one call per step, at every octave size. skcnn runs the
same sizes, steps, step size and tiles: all tiles of a step in one batch, all
steps of a level in one compiled call, in its ``compute_dtype`` ("auto":
bfloat16 where the hardware computes it natively). Two cases: "octaves" (5
levels from 299/1.3^4 to 299 pixels, tile 512: one tile per level) and
"tiles" (2 loops at 299x299 with 150-pixel tiles: 2x2 tiles per step).
Target: skcnn / tutorial <= 0.5.

Measured on the shared 2-core CPU (AVX512-BF16/AMX; 9 sessions at once, so
single timings vary by 2-3x; medians of 3 interleaved runs)::

    --repeats 3 --steps 10
    case      tutorial loop   skcnn auto (bfloat16)   skcnn float32
    octaves   24.35 s         11.27 s  ratio 0.46     12.27 s  ratio 0.50
    tiles     19.77 s          6.25 s  ratio 0.32      8.86 s  ratio 0.45

    --repeats 3 --steps 5
    octaves   11.62 s          5.98 s  ratio 0.51      8.02 s  ratio 0.69
    tiles      9.83 s          2.62 s  ratio 0.27      3.64 s  ratio 0.37

Where the time goes: with tiles, skcnn runs all tiles of a step as one batch
where the tutorial's loop takes one tile at a time; with one tile per level
("octaves" at 299 pixels, tile 512) both run the same convolutions, and
skcnn's gain is its inference copy of the network (batch normalizations
folded into the convolutions; in bfloat16 that also removes their casts to
float32 and back: 0.21 against 0.32 s per 299x299 gradient) and the compiled
loop over steps. skcnn also evaluates the objective once more after each
level's last step (its ``objective_history``), about 1/(3 x steps) extra.
No GPU was available to this measurement.

The series' CNN (``--model series``): a 560x560 photo, seconds per method,
against the series' eager loop, as below.

Setup: a "series" CNN (Pipeline(StandardScaler, KerasCNNClassifier))
trained 5 epochs on the embedded MNIST split of the MLP benchmark; the flower
photo that scikit-learn ships, cropped square and resized to 560x560; the whole
conv3 layer as the objective; 4 loops (or octaves) of 20 steps per method.

The peer is the series' own way of running the "rescale" method: an eager
``tf.GradientTape`` step per iteration on one 28x28 image, no compiled graph.
For "tiles" the eager baseline is timed on a sample of tiles, one tile at a
time, and extrapolated to all tiles. Each timing is the median of
``--repeats`` runs; skcnn and the baseline alternate in one process.

Run::

    python benchmarks/bench_dream.py                 # InceptionV3 against the tutorial, 3 repeats
    python benchmarks/bench_dream.py --repeats 1 --steps 10
    python benchmarks/bench_dream.py --model series --repeats 1 --dtype float32
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


def tutorial_loop(dream_model, image, sizes, steps, step_size, tile_size, seed=0):
    """The DeepDream tutorial's recipe, from its description: per step, one compiled call that rolls the image
    randomly, sums tile-by-tile gradients of the mean activations, unrolls and normalizes them."""
    import tensorflow as tf

    tf.random.set_seed(seed)

    def objective(tile):
        outputs = dream_model(tf.expand_dims(tile, 0))
        outputs = outputs if isinstance(outputs, list) else [outputs]
        return tf.add_n([tf.reduce_mean(o) for o in outputs])

    @tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.float32), tf.TensorSpec([2], tf.int32),
                                  tf.TensorSpec([], tf.int32)])
    def tiled_gradients(img, size, tile):
        shift = tf.random.uniform([2], minval=-tile, maxval=tile, dtype=tf.int32)
        rolled = tf.roll(img, shift=shift, axis=[0, 1])
        total = tf.zeros_like(rolled)
        for y in tf.range(0, size[0], tile):
            for x in tf.range(0, size[1], tile):
                with tf.GradientTape() as tape:
                    tape.watch(rolled)
                    value = objective(rolled[y:y + tile, x:x + tile])
                total += tape.gradient(value, rolled)
        total = tf.roll(total, shift=-shift, axis=[0, 1])
        return total / (tf.math.reduce_std(total) + 1e-8)

    img = tf.constant(image)
    for size in sizes:
        img = tf.image.resize(img, size)
        for _ in range(steps):
            img = tf.clip_by_value(img + step_size * tiled_gradients(img, tf.constant(size, tf.int32),
                                                                     tf.constant(tile_size)), -1.0, 1.0)
    return img.numpy()


def bench_inception(args):
    import keras

    from skcnn.datasets import load_flower
    from skcnn.inspect import DreamInspector

    keras.utils.set_random_seed(0)
    base = keras.applications.InceptionV3(weights=None, include_top=False)
    layers = ["mixed3", "mixed5"]
    dream_model = keras.Model(base.inputs, [base.get_layer(name).output for name in layers])
    photo = load_flower(299)
    model_space = (photo.astype("float32") / 127.5 - 1.0)
    step_size = 0.01  # the tutorial's, in model units; skcnn's learning_rate is in units of the input range [-1, 1]
    learning_rate = step_size / 2.0
    octave_sizes = [(int(round(299 / 1.3**k)),) * 2 for k in reversed(range(5))]
    cases = {"octaves": dict(method="octaves", octaves=5, octave_scale=1.3, tile=512, sizes=octave_sizes),
             "tiles": dict(method="tiles", loops=2, tile=150, sizes=[(299, 299)] * 2)}
    dtypes = ["auto", "float32"] if args.dtype == "auto" else [args.dtype]
    print(f"InceptionV3(weights=None), {' + '.join(layers)}, flower 299x299, {args.steps} steps per level/loop, "
          f"median of {args.repeats}")
    for name, case in cases.items():
        times = {}
        inspectors = {d: DreamInspector(base, preprocess=lambda x: x / 127.5 - 1.0, deprocess=lambda x: (x + 1) * 127.5,
                                        tile_size=case["tile"], compute_dtype=d) for d in dtypes}
        run_args = {k: v for k, v in case.items() if k not in ("tile", "sizes")}
        for d, inspector in inspectors.items():  # warm-up: trace once
            inspector.dream(photo, layers, **{**run_args, "loops": 1, "octaves": 1}, steps=1, random_state=0)
        tutorial_loop(dream_model, model_space, case["sizes"][:1], 1, step_size, case["tile"])
        for _ in range(args.repeats):
            start = time.perf_counter()
            tutorial_loop(dream_model, model_space, case["sizes"], args.steps, step_size, case["tile"])
            times.setdefault("tutorial", []).append(time.perf_counter() - start)
            for d, inspector in inspectors.items():
                start = time.perf_counter()
                inspector.dream(photo, layers, **run_args, steps=args.steps, learning_rate=learning_rate,
                                 random_state=0)
                times.setdefault(d, []).append(time.perf_counter() - start)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"  {name:8s} tutorial loop {med['tutorial']:7.2f} s   " + "   ".join(
            f"skcnn {d} ({inspectors[d].compute_dtype_}) {med[d]:7.2f} s, ratio {med[d] / med['tutorial']:.2f}" for d in dtypes)
              + "   (target ratio <= 0.5)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="inception", choices=["inception", "series"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--size", type=int, default=560)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    args = parser.parse_args()
    if args.model == "inception":
        bench_inception(args)
    else:
        bench_series(args)


def bench_series(args):
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
    dtype = inspector.compute_dtype_
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
