"""AttributionInspector: each method against an independent computation, and the sanity checks."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skcnn.inspect import AttributionInspector  # noqa: E402

pytestmark = pytest.mark.backend


def _gradient(fn, x):
    """``d sum(fn(x)) / dx`` as NumPy, by the running backend's own autodiff written out (the tests' oracle)."""
    x = np.asarray(x, np.float32)
    backend = keras.backend.backend()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        return np.asarray(jax.grad(lambda t: jnp.sum(fn(t)))(jnp.asarray(x)))
    if backend == "torch":
        import torch

        t = torch.tensor(x, requires_grad=True)
        grad, = torch.autograd.grad(torch.sum(fn(t)), t)
        return grad.numpy()
    import tensorflow as tf

    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        total = tf.reduce_sum(fn(t))
    return tape.gradient(total, t).numpy()


def _numpy(t):
    return np.asarray(keras.ops.convert_to_numpy(t))


def _small_cnn(shape=(10, 12, 1), classes=3, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input(shape),
        keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
        keras.layers.Conv2D(5, 3, activation="relu", name="c2"),
        keras.layers.Flatten(),
        keras.layers.Dense(classes, activation="softmax", name="out"),
    ])


def _logit_model(model):
    """The model up to the last layer's value before its softmax, built independently of the inspector."""
    last = model.layers[-1]
    weights = last.get_weights()
    head = keras.layers.Dense(weights[0].shape[1])
    out = head(last.input)
    head.set_weights(weights)
    return keras.Model(model.inputs, out)


def _direct_gradient(model, x, classes):
    logits = _logit_model(model)
    onehot = np.eye(logits.output.shape[1], dtype=np.float32)[classes]
    return _gradient(lambda t: logits(t) * keras.ops.convert_to_tensor(onehot), x)


@pytest.fixture(scope="module")
def rng_images():
    return np.random.default_rng(0).random((5, 10, 12, 1)).astype(np.float32)


# ------------------------------------------------------------------------- gradients
def test_saliency_of_a_linear_model_is_its_weights():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((5, 6, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(4, activation="softmax")])
    kernel, _ = model.layers[-1].get_weights()
    X = np.random.default_rng(0).random((3, 5, 6, 3))
    inspector = AttributionInspector(model)
    for c in range(4):
        w = kernel[:, c].reshape(5, 6, 3)
        signed = inspector.saliency(X, target=c, absolute=False).maps
        absolute = inspector.saliency(X, target=c).maps
        # the logit's gradient is the weight itself, whatever the image (the probability's would not be)
        np.testing.assert_allclose(signed, np.broadcast_to(w.sum(axis=2), signed.shape), atol=1e-6)
        np.testing.assert_allclose(absolute, np.broadcast_to(np.abs(w).max(axis=2), absolute.shape), atol=1e-6)


def test_saliency_equals_a_direct_gradient_for_the_predicted_class(rng_images):
    model = _small_cnn()
    a = AttributionInspector(model).saliency(rng_images, absolute=False)
    predicted = model.predict(rng_images, verbose=0).argmax(axis=1)
    np.testing.assert_array_equal(a.targets, predicted)
    direct = _direct_gradient(model, rng_images, predicted)
    np.testing.assert_allclose(a.maps, direct.sum(axis=3), rtol=1e-4, atol=1e-6)
    assert a.maps.shape == (5, 10, 12) and a.images.shape == (5, 10, 12, 1)


def test_integrated_gradients_completeness_and_baselines(rng_images):
    model = _small_cnn(seed=3)
    inspector = AttributionInspector(model)
    X = 4 * rng_images
    a = inspector.integrated_gradients(X, target=1, steps=64)
    assert np.all(np.abs(a.completeness_gap) <= 0.01 * np.abs(a.scores - a.baseline_scores))
    for baseline in ("blur", np.full((10, 12), 0.5)):
        # paths that cross more ReLU kinks: within 1% of the typical difference f(x) - f(baseline)
        a = inspector.integrated_gradients(X, target=1, baseline=baseline, steps=256)
        assert np.all(np.abs(a.completeness_gap) <= 0.01 * np.abs(a.scores - a.baseline_scores).mean())
    # the gap is the honest sum: too few steps show a gap that shrinks with more steps
    coarse = inspector.integrated_gradients(X, target=1, baseline="blur", steps=2)
    fine = inspector.integrated_gradients(X, target=1, baseline="blur", steps=256)
    assert np.abs(fine.completeness_gap).sum() < np.abs(coarse.completeness_gap).sum()
    # the midpoint rule, written out: (x - b) times the mean gradient at (k + 0.5) / steps
    steps = 4
    points = np.concatenate([rng_images * (k + 0.5) / steps for k in range(steps)])
    grads = _direct_gradient(model, points, np.ones(len(points), int)).reshape(steps, *rng_images.shape)
    expected = (rng_images * grads.mean(axis=0)).sum(axis=3)
    np.testing.assert_allclose(inspector.integrated_gradients(rng_images, target=1, steps=steps).maps, expected,
                               rtol=1e-4, atol=1e-6)


def test_smoothgrad_seeds_and_the_mean_of_noisy_gradients(rng_images):
    model = _small_cnn(seed=2)
    inspector = AttributionInspector(model, batch_size=16)  # chunks of 2 images for 8 samples
    a = inspector.smoothgrad(rng_images, n_samples=8, random_state=5)
    b = inspector.smoothgrad(rng_images, n_samples=8, random_state=5)
    c = inspector.smoothgrad(rng_images, n_samples=8, random_state=6)
    np.testing.assert_array_equal(a.maps, b.maps)
    assert not np.allclose(a.maps, c.maps)
    no_noise = inspector.smoothgrad(rng_images, n_samples=3, noise=0.0, absolute=False)
    np.testing.assert_allclose(no_noise.maps, inspector.saliency(rng_images, absolute=False).maps, rtol=1e-5,
                               atol=1e-7)


# ---------------------------------------------------------------------------- Grad-CAM
def _quadrant_model(h=16, w=24):
    """Class 1 reads bright pixels in the top-left quadrant only; class 0 reads dark pixels anywhere."""
    model = keras.Sequential([
        keras.Input((h, w, 1)),
        keras.layers.Conv2D(2, 1, activation="relu", use_bias=False, name="detect"),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax", name="out"),
    ])
    model.get_layer("detect").set_weights([np.array([1.0, -1.0]).reshape(1, 1, 1, 2)])
    weights = np.zeros((h, w, 2, 2))
    weights[:h // 2, :w // 2, 0, 1] = 1.0
    weights[:, :, 1, 0] = 1.0
    model.get_layer("out").set_weights([weights.reshape(-1, 2), np.zeros(2)])
    return model


def _quadrant_images(n=6, h=16, w=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-0.05, 0.05, (n, h, w))
    for image in X:
        r, c = rng.integers(0, h // 2 - 4), rng.integers(0, w // 2 - 4)
        image[r:r + 4, c:c + 4] = 1.0  # bright square, top-left quadrant
        for top, left in ((0, w // 2), (h // 2, 0), (h // 2, w // 2)):
            r, c = top + rng.integers(0, h // 2 - 4), left + rng.integers(0, w // 2 - 4)
            image[r:r + 4, c:c + 4] = -1.0  # dark squares elsewhere
    return X


@pytest.mark.parametrize("method", ["gradcam", "gradcam_plus_plus"])
def test_gradcam_finds_the_quadrant_class_1_looks_at(method):
    model, X = _quadrant_model(), _quadrant_images()
    inspector = AttributionInspector(model)
    maps = getattr(inspector, method)(X, target=1).maps
    assert maps.shape == (6, 16, 24)
    share = maps[:, :8, :12].sum(axis=(1, 2)) / maps.sum(axis=(1, 2))
    assert np.all(share >= 0.8), share
    other = getattr(inspector, method)(X, target=0).maps
    assert np.all(other[:, :8, :12].sum(axis=(1, 2)) / other.sum(axis=(1, 2)) < 0.5)


def test_gradcam_equals_a_direct_computation(rng_images):
    model = _small_cnn(seed=4)
    a = AttributionInspector(model).gradcam(rng_images, target=0)
    assert a.layer == "c2"
    assert np.all(a.maps.max(axis=(1, 2)) > 0)  # a class whose maps are not all cut by the ReLU, on every backend
    maps = _numpy(keras.Model(model.inputs, model.get_layer("c2").output)(rng_images))
    head = _logit_model(model).layers[-1]
    grads = _gradient(lambda m: head(model.layers[2](m))[:, 0], maps)  # the layers above c2 (Flatten, Dense)
    coarse = np.maximum((maps * grads.mean(axis=(1, 2))[:, None, None, :]).sum(axis=3), 0)  # 6x8
    from scipy.ndimage import zoom

    expected = np.stack([zoom(m, (10 / 6, 12 / 8), order=1, grid_mode=False) for m in coarse])
    np.testing.assert_allclose(a.maps, expected, rtol=1e-4, atol=1e-6)
    # Grad-CAM++ with an exponential score, the weights per map normalized as in the authors' code
    A, g = maps.astype(np.float64), grads.astype(np.float64)
    denominator = 2 * g**2 + A.sum(axis=(1, 2), keepdims=True) * g**3
    alpha = np.divide(g**2, denominator, out=np.zeros_like(g), where=denominator != 0)
    norm = alpha.sum(axis=(1, 2), keepdims=True)
    alpha = np.divide(alpha, norm, out=np.zeros_like(alpha), where=norm != 0)
    weights = (alpha * np.maximum(g, 0)).sum(axis=(1, 2))
    coarse = np.maximum((A * weights[:, None, None, :]).sum(axis=3), 0)
    expected = np.stack([zoom(m, (10 / 6, 12 / 8), order=1, grid_mode=False) for m in coarse])
    plus = AttributionInspector(model).gradcam_plus_plus(rng_images, target=0).maps
    assert np.all(plus.max(axis=(1, 2)) > 0)
    np.testing.assert_allclose(plus, expected, rtol=1e-3, atol=1e-6)


# --------------------------------------------------------------------------- occlusion
def test_occlusion_equals_a_loop_over_windows(rng_images):
    model = _small_cnn(seed=5)
    a = AttributionInspector(model, batch_size=7).occlusion(rng_images, target=0, window=4, stride=3)
    logits = _logit_model(model)
    base = logits.predict(rng_images, verbose=0)[:, 0]
    total, count = np.zeros((5, 10, 12)), np.zeros((10, 12))
    for top in (0, 3, 6):
        for left in (0, 3, 6, 8):
            covered = rng_images.copy()
            covered[:, top:top + 4, left:left + 4] = 0.0
            drop = base - logits.predict(covered, verbose=0)[:, 0]
            total[:, top:top + 4, left:left + 4] += drop[:, None, None]
            count[top:top + 4, left:left + 4] += 1
    np.testing.assert_allclose(a.maps, total / count, rtol=1e-4, atol=1e-5)


# ------------------------------------------------ baselines and fills: one, a batch of one, one per image
_IMAGE_PARAMETERS = {
    "integrated_gradients": ("baseline", lambda i, X, b: i.integrated_gradients(X, target=1, baseline=b, steps=8),
                             lambda r: (r.maps, r.baseline_scores)),
    "occlusion": ("fill", lambda i, X, b: i.occlusion(X, target=1, window=4, stride=4, fill=b), lambda r: (r.maps,)),
    "deletion_auc": ("fill", lambda i, X, b: i.deletion_auc(X, np.arange(120.0).reshape(1, 10, 12).repeat(5, 0),
                                                            target=1, steps=4, fill=b, random_state=0),
                     lambda r: (r.curve, r.random_curve)),
    "insertion_auc": ("fill", lambda i, X, b: i.insertion_auc(X, np.arange(120.0).reshape(1, 10, 12).repeat(5, 0),
                                                              target=1, steps=4, fill=b, random_state=0),
                      lambda r: (r.curve, r.random_curve)),
}


@pytest.fixture(scope="module")
def image_inspector():
    return AttributionInspector(_small_cnn(seed=7))


@pytest.mark.parametrize("method", list(_IMAGE_PARAMETERS))
def test_one_image_and_a_batch_of_one_are_the_image_repeated_per_image(method, image_inspector, rng_images):
    _, call, values = _IMAGE_PARAMETERS[method]
    b = np.random.default_rng(1).random((10, 12, 1)).astype(np.float32)
    repeated = values(call(image_inspector, rng_images, np.repeat(b[None], 5, axis=0)))
    for form in (b, b[None], b[..., 0], b[None, ..., 0], b.ravel(), b.reshape(1, -1)):
        for got, expected in zip(values(call(image_inspector, rng_images, form)), repeated):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=f"shape {form.shape}")
    # one per image stays one per image: the last image's own baseline is not broadcast
    per_image = np.repeat(b[None], 5, axis=0)
    per_image[-1] = 0.0
    for got, expected in zip(values(call(image_inspector, rng_images, per_image)), repeated):
        np.testing.assert_allclose(got[:-1], expected[:-1], rtol=1e-5, atol=1e-6)
        assert not np.allclose(got[-1], expected[-1])


@pytest.mark.parametrize("method", list(_IMAGE_PARAMETERS))
@pytest.mark.parametrize("shape", [(2, 10, 12, 1), (12, 10, 5), (120, 5), (10, 12, 3), (1, 1, 10, 12, 1), ()])
def test_a_baseline_or_fill_of_another_shape_names_the_parameter(method, shape, image_inspector, rng_images):
    # (12, 10, 5) and (120, 5) hold as many values as five images, but are not images: no silent reshape
    name, call, _ = _IMAGE_PARAMETERS[method]
    with pytest.raises(ValueError, match=rf"^{name} must be one image of shape \(10, 12, 1\), \(10, 12\) or "
                                         rf"\(120,\), a batch of one \(1, 10, 12, 1\) or one per image "
                                         rf"\(5, 10, 12, 1\) \(pixel space\); got shape"):
        call(image_inspector, rng_images, np.zeros(shape))


def test_a_fill_name_that_is_not_known_names_fill(image_inspector, rng_images):
    with pytest.raises(ValueError, match="^fill must be one of"):
        image_inspector.occlusion(rng_images, fill="white")


# ----------------------------------------------------------------------- through a Pipeline
@pytest.fixture(scope="module")
def pipeline(mnist_5k):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skcnn import KerasCNNClassifier

    X, y = mnist_5k.data[:200], mnist_5k.target[:200]
    cnn = KerasCNNClassifier(image_shape=(28, 28, 1), conv_filters=(4, 8), dense_units=(), epochs=1,
                             random_state=0)
    return make_pipeline(StandardScaler(), cnn).fit(X, y), X[:4]


def test_pipeline_maps_are_bare_model_maps_through_the_scaler(pipeline):
    pipe, X = pipeline
    scaler, cnn = pipe[0], pipe[-1]
    through = AttributionInspector(pipe)
    bare = AttributionInspector(cnn.model_)
    scaled = scaler.transform(X).reshape(-1, 28, 28)
    scale = (1.0 / scaler.scale_).reshape(28, 28)
    labels = through.saliency(X).labels
    a = through.saliency(X, absolute=False)
    b = bare.saliency(scaled, target=np.searchsorted(cnn.classes_, labels), absolute=False)
    np.testing.assert_allclose(a.maps, b.maps * scale, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(a.images[..., 0], X.reshape(-1, 28, 28))  # pixel space for display
    # integrated gradients and Grad-CAM do not depend on the parameterization
    ig_a = through.integrated_gradients(X, steps=16)
    ig_b = bare.integrated_gradients(scaled, baseline=scaler.transform(np.zeros((1, 784))).reshape(28, 28),
                                     target=ig_a.targets, steps=16)
    np.testing.assert_allclose(ig_a.maps, ig_b.maps, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(through.gradcam(X).maps, bare.gradcam(scaled).maps, rtol=1e-4, atol=1e-6)


def test_pipeline_baseline_is_a_flat_row_or_a_batch_of_one_in_pixel_space(pipeline):
    pipe, X = pipeline
    inspector = AttributionInspector(pipe)
    black = inspector.integrated_gradients(X, steps=8)  # "black": zeros in pixel space, made by the inspector
    for baseline in (np.zeros(784), np.zeros((1, 784)), np.zeros((28, 28)), np.zeros((1, 28, 28, 1)),
                     np.zeros((4, 784))):
        got = inspector.integrated_gradients(X, target=black.labels, baseline=baseline, steps=8)
        np.testing.assert_allclose(got.maps, black.maps, rtol=1e-5, atol=1e-7, err_msg=f"shape {baseline.shape}")
    with pytest.raises(ValueError, match=r"baseline must be .* one per image \(4, 28, 28, 1\)"):
        inspector.integrated_gradients(X, baseline=np.zeros((2, 784)))


def test_pipeline_with_a_step_that_mixes_pixels_is_refused(pipeline):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipe, X = pipeline
    mixing = make_pipeline(FunctionTransformer(lambda Z: Z[:, ::-1], inverse_func=lambda Z: Z[:, ::-1]), pipe[-1])
    with pytest.raises(ValueError, match="affine map"):
        AttributionInspector(mixing).saliency(X)


def test_targets_are_class_labels_for_a_classifier(pipeline):
    pipe, X = pipeline
    inspector = AttributionInspector(pipe)
    a = inspector.saliency(X, target=pipe.classes_[3])
    assert np.all(a.labels == pipe.classes_[3]) and np.all(a.targets == 3)
    np.testing.assert_array_equal(a.predicted, pipe.predict(X))
    with pytest.raises(ValueError, match="class labels"):
        inspector.saliency(X, target=42)


# ------------------------------------------------------------------------- nested models
def _nested_model():
    keras.utils.set_random_seed(7)
    inner = keras.Sequential([keras.Input((12, 10, 3)), keras.layers.Conv2D(4, 3, activation="relu", name="ic1"),
                              keras.layers.Conv2D(6, 3, activation="relu", name="ic2")], name="backbone")
    inputs = keras.Input((12, 10, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = inner(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs)


def test_a_nested_functional_rgb_model_works():
    model = _nested_model()
    X = np.random.default_rng(0).uniform(0, 255, (4, 12, 10, 3)).astype(np.float32)
    inspector = AttributionInspector(model)
    a = inspector.saliency(X, target=1, absolute=False)
    np.testing.assert_allclose(a.maps, _direct_gradient(model, X, np.ones(4, int)).sum(axis=3), rtol=1e-4,
                               atol=1e-8)
    ig = inspector.integrated_gradients(X, target=1, steps=64)
    assert np.all(np.abs(ig.completeness_gap) <= 0.01 * np.abs(ig.scores - ig.baseline_scores) + 1e-4)
    cam = inspector.gradcam(X)  # the last convolution, inside the nested model
    assert cam.layer == "backbone/ic2" and cam.maps.shape == (4, 12, 10)
    before = model.predict(X, verbose=0)
    r = inspector.randomization_test(X, "gradcam")
    assert r.layers == ["head", "backbone/ic2", "backbone/ic1"]
    np.testing.assert_array_equal(model.predict(X, verbose=0), before)  # the copy was randomized, not the model
    np.testing.assert_array_equal(inspector.gradcam(X).maps, cam.maps)


# ---------------------------------------------------------------------------- checks
def _total_variation(maps):
    maps = maps / maps.sum(axis=(1, 2), keepdims=True)
    return np.abs(np.diff(maps, axis=1)).sum(axis=(1, 2)) + np.abs(np.diff(maps, axis=2)).sum(axis=(1, 2))


_QUICK = {"smoothgrad": {"n_samples": 4, "random_state": 0}, "integrated_gradients": {"steps": 8},
          "occlusion": {"window": 4, "stride": 4}}


@pytest.mark.parametrize("method", ["saliency", "smoothgrad", "integrated_gradients", "gradcam", "gradcam_plus_plus",
                                    "occlusion"])
def test_attribute_by_name_and_the_randomization_test_run_every_method(method, image_inspector, rng_images):
    options = dict(_QUICK.get(method, {}))
    direct = getattr(image_inspector, method)(rng_images, 1, **options)
    by_name = image_inspector.attribute(rng_images, method, 1, **options)
    assert by_name.method == method and np.any(direct.maps != 0)
    np.testing.assert_array_equal(by_name.maps, direct.maps)
    # randomization_test's random_state seeds the initializers, so SmoothGrad's noise is not seeded there
    options.pop("random_state", None)
    r = image_inspector.randomization_test(rng_images, method, target=1, layers=["out"], random_state=0, **options)
    if method != "smoothgrad":
        np.testing.assert_array_equal(r.maps[0], direct.maps)
    assert r.maps.shape == (2, 5, 10, 12) and not np.allclose(r.maps[1], r.maps[0])


def test_checks_on_a_small_model_have_the_right_shapes(rng_images):
    inspector = AttributionInspector(_small_cnn(seed=6))
    r = inspector.randomization_test(rng_images, "gradcam", layers=["out", "c2"])
    assert r.layers == ["out", "c2"] and r.correlations.shape == (2, 5) and r.maps.shape == (3, 5, 10, 12)
    independent = inspector.randomization_test(rng_images, layers="independent")
    assert independent.layers == ["out", "c2", "c1"] and independent.mode == "independent"
    ig = inspector.integrated_gradients(rng_images)
    d = inspector.deletion_auc(rng_images, ig, steps=5)
    assert d.curve.shape == (5, 6) and d.kind == "deletion"
    np.testing.assert_allclose(d.curve[:, 0], d.random_curve[:, 0])  # nothing removed yet
    np.testing.assert_allclose(d.curve[:, -1], d.random_curve[:, -1], rtol=1e-5)  # everything removed
    assert inspector.insertion_auc(rng_images, ig.maps, target=ig.targets, steps=5).kind == "insertion"


@pytest.mark.parametrize("call, match", [
    (lambda i, X: i.attribute(X, "lime"), "method must be one of"),
    (lambda i, X: i.randomization_test(X, "lime"), "method must be one of"),
    (lambda i, X: i.randomization_test(X, layers="bottom-up"), "layers must be"),
    (lambda i, X: i.integrated_gradients(X, baseline="white"), "baseline must be one of"),
    (lambda i, X: i.integrated_gradients(X, baseline=np.zeros((3, 3))), "baseline must be one image"),
    (lambda i, X: i.integrated_gradients(X, steps=0), "steps must be an int"),
    (lambda i, X: i.smoothgrad(X, noise=-1), "noise must be"),
    (lambda i, X: i.saliency(X, target=7), r"class indices in \[0, 3\)"),
    (lambda i, X: i.saliency(X, target=[0, 1]), "one class per image"),
    (lambda i, X: i.gradcam(X, layer="out"), "maps of shape"),
    (lambda i, X: i.occlusion(X, window=11), "window must be at most"),
    (lambda i, X: i.deletion_auc(X, np.zeros((2, 3, 3))), "attribution must be"),
    (lambda i, X: i.saliency(np.zeros((2, 7))), "values per image"),
])
def test_bad_input_raises_value_error(call, match, rng_images):
    with pytest.raises(ValueError, match=match):
        call(AttributionInspector(_small_cnn()), rng_images)


def test_result_repr_is_short(rng_images):
    text = repr(AttributionInspector(_small_cnn()).saliency(rng_images))
    assert "maps=float32 (5, 10, 12)" in text and len(text.splitlines()) <= 12


def test_import_does_not_load_tensorflow():
    import subprocess
    import sys

    code = "import sys, skcnn.inspect; skcnn.inspect.AttributionInspector; print('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


# ----------------------------------------------------------- the series' CNN, trained a little
@pytest.fixture(scope="module")
def series_cnn(mnist_5k):
    from skcnn import KerasCNNClassifier

    X, y = mnist_5k.data[:1500], mnist_5k.target[:1500]
    cnn = KerasCNNClassifier(image_shape=(28, 28, 1), epochs=3, random_state=0).fit(X / 255.0, y)
    return cnn, mnist_5k.data[1500:1516] / 255.0


@pytest.mark.slow
def test_integrated_gradients_completeness_on_the_trained_series_cnn(series_cnn):
    cnn, X = series_cnn
    a = AttributionInspector(cnn).integrated_gradients(X, steps=300)
    assert np.all(np.abs(a.completeness_gap) <= 0.01 * np.abs(a.scores - a.baseline_scores)), \
        np.abs(a.completeness_gap) / np.abs(a.scores - a.baseline_scores)


@pytest.mark.slow
def test_smoothgrad_is_smoother_than_saliency(series_cnn):
    cnn, X = series_cnn
    inspector = AttributionInspector(cnn)
    plain = _total_variation(inspector.saliency(X).maps)
    smooth = _total_variation(inspector.smoothgrad(X, random_state=0).maps)
    assert smooth.mean() < plain.mean()


@pytest.mark.slow
def test_saliency_fails_to_survive_randomizing_the_top_layers(series_cnn):
    cnn, X = series_cnn
    inspector = AttributionInspector(cnn)
    # Adebayo et al. rank the signed maps too: the gradient's sign follows the weights above
    r = inspector.randomization_test(X, "saliency", absolute=False, random_state=0)
    assert r.layers == ["output", "dense1", "conv3", "conv2", "conv1"]
    assert np.all(r.mean_correlation[1:] < 0.5), r.mean_correlation  # from output and dense1 random on
    # the absolute maps keep much of their ranking: on digits they mostly trace the strokes, whatever the weights
    assert np.all(inspector.randomization_test(X, "saliency", random_state=0).mean_correlation > r.mean_correlation)


@pytest.mark.slow
def test_deletion_of_integrated_gradients_beats_a_random_order(series_cnn):
    cnn, X = series_cnn
    inspector = AttributionInspector(cnn)
    d = inspector.deletion_auc(X, inspector.integrated_gradients(X), random_state=0)
    assert d.auc.mean() < d.random_auc.mean()


# ------------------------------------------------------------------------------ any model
def _two_head_model():
    """A trunk with two softmax heads, listed in model.outputs in the reverse of their build order."""
    keras.utils.set_random_seed(11)
    inputs = keras.Input((10, 12, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="c1")(inputs)
    flat = keras.layers.Flatten()(x)
    a = keras.layers.Dense(4, activation="softmax", name="head_a")(flat)
    b = keras.layers.Dense(3, activation="softmax", name="head_b")(flat)
    return keras.Model(inputs, [b, a]), inputs, a, b


def test_several_outputs_explain_the_chosen_head_as_a_model_cut_to_it(rng_images):
    model, inputs, a, b = _two_head_model()
    for output, head, k in (("head_a", a, 4), (1, a, 4), ("head_b", b, 3), (0, b, 3)):
        inspector = AttributionInspector(model, output=output)
        single = AttributionInspector(keras.Model(inputs, head))
        assert inspector.n_classes_ == k
        target = k - 1
        for call in (lambda i: i.saliency(rng_images, target, absolute=False),
                     lambda i: i.integrated_gradients(rng_images, target, steps=8),
                     lambda i: i.gradcam(rng_images, target),
                     lambda i: i.occlusion(rng_images, target, window=4, stride=4)):
            got, expected = call(inspector), call(single)
            np.testing.assert_allclose(got.maps, expected.maps, rtol=1e-5, atol=1e-7, err_msg=str(output))
            np.testing.assert_allclose(got.scores, expected.scores, rtol=1e-5, atol=1e-7)
    # the logit of head_a, written out: the inspector does not explain the last layer (head_b)
    trunk = keras.Model(inputs, model.get_layer("head_a").input)
    kernel, bias = model.get_layer("head_a").get_weights()
    direct = _gradient(lambda t: keras.ops.matmul(trunk(t), kernel[:, 2]) + bias[2], rng_images).sum(axis=3)
    got = AttributionInspector(model, output="head_a").saliency(rng_images, 2, absolute=False).maps
    np.testing.assert_allclose(got, direct, rtol=1e-4, atol=1e-6)


def test_several_outputs_without_output_or_with_a_wrong_target_say_what_is_expected(rng_images):
    model, *_ = _two_head_model()
    with pytest.raises(ValueError, match=r"model has 2 outputs \(0: 'head_b' \(3,\), 1: 'head_a' \(4,\)\); "
                                         r"choose the one to explain with output="):
        AttributionInspector(model)
    with pytest.raises(ValueError, match=r"^output must be the name or index of one of the model's outputs"):
        AttributionInspector(model, output="head_c")
    with pytest.raises(ValueError, match=r"target must hold class indices in \[0, 3\) for the model's output "
                                         r"'head_b' of 3 class scores; got 3\.$"):
        AttributionInspector(model, output="head_b").saliency(rng_images, target=3)
    # head_a has 4 classes: 3 is a valid target there
    assert AttributionInspector(model, output="head_a").saliency(rng_images, target=3).targets.tolist() == [3] * 5


def test_a_feature_map_output_is_refused_at_construction_naming_what_is_expected():
    conv = keras.Sequential([keras.Input((10, 12, 1)), keras.layers.Conv2D(3, 3, name="maps")])
    with pytest.raises(ValueError, match=r"^model's output 'maps' gives values of shape \(8, 10, 3\) per image; "
                                         r"attribution explains a vector of class scores per image, shape "
                                         r"\(n_classes,\): give a model with a classification head"):
        AttributionInspector(conv)
    inputs = keras.Input((10, 12, 1))
    x = keras.layers.Conv2D(3, 3, name="maps")(inputs)
    scores = keras.layers.Dense(2, name="scores")(keras.layers.GlobalAveragePooling2D()(x))
    two = keras.Model(inputs, [x, scores])
    with pytest.raises(ValueError, match=r"output 'maps' .* choose another output with output="):
        AttributionInspector(two, output="maps")
    assert AttributionInspector(two, output="scores").n_classes_ == 2


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, r"^batch_size must be an int >= 1, got 0"),
    ({"batch_size": 2.5}, r"^batch_size must be an int >= 1"),
    ({"output": 3}, r"^output must be the name or index of one of the model's outputs \(0: 'out' \(3,\)\)"),
    ({"device": "tpu"}, r"^device must be one of"),
])
def test_constructor_parameters_are_checked_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AttributionInspector(_small_cnn(), **kwargs)


class _Subclassed(keras.Model):
    """A network written as a subclass: Keras knows no graph of it before it is called."""

    def __init__(self):
        super().__init__()
        self.conv = keras.layers.Conv2D(4, 3, activation="relu")
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.dense = keras.layers.Dense(3)

    def call(self, x):
        return self.dense(self.pool(self.conv(x)))


def test_a_subclassed_model_gets_saliency_smoothgrad_integrated_gradients_and_occlusion(rng_images):
    keras.utils.set_random_seed(12)
    net = _Subclassed()
    net(rng_images[:1])  # built by a call
    inspector = AttributionInspector(net)
    direct = _gradient(lambda t: net(t)[:, 1], rng_images)
    saliency = inspector.saliency(rng_images, target=1, absolute=False)
    np.testing.assert_allclose(saliency.maps, direct.sum(axis=3), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(saliency.scores, _numpy(net(rng_images))[:, 1], rtol=1e-5, atol=1e-6)
    smooth = inspector.smoothgrad(rng_images, target=1, n_samples=4, noise=0.0, absolute=False)
    np.testing.assert_allclose(smooth.maps, direct.sum(axis=3), rtol=1e-4, atol=1e-7)
    ig = inspector.integrated_gradients(rng_images, target=1, steps=64)
    assert np.all(np.abs(ig.completeness_gap) <= 0.01 * np.abs(ig.scores - ig.baseline_scores) + 1e-5)
    occluded = rng_images.copy()
    occluded[:, :5, :5] = 0.0
    drop = _numpy(net(rng_images))[:, 1] - _numpy(net(occluded))[:, 1]
    maps = inspector.occlusion(rng_images, target=1, window=5, stride=5).maps  # windows 0:5 x {0:5, 5:10, 7:12}
    np.testing.assert_allclose(maps[:, :5, :5], np.broadcast_to(drop[:, None, None], (5, 5, 5)), rtol=1e-4,
                               atol=1e-6)


# --------------------------------------------------------------------- randomization
def _prelu_network():
    keras.utils.set_random_seed(13)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(3, 3, name="c1"),
        keras.layers.PReLU(shared_axes=[1, 2], name="p1"),  # alphas (1, 1, 3)
        keras.layers.Flatten(),
        keras.layers.Dense(6, name="d1"),
        keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.3), name="p2"),  # alphas (6,)
        keras.layers.Dense(3, kernel_initializer=keras.initializers.Constant(0.1), name="out"),
    ])
    rng = np.random.default_rng(0)
    for layer in model.layers:  # "trained" weights, none at its initializer's value
        layer.set_weights([rng.normal(0.5, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()])
    return model


def _direct_saliency(model, X, target):
    return _gradient(lambda t: model(t)[:, target], X).sum(axis=3)


def test_randomization_uses_each_layers_own_initializer_and_covers_every_layer_with_weights():
    from scipy.stats import spearmanr

    model = _prelu_network()
    X = np.random.default_rng(1).normal(size=(4, 8, 8, 1)).astype(np.float32)
    inspector = AttributionInspector(model)
    trained = [w.copy() for w in model.get_weights()]
    # out's kernel back to its Constant(0.1), its bias to zeros, p2's alphas to Constant(0.3): a copy written by hand
    r = inspector.randomization_test(X, "saliency", target=0, layers=["out", "p2"], absolute=False)
    expected = keras.models.clone_model(model)
    expected.set_weights(trained)
    expected.get_layer("out").set_weights([np.full((6, 3), 0.1, np.float32), np.zeros(3, np.float32)])
    expected.get_layer("p2").set_weights([np.full(6, 0.3, np.float32)])
    np.testing.assert_allclose(r.maps[2], _direct_saliency(expected, X, 0), rtol=1e-4, atol=1e-6)
    # then p1's alphas at the default initializer's zeros
    r = inspector.randomization_test(X, "saliency", target=0, layers=["out", "p2", "p1"], absolute=False)
    expected.get_layer("p1").set_weights([np.zeros((1, 1, 3), np.float32)])
    np.testing.assert_allclose(r.maps[3], _direct_saliency(expected, X, 0), rtol=1e-4, atol=1e-6)
    for got, want in zip(model.get_weights(), trained):  # the model itself is untouched
        np.testing.assert_array_equal(got, want)
    # every layer with weights, both PReLUs included, top down; each stage changes the maps
    r = inspector.randomization_test(X, "integrated_gradients", random_state=3, steps=16)
    assert r.layers == ["out", "p2", "d1", "p1", "c1"] and r.maps.shape == (6, 4, 8, 8)
    assert all(not np.allclose(r.maps[k], r.maps[k + 1]) for k in range(5))
    # signed and absolute rank correlations, each against scipy's Spearman
    for k in range(5):
        for i in range(4):
            signed = spearmanr(r.maps[0, i].ravel(), r.maps[k + 1, i].ravel()).statistic
            absolute = spearmanr(np.abs(r.maps[0, i]).ravel(), np.abs(r.maps[k + 1, i]).ravel()).statistic
            np.testing.assert_allclose([r.correlations[k, i], r.absolute_correlations[k, i]], [signed, absolute],
                                       atol=1e-10)
    assert not np.allclose(r.correlations, r.absolute_correlations)
    np.testing.assert_allclose(r.mean_absolute_correlation, r.absolute_correlations.mean(axis=1))


def test_randomization_draws_follow_random_state():
    model = _prelu_network()
    X = np.random.default_rng(1).normal(size=(3, 8, 8, 1)).astype(np.float32)
    inspector = AttributionInspector(model)
    a, b, c = (inspector.randomization_test(X, layers=["out", "d1"], random_state=s) for s in (4, 4, 5))
    np.testing.assert_array_equal(a.maps, b.maps)
    assert not np.allclose(a.maps[2], c.maps[2])



def test_randomization_seeds_the_methods_own_draws_through_method_options():
    # random_state seeds the initializers; SmoothGrad's noise is seeded by method_options alone
    model = _prelu_network()
    X = np.random.default_rng(1).normal(size=(2, 8, 8, 1)).astype(np.float32)
    inspector = AttributionInspector(model)
    a, b, c = (inspector.randomization_test(X, "smoothgrad", layers=["out"], random_state=4, n_samples=3,
                                            method_options={"random_state": s}) for s in (7, 7, 8))
    np.testing.assert_array_equal(a.maps, b.maps)
    assert not np.allclose(a.maps[0], c.maps[0])
    with pytest.raises(TypeError, match="method_options"):
        inspector.randomization_test(X, "smoothgrad", method_options=[("random_state", 0)])


# --------------------------------------------------------------------------- fills
@pytest.mark.parametrize("fill", ["mean", "blur", "black"])
def test_deletion_and_insertion_fills_against_a_direct_computation(fill):
    from scipy.ndimage import gaussian_filter

    keras.utils.set_random_seed(14)
    model = keras.Sequential([keras.Input((8, 10, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    X = np.random.default_rng(2).random((3, 8, 10, 3)).astype(np.float32)
    maps = np.random.default_rng(3).random((3, 8, 10))
    if fill == "mean":
        filled = np.broadcast_to(X.mean(axis=(1, 2), keepdims=True), X.shape)
    elif fill == "blur":
        filled = gaussian_filter(X, sigma=(0, 10 / 8, 10 / 8, 0), mode="nearest")
    else:
        filled = np.zeros_like(X)
    inspector = AttributionInspector(model)
    deletion = inspector.deletion_auc(X, maps, target=2, steps=4, fill=fill)
    insertion = inspector.insertion_auc(X, maps, target=2, steps=4, fill=fill)
    order = np.argsort(-maps.reshape(3, -1), axis=1)
    for k, count in enumerate([0, 20, 40, 60, 80]):
        hidden = np.zeros((3, 80), bool)
        np.put_along_axis(hidden, order[:, :count], True, axis=1)
        hidden = hidden.reshape(3, 8, 10, 1)
        removed = np.where(hidden, filled, X)
        revealed = np.where(hidden, X, filled)
        np.testing.assert_allclose(deletion.curve[:, k], model.predict(removed, verbose=0)[:, 2], rtol=1e-4)
        np.testing.assert_allclose(insertion.curve[:, k], model.predict(revealed, verbose=0)[:, 2], rtol=1e-4)


def test_the_default_fill_is_the_blur():
    import inspect as python_inspect

    for method in (AttributionInspector.deletion_auc, AttributionInspector.insertion_auc):
        assert python_inspect.signature(method).parameters["fill"].default == "blur"


@pytest.mark.slow
def test_with_the_default_fill_saliency_and_ig_beat_random_order_on_real_photo_patches():
    from sklearn.datasets import load_sample_images

    photos = [image.astype(np.float32) / 255.0 for image in load_sample_images().images]  # china, flower
    rng = np.random.default_rng(0)
    X, y = [], []
    for _ in range(564):  # 24x24 patches, every other pixel of a 48x48 crop; the class is the photo
        label = int(rng.integers(2))
        photo = photos[label]
        r, c = rng.integers(0, photo.shape[0] - 48), rng.integers(0, photo.shape[1] - 48)
        X.append(photo[r:r + 48:2, c:c + 48:2])
        y.append(label)
    X, y = np.stack(X), np.array(y)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((24, 24, 3)), keras.layers.Conv2D(8, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Conv2D(16, 3, activation="relu"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X[:500], y[:500], epochs=8, batch_size=32, verbose=0)
    test = X[500:]
    assert (model.predict(test, verbose=0).argmax(axis=1) == y[500:]).mean() > 0.8
    inspector = AttributionInspector(model)
    for attribution in (inspector.saliency(test), inspector.integrated_gradients(test)):
        d = inspector.deletion_auc(test, attribution)
        assert d.auc.mean() < d.random_auc.mean(), (attribution.method, d.auc.mean(), d.random_auc.mean())
