"""OIP search speed: the precursor screening of one conv3 map, against one-at-a-time loops and tf-keras-vis.

Setup (issue 6): a "series" CNN (Pipeline(StandardScaler, KerasCNNClassifier))
trained 5 epochs on the embedded MNIST split (4000 training digits). The
precursor screening of one conv3 map is the series' systematic search: all
3**9 = 19683 coarse patterns (3x3 squares, grey values 0.2/0.5/0.8, bicubic
upscaling, standardization), 10 ascent steps each.

Timed:

1. skcnn's full screening, batched through the one ascent engine (median of
   ``--repeats``), with the process's peak resident memory during the run;
   the same in float32 when the default screening precision is bfloat16, and
   how many of the best 8 candidates the two precisions agree on;
2. the series' way: one candidate at a time, each step one compiled
   TensorFlow call, on 200 candidates, extrapolated to 19683;
3. tf-keras-vis ``ActivationMaximization`` (``pip install skcnn[bench]``) on
   the same 200 candidates and 10 steps, no regularizers or input modifiers:
   as one batch with ``CategoricalScore(map)`` (the library's documented way
   to visualize a filter; per-image slices, quadratic in the batch), as one
   batch with one vectorized score function (its fastest use), and one
   candidate per call (as the series screened);
4. ``oip_layer`` over all 64 conv3 maps: multiscale starts with and without
   the pre-activation rescue, and the precursor (on ``--layer-candidates``
   random patterns per map, 8 starts per map, 300 steps): time and how many
   maps end with a live OIP.

Ratios are per candidate-step, against the median full screening and, because
the shared machine's load swings between runs, also against a run of skcnn on
2048 candidates timed just before each peer ("paired"). Run::

    python benchmarks/bench_oip.py              # 3 repeats of the full screening
    python benchmarks/bench_oip.py --repeats 1 --skip-layer
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

import numpy as np

N_CANDIDATES = 3**9
N_DISTINCT = 18660  # after standardization, constant patterns dropped
SCREEN_STEPS = 10
SAMPLE = 200
LEARNING_RATE = 0.02


class PeakMemory:
    """Samples the process's resident memory (Linux /proc) in a thread; ``peak`` in GiB."""

    def __init__(self, interval=0.02):
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()

    @staticmethod
    def current():
        try:
            with open("/proc/self/statm") as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30
        except OSError:
            return float("nan")

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.current())
            time.sleep(self.interval)

    def __enter__(self):
        self.peak = self.current()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def train_cnn(epochs):
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skcnn import KerasCNNClassifier
    from skcnn.datasets import load_mnist

    digits = load_mnist()
    X_train, X_test, y_train, y_test = train_test_split(digits.data.astype(np.float32), digits.target,
                                                        test_size=1000, stratify=digits.target, random_state=0)
    pipe = make_pipeline(StandardScaler(), KerasCNNClassifier(image_shape=(28, 28, 1), epochs=epochs,
                                                              random_state=0))
    pipe.fit(X_train, y_train)
    return pipe, pipe.score(X_test, y_test)


def screen_all(inspector, layer, conv_map):
    """The precursor search as ``oip(start="precursor")`` runs it, without the full optimization.

    Returns (wall seconds, CPU seconds, the 8 chosen start images).
    """
    index = inspector.target_.layer_index(layer)
    wall, cpu = time.perf_counter(), time.process_time()
    starts = inspector._starts(index, [conv_map], "precursor", 8, np.random.default_rng(0), LEARNING_RATE, None)
    return time.perf_counter() - wall, time.process_time() - cpu, starts[0]


def shared_starts(a, b):
    """How many of the start images in ``a`` also occur in ``b``."""
    flat_b = b.reshape(len(b), -1)
    return sum(bool(np.any(np.all(np.isclose(flat_b, image.ravel(), atol=1e-5), axis=1))) for image in a)


def one_at_a_time(pipe, layer, conv_map, candidates):
    """The series' loop: per candidate, per step, one compiled gradient step on a single image."""
    import keras
    import tensorflow as tf

    model = pipe[-1].model_
    sub = keras.Model(model.inputs[0], model.get_layer(layer).output)

    @tf.function(autograph=False)
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_mean(sub(x, training=False)[..., conv_map])
        grad = tape.gradient(loss, x)
        return x + LEARNING_RATE * grad / (tf.sqrt(tf.reduce_mean(tf.square(grad))) + 1e-8), loss

    step(tf.constant(candidates[:1]))
    start = time.perf_counter()
    for image in candidates:
        x = tf.constant(image[None])
        for _ in range(SCREEN_STEPS):
            x, loss = step(x)
        float(loss)
    return time.perf_counter() - start


def tf_keras_vis(pipe, layer, conv_map, candidates, mode):
    """Seconds of tf-keras-vis ActivationMaximization on the candidates, or None if it is not installed.

    ``mode="categorical"``: one batch with ``CategoricalScore(filter_index)``,
    the library's documented way to visualize a filter (one slice per image,
    each with a gradient as large as the whole batch: quadratic cost);
    ``"vectorized"``: one batch, one score function for all images;
    ``"single"``: one call per candidate (the series' one-at-a-time use), on
    the first 20 candidates, extrapolated to all.
    """
    try:
        from tf_keras_vis.activation_maximization import ActivationMaximization
        from tf_keras_vis.utils.scores import CategoricalScore
    except ImportError:
        return None
    import warnings

    import keras
    import tensorflow as tf

    model = pipe[-1].model_
    sub = keras.Model(model.inputs[0], model.get_layer(layer).output)
    maximizer = ActivationMaximization(sub, clone=False)
    if mode == "vectorized":
        def score(output):
            return tf.reduce_mean(output[..., conv_map], axis=[1, 2])
    else:
        score = CategoricalScore(conv_map)

    def run(seed, steps):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return maximizer(score, seed_input=seed, input_range=(None, None), input_modifiers=[],
                             regularizers=[], steps=steps, optimizer=keras.optimizers.SGD(LEARNING_RATE))

    run(candidates[:2], 1)
    start = time.perf_counter()
    if mode == "single":
        few = candidates[:20]
        for image in few:
            run(image[None], SCREEN_STEPS)
        return (time.perf_counter() - start) * len(candidates) / len(few)
    run(candidates, SCREEN_STEPS)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the full screening (median)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--map", type=int, default=None, help="conv3 map (default: the weakest on test digits)")
    parser.add_argument("--layer-candidates", type=int, default=1024,
                        help="precursor patterns per map in the oip_layer run")
    parser.add_argument("--skip-layer", action="store_true", help="skip the oip_layer runs")
    args = parser.parse_args(argv)

    from skcnn.inspect import ActivationInspector, OIPInspector
    from skcnn.inspect.oip import precursor_candidates

    start = time.perf_counter()
    pipe, accuracy = train_cnn(args.epochs)
    print(f"series CNN, {args.epochs} epochs on 4000 digits: test accuracy {accuracy:.3f} "
          f"({time.perf_counter() - start:.1f} s)")
    layer = "conv3"
    inspector = OIPInspector(pipe)
    if args.map is None:
        from skcnn.datasets import load_mnist

        sample = load_mnist().data[::10].astype(np.float32)
        means = ActivationInspector(pipe).activations(sample, layers=layer)[layer].mean(axis=(0, 1, 2))
        conv_map = int(np.argsort(means)[len(means) // 4])  # a weak but not dead map
    else:
        conv_map = args.map
    dtype = inspector._screen_dtype()
    print(f"map {conv_map} of {layer}; screening precision {dtype}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    # Warm up (trace and compile) on one chunk, then time the full screening.
    engine = inspector._engine(inspector.target_.layer_index(layer), dtype, regularized=False)
    engine.run(precursor_candidates((28, 28, 1), indices=np.arange(engine.chunk_size)), maps=conv_map, steps=1,
               learning_rate=LEARNING_RATE)
    times, cpus = [], []
    with PeakMemory() as memory:
        for _ in range(args.repeats):
            seconds, cpu, starts = screen_all(inspector, layer, conv_map)
            times.append(seconds)
            cpus.append(cpu)
    full, cpu = statistics.median(times), statistics.median(cpus)
    cand_steps = N_DISTINCT * SCREEN_STEPS  # the images actually climbed
    n_cpu = os.cpu_count()
    print(f"skcnn precursor search, {N_CANDIDATES} candidates ({N_DISTINCT} distinct) x {SCREEN_STEPS} steps: "
          f"median {full:.1f} s of {len(times)} ({', '.join(f'{t:.1f}' for t in times)}); "
          f"{1e6 * full / cand_steps:.0f} us per candidate-step; CPU time {cpu:.1f} s (= {cpu / n_cpu:.1f} s on "
          f"{n_cpu} unshared cores); peak memory {memory.peak:.2f} GiB (target: <= 20 s, < 2 GiB)")
    if dtype != "float32":
        inspector32 = OIPInspector(pipe, screen_dtype="float32")
        engine32 = inspector32._engine(inspector32.target_.layer_index(layer), "float32", regularized=False)
        engine32.run(precursor_candidates((28, 28, 1), indices=np.arange(8)), maps=conv_map, steps=1,
                     learning_rate=LEARNING_RATE)
        seconds32, cpu32, starts32 = screen_all(inspector32, layer, conv_map)
        print(f"  the same in float32: {seconds32:.1f} s, CPU time {cpu32:.1f} s ({cpu32 / cpu:.2f} x the {dtype} "
              f"CPU time); chosen 8 starts shared by both precisions: {shared_starts(starts, starts32)} of 8")

    rng = np.random.default_rng(0)
    sample_ids = np.sort(rng.choice(N_CANDIDATES, size=SAMPLE, replace=False))
    sample = precursor_candidates((28, 28, 1), indices=sample_ids)
    block = precursor_candidates((28, 28, 1), indices=np.arange(2048))

    def ours_now():
        """skcnn's seconds per candidate-step right now (2048 candidates), to pair with the next peer timing."""
        start = time.perf_counter()
        engine.run(block, maps=conv_map, steps=SCREEN_STEPS, learning_rate=LEARNING_RATE)
        return (time.perf_counter() - start) / (len(block) * SCREEN_STEPS)

    paired = ours_now()
    single = one_at_a_time(pipe, layer, conv_map, sample)
    single_full = single * N_CANDIDATES / SAMPLE
    print(f"one candidate at a time (the series' loop), {SAMPLE} candidates: {single:.1f} s, extrapolated to "
          f"{N_CANDIDATES}: {single_full:.0f} s; skcnn's screening is {single_full / full:.1f} x faster "
          f"(paired with a run just before: {single / (SAMPLE * SCREEN_STEPS) / paired:.1f} x)")
    for mode, how in (("categorical", "CategoricalScore(map) (its documented use), one batch"),
                      ("vectorized", "one vectorized score function, one batch"),
                      ("single", "one candidate per call (20 timed, extrapolated)")):
        paired = ours_now()
        vis = tf_keras_vis(pipe, layer, conv_map, sample, mode)
        if vis is None:
            print("tf-keras-vis: not installed (pip install 'skcnn[bench]'); skipped")
            break
        per_vis, per_ours = vis / (SAMPLE * SCREEN_STEPS), full / cand_steps
        print(f"tf-keras-vis ActivationMaximization, {how}, {SAMPLE} candidates x {SCREEN_STEPS} steps: "
              f"{vis:.2f} s = {1e6 * per_vis:.0f} us per candidate-step; skcnn is {per_vis / per_ours:.1f} x "
              f"faster per candidate-step, {per_vis / paired:.1f} x paired with a run just before (target: >= 10 x)")

    if args.skip_layer:
        return
    n_maps = inspector.target_.layer_shape(layer)[2]
    for name, pre in (("multiscale, no pre-activation rescue", False), ("multiscale (default, 'auto')", "auto")):
        result = OIPInspector(pipe, pre_activation=pre).oip_layer(layer, steps=300, learning_rate=LEARNING_RATE,
                                                                   random_state=0)
        print(f"oip_layer {layer}, {name}, 1 start x 300 steps: {result.seconds:.1f} s, "
              f"{n_maps - len(result.dead)} of {n_maps} maps live")
    result = OIPInspector(pipe).oip_layer(layer, steps=300, learning_rate=LEARNING_RATE, start="precursor",
                                          start_options={"n_candidates": args.layer_candidates}, random_state=0)
    print(f"oip_layer {layer}, precursor ({args.layer_candidates} patterns x {SCREEN_STEPS} steps per map, best 8 "
          f"x 300 steps): {result.seconds:.1f} s, {n_maps - len(result.dead)} of {n_maps} maps live")


if __name__ == "__main__":
    main()
