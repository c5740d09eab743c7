import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skcnn.inspect import DreamInspector  # noqa: E402
from skcnn.plugins import dream_objectives  # noqa: E402

pytestmark = pytest.mark.backend


@pytest.fixture(scope="module")
def model():
    init = keras.initializers.GlorotUniform(seed=0)
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="c1", kernel_initializer=init),
        keras.layers.Conv2D(6, 3, activation="relu", name="c2", kernel_initializer=init),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ])


@pytest.fixture(scope="module")
def photo():
    """A smooth 40x48 'photo' so that changes, not the photo itself, dominate its gradients."""
    yy, xx = np.mgrid[0:40, 0:48]
    return (120 + 60 * np.sin(xx / 9.0) * np.cos(yy / 7.0)).astype(np.uint8)


@pytest.mark.parametrize("method", ["rescale", "octaves", "tiles"])
def test_dream_keeps_shape_and_dtype_changes_image_and_is_reproducible(model, photo, method):
    inspector = DreamInspector(model)
    a = inspector.dream(photo, "c2", method=method, loops=2, octaves=3, steps=4, random_state=1)
    b = inspector.dream(photo, "c2", method=method, loops=2, octaves=3, steps=4, random_state=1)
    assert a.image.shape == photo.shape and a.image.dtype == photo.dtype
    assert np.abs(a.image.astype(float) - photo).mean() > 1.0
    np.testing.assert_array_equal(a.image, b.image)
    assert len(a.intermediates) == (3 if method == "octaves" else 2)
    assert all(i.shape == photo.shape for i in a.intermediates)
    assert a.scores[-1] > 0


def test_rgb_float_input_luminance_and_each(model, photo):
    rgb = np.stack([photo, photo[::-1], np.roll(photo, 5, axis=1)], axis=2).astype(np.float32) / 255
    inspector = DreamInspector(model)
    lum = inspector.dream(rgb, "c1", method="rescale", loops=1, steps=3, random_state=0)
    each = inspector.dream(rgb, "c1", method="rescale", loops=1, steps=3, channels="each", random_state=0)
    for r in (lum, each):
        assert r.image.shape == rgb.shape and r.image.dtype == np.float32
    # luminance dreams add the same change to every channel
    change = lum.image - rgb
    np.testing.assert_allclose(change[..., 0], change[..., 1], atol=1e-4)
    assert not np.allclose(each.image - rgb, (each.image - rgb)[..., :1])


def _seam_ratio(image, original, tile):
    change = image.astype(np.float64) - original
    dx = np.abs(np.diff(change, axis=1))  # dx[:, j] = change[:, j+1] - change[:, j]
    border = np.zeros(dx.shape[1], bool)
    border[tile - 1::tile] = True
    return dx[:, border].mean() / dx[:, ~border].mean()


def test_tiles_leave_no_seams(model):
    yy, xx = np.mgrid[0:32, 0:64]
    smooth = (0.5 + 0.2 * np.sin(xx / 11.0) + 0.1 * np.cos(yy / 5.0)).astype(np.float64)
    inspector = DreamInspector(model, jitter=0)
    shifted = inspector.dream(smooth, "c1", method="tiles", loops=2, steps=8, learning_rate=0.025, random_state=0)
    fixed = inspector.dream(smooth, "c1", method="tiles", loops=2, steps=8, learning_rate=0.025, random_state=0,
                            tile_shift=False)
    # the test can see seams: a fixed tile grid leaves them
    assert _seam_ratio(fixed.image, smooth, 8) > 1.5
    assert _seam_ratio(shifted.image, smooth, 8) < 1.25


def _live_model():
    """The fixture's layers with positive NumPy-drawn weights: every map is alive for a photo (pixels >= 0) on every
    backend, where Keras' seeded initializers draw other numbers on each one and may leave a map dead."""
    rng = np.random.default_rng(0)
    net = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
        keras.layers.Conv2D(6, 3, activation="relu", name="c2"),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    net.set_weights([np.abs(rng.normal(0, 0.3, w.shape)).astype(np.float32) for w in net.get_weights()])
    return net


def test_maps_weights_and_objectives(photo):
    model = _live_model()
    c2 = keras.Model(model.inputs, model.get_layer("c2").output).predict(photo[None, :8, :8, None] / 255.0, verbose=0)
    assert np.all(c2[..., [0, 3]].max(axis=(0, 1, 2)) > 0)  # both maps alive: each one moves the image
    inspector = DreamInspector(model, objective="l2")
    one = inspector.dream(photo, "c2", maps=3, method="rescale", loops=1, steps=3, random_state=0)
    two = inspector.dream(photo, "c2", maps=[0, 3], weights=[0.2, 0.8], method="rescale", loops=1, steps=3,
                          random_state=0)
    assert not np.array_equal(one.image, two.image)
    assert {"mean", "l2"} <= set(dream_objectives.names())
    with pytest.raises(ValueError, match="maps must lie"):
        inspector.dream(photo, "c2", maps=[9])
    with pytest.raises(ValueError, match="weights must hold 2"):
        inspector.dream(photo, "c2", maps=[0, 1], weights=[1.0])
    with pytest.raises(ValueError, match="Unknown dream_objectives"):
        DreamInspector(model, objective="nope")


@pytest.mark.parametrize("kwargs, match", [
    ({"image": np.zeros((4, 4))}, "at least the network's input size"),
    ({"image": np.zeros((20, 20, 2))}, "grayscale or"),
    ({"image": np.full((20, 20), np.nan)}, "finite"),
    ({"method": "dreamy"}, "method must be"),
    ({"channels": "red"}, "channels must be"),
    ({"steps": 0}, "steps must be"),
    ({"octave_scale": 1.0}, "octave_scale"),
])
def test_bad_input(model, kwargs, match):
    args = {"image": np.zeros((20, 20)), "layers": "c1", **kwargs}
    with pytest.raises(ValueError, match=match):
        DreamInspector(model).dream(**args)


def test_plot_dream_renders(model, photo, tmp_path):
    from PIL import Image

    from skcnn.plotting import plot_dream, save_figure

    result = DreamInspector(model).dream(photo, "c2", method="rescale", loops=2, steps=3, random_state=0)
    fig = plot_dream(photo, result.image, intermediates=result.small)
    assert [ax.get_title() for ax in fig.axes] == ["original", "stage 1", "stage 2", "dream"]
    path = save_figure(fig, tmp_path / "dream.png")
    with Image.open(path) as im:
        assert im.size[0] > 3 * im.size[1]
    with pytest.raises(ValueError, match="titles must hold 4"):
        plot_dream(photo, result.image, intermediates=result.small, titles=["a"])


# --------------------------------------------------------------- networks that see the whole image
@pytest.fixture(scope="module")
def inception():
    keras.utils.set_random_seed(0)
    return keras.applications.InceptionV3(weights=None)


def _inception_inspector(model, **kwargs):
    return DreamInspector(model, preprocess=keras.applications.inception_v3.preprocess_input,
                          deprocess=lambda x: (x + 1.0) * 127.5, **kwargs)


def _rgb_photo(height, width, seed=0):
    yy, xx = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(seed)
    base = 128 + 60 * np.sin(xx[..., None] / rng.uniform(5, 12, 3)) * np.cos(yy[..., None] / rng.uniform(5, 12, 3))
    return np.clip(base + rng.normal(0, 10, (height, width, 3)), 0, 255).astype(np.uint8)


@pytest.mark.slow
def test_inception_dream_keeps_shape_and_each_octave_raises_the_objective(inception):
    photo = _rgb_photo(150, 210)
    # two octaves: each image size is one more compilation of InceptionV3's gradient (about 15 s on JAX)
    result = _inception_inspector(inception).dream(photo, ["mixed3", "mixed5"], method="octaves", octaves=2,
                                                   steps=3, learning_rate=0.0125, random_state=0)
    assert result.image.shape == (150, 210, 3) and result.image.dtype == np.uint8
    assert len(result.objective_history) == 2 and all(len(h) == 4 for h in result.objective_history)
    for history in result.objective_history:
        assert history[-1] > history[0]
    assert np.abs(result.image.astype(float) - photo).mean() > 0.5


def _tiled_gradient(inspector, layers):
    """The inspector's tiled objective for ``layers`` (equal weights over each layer's maps) and its gradient."""
    from skcnn.inspect._core import tiles
    from skcnn.inspect._core.model import inference_copy
    from skcnn.inspect._core.probe import Probe, Spec, value_and_gradient
    from skcnn.inspect.dream import mean_objective

    resolved = inspector.model_
    indices = [resolved.layer_index(layer) for layer in layers]
    sizes = [resolved.layer_shape(i)[2] for i in indices]
    feed = inference_copy(resolved.submodel(indices), inspector.compute_dtype_)
    objective = tiles.tiled_objective(feed, mean_objective, sizes, 3)
    gradient = Probe(resolved).function("g", lambda *args: value_and_gradient(objective, *args), [
        Spec((1, None, None, 3)), Spec((4,), "int32", static=True), Spec((2,), "int32"), Spec((sum(sizes),))])
    weights = np.concatenate([np.full(n, 1 / n) for n in sizes]).astype(np.float32)
    return lambda image, grid, shift: gradient(image, np.asarray(grid, np.int32), np.asarray(shift, np.int32),
                                               weights)[1]


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the oracle is a TensorFlow tape")
def test_tiled_gradient_with_roll_equals_the_whole_image_gradient(inception):
    tf = pytest.importorskip("skcnn._keras").import_tensorflow()
    inspector = _inception_inspector(inception, compute_dtype="float32", tile_size=512)
    gradient = _tiled_gradient(inspector, ["mixed3"])
    image = keras.applications.inception_v3.preprocess_input(_rgb_photo(120, 140, seed=1).astype("float32"))
    shift = (37, 101)
    tiled = gradient(image[None], [1, 1, 120, 140], shift)
    # Independent: the whole rolled image through a sub-model made here, its gradient rolled back.
    sub = keras.Model(inception.inputs[0], inception.get_layer("mixed3").output)
    sub.input_spec = None
    x = tf.Variable(np.roll(image, shift, axis=(0, 1))[None])
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(sub(x))
    whole = np.roll(tape.gradient(loss, x).numpy(), (-shift[0], -shift[1]), axis=(1, 2))
    # float32, batch norms folded into the convolutions (the inspector's copy) against the network as built:
    # other roundings flip a few ReLUs near zero, so single values move by up to 1.3% of the largest on an
    # AMD EPYC (0.2% of the gradient's norm, Pearson 0.999998); a wrong roll or tile is off by ~100%
    assert np.linalg.norm(tiled - whole) / np.linalg.norm(whole) < 1e-2
    np.testing.assert_allclose(tiled, whole, rtol=0, atol=3e-2 * np.abs(whole).max())


def test_many_tiles_give_the_whole_image_gradient_of_a_pointwise_network(backend_gradient):
    """With 1x1 convolutions no pixel sees past its tile: tiles, padding and roll must change nothing."""
    init = keras.initializers.GlorotUniform(seed=3)
    model = keras.Sequential([keras.Input((None, None, 3)),
                              keras.layers.Conv2D(5, 1, activation="tanh", name="p1", kernel_initializer=init),
                              keras.layers.Conv2D(4, 1, activation="softplus", name="p2", kernel_initializer=init)])
    inspector = DreamInspector(model, tile_size=16, compute_dtype="float32")
    image = np.random.default_rng(2).normal(size=(1, 40, 50, 3)).astype(np.float32)
    from skcnn.inspect._core.tiles import grid

    assert grid(40, 50, 16).tolist() == [3, 4, 14, 13]  # 42x52 padded: the last tiles hold reflected rows
    tiled = _tiled_gradient(inspector, ["p1", "p2"])(image, grid(40, 50, 16), [7, 29])

    def loss(x):
        p1 = model.get_layer("p1")(x)
        return keras.ops.mean(p1) + keras.ops.mean(model.get_layer("p2")(p1))

    whole = backend_gradient(loss, image)[1]
    np.testing.assert_allclose(tiled / tiled.std(), whole / whole.std(), rtol=1e-4, atol=1e-5)


def test_rgb_tiles_dream_is_reproducible_and_bad_input_is_refused():
    init = keras.initializers.GlorotUniform(seed=4)
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Rescaling(1 / 255, name="unit"),
                              keras.layers.Conv2D(6, 3, activation="relu", name="c", kernel_initializer=init),
                              keras.layers.MaxPooling2D(name="p"), keras.layers.Flatten(),
                              keras.layers.Dense(2, name="out")])
    photo = _rgb_photo(45, 61, seed=3)
    inspector = DreamInspector(model, tile_size=20)
    a = inspector.dream(photo, "c", maps=[1, 4], method="tiles", loops=2, steps=4, random_state=5)
    b = inspector.dream(photo, "c", maps=[1, 4], method="tiles", loops=2, steps=4, random_state=5)
    np.testing.assert_array_equal(a.image, b.image)
    assert a.image.shape == photo.shape and len(a.intermediates) == 2 and a.scores[-1] > a.objective_history[0][0]
    with pytest.raises(ValueError, match="use method='octaves' or 'tiles'"):
        inspector.dream(photo, "c", method="rescale")
    with pytest.raises(ValueError, match="with several layers every map counts"):
        inspector.dream(photo, ["c", "p"], maps=[0])
    with pytest.raises(ValueError, match=r"image must be \(height, width, 3\)"):
        inspector.dream(photo[..., 0], "c")
    with pytest.raises(ValueError, match="cannot take an image of 2x2"):
        inspector.dream(photo[:2, :2], "c", method="tiles", loops=1, steps=1)
    with pytest.raises(ValueError, match="come as a pair"):
        DreamInspector(model, preprocess=lambda x: x / 255)
    with pytest.raises(ValueError, match="tile_size must be"):
        DreamInspector(model, tile_size=2)
    assert DreamInspector(model, device="cpu").model_.device == "cpu"
    with pytest.raises(ValueError, match="device must be one of"):
        DreamInspector(model, device="tpu")


def test_dream_result_prints_short(model, photo):
    result = DreamInspector(model).dream(photo, "c2", method="tiles", loops=3, steps=2, random_state=0)
    text = repr(result)
    assert len(text.splitlines()) <= 8 and "uint8 (40, 48)" in text and "list of" not in text.splitlines()[0]


def test_objectives_run_no_python_side_import_inside_the_compiled_step(model, photo, monkeypatch):
    """import_keras (os.environ) traced inside a tf.function made AutoGraph print the environment."""
    import skcnn.inspect.dream as dream

    def forbidden():
        raise AssertionError("import_keras called by an objective, inside the compiled step")

    from skcnn.inspect import GradientAscent

    monkeypatch.setattr(dream, "import_keras", forbidden)
    for objective in ("mean", "l2"):
        result = DreamInspector(model, objective=objective).dream(photo, "c2", method="rescale", loops=1, steps=2,
                                                                  random_state=0)
        assert result.image.shape == photo.shape
    start = np.random.default_rng(0).normal(size=(3, 8, 8, 1)).astype(np.float32)
    weights = np.random.default_rng(1).uniform(size=(3, 6)).astype(np.float32)
    by_name = GradientAscent(model, "c2", objective=dream.mean_objective).score(start, weights=weights)
    # The dream's "mean" runs as the engine's linear layer_mean path: the same numbers.
    linear = GradientAscent(model, "c2", objective="weights").score(start, weights=weights)
    np.testing.assert_allclose(by_name, linear, rtol=1e-5, atol=1e-7)


# --------------------------------------------------------------- parameters, layers with maps, input range
@pytest.mark.parametrize("kwargs, name", [
    ({"jitter": -1}, "jitter"), ({"clip": 0.0}, "clip"), ({"batch_size": 0}, "batch_size"),
    ({"pre_activation": "sometimes"}, "pre_activation"), ({"objective": 3}, "objective"),
    ({"input_range": (1.0, 0.0)}, "input_range"), ({"compute_dtype": "float16"}, "compute_dtype"),
])
def test_every_parameter_is_checked_at_construction(model, kwargs, name):
    with pytest.raises(ValueError, match=f"^{name} must"):
        DreamInspector(model, **kwargs)


def test_a_layer_without_maps_is_refused_with_the_layers_that_have_them(model, photo):
    with pytest.raises(ValueError, match=r"dreams need a layer with maps \(height, width, channels\).*c1, c2"):
        DreamInspector(model).dream(photo, -1, method="tiles", loops=1, steps=1)
    init = keras.initializers.GlorotUniform(seed=4)
    rgb = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(3, 3, name="c", kernel_initializer=init),
                            keras.layers.Flatten(name="flat"), keras.layers.Dense(2, name="fc5")])
    with pytest.raises(ValueError, match=r"layer 'fc5' has none\. Layers with maps: .*\bc\b"):
        DreamInspector(rgb).dream(_rgb_photo(40, 40), "fc5")


def _linear_rgb():
    """One 1x1 convolution with weights (1, 2, 3): the mean map's gradient is w_c / (h * w) at every pixel."""
    model = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(1, 1, use_bias=False, name="c")])
    model.get_layer("c").set_weights([np.array([1.0, 2.0, 3.0], np.float32).reshape(1, 1, 3, 1)])
    return model


def test_steps_are_in_units_of_the_input_range_and_dreams_stay_inside_it():
    zeros = np.zeros((20, 24, 3), np.float32)
    w = np.array([1.0, 2.0, 3.0])
    one = DreamInspector(_linear_rgb(), input_range=(-1, 1), compute_dtype="float32").dream(
        zeros, "c", method="tiles", loops=1, steps=1, learning_rate=0.01, tile_shift=False)
    # closed form: learning_rate * (high - low) * g / rms(g), with g proportional to w at every pixel
    np.testing.assert_allclose(one.image, np.broadcast_to(0.01 * 2 * w / np.sqrt(np.mean(w**2)), zeros.shape),
                               rtol=1e-4)
    narrow = DreamInspector(_linear_rgb(), input_range=(-0.02, 0.02)).dream(
        zeros + 0.5, "c", method="octaves", octaves=2, steps=5, learning_rate=0.1, random_state=0)
    assert narrow.image.min() >= -0.02 - 1e-6 and narrow.image.max() <= 0.02 + 1e-6
    assert narrow.image[..., 2].max() == pytest.approx(0.02)


def test_a_grayscale_dream_stays_inside_its_input_range(model, photo):
    for method in ("rescale", "octaves", "tiles"):
        result = DreamInspector(model, input_range=(0, 100)).dream(photo, "c2", method=method, loops=2, octaves=2,
                                                                   steps=3, learning_rate=0.05, random_state=0)
        assert result.image.max() <= 100 and result.scores[-1] > 0
        assert max(i.max() for i in result.intermediates) <= 100 + 1e-4


def test_a_0_255_and_a_unit_copy_of_one_network_dream_alike():
    """Steps in units of the range: the same call on pixels in 0..255 and on [-1, 1] moves the pixels alike."""
    init = keras.initializers.GlorotUniform(seed=7)
    conv = keras.layers.Conv2D(6, 3, activation="relu", name="c", kernel_initializer=init)
    unit = keras.Sequential([keras.Input((None, None, 3)), conv])
    pixels = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Rescaling(2 / 255, offset=-1), conv])
    photo = _rgb_photo(40, 48, seed=2)
    args = dict(method="octaves", octaves=2, steps=4, learning_rate=0.01, random_state=0)
    a = DreamInspector(pixels, input_range=(0, 255), compute_dtype="float32").dream(photo, "c", **args)
    b = DreamInspector(unit, input_range=(-1, 1), compute_dtype="float32", preprocess=lambda x: x / 127.5 - 1,
                       deprocess=lambda x: (x + 1) * 127.5).dream(photo, "c", **args)
    change = np.abs(a.image.astype(float) - photo).mean()
    assert change > 1.0
    assert np.abs(a.image.astype(float) - b.image).mean() < 0.05 * change
