"""OIPs: readability of FFT + transforms against pixels, precursor speed, and the screening against peers.

Readability (issue 11.4), on the series' conv3 (16 maps) and on a small RGB
network (random weights, 32x32x3, 16 maps of its last convolution), from the
same multiscale starts and the same number of steps:

- the share of the OIPs' energy above half the Nyquist frequency
  (:func:`skcnn.inspect.images.high_frequency_share`); target: FFT + transforms at
  most half of pixel OIPs;
- the share of their activation kept, on average, over 20 randomly shifted
  (2 px), zoomed (0.9-1.1) and rotated (10 degrees) copies
  (:func:`skcnn.inspect.oip.robustness`); target: at least 0.8 for FFT +
  transforms, where pixel OIPs keep less;
- CPU seconds per image-step of both; target: FFT + transforms at most 1.5 x.

Measured on the shared two-core CPU machine (load average 15 to 20 from other jobs, so wall times
are inflated and CPU seconds are the fairer figure; no GPU was available for a GPU table):

- series CNN: high-frequency share pixel 0.336, FFT + transforms 0.003 (ratio 0.010); activation
  kept pixel 0.59, FFT + transforms 0.87; CPU per image-step 280 against 321 us (1.15 x; an earlier
  run 179 against 289 us, 1.62 x);
- small RGB network: high-frequency share 0.741 against 0.003 (0.004); kept 0.21 against 0.86;
  CPU per image-step 176 against 488 us (2.77 x; earlier 2.15 x): the 1.5 x target is not met on
  this small network, where the network itself costs little beside the FFT and the resampling;
- precursor, README tour (8 maps): 6.7 s CPU (42.8 s wall at load 16.7), 8 of 8 live; all 64 maps:
  38.3 s CPU (247 s wall at load 20), 64 of 64 live.

Precursor speed (issue 11.6): the README tour's
``oip_layer("conv3", maps=range(8), start="precursor", random_state=0)`` and
all 64 maps, with the default one-pass ranking (``prescreen=64``): wall and
CPU seconds (targets on 2 cores: 20 s and 60 s) and live maps.

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

    python benchmarks/bench_oip.py              # everything, 3 repeats of the full screening
    python benchmarks/bench_oip.py --part readability
    python benchmarks/bench_oip.py --part precursor
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
    wall, cpu = time.perf_counter(), time.process_time()
    starts = inspector.starts(layer, [conv_map], start="precursor", n_starts=8, random_state=0,
                              learning_rate=LEARNING_RATE, start_options={"prescreen": None})
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


def small_rgb_model():
    """A small RGB convolutional network with fixed random weights (no training, no download)."""
    import keras

    init = keras.initializers.GlorotUniform
    layers = keras.layers
    return keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(16, 3, activation="relu", kernel_initializer=init(0), name="conv1"),
        layers.MaxPooling2D(name="pool1"),
        layers.Conv2D(32, 3, activation="relu", kernel_initializer=init(1), name="conv2"),
        layers.MaxPooling2D(name="pool2"),
        layers.Conv2D(32, 3, activation="relu", kernel_initializer=init(2), name="conv3"),
    ])


def readability(target, name, *, steps=300, learning_rate=0.05, n_maps=16):
    """Pixel against FFT + standard transforms OIPs of ``n_maps`` conv3 maps: print the item-4 figures."""
    from skcnn.inspect import OIPInspector
    from skcnn.inspect.images import high_frequency_share
    from skcnn.inspect.oip import robustness

    inspector = OIPInspector(target)
    maps = np.arange(n_maps)
    channels = inspector.model_.input_shape[2]
    judge = inspector.engine("conv3", regularized=False)
    rows = {}
    for label, look in (("pixel", {}), ("fft + transforms", dict(param="fft", transforms="standard",
                                                                 decorrelate=channels == 3))):
        inspector.oip_layer("conv3", maps=maps, steps=2, learning_rate=learning_rate, random_state=0, **look)
        cpu = time.process_time()
        result = inspector.oip_layer("conv3", maps=maps, steps=steps, learning_rate=learning_rate, random_state=0,
                                     **look)
        cpu = time.process_time() - cpu
        rows[label] = (high_frequency_share(result.images).mean(), robustness(judge, result.images, maps=maps).mean(),
                       cpu / (n_maps * steps), result.activations.mean(), len(result.dead))
    (hf_p, kept_p, cost_p, act_p, _), (hf_f, kept_f, cost_f, act_f, dead_f) = rows.values()
    print(f"{name}, {n_maps} conv3 maps, {steps} steps: high-frequency share pixel {hf_p:.3f}, FFT + transforms "
          f"{hf_f:.3f} (ratio {hf_f / hf_p:.3f}; target <= 0.5); activation kept over 20 transformed copies pixel "
          f"{kept_p:.2f}, FFT + transforms {kept_f:.2f} (target >= 0.8 and above pixel); CPU per image-step pixel "
          f"{1e6 * cost_p:.0f} us, FFT + transforms {1e6 * cost_f:.0f} us (ratio {cost_f / cost_p:.2f}; target "
          f"<= 1.5); mean activation pixel {act_p:.2f}, FFT + transforms {act_f:.2f} ({dead_f} dead)")


def precursor_speed(pipe):
    """The README tour's precursor OIPs of 8 conv3 maps, and all 64."""
    from skcnn.inspect import OIPInspector

    for n_maps in (8, 64):
        wall, cpu = time.perf_counter(), time.process_time()
        result = OIPInspector(pipe).oip_layer("conv3", maps=range(n_maps), start="precursor", random_state=0)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"precursor oip_layer('conv3', maps=range({n_maps})), defaults (one-pass ranking of all 18660 "
              f"patterns, 64 per map screened 10 steps, best 8 x 300 steps): {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"(load average {os.getloadavg()[0]:.1f}); {n_maps - len(result.dead)} of {n_maps} maps live "
              f"(target: <= {20 if n_maps == 8 else 60} s on 2 cores, all live)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the full screening (median)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--map", type=int, default=None, help="conv3 map (default: the weakest on test digits)")
    parser.add_argument("--layer-candidates", type=int, default=1024,
                        help="precursor patterns per map in the oip_layer run")
    parser.add_argument("--skip-layer", action="store_true", help="skip the oip_layer runs")
    parser.add_argument("--part", choices=("all", "readability", "precursor", "screening"), default="all",
                        help="run one part only")
    args = parser.parse_args(argv)

    from skcnn.inspect import ActivationInspector, OIPInspector
    from skcnn.inspect.starts import precursor_candidates

    start = time.perf_counter()
    pipe, accuracy = train_cnn(args.epochs)
    print(f"series CNN, {args.epochs} epochs on 4000 digits: test accuracy {accuracy:.3f} "
          f"({time.perf_counter() - start:.1f} s)")
    if args.part in ("all", "readability"):
        readability(pipe, "series CNN")
        readability(small_rgb_model(), "small RGB network (random weights)")
    if args.part in ("all", "precursor"):
        precursor_speed(pipe)
    if args.part not in ("all", "screening"):
        return
    layer = "conv3"
    inspector = OIPInspector(pipe)
    if args.map is None:
        from skcnn.datasets import load_mnist

        sample = load_mnist().data[::10].astype(np.float32)
        means = ActivationInspector(pipe).activations(sample, layers=layer)[layer].mean(axis=(0, 1, 2))
        conv_map = int(np.argsort(means)[len(means) // 4])  # a weak but not dead map
    else:
        conv_map = args.map
    dtype = inspector.screen_dtype_
    print(f"map {conv_map} of {layer}; screening precision {dtype}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    # Warm up (trace and compile) on one chunk, then time the full screening.
    engine = inspector.engine(layer, dtype=dtype, regularized=False)
    engine.run(precursor_candidates((28, 28, 1), indices=np.arange(inspector.batch_size)), maps=conv_map, steps=1,
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
        engine32 = inspector32.engine(layer, regularized=False)
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
    n_maps = inspector.model_.layer_shape(layer)[2]
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
