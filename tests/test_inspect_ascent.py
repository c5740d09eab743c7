"""The gradient-ascent engine's own parts, each against a computation written out here.

The inspectors' tests (test_inspect_objectives.py, test_inspect_oip.py) check what the engine
produces; these check its pieces: the hardware probe, the diversity term, the crop, the spatial
weights and the one-pass map values.
"""

import builtins

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skcnn.inspect import GradientAscent, resolve_model  # noqa: E402
from skcnn.inspect import _ascent  # noqa: E402
from skcnn.inspect._core.model import split_activation  # noqa: E402
from skcnn.inspect.objectives import channel, class_logit, diversity, neuron  # noqa: E402

L = keras.layers
ops = keras.ops
pytestmark = pytest.mark.backend


def _np(x):
    return ops.convert_to_numpy(x)


def _model(size=8, channels=1):
    init = keras.initializers.GlorotUniform
    return keras.Sequential([keras.Input((size, size, channels)),
                             L.Conv2D(3, 3, activation="relu", kernel_initializer=init(0), name="c1"),
                             L.MaxPooling2D(name="p1"),
                             L.Conv2D(2, 2, activation="relu", kernel_initializer=init(1), name="c2")])


def _start(n, size=8, channels=1, seed=0):
    return np.random.default_rng(seed).normal(size=(n, size, size, channels)).astype(np.float32)


def _acts(model, name, x):
    return keras.Model(model.inputs[0], model.get_layer(name).output).predict(x, verbose=0)


# ------------------------------------------------------------ fast_dtype
class _FakeKeras:
    def __init__(self, gpus):
        self.gpus = gpus
        self.distribution = self

    def list_devices(self, kind):
        return ["gpu:0"] * self.gpus if kind == "gpu" else []


def _probe(monkeypatch, tmp_path, *, gpus=0, cpuinfo=None, keras_fails=False):
    """``fast_dtype()`` with a fake TensorFlow and a fake ``/proc/cpuinfo`` (bytes, or None: unreadable)."""
    def fake_import():
        if keras_fails:
            raise ImportError("no tensorflow")
        return _FakeKeras(gpus)

    monkeypatch.setattr(_ascent, "import_keras", fake_import)
    real_open = builtins.open
    fake = tmp_path / "cpuinfo"
    if cpuinfo is not None:
        fake.write_bytes(cpuinfo)

    def fake_open(path, *args, **kwargs):
        if path == "/proc/cpuinfo":
            if cpuinfo is None:
                raise PermissionError(path)
            path = fake
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    return _ascent.fast_dtype()


def test_fast_dtype_reads_the_gpu_then_the_cpu_flags(monkeypatch, tmp_path):
    plain = b"processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n"
    assert _probe(monkeypatch, tmp_path, gpus=1, cpuinfo=plain) == "bfloat16"
    assert _probe(monkeypatch, tmp_path, gpus=0, cpuinfo=plain) == "float32"
    assert _probe(monkeypatch, tmp_path, cpuinfo=b"flags\t\t: fpu avx512f avx512_bf16\n") == "bfloat16"
    assert _probe(monkeypatch, tmp_path, cpuinfo=b"flags\t\t: fpu amx_tile amx_bf16\n") == "bfloat16"
    # A byte that is not ASCII (a vendor string) is skipped, not an error.
    assert _probe(monkeypatch, tmp_path, cpuinfo=b"model name\t: Caf\xc3\xa9 CPU\nflags\t\t: amx_bf16\n") == "bfloat16"
    assert _probe(monkeypatch, tmp_path, cpuinfo=None) == "float32"  # unreadable: no guess
    # Without TensorFlow the probe still answers from the CPU flags; a GPU is not assumed.
    assert _probe(monkeypatch, tmp_path, keras_fails=True, cpuinfo=b"flags : amx_bf16\n") == "float32"


# ------------------------------------------------------------- diversity
def _numpy_dissimilarity(acts):
    n, h, w, c = acts.shape
    flat = acts.reshape(n, h * w, c).astype(np.float64)
    gram = np.einsum("npc,npd->ncd", flat, flat).reshape(n, -1)
    unit = gram / np.linalg.norm(gram, axis=1, keepdims=True)
    sim = unit @ unit.T
    return -(sim.sum(axis=1) - np.diag(sim)) / max(n - 1, 1)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_diversity_is_minus_the_mean_gram_cosine_to_the_other_images(n):
    model = _model()
    x = _start(n, seed=n)
    got = GradientAscent(model).score(x, objective=diversity("c1"))
    want = _numpy_dissimilarity(_acts(model, "c1", x))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    if n == 1:
        assert got[0] == 0.0


# ------------------------------------------------------------------ crop
def test_cropped_feed_computes_in_the_engine_precision():
    model = _model(size=9)  # 9x9 -> c1 7x7 -> p1 3x3 (drops a row and a column) -> c2 2x2
    target = resolve_model(model)
    keras_ = _ascent.import_keras()
    rows, cols, chain = _ascent._crop_chain(target, target.layer_index("c2"))
    assert (rows, cols) == (8, 8)
    x = _start(3, size=9, seed=1)
    for dtype in ("float32", "bfloat16"):
        feed = _ascent._cropped_feed(keras_, target, chain, rows, cols, dtype)
        want_policy = "float32" if dtype == "float32" else "mixed_bfloat16"
        assert {layer.dtype_policy.name for layer in feed.layers[1:]} == {want_policy}  # after the Input
        got = _np(feed(x[:, :rows, :cols], training=False)).astype(np.float32)
        np.testing.assert_allclose(got, _acts(model, "c2", x), rtol=0.05 if dtype == "bfloat16" else 1e-5,
                                   atol=0.05 if dtype == "bfloat16" else 1e-6)


# --------------------------------------------------------------- spatial
def test_spatial_weights_the_map_points_per_image_or_for_all():
    model = _model()
    x = _start(3, seed=2)
    engine = GradientAscent(model, "c1")
    acts = _acts(model, "c1", x)  # (3, 6, 6, 3)
    grid = np.linspace(0.0, 1.0, 36).reshape(6, 6).tolist()  # Python floats: a float64 array
    got = engine.score(x, maps=1, spatial=grid)
    np.testing.assert_allclose(got, (acts[..., 1] * np.asarray(grid)).sum(axis=(1, 2)), rtol=1e-5)
    per_image = np.random.default_rng(3).random((3, 6, 6))
    got = engine.score(x, maps=[0, 2, 1], spatial=per_image)
    want = [(acts[i, :, :, m] * per_image[i]).sum() for i, m in enumerate([0, 2, 1])]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    with pytest.raises(ValueError, match=r"spatial must be one item of shape \(6, 6\), a batch of one \(1, 6, 6\) or one per image \(3, 6, 6\); "
                                         r"got shape \(2, 6, 6\)"):
        engine.score(x, maps=0, spatial=np.ones((2, 6, 6)))


# ------------------------------------------------------------ map_values
def test_map_values_per_layer_and_point_in_batches():
    model = _model()
    x = _start(5, seed=4)
    engine = GradientAscent(model)
    c1, c2 = _acts(model, "c1", x), _acts(model, "c2", x)
    # One engine, several layers and points: each call computes its own values.
    for layer, acts in (("c1", c1), ("c2", c2)):
        got = engine.map_values(x, layer, batch_size=2)
        assert got.dtype == np.float32 and got.shape == (5, acts.shape[-1])
        np.testing.assert_allclose(got, acts.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(engine.map_values(x, "c1", point=(2, 3)), c1[:, 2, 3, :], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(engine.map_values(x, "c1", point=(0, 1)), c1[:, 0, 1, :], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(engine.map_values(x, "c1"), c1.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)


def test_map_values_agree_with_the_ascent_score():
    model = _model()
    x = _start(4, seed=6)
    engine = GradientAscent(model)
    values = engine.map_values(x, "c2")
    for m in range(2):
        np.testing.assert_allclose(values[:, m], engine.score(x, objective=channel("c2", m)), rtol=1e-5, atol=1e-6)


# --------------------------------------------- receptive field and crop plan
def _extent(layer, rows=2, cols=3):
    layer.build((None, 40, 40, 2))
    return _ascent._needed_extent(layer, rows, cols)


def test_needed_extent_follows_window_and_stride_on_each_axis():
    # rows: (2 - 1) * stride + window, cols: (3 - 1) * stride + window, for each axis on its own
    assert _extent(L.Conv2D(1, (3, 5), strides=(2, 1))) == (1 * 2 + 3, 2 * 1 + 5)
    assert _extent(L.Conv2D(1, (4, 2), strides=(1, 3))) == (1 * 1 + 4, 2 * 3 + 2)
    assert _extent(L.MaxPooling2D((2, 3))) == (1 * 2 + 2, 2 * 3 + 3)  # strides default to the pool
    assert _extent(L.MaxPooling2D((3, 2), strides=(1, 2))) == (1 * 1 + 3, 2 * 2 + 2)
    assert _extent(L.AveragePooling2D((2, 2), strides=(3, 1))) == (1 * 3 + 2, 2 * 1 + 2)
    for elementwise in (L.ReLU(), L.Activation("tanh"), L.Dropout(0.5), L.BatchNormalization(), L.LeakyReLU()):
        assert _extent(elementwise, 4, 7) == (4, 7)


# Factories, not layer instances: a layer built by one run of this module cannot be built again by
# the next in the same process (pytest-repeat, the in-process mutation runner).
@pytest.mark.parametrize("make_layer", [
    pytest.param(lambda: L.Conv2D(1, 3, padding="same"), id="Conv2D-same"),
    pytest.param(lambda: L.Conv2D(1, 3, dilation_rate=2), id="Conv2D-dilated"),
    pytest.param(lambda: L.Conv2D(1, 3, dilation_rate=(1, 2)), id="Conv2D-dilated-cols"),
    pytest.param(lambda: L.Conv2D(2, 3, groups=2), id="Conv2D-groups"),
    pytest.param(lambda: L.MaxPooling2D(2, padding="same"), id="MaxPooling2D-same"),
    pytest.param(lambda: L.AveragePooling2D(2, padding="same"), id="AveragePooling2D-same"),
    pytest.param(lambda: L.Dense(3), id="Dense"),
    pytest.param(lambda: L.UpSampling2D(), id="UpSampling2D"),
    pytest.param(lambda: L.Flatten(), id="Flatten"),
])
def test_needed_extent_is_unknown_off_plain_valid_layers(make_layer):
    assert _extent(make_layer()) is None


def test_needed_extent_refuses_channels_first():
    layer = L.Conv2D(1, 3, data_format="channels_first")
    layer.build((None, 2, 40, 40))
    assert _ascent._needed_extent(layer, 2, 3) is None


def test_crop_chain_finds_the_part_of_the_input_a_layer_reads():
    model = keras.Sequential([keras.Input((11, 12, 1)), L.Conv2D(2, 3, name="c1"),  # 9x10
                              L.MaxPooling2D(2, name="p1"),  # 4x5: drops a row of 9
                              L.Conv2D(2, (2, 3), name="c2"), L.Flatten(name="f"), L.Dense(2, name="d")])
    target = resolve_model(model)
    rows, cols, chain = _ascent._crop_chain(target, target.layer_index("c2"))
    assert (rows, cols) == (10, 12) and [layer.name for layer in chain] == ["c1", "p1", "c2"]
    rows, cols, chain = _ascent._crop_chain(target, target.layer_index("p1"))
    assert (rows, cols) == (10, 12) and [layer.name for layer in chain] == ["c1", "p1"]
    assert _ascent._crop_chain(target, target.layer_index("c1")) is None  # reads the whole input
    assert _ascent._crop_chain(target, target.layer_index("d")) is None  # not a map
    assert _ascent._crop_chain(target, target.layer_index("f")) is None
    # Only the columns are cut: 8x9 -> c1 6x7 -> p1 3x3 reads all 8 rows and 8 of the 9 columns.
    narrow = keras.Sequential([keras.Input((8, 9, 1)), L.Conv2D(2, 3, name="c1"), L.MaxPooling2D(2, name="p1")])
    assert _ascent._crop_chain(resolve_model(narrow), 1)[:2] == (8, 8)
    tall = keras.Sequential([keras.Input((9, 8, 1)), L.Conv2D(2, 3, name="c1"), L.MaxPooling2D(2, name="p1")])
    assert _ascent._crop_chain(resolve_model(tall), 1)[:2] == (8, 8)


def test_crop_chain_needs_a_plain_chain_from_the_input():
    inputs = keras.Input((9, 9, 1))
    a = L.Conv2D(2, 3, name="a")(inputs)
    b = L.MaxPooling2D(2, name="b")(a)
    side = L.Conv2D(2, 3, name="side")(inputs)
    model = keras.Model(inputs, [b, side])
    target = resolve_model(model)
    rows, cols, chain = _ascent._crop_chain(target, target.layer_index("b"))
    assert (rows, cols) == (8, 8) and [layer.name for layer in chain] == ["a", "b"]
    # "side" sits after "b" in the layer list but reads the input, not b's output.
    assert _ascent._crop_chain(target, target.layer_index("side")) is None
    wide = keras.Sequential([keras.Input((9, 9, 1)), L.Conv2D(2, 3, padding="same", name="s"),
                             L.MaxPooling2D(2, name="m")])
    assert _ascent._crop_chain(resolve_model(wide), 1) is None  # a 'same' convolution reads it all


def test_with_dtype_clones_to_mixed_precision_with_the_same_weights():
    model = _model()
    keras_ = _ascent.import_keras()
    assert _ascent._with_dtype(keras_, model, "float32") is model
    copy = _ascent._with_dtype(keras_, model, "bfloat16")
    assert copy is not model
    assert {layer.dtype_policy.name for layer in copy.layers} == {"mixed_bfloat16"}
    for mine, theirs in zip(copy.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    x = _start(2, seed=9)
    np.testing.assert_allclose(_np(copy(x)).astype(np.float32), model.predict(x, verbose=0), rtol=0.05, atol=0.05)


# ----------------------------------------------------- activation split
@pytest.mark.parametrize("make, fn", [
    (lambda: L.ReLU(), lambda v: np.maximum(v, 0)),
    (lambda: L.LeakyReLU(negative_slope=0.2), lambda v: np.where(v > 0, v, 0.2 * v)),
    (lambda: L.ELU(), lambda v: np.where(v > 0, v, np.expm1(v))),
    (lambda: L.PReLU(alpha_initializer=keras.initializers.Constant(0.3)), lambda v: np.where(v > 0, v, 0.3 * v)),
    (lambda: L.Activation("tanh"), np.tanh),
    (lambda: L.Conv2D(2, 1, activation="sigmoid", kernel_initializer="ones", use_bias=False),
     lambda v: 1 / (1 + np.exp(-v))),
], ids=["ReLU", "LeakyReLU", "ELU", "PReLU", "Activation", "Conv2D"])
def test_split_activation_gives_the_value_before_and_after(make, fn):
    layer = make()
    x = np.random.default_rng(0).normal(size=(2, 3, 3, 2)).astype(np.float32)
    layer.build(x.shape)
    linear, activation = split_activation(layer)
    pre = _np(linear(x))
    want_pre = x.sum(axis=-1, keepdims=True).repeat(2, axis=-1) if isinstance(layer, L.Conv2D) else x
    np.testing.assert_allclose(pre, want_pre, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(activation(pre)), fn(want_pre), rtol=1e-5, atol=1e-6)
    # The layer itself is left as it was.
    np.testing.assert_allclose(_np(layer(x)), fn(want_pre), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer", [L.Conv2D(2, 1), L.Dense(2), L.Flatten(), L.MaxPooling2D()],
                         ids=["linear-conv", "linear-dense", "Flatten", "MaxPooling2D"])
def test_split_activation_is_none_without_an_activation(layer):
    assert split_activation(layer) is None


# ------------------------------------------------ engine arguments, no trace
def test_engine_defaults_are_the_documented_ones():
    import inspect

    defaults = {name: p.default for name, p in inspect.signature(GradientAscent).parameters.items()
                if p.default is not inspect.Parameter.empty}
    assert defaults == dict(layer=None, objective="map", pre_activation=False, jitter=0, alpha_l2=0.0, alpha_tv=0.0,
                            input_range=None, batch_size=512, compute_dtype="float32", jit_compile=False,
                            crop="auto", param="pixel", decorrelate=False, transforms=None, device=None)
    run = {name: p.default for name, p in inspect.signature(GradientAscent.run).parameters.items()
           if p.default is not inspect.Parameter.empty}
    assert run == dict(objective=None, maps=None, points=None, spatial=None, weights=None, random_state=None,
                       verbose=0, description="ascent")
    assert inspect.signature(GradientAscent.map_values).parameters["batch_size"].default == 2048


def test_engine_keeps_its_settings():
    model = _model(channels=3)
    engine = GradientAscent(model, "c2", objective="weights", pre_activation="auto", jitter=2, alpha_l2=0.5,
                            alpha_tv=0.25, batch_size=7, compute_dtype="bfloat16", jit_compile=1, crop=False,
                            param="fft", decorrelate=True, transforms="standard", device="cpu")
    assert engine.model_.model is model and engine.model_.device == "cpu"
    assert (engine.layer_index, engine.layer.name, engine.map_shape) == (2, "c2", (2, 2, 2))
    assert (engine.objective, engine._objective_fn, engine.pre_activation) == ("weights", None, "auto")
    assert (engine.jitter, engine.alpha_l2, engine.alpha_tv, engine.batch_size) == (2, 0.5, 0.25, 7)
    assert (engine.compute_dtype, engine.jit_compile, engine.crop, engine.crop_) == ("bfloat16", True, False, None)
    assert (engine.param, engine.decorrelate, engine.transforms, engine.input_range) == ("fft", True, "standard", None)
    assert (engine._param.param, engine._param.basis is not None, engine._param.shape) == ("fft", True, (8, 8, 3))
    from skcnn.inspect import transforms as T

    assert len(engine._transforms) == 1 + len(T.resolve("standard", (8, 8)))  # the jitter roll first
    assert engine._probe.compiled == {}
    plain = GradientAscent(model)
    assert (plain.layer_index, plain.layer, plain.map_shape, plain._transforms) == (None, None, None, [])
    assert plain.model_.device is None and plain.crop == "auto" and plain.jit_compile is False
    ranged = GradientAscent(model, input_range=(-1, 2))
    assert ranged.input_range == (-1.0, 2.0) and isinstance(ranged.input_range[0], float)
    assert ranged.model_.input_scale == 3.0 and GradientAscent(model).input_range is None
    assert callable(GradientAscent(model, "c1", objective=lambda a, w: a[..., 0])._objective_fn)


@pytest.mark.parametrize("kwargs, message", [
    (dict(objective="nope"), "objective must be an Objective (or a list of them), 'map', 'weights' or a callable "
                             "f(activations, weights); got 'nope'. A registered dream objective is looked up by "
                             "DreamInspector; pass the function itself here."),
    (dict(objective=3), "objective must be an Objective (or a list of them), 'map', 'weights' or a callable "
                        "f(activations, weights); got 3."),
    (dict(pre_activation="yes"), "pre_activation must be True, False or 'auto'; got 'yes'."),
    (dict(pre_activation=None), "pre_activation must be True, False or 'auto'; got None."),
    (dict(jitter=-1), "jitter must be an int >= 0, got -1."),
    (dict(alpha_l2=-1.0), "alpha_l2 must be a number >= 0, got -1.0."),
    (dict(alpha_tv="x"), "alpha_tv must be a number >= 0, got 'x'."),
    (dict(input_range=(1, 1)), "input_range must be None or (low, high) with finite low < high; got (1, 1)."),
    (dict(input_range=(2, 1)), "input_range must be None or (low, high) with finite low < high; got (2, 1)."),
    (dict(input_range="ab"), "input_range must be None or (low, high) with finite low < high; got 'ab'."),
    (dict(input_range=(0, 1, 2)), "input_range must be None or (low, high)"),
    (dict(input_range=(0, np.inf)), "input_range must be None or (low, high) with finite low < high"),
    (dict(batch_size=0), "batch_size must be an int >= 1, got 0."),
    (dict(compute_dtype="float16"), "compute_dtype must be one of ('float32', 'bfloat16'); got 'float16'."),
    (dict(crop="yes"), "crop must be True, False or 'auto'; got 'yes'."),
    (dict(crop=None), "crop must be True, False or 'auto'; got None."),
])
def test_engine_errors_name_the_parameter(kwargs, message):
    import re

    with pytest.raises(ValueError, match="^" + re.escape(message)):
        GradientAscent(_model(channels=3), **kwargs)


def test_engine_accepts_its_edge_settings():
    model = _model()
    assert GradientAscent(model, pre_activation=True).pre_activation is True
    assert GradientAscent(model, crop=True).crop is True and GradientAscent(model, crop=False).crop is False
    assert GradientAscent(model, jitter=0)._transforms == []
    assert GradientAscent(model, input_range=(0.0, 0.5)).input_range == (0.0, 0.5)


def test_images_are_checked_and_given_a_channel_axis():
    import re

    engine = GradientAscent(_model())
    x = np.random.default_rng(0).normal(size=(2, 8, 8))
    got = engine._images(x)
    assert got.dtype == np.float32 and got.shape == (2, 8, 8, 1)
    np.testing.assert_array_equal(got[..., 0], x.astype(np.float32))
    with pytest.raises(ValueError, match="^" + re.escape("images must have shape (n, 8, 8, 1) in model space; got "
                                                         "(2, 8, 7, 1).")):
        engine._images(np.zeros((2, 8, 7, 1)))
    with pytest.raises(ValueError, match=re.escape("got (8, 8, 1, 1).")):  # one image without its batch axis
        engine._images(np.zeros((8, 8, 1)))
    with pytest.raises(ValueError, match=re.escape("got (8, 8).")):
        engine._images(np.zeros((8, 8)))
    with pytest.raises(ValueError, match=re.escape("got (1, 2, 8, 8, 1).")):
        engine._images(np.zeros((1, 2, 8, 8, 1)))
    bad = np.zeros((1, 8, 8, 1))
    bad[0, 3, 3, 0] = np.inf
    with pytest.raises(ValueError, match="^images contains NaN or infinite values.$"):
        engine._images(bad)
    rgb = GradientAscent(_model(channels=3))
    with pytest.raises(ValueError, match=re.escape("(n, 8, 8, 3)")):
        rgb._images(np.zeros((2, 8, 8)))


# ----------------------------------------------------- the feed, no trace
def _fed(engine, n, **kwargs):
    plan = engine._plan(n, kwargs.pop("objective", None), kwargs.pop("maps", None), kwargs.pop("points", None),
                        kwargs.pop("spatial", None), kwargs.pop("weights", None))
    return plan.keys, plan.feed


def test_map_plan_feeds_one_hot_maps_times_the_spatial_weights():
    engine = GradientAscent(_model(), "c1")  # maps of 6x6x3
    keys, feed = _fed(engine, 4, maps=[2, 0, 1, 2], points=[[1, 2], [-1, -1], [0, 0], [5, 4]])
    assert keys == (("linear", 0),)
    (table,) = feed(1, 4)
    assert table.dtype == np.float32 and table.flags.c_contiguous and table.shape == (3, 6, 6, 3)
    want = np.zeros((3, 6, 6, 3), np.float32)
    want[0, :, :, 0] = 1 / 36  # image 1: the whole of map 0
    want[1, 0, 0, 1] = 1.0  # image 2: one point of map 1
    want[2, 5, 4, 2] = 1.0
    np.testing.assert_array_equal(table, want)
    (one,) = _fed(engine, 3, maps=1)[1](0, 3)
    np.testing.assert_allclose(one[..., 1], 1 / 36) and np.testing.assert_array_equal(one[..., [0, 2]], 0)


def test_weights_plan_feeds_each_image_its_map_weights():
    engine = GradientAscent(_model(), "c1", objective="weights")
    w = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]])
    (table,) = _fed(engine, 2, weights=w)[1](0, 2)
    np.testing.assert_allclose(table, np.broadcast_to(w[:, None, None, :] / 36, (2, 6, 6, 3)))
    (shared,) = _fed(engine, 3, weights=[1.0, 0.0, 2.0])[1](0, 3)
    np.testing.assert_allclose(shared[2, 4, 4], [1 / 36, 0.0, 2 / 36])


def test_callable_plan_feeds_the_weights_as_given():
    def fn(acts, weights):
        return acts[..., 0] * 0

    engine = GradientAscent(_model(), "c1", objective=fn)
    keys, feed = _fed(engine, 2, weights=[[1.0, 2.0], [3.0, 4.0]])
    assert keys == (("callable", 0, fn, 2),)
    np.testing.assert_array_equal(feed(1, 2)[0], [[3.0, 4.0]])
    keys, feed = _fed(engine, 2)
    assert keys == (("callable", 0, fn, 0),) and feed(0, 2)[0].shape == (2, 0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "maps is required with objective='map': one map index per image (or one for all)."),
    (dict(maps=[0, 1]), "maps must be an int or 3 ints (one per image); got shape (2,), dtype int64."),
    (dict(maps=[0.0, 1.0, 2.0]), "maps must be an int or 3 ints (one per image); got shape (3,), dtype float64."),
    (dict(maps=[0, 3, 1]), "maps must lie in [0, 3) for layer 'c1' with 3 maps; got values from 0 to 3."),
    (dict(maps=[-1, 0, 1]), "maps must lie in [0, 3) for layer 'c1' with 3 maps; got values from -1 to 1."),
    (dict(maps=0, weights=np.ones((2, 3))), "weights must be one item of shape (3,), a batch of one (1, 3) or one per image (3, 3) (one weight per map); "
                                        "got shape (2, 3)."),
    (dict(maps=0, weights=np.ones((3, 3, 1))), "weights must be one item of shape (3,), a batch of one (1, 3) or one per image (3, 3) (one weight "
                                           "per map); got shape (3, 3, 1)."),
    (dict(maps=0, points=[0, 6]), "points[0] = (0, 6) lies outside the 6x6 maps of layer 'c1'; use (-1, -1)"),
    (dict(maps=0, points=[6, 0]), "points[0] = (6, 0) lies outside"),
    (dict(maps=0, points=[[0, 0], [-1, 3], [0, 0]]), "points[1] = (-1, 3) lies outside"),
    (dict(maps=0, points=[3, -1]), "points[0] = (3, -1) lies outside"),
    (dict(maps=0, points=[0, -1]), "points[0] = (0, -1) lies outside"),
    (dict(maps=0, points=[-1, 0]), "points[0] = (-1, 0) lies outside"),
    (dict(maps=0, points=[[0, 0], [0, 0]]), "points must be one item of shape (2,), a batch of one (1, 2) or one per image (3, 2) "
                                                "((row, col) pairs); got shape (2, 2)."),
])
def test_map_plan_errors(kwargs, message):
    import re

    engine = GradientAscent(_model(), "c1")
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        _fed(engine, 3, **kwargs)


def test_weights_and_callable_plan_errors():
    import re

    weights = GradientAscent(_model(), "c1", objective="weights")
    with pytest.raises(ValueError, match="^" + re.escape("weights is required with objective='weights': one weight "
                                                         "per map, shape (3,) or (2, 3).")):
        _fed(weights, 2)
    with pytest.raises(ValueError, match="^" + re.escape("weights must be one item of shape (3,), a batch of one (1, 3) or one per image (2, 3) (one "
                                                         "weight per map); got shape (2, 4).")):
        _fed(weights, 2, weights=np.ones((2, 4)))
    engine = GradientAscent(_model(), "c1", objective=lambda a, w: a[..., 0])
    message = "points and spatial work with objective='map' or 'weights' only."
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        _fed(engine, 2, points=[1, 1])
    for spatial in (np.eye(6), np.r_[np.ones((3, 6)), 2 * np.ones((3, 6))], np.c_[np.ones((6, 3)), 2 * np.ones((6, 3))]):
        with pytest.raises(ValueError, match=re.escape(message)):
            _fed(engine, 2, spatial=spatial)
    per_image = np.stack([np.ones((6, 6)), 2 * np.ones((6, 6))])
    with pytest.raises(ValueError, match=re.escape(message)):
        _fed(engine, 2, spatial=per_image)
    _fed(engine, 2, spatial=np.full((6, 6), 0.5))  # uniform weights are allowed
    with pytest.raises(ValueError, match="^" + re.escape("objective='map' needs the engine's layer: give "
                                                         "GradientAscent(model, layer), or pass an Objective")):
        _fed(GradientAscent(_model()), 2, maps=0)


def test_objective_plan_merges_terms_and_feeds_each_image_its_own():
    engine = GradientAscent(_model())
    a = channel("c1", 1)
    b = 2 * channel("c2", 0) - channel("c1", 2)
    keys, feed = _fed(engine, 3, objective=[a, b, a])
    assert keys == (("linear", 0), ("linear", 2))  # sorted by layer
    c1, c2 = feed(0, 3)
    assert c1.shape == (3, 6, 6, 3) and c2.shape == (3, 2, 2, 2) and c1.dtype == c2.dtype == np.float32
    np.testing.assert_allclose(c1[0, ..., 1], 1 / 36) and np.testing.assert_allclose(c1[2], c1[0])
    np.testing.assert_allclose(c1[1, ..., 2], -1 / 36) and np.testing.assert_array_equal(c1[1, ..., :2], 0)
    np.testing.assert_array_equal(c2[0], 0)  # a does not read c2: zero weights
    np.testing.assert_allclose(c2[1, ..., 0], 2 / 4)
    c1_tail, c2_tail = feed(1, 3)
    np.testing.assert_array_equal(c1_tail, c1[1:]) and np.testing.assert_array_equal(c2_tail, c2[1:])
    # One objective serves every image; a list must hold one per image.
    keys, feed = _fed(engine, 2, objective=a)
    np.testing.assert_array_equal(feed(0, 2)[0][1], feed(0, 2)[0][0])
    keys, feed = _fed(engine, 1, objective=[b])
    assert len(feed(0, 1)) == 2
    import re

    with pytest.raises(ValueError, match="^" + re.escape("objective holds 2 objectives for 3 images; give one per image")):
        _fed(engine, 3, objective=[a, b])


def test_objective_plan_feeds_the_diversity_weight():
    engine = GradientAscent(_model())
    keys, feed = _fed(engine, 2, objective=[channel("c1", 0) + 3 * diversity("c2"), channel("c1", 0)])
    assert [k[0] for k in keys] == ["linear", "diversity"] and [k[1] for k in keys] == [0, 2]
    lin, div = feed(0, 2)
    assert div.dtype == np.float32 and div.shape == (2,)
    np.testing.assert_allclose(div, [3.0, 0.0])


def test_chunks_and_xla_padding_give_each_image_its_own_result(backend_gradient):
    """Chunks of 3 (the last padded to 3 under XLA) match one step written out for all 7 images at once."""
    model = _model()
    x = _start(7, seed=30)
    maps = np.array([0, 1, 2, 0, 1, 2, 1])
    sub = keras.Model(model.inputs[0], model.get_layer("c1").output)

    def value(xt):
        picked = ops.take_along_axis(sub(xt), ops.convert_to_tensor(maps.reshape(-1, 1, 1, 1)), axis=3)
        return ops.mean(picked, axis=[1, 2, 3])

    for jit in (False, True):
        result = GradientAscent(model, "c1", batch_size=3, jit_compile=jit).run(x, maps=maps, steps=1,
                                                                               learning_rate=0.3)
        before, after = _step_by_hand(backend_gradient, value, x, 0.3)
        np.testing.assert_allclose(result.objective_history[0], before, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(result.images, after, rtol=1e-4, atol=1e-5)
        assert result.scores.shape == result.climbed.shape == (7,)


def test_progress_bar_only_for_several_chunks_when_asked(monkeypatch):
    import tqdm.auto

    made = []

    def fake_tqdm(iterable, **kwargs):
        made.append(kwargs)
        return list(iterable)

    monkeypatch.setattr(tqdm.auto, "tqdm", fake_tqdm)
    items = [(0, 1), (1, 2)]
    assert _ascent._progress(items, 0, "oip", 2) is items
    assert _ascent._progress(items[:1], 1, "oip", 1) == items[:1]
    assert made == []
    assert _ascent._progress(items, 1, "oip", 5) == items
    # disable=None: tqdm turns itself off when the output is not a terminal
    assert made == [dict(desc="oip (5 images)", unit="chunk", leave=False, disable=None)]


# --------------------------------------------- the compiled step, by hand
def _head_model():
    init = keras.initializers.GlorotUniform
    return keras.Sequential([keras.Input((9, 9, 1)),
                             L.Conv2D(3, 3, activation="relu", kernel_initializer=init(0), name="c1"),
                             L.MaxPooling2D(name="p1"),
                             L.Conv2D(2, 2, activation="relu", kernel_initializer=init(1), name="c2"),
                             L.Flatten(name="f"),
                             L.Dense(3, activation="softmax", kernel_initializer=init(2), name="out")])


def _outputs(model, names, x):
    """Layer outputs by a direct Keras sub-model; ``"out:logits"`` is the last Dense before its softmax."""
    plain = [n for n in names if not n.endswith(":logits")]
    logits = "out:logits" in names
    sub = keras.Model(model.inputs[0], [model.get_layer(n).output for n in plain]
                      + ([model.get_layer("out").input] if logits else []))
    outs = sub(x)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    got = dict(zip(plain, outs))
    if logits:
        kernel, bias = model.get_layer("out").get_weights()
        got["out:logits"] = ops.matmul(outs[-1], ops.convert_to_tensor(kernel)) + ops.convert_to_tensor(bias)
    return got


def _step_by_hand(gradient, value, x, learning_rate, alpha_l2=0.0, alpha_tv=0.0):
    """One engine step written out: (value before, image after); ``value(x) -> (n,)`` in keras.ops, its gradient
    by the backend's own autodiff (the ``backend_gradient`` fixture)."""
    def total(xt):
        dy, dx = xt[:, 1:] - xt[:, :-1], xt[:, :, 1:] - xt[:, :, :-1]
        penalty = (alpha_l2 * ops.mean(xt ** 2, axis=[1, 2, 3])
                   + alpha_tv * (ops.mean(dy ** 2, axis=[1, 2, 3]) + ops.mean(dx ** 2, axis=[1, 2, 3])))
        return value(xt) - penalty

    g = gradient(total, x)[1].astype(np.float64)
    rms = np.sqrt((g ** 2).mean(axis=(1, 2, 3), keepdims=True))
    v = _np(value(ops.convert_to_tensor(x)))
    return v, (x + learning_rate * g / (rms + 1e-8)).astype(np.float32)


def _check_run(gradient, engine, x, objective, value, learning_rate=0.3, **run):
    result = engine.run(x, objective=objective, steps=1, learning_rate=learning_rate, **run)
    before, after = _step_by_hand(gradient, value, x, learning_rate, engine.alpha_l2, engine.alpha_tv)
    assert result.images.dtype == result.scores.dtype == result.objective_history.dtype == np.float32
    assert result.climbed.dtype == np.float32
    assert result.images.shape == x.shape and result.objective_history.shape == (1, len(x))
    np.testing.assert_allclose(result.objective_history[0], before, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(result.images, after, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(result.scores, _np(value(ops.convert_to_tensor(after))), rtol=1e-4, atol=1e-6)
    return result


def test_one_step_per_image_objectives_at_two_layers_with_penalties(backend_gradient):
    model = _model(size=9)
    x = _start(3, size=9, seed=11)
    objectives = [channel("c1", 0), 2 * channel("c2", 1) - channel("c1", 2),
                  channel("c2", 0) + 0.5 * neuron("c1", 1, point=(2, 5))]

    def value(xt):
        o = _outputs(model, ["c1", "c2"], xt)
        c1, c2 = o["c1"], o["c2"]
        return ops.stack([ops.mean(c1[0, ..., 0]),
                          2 * ops.mean(c2[1, ..., 1]) - ops.mean(c1[1, ..., 2]),
                          ops.mean(c2[2, ..., 0]) + 0.5 * c1[2, 2, 5, 1]])

    engine = GradientAscent(model, alpha_l2=0.2, alpha_tv=0.7)
    result = _check_run(backend_gradient, engine, x, objectives, value)
    np.testing.assert_array_equal(result.climbed, result.scores)
    assert engine.crop_ is None  # two layers: no crop
    # The same images, cut into chunks of two, give the same answer.
    chunked = GradientAscent(model, alpha_l2=0.2, alpha_tv=0.7, batch_size=2).run(
        x, objective=objectives, steps=1, learning_rate=0.3)
    np.testing.assert_allclose(chunked.images, result.images, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(chunked.objective_history, result.objective_history, rtol=1e-5, atol=1e-6)


def test_one_step_on_a_crop_reads_only_the_part_the_layer_sees(backend_gradient):
    model = _model(size=9)
    x = _start(2, size=9, seed=12)
    engine = GradientAscent(model)

    def value(xt):
        c2 = _outputs(model, ["c2"], xt)["c2"]
        return ops.stack([ops.mean(c2[0, ..., 1]), c2[1, 1, 0, 0]])

    result = _check_run(backend_gradient, engine, x, [channel("c2", 1), neuron("c2", 0, point=(1, 0))], value)
    assert engine.crop_ == (8, 8)
    np.testing.assert_array_equal(result.images[:, 8, :], x[:, 8, :])  # the last row is never read
    assert GradientAscent(model, crop=False).run(x, objective=channel("c2", 1), steps=1, learning_rate=0.3) \
        .images.shape == x.shape
    bf16 = GradientAscent(model, compute_dtype="bfloat16")
    bf16.score(x, objective=channel("c2", 1))
    assert bf16.crop_ is None  # "auto" crops in float32 only
    forced = GradientAscent(model, compute_dtype="bfloat16", crop=True)
    got = forced.score(x, objective=channel("c2", 1))
    assert forced.crop_ == (8, 8)
    want = _np(_outputs(model, ["c2"], x)["c2"])[..., 1].mean(axis=(1, 2))  # each image's own map 1
    np.testing.assert_allclose(got, want, rtol=0.05, atol=0.02)


def test_one_step_reads_maps_and_logits_from_two_feeds(backend_gradient):
    model = _head_model()
    x = _start(2, size=9, seed=13)
    objective = [channel("c1", 1) + 0.5 * class_logit(2), class_logit(0)]

    def value(xt):
        o = _outputs(model, ["c1", "out:logits"], xt)
        return ops.stack([ops.mean(o["c1"][0, ..., 1]) + 0.5 * o["out:logits"][0, 2], o["out:logits"][1, 0]])

    _check_run(backend_gradient, GradientAscent(model), x, objective, value)


def _dead_model():
    """c1's map 0 is dead after its ReLU for these inputs (bias -50); map 1 is alive."""
    model = keras.Sequential([keras.Input((6, 6, 1)),
                              L.Conv2D(2, 3, activation="relu", name="c1",
                                       kernel_initializer=keras.initializers.GlorotUniform(0))])
    kernel, bias = model.get_layer("c1").get_weights()
    model.get_layer("c1").set_weights([kernel, np.array([-50.0, 5.0], np.float32)])
    return model


def _pre(model, xt):
    kernel, bias = model.get_layer("c1").get_weights()
    return ops.conv(ops.convert_to_tensor(xt), ops.convert_to_tensor(kernel)) + ops.convert_to_tensor(bias)


@pytest.mark.parametrize("pre_activation", [True, "auto"])
def test_pre_activation_climbs_the_value_before_the_relu(pre_activation, backend_gradient):
    model = _dead_model()
    x = _start(2, size=6, seed=14)
    engine = GradientAscent(model, pre_activation=pre_activation)
    objective = [channel("c1", 0), channel("c1", 1)]
    pre = _np(_pre(model, x)).mean(axis=(1, 2))
    post = np.maximum(_np(_pre(model, x)), 0).mean(axis=(1, 2))
    assert post[0, 0] == 0 and post[1, 1] > 0
    zero = engine.run(x, objective=objective, steps=0, learning_rate=0.1)
    np.testing.assert_allclose(zero.scores, [post[0, 0], post[1, 1]], rtol=1e-5, atol=1e-6)
    # "auto" climbs the pre-activation only where the objective is dead; True climbs it everywhere.
    want = [pre[0, 0], post[1, 1] if pre_activation == "auto" else pre[1, 1]]
    np.testing.assert_allclose(zero.climbed, want, rtol=1e-5, atol=1e-5)

    def climbed(xt):
        p = _pre(model, xt)
        return ops.stack([ops.mean(p[0, ..., 0]), ops.mean((ops.relu(p) if pre_activation == "auto"
                                                             else p)[1, ..., 1])])

    result = engine.run(x, objective=objective, steps=1, learning_rate=0.2)
    _, after = _step_by_hand(backend_gradient, climbed, x, 0.2)
    np.testing.assert_allclose(result.images, after, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(result.objective_history[0], [post[0, 0], post[1, 1]], rtol=1e-5, atol=1e-6)
    plain = GradientAscent(model).run(x, objective=objective, steps=1, learning_rate=0.2)
    np.testing.assert_array_equal(plain.images[0], x[0])  # no gradient through a dead ReLU
    np.testing.assert_array_equal(plain.climbed, plain.scores)
    # The model's own layer is left as it was.
    np.testing.assert_allclose(model.predict(x, verbose=0), np.maximum(_np(_pre(model, x)), 0), rtol=1e-5)


def test_pre_activation_in_bfloat16_follows_float32():
    model = _dead_model()
    x = _start(2, size=6, seed=15)
    objective = [channel("c1", 0), channel("c1", 1)]
    want = GradientAscent(model, pre_activation=True).run(x, objective=objective, steps=0, learning_rate=0.1)
    got = GradientAscent(model, pre_activation=True, compute_dtype="bfloat16").run(
        x, objective=objective, steps=0, learning_rate=0.1)
    np.testing.assert_allclose(got.climbed, want.climbed, rtol=0.03, atol=0.05)
    np.testing.assert_allclose(got.scores, want.scores, rtol=0.03, atol=0.05)


def test_steps_zero_scores_without_moving():
    model = _model()
    x = _start(3, seed=16)
    result = GradientAscent(model, "c1").run(x, maps=[0, 1, 2], steps=0, learning_rate=0.1)
    assert result.images is not x and result.images.dtype == np.float32
    np.testing.assert_array_equal(result.images, x)
    assert result.objective_history.shape == (0, 3) and result.objective_history.dtype == np.float32
    acts = _acts(model, "c1", x)
    np.testing.assert_allclose(result.scores, [acts[i, ..., i].mean() for i in range(3)], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(result.climbed, result.scores)
    assert result.scores.dtype == result.climbed.dtype == np.float32


def test_map_mode_run_and_score_take_points_spatial_and_weights(backend_gradient):
    model = _model()
    x = _start(2, seed=17)
    spatial = np.random.default_rng(1).random((6, 6)).astype(np.float32)

    def value(xt):
        c1 = _outputs(model, ["c1"], xt)["c1"]
        return ops.stack([c1[0, 3, 4, 2], ops.sum(c1[1, ..., 0] * ops.convert_to_tensor(spatial))])

    engine = GradientAscent(model, "c1")
    per_image = np.stack([np.eye(6)[3][:, None] * np.eye(6)[4][None, :], spatial])
    _check_run(backend_gradient, engine, x, None, value, maps=[2, 0], spatial=per_image)
    np.testing.assert_allclose(engine.score(x, maps=[2, 2], points=[3, 4]), _acts(model, "c1", x)[:, 3, 4, 2],
                               rtol=1e-5, atol=1e-6)
    weights = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]], np.float32)
    got = GradientAscent(model, "c1", objective="weights").score(x, weights=weights)
    np.testing.assert_allclose(got, (_acts(model, "c1", x).mean(axis=(1, 2)) * weights).sum(axis=1), rtol=1e-5)


def test_callable_objective_gets_the_maps_and_the_weights(backend_gradient):
    model = _model()
    x = _start(2, seed=18)
    weights = np.array([[2.0, 1.0], [0.5, -1.0]], np.float32)

    def fn(acts, w):
        return ops.mean(acts[..., 1], axis=[1, 2]) * w[:, 0] + ops.max(acts[..., 0], axis=[1, 2]) * w[:, 1]

    def value(xt):
        return fn(_outputs(model, ["c1"], xt)["c1"], ops.convert_to_tensor(weights))

    _check_run(backend_gradient, GradientAscent(model, "c1", objective=fn), x, None, value, weights=weights)


def test_diversity_weight_scales_the_term():
    model = _model()
    x = _start(3, seed=19)
    got = GradientAscent(model).score(x, objective=3.0 * diversity("c1"))
    np.testing.assert_allclose(got, 3.0 * _numpy_dissimilarity(_acts(model, "c1", x)), rtol=1e-5, atol=1e-6)
    both = GradientAscent(model).score(x, objective=channel("c2", 1) - 2.0 * diversity("c1"))
    want = _acts(model, "c2", x)[..., 1].mean(axis=(1, 2)) - 2.0 * _numpy_dissimilarity(_acts(model, "c1", x))
    np.testing.assert_allclose(both, want, rtol=1e-5, atol=1e-6)


def test_input_range_clips_every_step():
    model = _model()
    x = np.clip(_start(2, seed=20), -0.2, 0.2)
    result = GradientAscent(model, "c1", input_range=(-0.25, 0.25)).run(x, maps=1, steps=3, learning_rate=0.5)
    assert result.images.min() >= -0.25 and result.images.max() <= 0.25
    assert np.isclose(np.abs(result.images).max(), 0.25)


@pytest.mark.parametrize("given", [True, False])
def test_a_step_is_in_units_of_the_input_range_and_stays_inside_it(given, backend_gradient):
    """Two steps written out: x + lr * (high - low) * g / rms(g), clipped into the range after each; the range
    is the engine's input_range, or the resolved model's when none is given."""
    model = _model()
    x = _start(2, seed=31)
    low, high = -1.0, 3.0
    sub = keras.Model(model.inputs[0], model.get_layer("c1").output)
    engine = (GradientAscent(model, "c1", input_range=(low, high)) if given else
              GradientAscent(resolve_model(model, input_range=(low, high)), "c1"))
    assert engine.input_range == (low, high)
    result = engine.run(x, maps=[0, 2], steps=2, learning_rate=0.1)

    def value(xt):
        return ops.stack([ops.mean(sub(xt)[0, ..., 0]), ops.mean(sub(xt)[1, ..., 2])])

    _, moved = _step_by_hand(backend_gradient, value, x, 0.1 * (high - low))
    first = np.clip(moved, low, high)
    assert not np.allclose(first, moved)  # the clip matters
    _, second = _step_by_hand(backend_gradient, value, first, 0.1 * (high - low))  # the second step starts inside the range
    np.testing.assert_allclose(result.images, np.clip(second, low, high), rtol=1e-4, atol=1e-5)


def test_other_parameterizations_end_inside_the_input_range():
    model = _model()
    result = GradientAscent(model, "c1", param="fft", input_range=(-0.1, 0.1)).run(
        _start(2, seed=32), maps=1, steps=3, learning_rate=0.5)
    assert result.images.min() >= -0.1 and result.images.max() <= 0.1
    assert np.isclose(np.abs(result.images).max(), 0.1)
    np.testing.assert_allclose(result.scores, GradientAscent(model, "c1").score(result.images, maps=1), rtol=1e-5)


def test_transform_seeds_differ_between_chunks_and_follow_random_state():
    from skcnn.inspect import transforms as T

    model = _model()
    x = np.repeat(_start(1, seed=21), 4, axis=0)
    engine = GradientAscent(model, "c1", transforms=[T.jitter(2)], batch_size=2)
    a = engine.run(x, maps=1, steps=3, learning_rate=0.2, random_state=0)
    b = engine.run(x, maps=1, steps=3, learning_rate=0.2, random_state=0)
    c = engine.run(x, maps=1, steps=3, learning_rate=0.2, random_state=1)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.allclose(a.images, c.images)
    assert not np.allclose(a.images[0], a.images[2])  # the second chunk draws its own transforms
    np.testing.assert_array_equal(a.images[0], a.images[1])  # one draw per chunk


def test_engine_built_plainly_has_the_documented_settings():
    engine = GradientAscent(_model())
    assert (engine.objective, engine.pre_activation, engine.jitter, engine.alpha_l2, engine.alpha_tv) == (
        "map", False, 0, 0.0, 0.0)
    assert (engine.input_range, engine.batch_size, engine.compute_dtype, engine.jit_compile, engine.crop) == (
        None, 512, "float32", False, "auto")
    assert (engine.param, engine.decorrelate, engine.transforms) == ("pixel", False, None)


def test_run_shows_a_progress_bar_only_when_asked(monkeypatch):
    import tqdm.auto

    made = []

    def fake_tqdm(iterable, **kwargs):
        made.append(kwargs["desc"])
        return list(iterable)

    monkeypatch.setattr(tqdm.auto, "tqdm", fake_tqdm)
    engine = GradientAscent(_model(), "c1", batch_size=1)
    x = _start(2, seed=22)
    engine.run(x, maps=0, steps=1, learning_rate=0.1)
    assert made == []
    engine.run(x, maps=0, steps=1, learning_rate=0.1, verbose=1)
    engine.run(x, maps=0, steps=1, learning_rate=0.1, verbose=1, description="oip")
    assert made == ["ascent (2 images)", "oip (2 images)"]


def test_objective_lists_are_checked_and_names_are_not_looked_up_when_the_engine_is_built():
    import re

    from skcnn.inspect.dream import l2_objective

    assert GradientAscent(_model(), "c1", objective=l2_objective)._objective_fn is l2_objective
    with pytest.raises(TypeError, match="objective must be an Objective"):
        GradientAscent(_model(), objective=[channel("c1", 0), "c1"])
    for name in ("mean", "l2"):  # registered dream objectives: the dream inspector resolves them, not the engine
        with pytest.raises(ValueError, match="^" + re.escape(f"objective must be an Objective (or a list of them), "
                                                             f"'map', 'weights' or a callable f(activations, "
                                                             f"weights); got {name!r}.")):
            GradientAscent(_model(), "c1", objective=name)


def test_a_crop_of_unequal_rows_and_columns():
    model = keras.Sequential([keras.Input((11, 9, 1)), L.Conv2D(2, 3, activation="relu", name="c1"),  # 9x7
                              L.MaxPooling2D(2, name="p1")])  # 4x3: reads 8 of 9 rows, 6 of 7 columns
    x = np.random.default_rng(23).normal(size=(2, 11, 9, 1)).astype(np.float32)
    engine = GradientAscent(model)
    got = engine.score(x, objective=[channel("p1", 0), channel("p1", 1)])
    assert engine.crop_ == (10, 8)
    acts = _acts(model, "p1", x).mean(axis=(1, 2))
    np.testing.assert_allclose(got, [acts[0, 0], acts[1, 1]], rtol=1e-5, atol=1e-6)


def test_the_network_runs_in_inference_mode():
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              L.Conv2D(3, 3, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(0),
                                       name="c1"),
                              L.Dropout(0.5, name="drop"),
                              L.Conv2D(2, 3, kernel_initializer=keras.initializers.GlorotUniform(1), name="c2")])
    x = _start(3, seed=24)
    want = model.predict(x, verbose=0).mean(axis=(1, 2))[:, 1]
    for crop in (True, False):
        engine = GradientAscent(model, crop=crop)
        np.testing.assert_allclose(engine.score(x, objective=channel("c2", 1)), want, rtol=1e-5, atol=1e-6)


def test_a_term_after_a_linear_one_adds_to_it():
    """Terms are summed in the order of their layers; a diversity or callable term comes after a map term."""
    from skcnn.inspect.objectives import FunctionTerm, Objective

    model = _model()
    x = _start(3, seed=25)
    c1, c2 = _acts(model, "c1", x), _acts(model, "c2", x)
    got = GradientAscent(model).score(x, objective=channel("c1", 1) - 2.0 * diversity("p1"))
    want = c1[..., 1].mean(axis=(1, 2)) - 2.0 * _numpy_dissimilarity(_acts(model, "p1", x))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

    def fn(acts, weights):  # weights: one row per image
        return weights[:, 0] * acts[:, 0, 0, 1] + weights[:, 1] * acts[:, 1, 1, 0]

    legacy = Objective([(3.0, FunctionTerm("c2", fn, [1.0, -2.0], "fn"))])
    got = GradientAscent(model).score(x, objective=[channel("c1", 0) + legacy, legacy, channel("c1", 0)])
    by_fn = 3.0 * (c2[:, 0, 0, 1] - 2.0 * c2[:, 1, 1, 0])
    want = [c1[0, ..., 0].mean() + by_fn[0], by_fn[1], c1[2, ..., 0].mean()]  # the third has no callable term
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_auto_keeps_a_positive_value_below_one():
    """"auto" climbs the pre-activation only where the objective is zero or less, also for tanh's (0, 1)."""
    model = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(
        2, 3, activation="tanh", kernel_initializer=keras.initializers.GlorotUniform(3), name="c1")])
    kernel, _ = model.get_layer("c1").get_weights()
    model.get_layer("c1").set_weights([kernel * 0.2, np.array([0.3, -0.3], np.float32)])
    x = _start(2, size=6, seed=26)
    result = GradientAscent(model, pre_activation="auto").run(x, objective=[channel("c1", 0), channel("c1", 1)],
                                                              steps=0, learning_rate=0.1)
    post = np.tanh(_np(_pre(model, x))).mean(axis=(1, 2))
    pre = _np(_pre(model, x)).mean(axis=(1, 2))
    assert 0 < post[0, 0] < 1 and post[1, 1] < 0
    np.testing.assert_allclose(result.climbed, [post[0, 0], pre[1, 1]], rtol=1e-5, atol=1e-6)


def test_a_logit_and_a_map_of_one_layer_without_pre_activation():
    """The logit term reads the value before the ReLU; the map term still reads it after."""
    model = _dead_model()
    x = _start(2, size=6, seed=27)
    engine = GradientAscent(model)
    result = engine.run(x, objective=class_logit(0, layer="c1") + channel("c1", 0), steps=0, learning_rate=0.1)
    pre = _np(_pre(model, x))
    want = pre[..., 0].mean(axis=(1, 2)) + np.maximum(pre[..., 0], 0).mean(axis=(1, 2))
    assert np.all(want < 0)
    np.testing.assert_allclose(result.scores, want, rtol=1e-5)
    np.testing.assert_allclose(result.climbed, want, rtol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    (dict(steps=-1, learning_rate=0.1), "steps must be an int >= 0, got -1."),
    (dict(steps=1.5, learning_rate=0.1), "steps must be an int >= 0, got 1.5."),
    (dict(steps=1, learning_rate=0.0), "learning_rate must be a positive number, got 0.0."),
    (dict(steps=1, learning_rate=-0.5), "learning_rate must be a positive number, got -0.5."),
])
def test_run_checks_steps_and_learning_rate(kwargs, message):
    import re

    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        GradientAscent(_model(), "c1").run(_start(1), maps=0, **kwargs)


# ------------------------------------------------- score, objective at construction
def test_score_is_the_objective_after_the_activation_even_when_the_ascent_climbs_the_value_before():
    model = _dead_model()
    x = _start(3, size=6, seed=28)
    pre = _np(_pre(model, x))[..., 0].mean(axis=(1, 2))
    assert np.all(pre < 0)  # map 0 is dead after its ReLU
    engine = GradientAscent(model, "c1", pre_activation=True)
    np.testing.assert_array_equal(engine.score(x, objective=channel("c1", 0)), np.zeros(3, np.float32))
    # What the ascent climbs there is the (negative) value before the ReLU, which score does not report.
    climbed = engine.run(x, steps=0, learning_rate=0.1, objective=channel("c1", 0)).climbed
    np.testing.assert_allclose(climbed, pre, rtol=1e-5)


def test_objective_given_at_construction_is_the_default_of_score_and_run():
    model = _model()
    x = _start(3)
    c1, c2 = _acts(model, "c1", x), _acts(model, "c2", x)
    engine = GradientAscent(model, objective=channel("c2", 1))
    np.testing.assert_allclose(engine.score(x), c2[..., 1].mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    engine = GradientAscent(model, objective=[channel("c2", 0), channel("c1", 2), channel("c2", 1)])
    want = [c2[0, ..., 0].mean(), c1[1, ..., 2].mean(), c2[2, ..., 1].mean()]
    np.testing.assert_allclose(engine.score(x), want, rtol=1e-5, atol=1e-6)


def test_a_batch_of_one_spatial_points_weights_or_objective_is_repeated_to_every_image():
    """(1, ...) means the same as one item, as it does for baselines and fills."""
    engine = GradientAscent(_model(), "c1")
    x = _start(3)
    grid = np.random.default_rng(4).random((6, 6))
    np.testing.assert_allclose(engine.score(x, maps=1, spatial=grid[None]),
                               engine.score(x, maps=1, spatial=np.stack([grid] * 3)), rtol=1e-6)
    np.testing.assert_allclose(engine.score(x, maps=2, points=[[2, 3]]),
                               engine.score(x, maps=2, points=[[2, 3]] * 3), rtol=1e-6)
    with pytest.raises(ValueError, match="points must be a \\(row, col\\) pair of integers"):
        engine.score(x, maps=2, points=[[2.0, 3.0]])
    weighted = GradientAscent(_model(), "c1", objective="weights")
    w = np.array([[0.5, -1.0, 2.0]])
    np.testing.assert_allclose(weighted.score(x, weights=w), weighted.score(x, weights=np.repeat(w, 3, axis=0)),
                               rtol=1e-6)
    free = GradientAscent(_model())
    np.testing.assert_allclose(free.score(x, objective=[channel("c1", 1)]),
                               free.score(x, objective=[channel("c1", 1)] * 3), rtol=1e-6)
