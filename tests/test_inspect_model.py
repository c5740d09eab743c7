"""Models: any Keras image model behind the inspectors, devices, pixel space."""

import re

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skcnn.inspect import ActivationInspector  # noqa: E402
from skcnn.inspect._core.model import InspectedModel, device_name, resolve_model  # noqa: E402


def _conv(filters, name, seed):
    return keras.layers.Conv2D(filters, 3, activation="relu", name=name,
                               kernel_initializer=keras.initializers.GlorotUniform(seed),
                               bias_initializer=keras.initializers.RandomNormal(0.0, 0.1, seed=seed + 1))


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype(np.float32)


@pytest.fixture(scope="module")
def transfer():
    """Rescaling -> MobileNetV2(weights=None) -> pooling -> Dense, as in transfer learning."""
    keras.utils.set_random_seed(0)
    base = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3), include_top=False)
    inputs = keras.Input((96, 96, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1, name="scale")(inputs)
    x = base(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inputs, keras.layers.Dense(3, name="head")(x))
    return model, base


def test_inner_layer_of_nested_model_equals_manual_forward_pass(transfer):
    model, base = transfer
    X = _images((2, 96, 96, 3))
    path = f"{base.name}/block_3_expand"
    acts = ActivationInspector(model).activations(X, [path, "block_3_expand", "head"])
    # Independent: the inner layer as a sub-model of the base alone, fed by hand-made rescaling.
    manual = keras.Model(base.inputs[0], base.get_layer("block_3_expand").output)(X / 127.5 - 1.0)
    np.testing.assert_allclose(acts[path], np.asarray(manual), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(acts["block_3_expand"], acts[path])
    np.testing.assert_allclose(acts["head"][:, 0, 0, :], np.asarray(model(X)), rtol=1e-4, atol=1e-5)
    assert resolve_model(model).layer_name("block_3_expand") == path


def test_shared_base_in_a_sequential_model_uses_that_models_graph(transfer):
    _, base = transfer  # the base now sits in two graphs: one node per call
    model = keras.Sequential([keras.Input((96, 96, 3)), keras.layers.Rescaling(1 / 255.0, name="unit"), base])
    X = _images((1, 96, 96, 3), seed=1)
    got = ActivationInspector(model).activations(X, f"{base.name}/block_1_expand")[f"{base.name}/block_1_expand"]
    manual = keras.Model(base.inputs[0], base.get_layer("block_1_expand").output)(X / 255.0)
    np.testing.assert_allclose(got, np.asarray(manual), rtol=1e-4, atol=1e-4)


def test_nested_names_are_paths_and_ambiguous_names_are_refused():
    def inner(name):
        return keras.Sequential([keras.Input((8, 8, 1)), _conv(2, "c", 0)], name=name)

    model = keras.Sequential([keras.Input((8, 8, 1)), inner("a"), keras.layers.ZeroPadding2D(1, name="pad"),
                              inner("b")])
    target = resolve_model(model)
    assert target.paths == ["a", "a/c", "pad", "b", "b/c"]
    assert target.layer_index("b/c") == 4 and target.layer_name("conv2") == "b/c"
    with pytest.raises(ValueError, match="names several layers.*a/c, b/c"):
        target.layer_index("c")
    with pytest.raises(ValueError, match="Layers: 0: a, 1: a/c"):
        target.layer_index("nope")


@pytest.mark.parametrize("channels", [1, 3, 5])
def test_any_channels_and_non_square_inputs(channels):
    inputs = keras.Input((12, 7, channels))
    c1 = _conv(4, "c1", 2)(inputs)
    branch = keras.layers.Conv2D(4, 1, name="side")(inputs)
    merged = keras.layers.Add(name="add")([c1, keras.layers.Cropping2D(1, name="crop")(branch)])
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(keras.layers.Flatten()(merged)))
    X = _images((3, 12, 7, channels), seed=channels)
    acts = ActivationInspector(model).activations(X, ["add", "c1"])
    expected = keras.Model(inputs, [model.get_layer("add").output, model.get_layer("c1").output])(X)
    np.testing.assert_allclose(acts["add"], np.asarray(expected[0]), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(acts["c1"], np.asarray(expected[1]), rtol=1e-5, atol=1e-4)
    assert acts["add"].shape == (3, 10, 5, 4)


def test_larger_inputs_pass_through_the_convolutional_part():
    model = keras.Sequential([keras.Input((16, 12, 3)), _conv(4, "c1", 3), keras.layers.MaxPooling2D(name="p1"),
                              _conv(5, "c2", 4), keras.layers.Flatten(), keras.layers.Dense(2, name="out")])
    X = _images((2, 30, 41, 3), seed=5)
    acts = ActivationInspector(model).activations(X, ["c2", "p1"])
    # Independent: the same layers, rebuilt on an input of any size, with the same weights.
    free = keras.Sequential([keras.Input((None, None, 3)), _conv(4, "f1", 9), keras.layers.MaxPooling2D(),
                             _conv(5, "f2", 9)])
    free.set_weights(model.get_weights()[:4])
    np.testing.assert_allclose(acts["c2"], np.asarray(free(X)), rtol=1e-5, atol=1e-4)
    assert acts["c2"].shape == (2, 12, 17, 5) and acts["p1"].shape == (2, 14, 19, 4)
    eager = resolve_model(model).submodel(["c2"])(X)  # called directly, not only through a compiled function
    eager = eager[0] if isinstance(eager, (list, tuple)) else eager
    np.testing.assert_allclose(np.asarray(eager), acts["c2"], rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="cannot take images of 30x41"):
        ActivationInspector(model).activations(X, "out")


def test_model_of_any_size():
    model = keras.Sequential([keras.Input((None, None, 3)), _conv(2, "c", 6)])
    target = resolve_model(model)
    assert target.input_shape == (None, None, 3) and target.layer_shape("c") == (None, None, 2)
    X = _images((2, 9, 13, 3))
    np.testing.assert_allclose(ActivationInspector(model).activations(X)["c"], np.asarray(model(X)), rtol=1e-5,
                               atol=1e-4)
    with pytest.raises(ValueError, match=r"X must be images of shape \(n, height, width, 3\)"):
        target.to_model(X.reshape(2, -1))


def test_to_pixels_undoes_two_scalers_in_reverse_order():
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, (20, 16)) * rng.uniform(0.2, 1, 16) + rng.uniform(0, 50, 16)
    standard = StandardScaler().fit(X)
    minmax = MinMaxScaler((-1, 1)).fit(standard.transform(X) * 3.0 + 1.0)
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.ReLU()])
    target = InspectedModel(model, [standard, minmax])
    inside = target.to_model(X)
    np.testing.assert_allclose(inside.reshape(20, -1), minmax.transform(standard.transform(X)), rtol=1e-5)
    # Independent inverse, step by step: MinMaxScaler first, then StandardScaler.
    expected = standard.inverse_transform(minmax.inverse_transform(inside.reshape(20, -1)))
    np.testing.assert_allclose(target.to_pixels(inside).reshape(20, -1), expected, rtol=1e-4)
    np.testing.assert_allclose(target.to_pixels(inside).reshape(20, -1), X, rtol=1e-3)


class _Fitted:
    """A stand-in for a fitted estimator: a model_, a device, get_params and fit."""

    def __init__(self, model, device):
        self.model_, self.device = model, device

    def get_params(self, deep=True):
        return {"device": self.device}

    def fit(self, X, y):
        return self


def test_device_comes_from_the_estimator_or_the_inspector():
    tf = pytest.importorskip("skcnn._keras").import_tensorflow()
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.ReLU(name="r")])
    assert resolve_model(_Fitted(model, "cpu")).device == "cpu"
    assert resolve_model(_Fitted(model, "cpu"), device="/CPU:0").device == "/CPU:0"
    assert resolve_model(model).device is None
    inspector = ActivationInspector(model, device="cpu")
    assert inspector.model_.device == "cpu"
    with inspector.model_.device_scope():
        assert tf.identity(tf.constant([1.0])).device.endswith("CPU:0")
    assert device_name("cpu") == "/CPU:0" and device_name("/GPU:3") == "/GPU:3"
    with pytest.raises(ValueError, match="device must be one of"):
        ActivationInspector(model, device="tpu")
    if not tf.config.list_logical_devices("GPU"):
        with pytest.raises(ValueError, match="sees no GPU"):
            device_name("gpu")
        assert device_name("auto") == "/CPU:0"
    else:
        assert "GPU" in device_name("auto")


def _random_weights(model, rng, *, scales, spread):
    """Every weight drawn anew: variances and gammas uniform in ``scales``, the rest normal with sd ``spread``."""
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng.uniform(*scales, w.shape) if "variance" in w.path or "gamma" in w.path
                               else rng.normal(0, spread, w.shape) for w in layer.weights])


def test_inference_copy_folds_batch_norms_exactly():
    from skcnn.inspect._core.model import inference_copy

    rng = np.random.default_rng(7)
    inputs = keras.Input((10, 9, 3))
    a = keras.layers.Conv2D(4, 3, use_bias=False, name="a")(inputs)
    a = keras.layers.ReLU()(keras.layers.BatchNormalization(name="bn_a")(a))
    b = keras.layers.Conv2D(4, 3, name="b")(a)  # with a bias, and used twice: its batch norm stays
    b_norm = keras.layers.BatchNormalization(scale=False, name="bn_b")(b)
    c = keras.layers.Conv2D(4, 1, name="c")(b)
    c = keras.layers.BatchNormalization(center=False, name="bn_c")(c)
    model = keras.Model(inputs, [keras.layers.Add()([b_norm, c]), a])
    _random_weights(model, rng, scales=(0.5, 2.0), spread=0.5)
    copy = inference_copy(model)
    kinds = {layer.name: type(layer).__name__ for layer in copy.layers}
    assert kinds["bn_a"] == kinds["bn_c"] == "_Folded" and kinds["bn_b"] == "BatchNormalization"
    x = rng.normal(size=(2, 10, 9, 3)).astype(np.float32)
    for got, expected in zip(copy(x), model(x, training=False)):
        np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-4, atol=1e-4)
    low = inference_copy(model, "bfloat16")
    got = np.asarray(low(x)[0], dtype=np.float32)
    expected = np.asarray(model(x, training=False)[0])
    assert np.abs(got - expected).max() < 0.05 * np.abs(expected).max()
    with pytest.raises(ValueError, match="dtype must be"):
        inference_copy(model, "float16")


# ------------------------------------------------------------------ any model


def _two_heads():
    """A conv trunk with two heads, listed in the order (wide, narrow): not the order the layers were made."""
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Flatten()(_conv(2, "trunk", 3)(inputs))
    narrow = keras.layers.Dense(2, name="narrow")(x)
    wide = keras.layers.Dense(5, name="wide")(x)
    return keras.Model(inputs, [wide, narrow])


def test_several_outputs_are_named_and_never_chosen_silently():
    model = _two_heads()
    resolved = resolve_model(model)
    assert resolved.output_names == ["wide", "narrow"]
    with pytest.raises(ValueError, match=r"^model has 2 outputs \(0: 'wide' \(5,\), 1: 'narrow' \(2,\)\); choose"):
        resolved.output_index
    for output, name, size in [("narrow", "narrow", 2), (1, "narrow", 2), (0, "wide", 5), (-1, "narrow", 2)]:
        chosen = resolve_model(model, output=output)
        assert chosen.output_shape == (size,)
        assert chosen.layer_name(chosen.output_layer) == name
        # the chosen layer's tensor is the model's output at that position (an independent forward pass)
        X = _images((2, 8, 8, 3))
        direct = model.predict(X, verbose=0)[chosen.output_index]
        np.testing.assert_allclose(chosen.submodel([chosen.output_layer])(X), direct, rtol=1e-5, atol=1e-4)
    for wrong in ("head", 2, -3, 1.0):
        with pytest.raises(ValueError, match="^output must be the name or index of one of the model's outputs "
                                             r"\(0: 'wide' \(5,\), 1: 'narrow' \(2,\)\); got"):
            resolve_model(model, output=wrong)


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__(name="net")
        self.conv = _conv(3, "inner_conv", 5)
        self.flat = keras.layers.Flatten()
        self.dense = keras.layers.Dense(4, name="inner_dense")

    def call(self, x):
        return self.dense(self.flat(self.conv(x)))


def test_a_subclassed_model_that_was_called_is_inspected_through_its_output():
    net = _Subclassed()
    X = _images((3, 8, 8, 1)) / 255
    expected = np.asarray(net(X))  # called once: built
    resolved = resolve_model(net)
    assert resolved.network is net and resolved.input_shape == (8, 8, 1) and resolved.output_shape == (4,)
    got = ActivationInspector(net).activations(X, resolved.layer_name(resolved.output_layer))
    np.testing.assert_allclose(next(iter(got.values())).reshape(3, 4), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="^layer 'net/inner_conv' sits inside the subclassed model 'net', whose inner "
                                         "tensors Keras does not expose.*expose the layer"):
        ActivationInspector(net).activations(X, "inner_conv")
    built = _Subclassed()
    built.build((None, 8, 8, 1))
    assert resolve_model(built).input_shape == (8, 8, 1)
    with pytest.raises(ValueError, match=r"^model is a subclassed Keras model \(_Subclassed\) whose input shape is "
                                         r"not known; call it once"):
        resolve_model(_Subclassed())


def test_unknown_input_size_needs_image_shape():
    model = keras.Sequential([keras.Input((None, None, 3)), _conv(2, "c", 7)])
    resolved = resolve_model(model)
    with pytest.raises(ValueError, match=r"^image_shape is required for a model whose input size is unknown "
                                         r"\(None, None, 3\): give image_shape=\(height, width\)\.$"):
        resolved.image_shape()
    assert resolved.image_shape((12, 10)) == resolved.image_shape([12, 10, 3]) == (12, 10, 3)
    for wrong in ((12,), (12, 10, 1), (0, 4), "12x10", (12.5, 10)):
        with pytest.raises(ValueError, match=r"^image_shape must be \(height, width\) or \(height, width, 3\)"):
            resolved.image_shape(wrong)
    assert resolve_model(_two_heads()).image_shape() == (8, 8, 3)


def test_input_range_from_the_training_data_or_given():
    class _Fitted:
        model_ = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.ReLU()])
        input_range_ = (-1.5, 2.0)

        def get_params(self):
            return {}

        def fit(self):
            return self

    assert resolve_model(_Fitted()).input_range == (-1.5, 2.0)
    assert resolve_model(_Fitted(), input_range=(0, 255)).input_range == (0.0, 255.0)
    bare = resolve_model(_Fitted.model_)
    assert bare.input_range is None and bare.input_scale == 1.0
    assert resolve_model(bare, input_range=(-1, 1)).input_scale == 2.0 and bare.input_range is None
    for wrong in ((1, 1), (2, 1), (0, np.inf), (0,), "0..1", (None, 1)):
        with pytest.raises(ValueError, match=r"^input_range must be None or \(low, high\) with finite low < high"):
            resolve_model(bare, input_range=wrong)


def test_the_cnn_records_its_training_range_and_a_warm_start_widens_it():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skcnn import KerasCNNClassifier

    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 255, (16, 36)).astype(np.float32), np.arange(16) % 2
    pipe = make_pipeline(StandardScaler(), KerasCNNClassifier(conv_filters=(2,), dense_units=(), epochs=1,
                                                               image_shape=(6, 6), random_state=0, warm_start=True))
    pipe.fit(X, y)
    scaled = StandardScaler().fit_transform(X)  # what the network saw: the range is in model space
    assert resolve_model(pipe).input_range == pytest.approx((scaled.min(), scaled.max()), rel=1e-5)
    cnn = pipe[-1]
    cnn.fit(scaled[:8] * 3, y[:8])
    cnn.fit(scaled[:8] / 4, y[:8])  # a narrower range adds nothing
    wider = (min(scaled.min(), 3 * scaled[:8].min()), max(scaled.max(), 3 * scaled[:8].max()))
    assert cnn.input_range_ == pytest.approx(wider, rel=1e-5)


# ------------------------------------------------------- resolving and errors


class _Net:
    """A fitted estimator reduced to what resolve_model reads: model_, classes_, input_range_."""

    def __init__(self, model, classes=None, input_range=None):
        self.model_, self.classes_, self.input_range_ = model, classes, input_range

    def get_params(self, deep=True):
        return {}

    def fit(self, X, y):
        return self


def _relu_model():
    return keras.Sequential([keras.Input((4, 4, 1)), keras.layers.ReLU(name="r")])


def test_a_pipeline_resolves_to_its_steps_classes_range_and_output():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.random.default_rng(3).uniform(0, 255, (10, 16))
    scaler = StandardScaler().fit(X)
    pipe = Pipeline([("scale", scaler), ("skip", "passthrough"), ("net", _Net(_relu_model(), ["a", "b"], (-2, 3)))])
    resolved = resolve_model(pipe)
    assert resolved.pre_steps == [scaler] and resolved.input_range == (-2.0, 3.0)
    np.testing.assert_array_equal(resolved.classes_, np.array(["a", "b"]))
    np.testing.assert_allclose(resolved.to_model(X).reshape(10, 16), (X - X.mean(0)) / X.std(0), rtol=1e-5, atol=1e-5)
    two = resolve_model(Pipeline([("scale", scaler), ("net", _Net(_two_heads()))]), output="narrow")
    assert two.output == 1 and two.classes_ is None
    assert resolve_model(_Net(_relu_model())).pre_steps == []

    class _OnlyModel:  # a fitted network without get_params/fit is still an estimator
        model_ = _relu_model()

    assert resolve_model(_OnlyModel()).model is _OnlyModel.model_

    class _NoSteps(_OnlyModel):
        steps = []

    assert resolve_model(_NoSteps()).pre_steps == []


def test_resolve_model_errors_name_the_object():
    class _Unfitted:
        def get_params(self, deep=True):
            return {}

        def fit(self, X, y):
            return self

    with pytest.raises(ValueError, match=r"^model's _Unfitted is not fitted \(it has no model_\); call fit first\.$"):
        resolve_model(_Unfitted())
    with pytest.raises(ValueError, match=r"^model must be a fitted KerasCNNClassifier, a Pipeline ending in one, or "
                                         r"a keras\.Model; got str\.$"):
        resolve_model("model")
    with pytest.raises(ValueError, match=r"^model is a Keras model without defined inputs \(a Sequential model that "
                                         r"was never built\); start it with keras\.Input\(shape\) or call "
                                         r"model\.build\(\(None, height, width, channels\)\)\.$"):
        resolve_model(keras.Sequential([keras.layers.Conv2D(2, 3)]))


def test_resolving_a_resolved_model_copies_it_only_when_something_changes():
    base = resolve_model(_two_heads(), device="cpu")
    assert resolve_model(base) is base
    moved = resolve_model(base, output=-2)
    assert moved is not base and moved.output == 0 and moved.device == "cpu" and base.output is None
    other = resolve_model(base, device="/CPU:0")
    assert other.device == "/CPU:0" and other._device_name is None and base.device == "cpu" and other.output is None
    ranged = resolve_model(_relu_model(), input_range=(0, 1))
    assert ranged.input_range == (0.0, 1.0)


def test_to_model_checks_and_keeps_float32_input_in_place():
    resolved = resolve_model(_relu_model())
    X = _images((2, 4, 4, 1))
    out = resolved.to_model(X)
    assert out.dtype == np.float32 and np.shares_memory(out, X)
    flat = resolved.to_model(X.reshape(2, 16))
    assert flat.shape == (2, 4, 4, 1) and np.shares_memory(flat, X)
    ints = resolved.to_model(np.arange(32).reshape(2, 16))
    assert ints.dtype == np.float32 and ints.shape == (2, 4, 4, 1)
    np.testing.assert_array_equal(ints.ravel(), np.arange(32))
    # any size: (n, h, w) and (n, h, w, 1) keep their own size
    big = resolved.to_model(np.arange(72).reshape(2, 6, 6), any_size=True)
    assert big.shape == (2, 6, 6, 1) and big.dtype == np.float32
    big4 = _images((2, 6, 6, 1))
    same = resolved.to_model(big4, any_size=True)
    assert same.shape == (2, 6, 6, 1) and np.shares_memory(same, big4)
    assert resolved.to_model(np.ones((2, 16)), any_size=True).shape == (2, 4, 4, 1)
    messages = [
        (np.array([["a"] * 16]), "X must be a numeric array of images, got dtype <U1."),
        (np.ones((1, 1, 4, 4, 1)), "X must be flat (n, pixels), (n, height, width) or (n, height, width, channels); "
                                   "got shape (1, 1, 4, 4, 1)."),
        (np.ones((0, 16)), "X must hold at least one image; got an empty array."),
        (np.ones((2, 15)), "X has 15 values per image, but the model takes images of shape (4, 4, 1) (16 values)."),
        (np.ones((2, 6, 6, 1)), "X has 36 values per image, but the model takes images of shape (4, 4, 1) (16 values)."),
        (np.full((1, 16), np.nan), "X contains NaN or infinite values."),
    ]
    for X, message in messages:
        with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
            resolved.to_model(X)
    colour = resolve_model(keras.Sequential([keras.Input((4, 4, 3)), keras.layers.ReLU()]))
    with pytest.raises(ValueError, match="^" + re.escape("X has 36 values per image, but the model takes images of "
                                                         "shape (4, 4, 3) (48 values).") + "$"):
        colour.to_model(np.ones((2, 6, 6)), any_size=True)


def test_to_model_with_a_free_height_only():
    model = keras.Sequential([keras.Input((None, 5, 1)), keras.layers.Conv2D(2, 3, name="c")])
    resolved = resolve_model(model)
    X = _images((2, 7, 5, 1))
    np.testing.assert_array_equal(resolved.to_model(X), X)
    with pytest.raises(ValueError, match="^" + re.escape("X must be images of shape (n, height, width, 1) for this "
                                                         "model, which takes any size; got shape (2, 35).") + "$"):
        resolved.to_model(X.reshape(2, -1))


def test_to_pixels_shapes_and_dtypes():
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    rng = np.random.default_rng(1)
    X = rng.uniform(0, 255, (6, 16))
    scaler = StandardScaler().fit(X)
    resolved = InspectedModel(_relu_model(), [scaler])
    one = resolved.to_model(X[:1])
    back = resolved.to_pixels(one)
    assert back.shape == (1, 4, 4, 1) and back.dtype == np.float32
    np.testing.assert_allclose(back.reshape(1, 16), X[:1], rtol=1e-4)
    bare = InspectedModel(_relu_model())
    plain = bare.to_pixels(np.ones((2, 4, 4, 1), dtype=np.float64))
    assert plain.dtype == np.float32 and plain.shape == (2, 4, 4, 1)
    assert InspectedModel(_relu_model(), [object()]).to_pixels(one) is None
    # a step whose inverse changes the number of values: the flat rows come back
    widen = FunctionTransformer(lambda x: x[:, :16], inverse_func=lambda x: np.hstack([x, x]))
    flat = InspectedModel(_relu_model(), [widen]).to_pixels(one)
    assert flat.shape == (1, 32) and flat.dtype == np.float32


def test_layer_index_by_index_alias_and_its_messages():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c"),
                              keras.layers.MaxPooling2D(name="p"), keras.layers.Flatten(name="f"),
                              keras.layers.Dense(3, name="d")])
    resolved = resolve_model(model)
    assert resolved.aliases == {"conv1": 0, "pool1": 1}
    assert [resolved.layer_index(i) for i in (-4, -1, 3)] == [0, 3, 3]
    for wrong in (-5, 4):
        with pytest.raises(ValueError, match="^" + re.escape(f"layer index {wrong} is out of range for a model with "
                                                             "4 layers.") + "$"):
            resolved.layer_index(wrong)
    with pytest.raises(ValueError, match="^" + re.escape("layer must be a Keras layer name or path, an index or an "
                                                         "alias like 'conv1'; got 'x'. Layers: 0: c, 1: p, 2: f, "
                                                         "3: d; aliases: conv1, pool1.") + "$"):
        resolved.layer_index("x")
    assert resolved.layer_shape("d") == (1, 1, 3) and resolved.layer_shape("p") == (3, 3, 2)
    flat = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Reshape((2, 8), name="two"),
                             keras.layers.Reshape((2, 2, 2, 2), name="four")])
    flat_resolved = resolve_model(flat)
    assert flat_resolved.layer_shape("two") == (1, 2, 8)
    with pytest.raises(ValueError, match="^" + re.escape("cannot show an output of shape (2, 2, 2, 2) as maps "
                                                         "(height, width, maps).") + "$"):
        flat_resolved.layer_shape("four")
    with pytest.raises(ValueError, match="^" + re.escape("layer must be a Keras layer name or path, an index or an "
                                                         "alias like 'conv1'; got 'x'. Layers: 0: two, 1: four.")
                       + "$"):
        flat_resolved.layer_index("x")


def test_the_list_of_layers_in_a_message_is_cut_after_40():
    for count, tail in [(40, "39: a39."), (42, "39: a39, ... (2 more, see InspectedModel.paths).")]:
        model = keras.Sequential([keras.Input((2, 2, 1))] + [keras.layers.ReLU(name=f"a{i}") for i in range(count)])
        with pytest.raises(ValueError) as info:
            resolve_model(model).layer_index("x")
        assert str(info.value).endswith(", 38: a38, " + tail)


def test_the_ambiguous_name_message_is_whole():
    inner = [keras.Sequential([keras.Input((4, 4, 1)), keras.layers.ReLU(name="r")], name=n) for n in "ab"]
    resolved = resolve_model(keras.Sequential([keras.Input((4, 4, 1))] + inner))
    with pytest.raises(ValueError, match="^" + re.escape("layer 'r' names several layers (a/r, b/r); give its path.")
                       + "$"):
        resolved.layer_index("r")


def test_input_shapes_that_are_and_are_not_images():
    flat = resolve_model(keras.Sequential([keras.Input((6, 5)), keras.layers.Conv1D(2, 3, name="c")]))
    assert flat.input_shape == (6, 5, 1)
    with pytest.raises(ValueError, match="^" + re.escape("model must take images (height, width, channels) with a "
                                                         "fixed number of channels; its input shape is "
                                                         "(None, 4, 4, 4, 2).") + "$"):
        resolve_model(keras.Sequential([keras.Input((4, 4, 4, 2)), keras.layers.ReLU()]))
    a, b = keras.Input((4, 4, 1)), keras.Input((4, 4, 1))
    with pytest.raises(ValueError, match="^" + re.escape("model must be a model with exactly one input; this one has "
                                                         "2.") + "$"):
        resolve_model(keras.Model([a, b], keras.layers.Add()([a, b])))


def test_one_layer_given_twice_as_outputs_is_numbered():
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.ReLU(name="r")(inputs)
    assert resolve_model(keras.Model(inputs, [x, x])).output_names == ["r:0", "r:0"]


def test_subclassed_messages_and_graph_name():
    net = _Subclassed()
    net(_images((1, 8, 8, 1)))
    resolved = resolve_model(net)
    assert resolved.model.name == "net_graph"
    with pytest.raises(ValueError, match="^" + re.escape(
            "layer 'net/inner_conv' sits inside the subclassed model 'net', whose inner tensors Keras does not "
            "expose. Inspect the model's output, or expose the layer: build the network functionally "
            "(keras.Model(inputs, outputs)), or return the layer's output from call() as one more output.") + "$"):
        resolved.layer_shape("inner_conv")
    with pytest.raises(ValueError, match="^" + re.escape(
            "model is a subclassed Keras model (_Subclassed) whose input shape is not known; call it once on a batch "
            "of images (model(x)) or call model.build((None, height, width, channels)) before inspecting it.") + "$"):
        resolve_model(_Subclassed())


def test_image_shape_edges():
    resolved = resolve_model(keras.Sequential([keras.Input((None, None, 3)), keras.layers.ReLU()]))
    assert resolved.image_shape((1, 1)) == (1, 1, 3)
    with pytest.raises(ValueError, match=r"^image_shape must be \(height, width\) or \(height, width, 3\)"):
        resolved.image_shape(12)


def test_inference_copy_folds_in_float64_and_keeps_the_policy():
    from skcnn.inspect._core.model import inference_copy

    rng = np.random.default_rng(11)
    inputs = keras.Input((6, 5, 2))
    a = keras.layers.Conv2D(6, 3, name="a")(inputs)
    a = keras.layers.BatchNormalization(axis=3, epsilon=1e-3, name="bn_a")(a)
    h = keras.layers.Conv2D(3, 1, name="h")(a)
    h = keras.layers.BatchNormalization(axis=1, name="bn_h")(h)  # over rows: not a per-channel map, kept
    model = keras.Model(inputs, h)
    _random_weights(model, rng, scales=(0.3, 3.0), spread=1.0)
    copy = inference_copy(model)
    kinds = {layer.name: type(layer).__name__ for layer in copy.layers}
    assert kinds["bn_a"] == "_Folded" and kinds["bn_h"] == "BatchNormalization"
    kernel, bias = model.get_layer("a").get_weights()
    gamma, beta, mean, variance = model.get_layer("bn_a").get_weights()
    factor = np.float64(gamma) / np.sqrt(np.float64(variance) + 1e-3)
    want_kernel = (np.float64(kernel) * factor).astype(np.float32)
    want_bias = ((np.float64(bias) - np.float64(mean)) * factor + np.float64(beta)).astype(np.float32)
    got_kernel, got_bias = copy.get_layer("a").get_weights()
    np.testing.assert_array_equal(got_kernel, want_kernel)
    np.testing.assert_array_equal(got_bias, want_bias)
    x = rng.normal(size=(2, 6, 5, 2)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(copy(x)), np.asarray(model(x, training=False)), rtol=1e-4, atol=1e-4)
    assert copy.get_layer("a").dtype_policy.name == "float32"
    low = inference_copy(model, "bfloat16")
    for name in ("a", "bn_a", "h", "bn_h"):
        assert low.get_layer(name).dtype_policy.name == "mixed_bfloat16", name
    assert low.get_layer("a").compute_dtype == "bfloat16"
