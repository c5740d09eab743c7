"""ActivationInspector and target resolution: activations equal a direct Keras sub-model's outputs."""

import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skcnn.inspect import ActivationInspector  # noqa: E402
from skcnn.inspect._core.model import resolve_model  # noqa: E402
from skcnn.plotting import plot_class_signature, plot_maps, plot_maps_compare, save_figure  # noqa: E402

L = keras.layers

pytestmark = pytest.mark.backend


def _sequential():
    """Never called: ``model.input`` raises in Keras 3."""
    init = keras.initializers.GlorotUniform(0)
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        L.Conv2D(3, 3, activation="relu", kernel_initializer=init),
        L.MaxPooling2D(),
        L.Conv2D(4, 2, activation="relu", kernel_initializer=init),
        L.Flatten(),
        L.Dense(2, activation="softmax"),
    ])


def _functional():
    init = keras.initializers.GlorotUniform(1)
    inputs = keras.Input((8, 8, 1))
    h = L.Conv2D(3, 3, kernel_initializer=init, name="first")(inputs)
    h = L.ReLU(name="relu")(h)
    h = L.AveragePooling2D(2, name="avg")(h)
    outputs = L.Dense(2, name="head")(L.Flatten()(h))
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).normal(size=(7, 8, 8)).astype(np.float32)


def _direct(model, layer_names, x):
    sub = keras.Model(model.inputs[0], [model.get_layer(n).output for n in layer_names])
    out = sub(x.reshape(len(x), 8, 8, 1))
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in (out if isinstance(out, list) else [out])]


def test_never_called_sequential_matches_submodel(images):
    model = _sequential()
    with pytest.raises(AttributeError):
        model.input  # noqa: B018 - the Keras 3 trap the inspector must avoid
    acts = ActivationInspector(model, batch_size=3).activations(images)
    names = [layer.name for layer in model.layers[:3]]
    assert list(acts) == names
    for got, want in zip(acts.values(), _direct(model, names, images)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_functional_model_aliases_and_indices(images):
    model = _functional()
    inspector = ActivationInspector(model)
    acts = inspector.activations(images.reshape(7, -1), layers=["conv1", "pool1", 1, "head"])
    assert list(acts) == ["conv1", "pool1", "relu", "head"]
    want = _direct(model, ["first", "avg", "relu", "head"], images)
    np.testing.assert_allclose(acts["conv1"], want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acts["pool1"], want[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acts["relu"], want[2], rtol=1e-5, atol=1e-6)
    assert acts["head"].shape == (7, 1, 1, 2)  # flat outputs come as 1x1 maps
    np.testing.assert_allclose(acts["head"][:, 0, 0], want[3], rtol=1e-5, atol=1e-6)


def test_pipeline_applies_steps_and_maps_back(mnist_small):
    from skcnn import KerasCNNClassifier

    X, y = mnist_small
    X = X[:120].astype(np.float32)
    pipe = make_pipeline(StandardScaler(), KerasCNNClassifier(conv_filters=(3, 4), dense_units=(8,), epochs=1,
                                                              image_shape=(28, 28, 1), random_state=0))
    pipe.fit(X, y[:120])
    acts = ActivationInspector(pipe).activations(X[:5], layers=["conv1", "conv2"])
    model = pipe[-1].model_
    scaled = pipe[0].transform(X[:5]).reshape(5, 28, 28, 1)
    sub = keras.Model(model.inputs[0], [model.get_layer("conv1").output, model.get_layer("conv2").output])
    want = [np.asarray(keras.ops.convert_to_numpy(o)) for o in sub(scaled)]
    np.testing.assert_allclose(acts["conv1"], want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(acts["conv2"], want[1], rtol=1e-5, atol=1e-5)
    # Images in model space come back to pixel space through the scaler.
    target = resolve_model(pipe)
    np.testing.assert_allclose(target.to_pixels(scaled).reshape(5, -1), X[:5], rtol=1e-4, atol=1e-3)
    # The same images as (n, 28, 28) give the same activations.
    again = ActivationInspector(pipe).activations(X[:5].reshape(5, 28, 28), layers="conv1")["conv1"]
    np.testing.assert_allclose(again, acts["conv1"], rtol=1e-5, atol=1e-5)


def _signed_model():
    """Map 0 sums the 3x3 neighbourhood, map 1 its negative: map 1 is silent for positive images."""
    model = keras.Sequential([keras.Input((5, 5, 1)), L.Conv2D(2, 3, activation="relu", name="c")])
    kernel = np.stack([np.ones((3, 3, 1)), -np.ones((3, 3, 1))], axis=-1)
    model.layers[0].set_weights([kernel, np.zeros(2)])
    return model


def test_class_signature_reports_silent_maps_and_contrast():
    rng = np.random.default_rng(0)
    positive = rng.uniform(0.1, 1.0, size=(6, 25))
    negative = -rng.uniform(0.1, 1.0, size=(4, 25))
    X = np.concatenate([positive, negative])
    y = np.array(["pos"] * 6 + ["neg"] * 4)
    sig = ActivationInspector(_signed_model(), batch_size=4).class_signature(X, y, "c")
    assert sig.classes.tolist() == ["neg", "pos"]
    assert sig.counts.tolist() == [4, 6]
    assert sig.silent["pos"].tolist() == [1]
    assert sig.silent["neg"].tolist() == [0]
    np.testing.assert_allclose(sig.active_fraction, [[0.0, 1.0], [1.0, 0.0]])
    assert sig.mean_points.shape == (2, 3, 3, 2)
    expected = np.maximum(positive.reshape(6, 5, 5)[:, :3, :3].sum(axis=(1, 2)), 0).mean()
    np.testing.assert_allclose(sig.mean_points[1, 0, 0, 0], expected, rtol=1e-5)
    contrast = sig.contrast("pos", "neg")
    assert contrast.only_a.tolist() == [0] and contrast.only_b.tolist() == [1]
    assert contrast.point_difference.shape == (3, 3, 2)
    assert sig.point_active_fraction.shape == (2, 3, 3, 2)
    assert len(contrast.points_only_a) == 9 and set(contrast.points_only_a[:, 2]) == {0}
    with pytest.raises(ValueError, match="class 'zero' is not among"):
        sig.contrast("zero", "pos")
    with pytest.raises(ValueError, match="frequent"):
        sig.contrast("pos", "neg", frequent=2)


def test_common_points():
    X = np.zeros((3, 25))
    X[:, 0] = 1.0  # the top-left pixel is on in every image
    X[0, 24] = 1.0
    common = ActivationInspector(_signed_model()).common_points(X, "c")
    assert common.shape == (3, 3, 2)
    assert common[0, 0, 0] and common[..., 0].sum() == 1 and not common[..., 1].any()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda ins, X: ins.activations(X, layers="conv9"), "layer must be a Keras layer name"),
        (lambda ins, X: ins.activations(X, layers=42), "out of range"),
        (lambda ins, X: ins.activations(X[:, :10]), "values per image"),
        (lambda ins, X: ins.activations(X[:0]), "at least one image"),
        (lambda ins, X: ins.activations(np.full((2, 64), np.nan)), "NaN"),
        (lambda ins, X: ins.activations(X, batch_size=0), "batch_size"),
        (lambda ins, X: ins.class_signature(X, [0, 1], "conv1"), "y must be one label per image"),
        (lambda ins, X: ins.class_signature(X, np.zeros(len(X)), "conv1", threshold=np.nan), "threshold"),
    ],
)
def test_bad_input_raises_value_error(call, match, images):
    with pytest.raises(ValueError, match=match):
        call(ActivationInspector(_sequential()), images.reshape(7, -1))


def test_bad_targets():
    from skcnn import KerasCNNClassifier

    with pytest.raises(ValueError, match="not fitted"):
        ActivationInspector(KerasCNNClassifier())
    with pytest.raises(ValueError, match="keras.Model; got list"):
        ActivationInspector([1, 2])
    unbuilt = keras.Sequential([L.Conv2D(2, 3)])
    with pytest.raises(ValueError, match="never built"):
        ActivationInspector(unbuilt)


def test_import_does_not_load_tensorflow():
    code = "import sys, skcnn, skcnn.inspect, skcnn.plotting; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plots_render(tmp_path, images):
    model = _sequential()
    inspector = ActivationInspector(model)
    acts = inspector.activations(images[:4], layers=["conv1", "conv2"])
    fig = plot_maps(acts["conv1"][0], image=images[0], title="conv1")
    assert len(fig.axes) == 1 + 3
    fig2 = plot_maps_compare(acts["conv2"], labels=["a", "b", "c", "d"], images=images[:4], common_of=[0, 1])
    assert len(fig2.axes) == 8
    sig = inspector.class_signature(images, [0, 0, 0, 1, 1, 1, 1], "conv2")
    fig3 = plot_class_signature(sig)
    for name, f in (("maps", fig), ("compare", fig2), ("signature", fig3)):
        path = save_figure(f, tmp_path / f"{name}.png")
        assert path.stat().st_size > 1000
    with pytest.raises(ValueError, match="one image"):
        plot_maps(acts["conv1"])
    with pytest.raises(ValueError, match="common_of"):
        plot_maps_compare(acts["conv2"], common_of=[9])


def test_signature_and_contrast_print_short():
    from skcnn.inspect import ActivationInspector

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(16, 3, activation="relu", name="c")])
    X = np.random.default_rng(0).normal(size=(12, 64))
    signature = ActivationInspector(model).class_signature(X, np.repeat([0, 1, 2], 4), "c")
    assert "mean_points=float32 (3, 6, 6, 16)" in repr(signature)
    assert "point_difference=float32 (6, 6, 16)" in repr(signature.contrast(0, 1))
    for text in (repr(signature), repr(signature.contrast(0, 1))):
        assert len(text.splitlines()) <= 12 and len(text) < 600
