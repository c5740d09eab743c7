"""Models: any Keras image model behind the inspectors, devices, pixel space."""

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
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng.uniform(0.5, 2.0, w.shape) if "variance" in w.path or "gamma" in w.path
                               else rng.normal(0, 0.5, w.shape) for w in layer.weights])
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
