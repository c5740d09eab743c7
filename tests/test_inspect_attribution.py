"""AttributionInspector: each method against an independent computation, and the sanity checks."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skcnn.inspect import AttributionInspector  # noqa: E402


def _tf():
    import tensorflow as tf

    return tf


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
    tf = _tf()
    x = tf.constant(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = _logit_model(model)(x)
        total = tf.reduce_sum(logits * tf.one_hot(classes, logits.shape[1]))
    return tape.gradient(total, x).numpy()


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
    tf = _tf()
    model = _small_cnn(seed=4)
    a = AttributionInspector(model).gradcam(rng_images, target=2)
    assert a.layer == "c2"
    x = tf.constant(rng_images)
    sub = keras.Model(model.inputs, [model.get_layer("c2").output, model.get_layer("out").input])
    head = _logit_model(model).layers[-1]
    with tf.GradientTape() as tape:
        tape.watch(x)
        maps, flat = sub(x)
        total = tf.reduce_sum(head(flat)[:, 2])
    grads = tape.gradient(total, maps).numpy()
    coarse = np.maximum((maps.numpy() * grads.mean(axis=(1, 2))[:, None, None, :]).sum(axis=3), 0)  # 6x8
    from scipy.ndimage import zoom

    expected = np.stack([zoom(m, (10 / 6, 12 / 8), order=1, grid_mode=False) for m in coarse])
    np.testing.assert_allclose(a.maps, expected, rtol=1e-4, atol=1e-6)
    # Grad-CAM++ with an exponential score, the weights per map normalized as in the authors' code
    A, g = maps.numpy().astype(np.float64), grads.astype(np.float64)
    denominator = 2 * g**2 + A.sum(axis=(1, 2), keepdims=True) * g**3
    alpha = np.divide(g**2, denominator, out=np.zeros_like(g), where=denominator != 0)
    norm = alpha.sum(axis=(1, 2), keepdims=True)
    alpha = np.divide(alpha, norm, out=np.zeros_like(alpha), where=norm != 0)
    weights = (alpha * np.maximum(g, 0)).sum(axis=(1, 2))
    coarse = np.maximum((A * weights[:, None, None, :]).sum(axis=3), 0)
    expected = np.stack([zoom(m, (10 / 6, 12 / 8), order=1, grid_mode=False) for m in coarse])
    np.testing.assert_allclose(AttributionInspector(model).gradcam_plus_plus(rng_images, target=2).maps, expected,
                               rtol=1e-3, atol=1e-6)


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
                                                            target=1, steps=4, fill=b),
                     lambda r: (r.curve, r.random_curve)),
    "insertion_auc": ("fill", lambda i, X, b: i.insertion_auc(X, np.arange(120.0).reshape(1, 10, 12).repeat(5, 0),
                                                              target=1, steps=4, fill=b),
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
