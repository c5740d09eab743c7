"""OIPInspector, start patterns and the gradient-ascent engine."""

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skcnn.inspect import GradientAscent, OIPInspector  # noqa: E402
from skcnn.inspect.images import bicubic_upscale, enhance_contrast  # noqa: E402
from skcnn.inspect.starts import multiscale_start, precursor_candidates, precursor_start  # noqa: E402
from skcnn.plotting import plot_oips, save_figure  # noqa: E402
from skcnn.plugins import oip_starts  # noqa: E402

L = keras.layers
pytestmark = pytest.mark.backend


@pytest.fixture(scope="module")
def tiny_cnn(mnist_5k):
    """A small CNN trained two epochs on 600 digits, behind a StandardScaler."""
    from skcnn import KerasCNNClassifier

    rng = np.random.default_rng(0)
    idx = rng.permutation(len(mnist_5k.target))[:600]
    X, y = mnist_5k.data[idx].astype(np.float32), mnist_5k.target[idx]
    pipe = make_pipeline(StandardScaler(), KerasCNNClassifier(conv_filters=(4, 8), dense_units=(16,), epochs=2,
                                                              image_shape=(28, 28, 1), random_state=0))
    return pipe.fit(X, y)


def _small_model(bias=0.0):
    init = keras.initializers.GlorotUniform(0)
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              L.Conv2D(3, 3, activation="relu", kernel_initializer=init, name="c1"),
                              L.MaxPooling2D(name="p1"),
                              L.Conv2D(2, 2, activation="relu", kernel_initializer=init,
                                       bias_initializer=keras.initializers.Constant(bias), name="c2")])
    return model


def test_registry_has_the_two_starts():
    assert {"multiscale", "precursor"} <= set(oip_starts.names())


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the CNN trained here differs per "
                    "backend (its initializers draw other numbers): map 3 may start dead")
def test_oip_raises_activation_tenfold_and_is_reproducible(tiny_cnn):
    # starts of standard deviation 1 around 0 (the standardized digits' units); images kept inside [-2, 2]
    inspector = OIPInspector(tiny_cnn, input_range=(-2.0, 2.0))
    res = inspector.oip("conv2", 3, steps=150, learning_rate=0.05, random_state=1)
    assert res.alive
    assert res.start_activation > 0
    assert res.activation >= 3 * res.start_activation
    assert res.image.min() >= -2.0 and res.image.max() <= 2.0
    assert res.objective_history.shape == (150,)
    assert res.objective_history[-1] > res.objective_history[0]
    # The reported activation is the map's mean activation for the returned image.
    from skcnn.inspect import ActivationInspector

    acts = ActivationInspector(tiny_cnn).activations(res.image_pixels.reshape(1, -1), layers="conv2")["conv2"]
    np.testing.assert_allclose(acts[0, :, :, 3].mean(), res.activation, rtol=1e-3)
    # Pixel space is the scaler's inverse of model space.
    np.testing.assert_allclose(tiny_cnn[0].transform(res.image_pixels.reshape(1, -1)).ravel(), res.image.ravel(),
                               rtol=1e-3, atol=1e-3)
    again = inspector.oip("conv2", 3, steps=150, learning_rate=0.05, random_state=1)
    np.testing.assert_array_equal(again.image, res.image)
    other = inspector.oip("conv2", 3, steps=150, learning_rate=0.05, random_state=2)
    assert not np.array_equal(other.image, res.image)


def test_oip_of_a_point_and_array_start(tiny_cnn):
    inspector = OIPInspector(tiny_cnn, alpha_tv=0.01, alpha_l2=0.001)
    start = np.random.default_rng(0).normal(size=(2, 28, 28, 1)).astype(np.float32)
    res = inspector.oip("conv1", 0, point=(5, 7), steps=30, learning_rate=0.05, start=start, random_state=0)
    assert res.point == (5, 7) and res.start_activations.shape == (2,)
    assert res.activation > res.start_activation


def test_oip_layer_batches_all_maps(tiny_cnn):
    result = OIPInspector(tiny_cnn).oip_layer("conv2", steps=40, learning_rate=0.05, n_starts=2, random_state=0)
    assert result.images.shape == (8, 28, 28, 1) and result.images_pixels.shape == (8, 28, 28, 1)
    assert result.maps.tolist() == list(range(8))
    assert result.objective_history.shape == (40, 8)
    assert result.dead.tolist() == [int(m) for m in result.maps[result.activations <= 0]]
    assert result.seconds > 0


def test_precursor_selects_the_best_screened_candidates(tiny_cnn):
    inspector = OIPInspector(tiny_cnn, screen_dtype="float32")
    options = {"grid": 2, "values": (0.2, 0.8), "screen_steps": 3}
    res = inspector.oip("conv2", 5, steps=20, learning_rate=0.05, start="precursor", start_options=options,
                        random_state=0)
    assert res.start_activations.shape == (8,)
    # The 8 starts are 8 of the 16 candidates: the best after 3 screening steps.
    low, high = inspector.model_.input_range  # candidates a quarter of the range wide, around its middle
    cands = (low + high) / 2 + (high - low) * precursor_candidates((28, 28, 1), grid=2, values=(0.2, 0.8),
                                                                   amplitude=0.25)
    engine = GradientAscent(tiny_cnn, "conv2", pre_activation="auto")
    screened = engine.run(cands, maps=5, steps=3, learning_rate=0.05).climbed
    screened[cands.std(axis=(1, 2, 3)) == 0] = -np.inf  # constant patterns are never screened
    best = set(np.argsort(-screened, kind="stable")[:8])
    start_ids = {int(np.argmin(np.abs(cands - res.start).sum(axis=(1, 2, 3))))}
    assert start_ids <= best


def test_precursor_candidates_and_helpers():
    cands = precursor_candidates((28, 28, 1))
    assert cands.shape == (3**9, 28, 28, 1) and cands.dtype == np.float32
    # Constant patterns standardize to zero; all others to mean 0, std 1.
    std = cands.std(axis=(1, 2, 3))
    assert np.sum(std == 0) == 3
    np.testing.assert_allclose(std[std > 0], 1.0, rtol=1e-4)
    # Patterns that differ only by an affine change of grey values coincide after standardization.
    assert 18000 < len(np.unique(cands.reshape(len(cands), -1).round(4), axis=0)) < 3**9
    assert bicubic_upscale(np.ones((1, 3, 3)), (28, 28)).std() < 1e-12
    starts = multiscale_start([0, 1, 2], 2, (28, 28, 1), np.random.default_rng(0))
    assert starts.shape == (3, 2, 28, 28, 1)
    shown = enhance_contrast(np.random.default_rng(0).normal(size=(2, 5, 5)))
    assert shown.min() == 0.0 and shown.max() == 1.0
    from skcnn.inspect.starts import _distinct_patterns

    distinct = _distinct_patterns(np.arange(3**9), 3, (0.2, 0.5, 0.8))
    assert len(distinct) == 18661 - 1  # the distinct standardized images, the zero image left out
    assert len(np.unique(cands[distinct].reshape(len(distinct), -1).round(4), axis=0)) == len(distinct)
    with pytest.raises(ValueError, match="indices must lie"):
        precursor_candidates((8, 8, 1), grid=2, values=(0, 1), indices=[16])
    with pytest.raises(ValueError, match="percentiles"):
        enhance_contrast(np.zeros((2, 2)), percentiles=(50, 10))


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="a bound measured on TensorFlow (XLA on JAX peaks at 2.7 GiB)")
def test_precursor_memory_over_all_candidates():
    """The full 19683-candidate screening runs in chunks; peak memory stays below 3 GiB.

    Measured: 1.0 GiB on a quiet machine, 2.1 GiB while CI's other jobs loaded
    its 2 cores (TensorFlow's threads then hold more memory at once).
    """
    code = textwrap.dedent("""
        import resource, keras, numpy as np
        from skcnn.inspect import OIPInspector
        model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3, activation="relu"),
                                  keras.layers.MaxPooling2D(4), keras.layers.Conv2D(2, 3, activation="relu")])
        res = OIPInspector(model, batch_size=2048).oip(-1, 0, steps=2, learning_rate=0.1, start="precursor",
                                                       start_options={"screen_steps": 2}, random_state=0)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, res.start_activations.shape)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    peak_gib, shape = out.stdout.split(maxsplit=1)
    assert float(peak_gib) < 3.0
    assert shape.strip() == "(8,)"


def test_engine_per_sample_objectives_match_single_runs():
    model = _small_model()
    engine = GradientAscent(model, "c1", batch_size=2)
    start = np.random.default_rng(0).normal(size=(3, 8, 8, 1)).astype(np.float32)
    together = engine.run(start, maps=[0, 2, 1], steps=5, learning_rate=0.1)
    for i, m in enumerate([0, 2, 1]):
        alone = engine.run(start[i:i + 1], maps=m, steps=5, learning_rate=0.1)
        np.testing.assert_allclose(together.images[i], alone.images[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(together.objective_history[0], engine.score(start, maps=[0, 2, 1]), rtol=1e-5)
    still = engine.run(start, maps=[0, 2, 1], steps=0, learning_rate=0.1)
    assert still.objective_history.shape == (0, 3) and np.array_equal(still.images, start)
    np.testing.assert_allclose(still.scores, together.objective_history[0], rtol=1e-5)


def test_engine_pre_activation_revives_dead_maps():
    model = _small_model(bias=-50.0)
    c2 = model.get_layer("c2")  # a positive kernel: c1's maps (>= 0) can raise c2's value above any bias
    c2.set_weights([np.abs(c2.get_weights()[0]), c2.get_weights()[1]])
    start = np.random.default_rng(0).normal(size=(2, 8, 8, 1)).astype(np.float32)
    dead = GradientAscent(model, "c2", pre_activation=False).run(start, maps=[0, 1], steps=30, learning_rate=0.5)
    assert np.all(dead.scores == 0) and np.array_equal(dead.images, start)
    auto = GradientAscent(model, "c2", pre_activation="auto").run(start, maps=[0, 1], steps=200,
                                                                  learning_rate=0.5)
    assert np.all(auto.scores > 0)
    assert np.all(auto.climbed == auto.scores)


def test_engine_weights_and_callable_objectives():
    model = _small_model()
    start = np.random.default_rng(1).normal(size=(2, 8, 8, 1)).astype(np.float32)
    weights = np.array([[1.0, 0.5, 0.0], [0.0, 0.0, 2.0]])
    engine = GradientAscent(model, "c1", objective="weights")
    res = engine.run(start, weights=weights, steps=10, learning_rate=0.1)
    assert np.all(res.scores > engine.score(start, weights=weights))
    with pytest.raises(ValueError, match="weights is required"):
        engine.run(start, steps=1, learning_rate=0.1)

    def energy(act, w):  # a dream-style objective: mean squared activation
        return keras.ops.mean(keras.ops.square(act), axis=[1, 2, 3])

    res2 = GradientAscent(model, "c1", objective=energy).run(start, steps=10, learning_rate=0.1)
    assert res2.objective_history.shape == (10, 2) and np.all(res2.scores > res2.objective_history[0])
    with pytest.raises(ValueError, match="registered dream objective"):
        GradientAscent(model, "c1", objective="nope")


def test_engine_xla_bfloat16_and_jitter_are_deterministic():
    model = _small_model()
    start = np.random.default_rng(2).normal(size=(5, 8, 8, 1)).astype(np.float32)
    plain = GradientAscent(model, "c1", batch_size=2).run(start, maps=1, steps=4, learning_rate=0.1)
    xla = GradientAscent(model, "c1", batch_size=2, jit_compile=True).run(start, maps=1, steps=4, learning_rate=0.1)
    np.testing.assert_allclose(xla.images, plain.images, rtol=1e-4, atol=1e-4)
    half = GradientAscent(model, "c1", compute_dtype="bfloat16", pre_activation="auto").run(
        start, maps=1, steps=4, learning_rate=0.1)
    assert np.all(np.isfinite(half.images)) and np.all(half.scores > 0)
    jit = GradientAscent(model, "c1", jitter=2)
    a = jit.run(start, maps=1, steps=4, learning_rate=0.1, random_state=3).images
    b = jit.run(start, maps=1, steps=4, learning_rate=0.1, random_state=3).images
    np.testing.assert_array_equal(a, b)


def test_one_start_image_and_a_batch_of_one_are_the_start_repeated():
    # an array start is a set of starts shared by every map: one image, (h, w) for one channel and a batch of one
    # are one start; two copies of it climb to the same image (nothing random: no jitter, no transforms)
    inspector = OIPInspector(_small_model())
    start = np.random.default_rng(3).normal(size=(8, 8, 1)).astype(np.float32)
    run = lambda s: inspector.oip_layer("c1", steps=5, learning_rate=0.1, start=s)  # noqa: E731
    repeated = inspector.oip("c1", 2, steps=5, learning_rate=0.1, start=np.stack([start, start]))
    assert repeated.start_activations.shape == (2,)
    np.testing.assert_allclose(repeated.start_activations[0], repeated.start_activations[1], rtol=1e-5)
    layer = run(np.stack([start, start]))
    for form in (start, start[..., 0], start[None], start[None, ..., 0]):
        one = inspector.oip("c1", 2, steps=5, learning_rate=0.1, start=form)
        assert one.start_activations.shape == (1,)
        np.testing.assert_allclose(one.image, repeated.image, rtol=1e-5, atol=1e-6, err_msg=f"shape {form.shape}")
        np.testing.assert_array_equal(one.start, start)
        np.testing.assert_allclose(run(form).images, layer.images, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(8, 8, 3), (64,), (1, 1, 8, 8, 1), (8, 7, 1)])
def test_a_start_of_another_shape_names_start_and_the_shapes(shape):
    with pytest.raises(ValueError, match=r"start must be .* finite model-space images of shape \(8, 8, 1\) or "
                                         rf"\(n, 8, 8, 1\); got an array of shape {re.escape(str(shape))}\.$"):
        OIPInspector(_small_model()).oip("c1", 0, steps=1, learning_rate=0.1, start=np.zeros(shape))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"layer": "c1", "map": 3}, r"map indices must lie in \[0, 3\)"),
        ({"layer": "c9", "map": 0}, "layer must be a Keras layer name"),
        ({"layer": "c1", "map": 0, "steps": -1}, "steps must be an int >= 0"),
        ({"layer": "c1", "map": 0, "learning_rate": 0}, "learning_rate must be a positive number"),
        ({"layer": "c1", "map": 0, "start": "zeros"}, "Unknown oip_starts 'zeros'"),
        ({"layer": "c1", "map": 0, "start": np.zeros((5, 5))}, "start must be 'multiscale', 'precursor'"),
        ({"layer": "c1", "map": 0, "point": (9, 9)}, "outside the 6x6 maps"),
        ({"layer": "c1", "map": 1.5}, "map must be an int"),
        ({"layer": "c1", "map": 0, "n_starts": 0}, "n_starts must be an int >= 1"),
    ],
)
def test_oip_bad_input(kwargs, match):
    kwargs = {"steps": 2, "learning_rate": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        OIPInspector(_small_model()).oip(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"pre_activation": "yes"}, "pre_activation"), ({"jitter": -1}, "jitter"), ({"alpha_l2": -0.1}, "alpha_l2"),
     ({"alpha_tv": np.inf}, "alpha_tv"), ({"batch_size": 0}, "batch_size must be an int >= 1"), ({"screen_dtype": "int8"}, "screen_dtype"),
     ({"verbose": -1}, "verbose must be an int >= 0"), ({"input_range": (1, 0)}, "input_range must be"),
     ({"output": "head"}, "output must be the name or index")],
)
def test_oip_inspector_checks_its_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        OIPInspector(_small_model(), **kwargs)


def test_engine_bad_input():
    model = _small_model()
    with pytest.raises(ValueError, match="pre_activation"):
        GradientAscent(model, "c1", pre_activation="sometimes")
    with pytest.raises(ValueError, match="compute_dtype"):
        GradientAscent(model, "c1", compute_dtype="float16")
    with pytest.raises(ValueError, match="input_range"):
        GradientAscent(model, "c1", input_range=(1, 0))
    engine = GradientAscent(model, "c1")
    with pytest.raises(ValueError, match="images must have shape"):
        engine.run(np.zeros((2, 7, 7, 1)), maps=0, steps=1, learning_rate=0.1)
    with pytest.raises(ValueError, match="maps is required"):
        engine.run(np.zeros((2, 8, 8, 1)), steps=1, learning_rate=0.1)
    with pytest.raises(ValueError, match="maps must be an int or 2 ints"):
        engine.run(np.zeros((2, 8, 8, 1)), maps=[0, 1, 2], steps=1, learning_rate=0.1)


def test_plot_oips_renders(tmp_path):
    inspector = OIPInspector(_small_model())
    layer = inspector.oip_layer("c1", steps=5, learning_rate=0.1, random_state=0)
    fig = plot_oips(layer)
    assert len(fig.axes) == 3 and fig.axes[0].get_title().startswith("map 0")
    single = [inspector.oip("c2", m, steps=5, learning_rate=0.1, random_state=0) for m in (0, 1)]
    fig2 = plot_oips(single, contrast=False)
    for name, f in (("layer", fig), ("single", fig2)):
        assert save_figure(f, tmp_path / f"{name}.png").stat().st_size > 500
    with pytest.raises(ValueError, match="one entry per image"):
        plot_oips(np.zeros((2, 4, 4)), maps=[1])


def test_screening_climbs_the_requested_point(tiny_cnn):
    seen = {}

    def spy_start(maps, n_starts, image_shape, rng, *, screen):
        images = rng.normal(size=(3,) + image_shape).astype(np.float32)
        seen["values"], seen["images"] = screen(images, np.repeat(maps, 3), 0), images
        return images[None, :n_starts]

    inspector = OIPInspector(tiny_cnn, screen_dtype="float32")
    res = inspector.oip("conv2", 1, point=(2, 3), steps=3, learning_rate=0.05, start=spy_start, n_starts=2,
                        random_state=0)
    assert res.point == (2, 3) and res.start_activations.shape == (2,)
    low, high = inspector.model_.input_range  # start functions give images in units of the range, around 0
    model_space = (low + high) / 2 + (high - low) * seen["images"]
    engine = GradientAscent(tiny_cnn, "conv2", pre_activation="auto")
    at_point = engine.run(model_space, maps=1, points=(2, 3), steps=0, learning_rate=0.1).climbed
    np.testing.assert_allclose(seen["values"], at_point, rtol=1e-5, atol=1e-6)


def test_engine_crop_to_the_receptive_field_is_exact():
    """13x13 inputs: a valid pooling of 11x11 maps drops a row and a column, so the layer sees only 12x12."""
    init = keras.initializers.GlorotUniform(3)
    model = keras.Sequential([keras.Input((13, 13, 1)),
                              L.Conv2D(3, 3, activation="relu", kernel_initializer=init, name="a"),
                              L.MaxPooling2D(name="b"),
                              L.Conv2D(4, 2, activation="relu", kernel_initializer=init, name="c"),
                              L.Flatten(), L.Dense(2)])
    start = np.random.default_rng(4).normal(size=(6, 13, 13, 1)).astype(np.float32)
    for pre in (False, "auto"):
        full = GradientAscent(model, "c", pre_activation=pre, crop=False)
        cropped = GradientAscent(model, "c", pre_activation=pre)
        want = full.run(start, maps=[0, 1, 2, 3, 0, 1], steps=4, learning_rate=0.1)
        got = cropped.run(start, maps=[0, 1, 2, 3, 0, 1], steps=4, learning_rate=0.1)
        assert cropped.crop_ == (12, 12) and full.crop_ is None
        np.testing.assert_allclose(got.images, want.images, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got.objective_history, want.objective_history, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(got.images[:, 12, :, :], start[:, 12, :, :])  # no influence, no change
    # Same padding or a non-chain model: no crop.
    first = GradientAscent(model, "a")
    first.score(start, maps=0)
    assert first.crop_ is None  # conv "a" needs all 13 rows
    engine = GradientAscent(_small_model(), "c2")
    engine.score(np.zeros((1, 8, 8, 1)), maps=0)
    assert engine.crop_ is None


def test_oip_keeps_the_best_of_n_starts_not_the_first():
    """Every start is optimized; the returned OIP is the one that ends highest, not the one that starts highest."""
    inspector = OIPInspector(_small_model())
    for seed in range(5):
        res = inspector.oip("c2", 1, n_starts=6, steps=5, learning_rate=0.05, random_state=seed)
        best = int(np.argmax(res.start_activations))
        assert res.activation == pytest.approx(res.start_activations[best])
        if best != 0:
            break
    assert best != 0, "no seed put the best start anywhere but first; the test would not notice 'keep the first'"
    assert res.activation > res.start_activations[0]
    layer = inspector.oip_layer("c2", maps=[1], n_starts=6, steps=5, learning_rate=0.05, random_state=seed)
    assert layer.activations[0] == pytest.approx(res.activation)


def test_results_print_short():
    inspector = OIPInspector(_small_model())
    res = inspector.oip_layer("c2", steps=3, learning_rate=0.05, random_state=0)
    text = repr(res)
    assert text.startswith("OIPLayerResult(") and len(text.splitlines()) <= 10
    assert "float32 (2, 8, 8, 1)" in text
    assert len(repr(inspector.oip("c2", 0, steps=3, random_state=0)).splitlines()) <= 12


def test_map_values_rank_every_map_in_one_pass(tiny_cnn):
    from skcnn.inspect import resolve_model

    target = resolve_model(tiny_cnn)
    index = target.layer_index("conv2")
    cands = precursor_candidates((28, 28, 1), indices=np.arange(0, 3**9, 997))
    conv = target.layers[index]
    pre_model = keras.Model(target.model.inputs, conv.input)
    kernel, bias = conv.get_weights()
    ops = keras.ops
    pre = ops.convert_to_numpy(ops.conv(ops.convert_to_tensor(pre_model.predict(cands, verbose=0)),
                                        ops.convert_to_tensor(kernel))) + bias
    post = np.maximum(pre, 0).mean(axis=(1, 2))
    want = np.where(post > 0, post, pre.mean(axis=(1, 2)))
    got = GradientAscent(target, pre_activation="auto").map_values(cands, "conv2")
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(GradientAscent(target).map_values(cands, "conv2"), post, rtol=1e-4, atol=1e-5)
    point = GradientAscent(target).map_values(cands, "conv2", point=(1, 2))
    np.testing.assert_allclose(point, np.maximum(pre, 0)[:, 1, 2, :], rtol=1e-4, atol=1e-5)


def test_precursor_prescreen_keeps_the_best_ranked_then_the_best_screened():
    ranked = []

    def rank(images):
        ranked.append(len(images))
        return np.stack([images[:, 0, 0, 0], -images[:, 0, 0, 0]], axis=1)  # map 0: bright corner; map 1: dark

    def screen(images, maps, steps):
        assert len(images) == 2 * 4 and steps == 10
        return images[:, -1, -1, 0] * np.where(maps == 0, 1.0, -1.0)  # then the opposite corner decides

    best = precursor_start([0, 1], 2, (6, 6, 1), np.random.default_rng(0), screen=screen, rank=rank, grid=2,
                           values=(0.2, 0.5, 0.8), prescreen=4)
    pool = precursor_candidates((6, 6, 1), grid=2, values=(0.2, 0.5, 0.8))
    from skcnn.inspect.starts import _distinct_patterns

    ids = _distinct_patterns(np.arange(3**4), 2, (0.2, 0.5, 0.8))
    assert sum(ranked) == len(ids)  # every distinct candidate ranked once, for both maps together
    for m, sign in ((0, 1.0), (1, -1.0)):
        corner = sign * pool[ids, 0, 0, 0]
        top4 = ids[np.argsort(-corner, kind="stable")[:4]]
        want = top4[np.argsort(-sign * pool[top4, -1, -1, 0], kind="stable")[:2]]
        np.testing.assert_allclose(best[m], pool[want])


def _ranged_copies():
    """One network taking [0, 1], and copies of it (same weights) taking 0..255 and [-1, 1]."""
    def build(front):
        init = keras.initializers.GlorotUniform(3)
        layers = [keras.Input((10, 10, 1))] + front + [
            L.Conv2D(4, 3, activation="relu", kernel_initializer=init, name="c1"),
            L.Conv2D(3, 3, activation="relu", kernel_initializer=init, name="c2")]
        return keras.Sequential(layers)

    base = build([])
    copies = {(0.0, 1.0): base, (0.0, 255.0): build([L.Rescaling(1 / 255)]),
              (-1.0, 1.0): build([L.Rescaling(0.5, offset=0.5)])}
    for model in copies.values():
        for name in ("c1", "c2"):
            model.get_layer(name).set_weights(base.get_layer(name).get_weights())
    return copies


def test_oips_and_renders_are_the_same_in_any_input_range():
    """Starts, steps and bounds in units of the range: the 0..255 and [-1, 1] copies climb like the original."""
    from skcnn.inspect.objectives import channel

    found = {}
    for (low, high), model in _ranged_copies().items():
        inspector = OIPInspector(model, input_range=(low, high))
        layer = inspector.oip_layer("c2", steps=40, learning_rate=0.05, random_state=0)
        single = inspector.oip("c2", 1, steps=40, learning_rate=0.05, random_state=0)
        render = inspector.render(channel("c2", 2), steps=20, param="pixel", transforms=None, random_state=0)
        images = np.concatenate([layer.images, single.image[None], render.images])
        assert images.min() >= low and images.max() <= high
        starts = inspector.starts("c2", [0], n_starts=4, random_state=0)
        # a quarter of the range's width around its middle
        np.testing.assert_allclose(starts.std(axis=(2, 3, 4)), 0.25 * (high - low), rtol=0.2)
        assert abs(starts.mean() - (low + high) / 2) < 0.1 * (high - low)
        c2 = keras.Model(model.inputs, model.get_layer("c2").output)  # the activations, read without the engine
        direct = keras.ops.convert_to_numpy(c2(images)).mean(axis=(1, 2))
        found[(low, high)] = np.concatenate([direct[np.arange(3), np.arange(3)], direct[3:4, 1], direct[4:, 2]])
        np.testing.assert_allclose(found[(low, high)][:3], layer.activations, rtol=1e-4, atol=1e-5)
    assert np.all(found[(0.0, 1.0)] > 0)
    for key in ((0.0, 255.0), (-1.0, 1.0)):
        np.testing.assert_allclose(found[key], found[(0.0, 1.0)], rtol=0.1)


def _any_size_model():
    init = keras.initializers.GlorotUniform(0)
    return keras.Sequential([keras.Input((None, None, 3)),
                             L.Conv2D(4, 3, activation="relu", kernel_initializer=init, name="c1"),
                             L.Conv2D(2, 3, activation="relu", kernel_initializer=init, name="c2")])


def test_oips_of_a_model_of_any_input_size_take_image_shape():
    from skcnn.inspect.objectives import channel

    model = _any_size_model()
    inspector = OIPInspector(model)
    for call in (lambda: inspector.oip("c2", 0, steps=2), lambda: inspector.oip_layer("c2", steps=2),
                 lambda: inspector.render(channel("c2", 0), steps=2)):
        with pytest.raises(ValueError, match=r"image_shape is required .*\(None, None, 3\)"):
            call()
    res = inspector.oip("c2", 1, steps=15, learning_rate=0.05, image_shape=(9, 12), random_state=0)
    assert res.image.shape == (9, 12, 3) and res.layer == "c2"
    # the model itself (any size) on the OIP: the same layers and weights were climbed
    direct = float(keras.ops.convert_to_numpy(keras.Model(model.inputs, model.get_layer("c2").output)(res.image[None]))[0, ..., 1]
                   .mean())
    assert res.activation > res.start_activation
    np.testing.assert_allclose(res.activation, direct, rtol=1e-4, atol=1e-6)
    layer = inspector.oip_layer("conv1", steps=3, image_shape=(7, 8), random_state=0)
    assert layer.images.shape == (4, 7, 8, 3)
    rendered = inspector.render([channel("c2", 0), channel("c2", 1)], steps=3, image_shape=(16, 16), random_state=0)
    assert rendered.images.shape == (2, 16, 16, 3)
    with pytest.raises(ValueError, match="image_shape must be"):
        inspector.oip("c2", 0, steps=2, image_shape=(9, 0))


def test_render_of_a_class_on_a_model_with_several_outputs_takes_output():
    from skcnn.inspect.objectives import class_logit

    inputs = keras.Input((8, 8, 1))
    init = keras.initializers.GlorotUniform(1)
    x = L.Flatten()(L.Conv2D(3, 3, activation="relu", kernel_initializer=init, name="c1")(inputs))
    head_a = L.Dense(4, kernel_initializer=init, name="a")(x)
    head_b = L.Dense(2, kernel_initializer=init, name="b")(x)
    model = keras.Model(inputs, [head_b, head_a])  # the heads in an order other than the layers'
    inspector = OIPInspector(model)
    with pytest.raises(ValueError, match="choose the one to explain with output="):
        inspector.render(class_logit(3), steps=2)
    res = inspector.render(class_logit(3), steps=30, param="pixel", transforms=None, output="a", random_state=0)
    logits = keras.ops.convert_to_numpy(keras.Model(inputs, head_a)(res.images))  # read without the engine
    np.testing.assert_allclose(res.activations, logits[:, 3], rtol=1e-4, atol=1e-5)
    assert res.objective_history[-1, 0] > res.objective_history[0, 0]


def test_engine_and_starts_are_public():
    inspector = OIPInspector(_small_model(), alpha_l2=0.2, jitter=1, screen_dtype="float32")
    assert inspector.screen_dtype_ == "float32"
    judge = inspector.engine("c2", regularized=False)
    assert judge is inspector.engine("c2", regularized=False)
    assert (judge.alpha_l2, judge.jitter) == (0.0, 0)
    assert inspector.engine("c2").alpha_l2 == 0.2
    images = np.random.default_rng(0).normal(size=(3, 8, 8, 1)).astype(np.float32)
    c2 = keras.Model(inspector.model_.model.inputs, inspector.model_.model.get_layer("c2").output)
    direct = keras.ops.convert_to_numpy(c2(images)).mean(axis=(1, 2))
    np.testing.assert_allclose(judge.score(images, maps=[0, 1, 0]), direct[np.arange(3), [0, 1, 0]], rtol=1e-5,
                               atol=1e-6)
    starts = inspector.starts("c2", [0, 1], n_starts=3, random_state=0)
    assert starts.shape == (2, 3, 8, 8, 1)  # no range: standard deviation 1 around 0, in model units
    np.testing.assert_allclose(starts.std(axis=(2, 3, 4)), 1.0, rtol=1e-4)
    with pytest.raises(ValueError, match="map indices must lie in"):
        inspector.starts("c2", [5])


def test_robustness_is_one_for_what_the_transforms_cannot_change_and_less_for_structure():
    from skcnn.inspect import GradientAscent
    from skcnn.inspect.objectives import layer_mean
    from skcnn.inspect.oip import robustness

    # a 1x1 convolution with weight 1: the objective is the image's mean, which a constant image keeps
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(
        1, 1, name="c", kernel_initializer="ones", bias_initializer="zeros")])
    engine = GradientAscent(model)
    constant = np.full((2, 28, 28, 1), 3.0, np.float32)
    np.testing.assert_allclose(robustness(engine, constant, layer_mean("c"), n_copies=5), 1.0, rtol=1e-5)
    rng = np.random.default_rng(0)
    images = rng.uniform(0.5, 1.5, (3, 28, 28, 1)).astype(np.float32)
    identity = robustness(engine, images, layer_mean("c"), n_copies=2, shift=0, scale=(1.0, 1.0), degrees=0.0)
    np.testing.assert_allclose(identity, 1.0, rtol=1e-5)
    corner = np.zeros((1, 28, 28, 1), np.float32)
    corner[0, :6, :6] = 1.0  # a bright corner moves out of the window under shifts, zooms and turns
    kept = robustness(engine, corner, layer_mean("c"), n_copies=8, degrees=30.0, random_state=1)
    assert 0.3 < kept[0] < 0.99


def test_an_inspector_compiles_into_one_cache():
    # every engine an OIPInspector builds (one per layer, precision, parameterization) compiles into the
    # inspector's one cache; asking again for the same work compiles nothing
    inspector = OIPInspector(_small_model(bias=0.1))
    inspector.oip_layer("c1", maps=[0, 1], steps=2, random_state=0)
    inspector.oip_layer("c2", maps=[0], steps=2, random_state=0, param="fft")
    engines = list(inspector._engines.values())
    assert len(engines) == 2 and all(e._probe is inspector._probe for e in engines)
    keys = set(inspector._probe.compiled)
    assert len(keys) >= 2 and {k[:2] for k in keys} >= {("engine", id(inspector.model_))}
    inspector.oip_layer("c1", maps=[0, 1], steps=2, random_state=1)
    assert set(inspector._probe.compiled) == keys
