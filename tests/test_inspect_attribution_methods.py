"""The six later attribution methods, each against a computation written out in NumPy here.

Gradient x Input, Guided Backprop, LayerCAM, Score-CAM, RISE and KernelSHAP on
tiny networks whose forward pass and gradients are written by hand below.
"""

import itertools
import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skcnn.inspect import AttributionInspector  # noqa: E402
from skcnn.inspect._core.model import InspectedModel  # noqa: E402

pytestmark = pytest.mark.backend


# ----------------------------------------------------------------------------- NumPy oracle
def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _conv_relu(x, kernel, bias):
    """A 'valid' convolution with stride 1, then a ReLU: ``(n, h, w, c) -> (n, h - kh + 1, w - kw + 1, f)``."""
    kh, kw = kernel.shape[:2]
    n, h, w, _ = x.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, kernel.shape[3]))
    for i, j in itertools.product(range(kh), range(kw)):
        out += np.einsum("nhwc,cf->nhwf", x[:, i:i + h - kh + 1, j:j + w - kw + 1], kernel[i, j])
    return np.maximum(out + bias, 0.0)


def _corner_upsample(a, size):
    """Bilinear upsampling of ``a`` (n, p, q) to ``size`` with the corners of both grids on each other."""
    def weights(n_out, n_in):
        m = np.zeros((n_out, n_in))
        for i in range(n_out):
            t = i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
            lo = min(int(t), n_in - 1)
            hi = min(lo + 1, n_in - 1)
            m[i, lo] += 1 - (t - lo)
            m[i, hi] += t - lo
        return m

    return np.einsum("ip,npq,jq->nij", weights(size[0], a.shape[1]), a, weights(size[1], a.shape[2]))


def _half_pixel_upsample(a, size):
    """Bilinear resize of one grid ``a`` (p, q) to ``size``: pixel centres aligned, edges held."""
    p, q = a.shape
    out = np.zeros(size)
    for i, j in itertools.product(range(size[0]), range(size[1])):
        y = min(max((i + 0.5) * p / size[0] - 0.5, 0.0), p - 1.0)
        x = min(max((j + 0.5) * q / size[1] - 0.5, 0.0), q - 1.0)
        y0, x0 = int(y), int(x)
        y1, x1 = min(y0 + 1, p - 1), min(x0 + 1, q - 1)
        dy, dx = y - y0, x - x0
        out[i, j] = ((1 - dy) * (1 - dx) * a[y0, x0] + (1 - dy) * dx * a[y0, x1] + dy * (1 - dx) * a[y1, x0]
                     + dy * dx * a[y1, x1])
    return out


def _two_layer(shape=(8, 8, 1), maps=3, classes=2, softmax=True, seed=0):
    """Conv2D(relu) -> Flatten -> Dense, and its weights for the NumPy forward pass."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape), keras.layers.Conv2D(maps, 3, activation="relu", name="c"),
                              keras.layers.Flatten(),
                              keras.layers.Dense(classes, activation="softmax" if softmax else None, name="out")])
    rng = np.random.default_rng(seed)
    kernel, bias = rng.normal(size=(3, 3, shape[2], maps)), rng.normal(scale=0.3, size=maps)
    dense = rng.normal(size=((shape[0] - 2) * (shape[1] - 2) * maps, classes))
    model.get_layer("c").set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    model.get_layer("out").set_weights([dense.astype(np.float32), np.zeros(classes, np.float32)])
    return model, (kernel, bias, dense)


def _two_layer_forward(x, weights):
    """``(maps, logits)`` of :func:`_two_layer` in NumPy."""
    kernel, bias, dense = weights
    maps = _conv_relu(x, kernel, bias)
    return maps, maps.reshape(len(x), -1) @ dense


def _linear(shape=(8, 8, 1), classes=3, activation="softmax", seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape), keras.layers.Flatten(),
                              keras.layers.Dense(classes, activation=activation)])
    kernel, bias = model.layers[-1].get_weights()
    model.layers[-1].set_weights([kernel, np.linspace(-0.5, 0.5, classes).astype(np.float32)])
    return model, kernel.astype(np.float64), model.layers[-1].get_weights()[1].astype(np.float64)


def _images(n=3, shape=(8, 8, 1), seed=0):
    return np.random.default_rng(seed).random((n,) + shape).astype(np.float32)


def _scaled(model, X, seed=1):
    """The model behind a StandardScaler fitted on other images, and that scaler."""
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    scaler = StandardScaler().fit(rng.random((20, X[0].size)) * 3.0 + 1.0)
    return InspectedModel(model, [scaler]), scaler


# ------------------------------------------------------------------------- gradient x input
def test_gradient_x_input_of_a_linear_model_is_weights_times_input_and_integrated_gradients():
    model, w, _ = _linear(shape=(5, 6, 3))
    X = _images(4, (5, 6, 3), seed=2)
    inspector = AttributionInspector(model)
    a = inspector.gradient_x_input(X, target=2)
    expected = (w[:, 2].reshape(5, 6, 3) * X).sum(axis=3)
    np.testing.assert_allclose(a.maps, expected, rtol=1e-5, atol=1e-6)
    ig = inspector.integrated_gradients(X, target=2, baseline="black", steps=3)
    np.testing.assert_allclose(a.maps, ig.maps, rtol=1e-5, atol=1e-6)
    assert a.method == "gradient_x_input" and np.any(a.maps < 0)  # signed


def test_gradient_x_input_through_a_scaler_is_the_raw_pixel_gradient_times_the_raw_pixels():
    model, w, _ = _linear()
    X = _images(3)
    resolved, scaler = _scaled(model, X)
    a = AttributionInspector(resolved).gradient_x_input(X.reshape(3, -1), target=0)
    expected = (w[:, 0] / scaler.scale_ * X.reshape(3, -1)).reshape(3, 8, 8)
    np.testing.assert_allclose(a.maps, expected, rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------------- guided backprop
_W1 = np.random.default_rng(3).normal(size=(16, 5))
_B1 = np.array([0.5, -0.3, 0.2, -0.1, 0.4])
_W2 = np.random.default_rng(4).normal(size=(5, 3))


def _dense_relu_dense(form):
    """Input (4, 4, 1) -> hidden 5 units with a ReLU -> 3 logits, the ReLU written in ``form``."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4, 4, 1))
    flat = keras.layers.Flatten()(inputs)
    if form == "conv":  # a 4 x 4 convolution over a 4 x 4 image is the dense layer
        hidden = keras.layers.Flatten()(keras.layers.Conv2D(5, 4, activation="relu", name="h")(inputs))
    elif form == "nested":
        block = keras.Sequential([keras.Input((16,)), keras.layers.Dense(5, activation="relu", name="h")],
                                 name="block")
        hidden = block(flat)
    else:
        dense = keras.layers.Dense(5, activation="relu" if form == "dense" else None, name="h")(flat)
        after = {"dense": None, "relu_layer": keras.layers.ReLU(name="r"),
                 "capped_relu_layer": keras.layers.ReLU(max_value=0.5, name="r"),
                 "activation_layer": keras.layers.Activation("relu", name="r")}[form]
        hidden = dense if after is None else after(dense)
    outputs = keras.layers.Dense(3, name="out")(hidden)
    model = keras.Model(inputs, outputs)
    h = next(layer for layer in InspectedModel(model).layers if layer.name == "h")
    h.set_weights([_W1.reshape(h.get_weights()[0].shape).astype(np.float32), _B1.astype(np.float32)])
    model.get_layer("out").set_weights([_W2.astype(np.float32), np.zeros(3, np.float32)])
    return model


@pytest.mark.parametrize("form", ["dense", "relu_layer", "capped_relu_layer", "activation_layer", "nested", "conv"])
def test_guided_backprop_equals_a_gradient_written_out_and_differs_from_the_gradient(form):
    model = _dense_relu_dense(form)
    X = np.random.default_rng(5).normal(size=(6, 4, 4, 1)).astype(np.float32)
    before = np.asarray(model.predict(X, verbose=0))
    inspector = AttributionInspector(model)
    guided = inspector.guided_backprop(X, target=1, absolute=False).maps.reshape(6, 16)
    plain = inspector.saliency(X, target=1, absolute=False).maps.reshape(6, 16)

    pre = X.reshape(6, 16).astype(np.float64) @ _W1 + _B1
    passes = (pre > 0) & (pre < 0.5) if form == "capped_relu_layer" else pre > 0
    upstream = np.broadcast_to(_W2[:, 1], pre.shape)
    np.testing.assert_allclose(guided, (np.maximum(upstream, 0) * passes) @ _W1.T, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(plain, (upstream * passes) @ _W1.T, rtol=1e-4, atol=1e-5)
    assert not np.allclose(guided, plain, atol=1e-3)
    # the network is as it was: same outputs, the ReLUs back in place
    np.testing.assert_allclose(model.predict(X, verbose=0), before, rtol=1e-6)
    for layer in InspectedModel(model).layers:
        assert "call" not in layer.__dict__
        if layer.name == "h" and form not in ("relu_layer", "capped_relu_layer", "activation_layer"):
            assert layer.activation is keras.activations.relu


def test_guided_backprop_absolute_is_the_absolute_value_for_one_channel():
    model, _ = _two_layer(seed=2)
    X = _images(2)
    inspector = AttributionInspector(model)
    signed = inspector.guided_backprop(X, target=0, absolute=False)
    np.testing.assert_allclose(inspector.guided_backprop(X, target=0).maps, np.abs(signed.maps), rtol=1e-6)


# ------------------------------------------------------------------------------ LayerCAM
def test_layercam_by_its_definition_on_a_two_layer_network():
    model, weights = _two_layer()
    X = _images(4)
    a = AttributionInspector(model).layercam(X, target=1)
    maps, _ = _two_layer_forward(X.astype(np.float64), weights)
    gradient = weights[2][:, 1].reshape(6, 6, 3)  # d logit_1 / d maps: the dense weights, in flatten order
    coarse = np.maximum((np.maximum(gradient, 0)[None] * maps).sum(axis=3), 0.0)
    np.testing.assert_allclose(a.maps, _corner_upsample(coarse, (8, 8)), rtol=1e-4, atol=1e-5)
    assert a.layer == "c" and a.method == "layercam"
    gradcam = (gradient.mean(axis=(0, 1)) * maps).sum(axis=3)  # Grad-CAM differs: one weight per map
    assert not np.allclose(a.maps, _corner_upsample(np.maximum(gradcam, 0), (8, 8)), atol=1e-3)


# ------------------------------------------------------------------------------ Score-CAM
def _scorecam_by_definition(X_pixels, weights, to_model=lambda p: p):
    maps, logits = _two_layer_forward(to_model(X_pixels), weights)
    targets = logits.argmax(axis=1)
    n, k = len(X_pixels), maps.shape[3]
    scores = np.zeros((n, k))
    for c in range(k):
        up = _corner_upsample(maps[..., c], X_pixels.shape[1:3])
        low, high = up.min(axis=(1, 2), keepdims=True), up.max(axis=(1, 2), keepdims=True)
        h = np.where(high > low, (up - low) / np.where(high > low, high - low, 1.0), 0.0)
        _, masked_logits = _two_layer_forward(to_model(X_pixels * h[..., None]), weights)
        scores[:, c] = _softmax(masked_logits)[np.arange(n), targets]
    w = _softmax(scores, axis=1)
    return _corner_upsample(np.maximum(np.einsum("nijk,nk->nij", maps, w), 0.0), X_pixels.shape[1:3])


@pytest.mark.parametrize("batch_size", [None, 3])  # 3: one channel per call, the channels in chunks
def test_scorecam_by_its_definition_on_a_two_layer_network(batch_size):
    model, weights = _two_layer(maps=4, seed=1)
    X = _images(5, seed=3)
    a = AttributionInspector(model, batch_size=batch_size).scorecam(X)
    np.testing.assert_allclose(a.maps, _scorecam_by_definition(X.astype(np.float64), weights), rtol=1e-4, atol=1e-6)
    assert a.layer == "c" and np.any(a.maps > 0)


def test_scorecam_through_a_scaler_masks_the_raw_pixels():
    model, weights = _two_layer(maps=4, seed=1)
    X = _images(3, seed=4) * 2.0 + 1.0
    resolved, scaler = _scaled(model, X)
    a = AttributionInspector(resolved).scorecam(X.reshape(3, -1))

    def to_model(p):
        return scaler.transform(p.reshape(len(p), -1)).reshape(p.shape)

    np.testing.assert_allclose(a.maps, _scorecam_by_definition(X.astype(np.float64), weights, to_model),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(a.images[..., 0], X[..., 0])


# ---------------------------------------------------------------------------------- RISE
def test_rise_keeping_every_cell_gives_the_class_probability_everywhere():
    model, _ = _two_layer(seed=2)
    X = _images(3, seed=5)
    a = AttributionInspector(model).rise(X, n_masks=7, grid=3, keep=1.0, random_state=0)
    p = np.asarray(model.predict(X, verbose=0))
    expected = p[np.arange(3), p.argmax(axis=1)][:, None, None] * np.ones((1, 8, 8))
    np.testing.assert_allclose(a.maps, expected, rtol=1e-5)


@pytest.mark.parametrize("batch_size", [None, 16])  # 16: the masks in chunks of 15
def test_rise_of_a_linear_output_is_the_expectation_over_its_masks(batch_size):
    from skcnn.inspect.attribution import _rise_draws

    model, w, b = _linear(shape=(8, 10, 1), activation=None)
    X = _images(3, (8, 10, 1), seed=6)
    n_masks, grid, keep = 40, 3, 0.4
    a = AttributionInspector(model, batch_size=batch_size).rise(X, target=2, n_masks=n_masks, grid=grid, keep=keep,
                                                                random_state=11)
    cells = (math.ceil(8 / grid), math.ceil(10 / grid))
    grids, shifts = _rise_draws(np.random.default_rng(11), n_masks, grid, keep, cells)
    expected = np.zeros((3, 8, 10))
    for g, (dy, dx) in zip(grids, shifts):
        mask = _half_pixel_upsample(g, ((grid + 1) * cells[0], (grid + 1) * cells[1]))[dy:dy + 8, dx:dx + 10]
        f = (X[..., 0] * mask).reshape(3, -1) @ w[:, 2] + b[2]  # the output is linear: f(x * M) = w . (x * M) + b
        expected += f[:, None, None] * mask
    np.testing.assert_allclose(a.maps, expected / (n_masks * keep), rtol=1e-4, atol=1e-5)


def test_rise_seeds_reproduce_and_differ():
    model, _ = _two_layer(seed=2)
    inspector = AttributionInspector(model)
    X = _images(2)
    one = inspector.rise(X, n_masks=30, grid=3, random_state=4).maps
    np.testing.assert_array_equal(one, inspector.rise(X, n_masks=30, grid=3, random_state=4).maps)
    assert not np.allclose(one, inspector.rise(X, n_masks=30, grid=3, random_state=5).maps)


# ---------------------------------------------------------------------------- KernelSHAP
def _grid_labels(h, w, cell):
    return (np.arange(h)[:, None] // cell) * math.ceil(w / cell) + np.arange(w)[None] // cell


def _linear_shapley_maps(w_c, X, base, labels):
    """For a linear logit, superpixel j's Shapley value is ``w . (x - b)`` over its pixels; spread over its size."""
    contribution = (w_c.reshape(X.shape[1:]) * (X - base)).sum(axis=3)  # per pixel
    maps = np.zeros(contribution.shape)
    for i in range(len(X)):
        for label in np.unique(labels[i]):
            inside = labels[i] == label
            maps[i][inside] = contribution[i][inside].sum() / inside.sum()
    return maps


@pytest.mark.parametrize("baseline", ["black", "mean"])
def test_kernel_shap_of_a_linear_model_is_its_exact_shapley_values(baseline):
    model, w, _ = _linear(shape=(8, 8, 2))
    X = _images(3, (8, 8, 2), seed=7)
    # 16 superpixels: 65534 coalitions, 60 drawn
    a = AttributionInspector(model).kernel_shap(X, target=1, cell=2, n_samples=60, baseline=baseline,
                                                random_state=0)
    base = np.zeros_like(X) if baseline == "black" else np.broadcast_to(X.mean(axis=(1, 2), keepdims=True), X.shape)
    labels = np.broadcast_to(_grid_labels(8, 8, 2), (3, 8, 8))
    np.testing.assert_allclose(a.maps, _linear_shapley_maps(w[:, 1], X, base, labels), rtol=1e-3, atol=1e-4)
    logits = (X.reshape(3, -1) - base.reshape(3, -1)) @ w[:, 1]
    np.testing.assert_allclose(a.scores - a.baseline_scores, logits, rtol=1e-4, atol=1e-5)


def test_kernel_shap_with_a_segmentation_per_image_and_through_a_scaler():
    model, w, _ = _linear(shape=(6, 6, 1))
    X = _images(3, (6, 6, 1), seed=8) + 0.5
    rng = np.random.default_rng(0)
    segments = np.stack([rng.integers(0, k, (6, 6)) * 7 - 3 for k in (2, 5, 9)])  # any integer labels
    resolved, scaler = _scaled(model, X)
    a = AttributionInspector(resolved).kernel_shap(X.reshape(3, -1), target=0, segments=segments, n_samples=300,
                                                   random_state=1)
    w_raw = w[:, 0] / scaler.scale_  # the logit's weights on the raw pixels; black = raw zeros
    np.testing.assert_allclose(a.maps, _linear_shapley_maps(w_raw, X, np.zeros_like(X), segments),
                               rtol=1e-3, atol=1e-4)
    one = AttributionInspector(model).kernel_shap(X, target=0, segments=segments[1], n_samples=40, random_state=1)
    np.testing.assert_allclose(one.maps, _linear_shapley_maps(w[:, 0], X, 0 * X, segments[[1, 1, 1]]),
                               rtol=1e-3, atol=1e-4)


def _exact_shapley(value, m):
    """Shapley values from the value function ``value(coalition) -> (n,)`` by the sum over subsets."""
    out = []
    for j in range(m):
        phi = 0.0
        others = [k for k in range(m) if k != j]
        for size in range(m):
            for subset in itertools.combinations(others, size):
                with_j = np.zeros(m)
                with_j[list(subset) + [j]] = 1
                without = with_j.copy()
                without[j] = 0
                weight = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
                phi = phi + weight * (value(with_j) - value(without))
        out.append(phi)
    return np.stack(out, axis=1)


def test_kernel_shap_enumerates_few_superpixels_and_gives_the_exact_shapley_values():
    model, weights = _two_layer(shape=(8, 8, 1), maps=3, classes=3, seed=5)
    X = _images(3, seed=9)
    base = np.full((8, 8, 1), 0.3, np.float32)
    a = AttributionInspector(model).kernel_shap(X, cell=4, baseline=base, random_state=0)  # 4 superpixels
    labels = _grid_labels(8, 8, 4)
    _, logits = _two_layer_forward(X.astype(np.float64), weights)
    targets = logits.argmax(axis=1)

    def value(z):
        present = z[labels][None, ..., None]
        _, out = _two_layer_forward(present * X + (1 - present) * base, weights)
        return out[np.arange(3), targets]

    phi = _exact_shapley(value, 4)
    expected = phi[:, labels] / 16.0  # each superpixel holds 16 pixels
    np.testing.assert_allclose(a.maps, expected, rtol=1e-3, atol=1e-4)
    assert np.allclose(a.completeness_gap, 0, atol=1e-4)


def test_kernel_shap_sums_to_the_logit_difference_on_a_nonlinear_model_and_seeds_reproduce():
    model, weights = _two_layer(shape=(8, 8, 1), maps=3, classes=3, seed=6)
    X = _images(4, seed=10)
    inspector = AttributionInspector(model, batch_size=8)  # the coalitions in chunks of 7
    a = inspector.kernel_shap(X, target=2, cell=2, n_samples=30, baseline="blur", random_state=3)
    from scipy.ndimage import gaussian_filter

    _, full = _two_layer_forward(X.astype(np.float64), weights)
    _, empty = _two_layer_forward(gaussian_filter(X.astype(np.float64), sigma=(0, 1, 1, 0), mode="nearest"), weights)
    np.testing.assert_allclose(a.maps.sum(axis=(1, 2)), full[:, 2] - empty[:, 2], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(a.baseline_scores, empty[:, 2], rtol=1e-4, atol=1e-5)
    assert np.all(np.abs(a.completeness_gap) < 1e-4)
    np.testing.assert_array_equal(a.maps, inspector.kernel_shap(X, target=2, cell=2, n_samples=30, baseline="blur",
                                                                random_state=3).maps)
    other = inspector.kernel_shap(X, target=2, cell=2, n_samples=30, baseline="blur", random_state=4)
    assert not np.allclose(a.maps, other.maps)


def test_kernel_shap_draws_coalition_sizes_with_the_kernels_mass_and_features_uniformly():
    from skcnn.inspect.attribution import _coalitions

    m, n = 16, 40000  # 65534 coalitions: drawn
    z, weights = _coalitions(m, n, np.random.default_rng(0))
    sizes = z.sum(axis=1).astype(int)
    kernel = {s: (m - 1) / (math.comb(m, s) * s * (m - s)) for s in range(1, m)}
    mass = np.array([math.comb(m, s) * kernel[s] for s in range(1, m)])
    frequency = np.bincount(sizes, minlength=m)[1:] / n
    np.testing.assert_allclose(frequency, mass / mass.sum(), atol=0.01)
    for s in (1, 5):  # within a size, every feature equally often
        np.testing.assert_allclose(z[sizes == s].mean(axis=0), s / m, atol=0.03)
    assert z.shape == (n, m) and np.all(weights == weights[0])
    everything, exact = _coalitions(4, 14, None)  # few enough: all 14, with the kernel's weights
    assert len({tuple(c) for c in everything}) == 14
    np.testing.assert_allclose(exact, [3 / (math.comb(4, k) * k * (4 - k)) for k in everything.sum(axis=1).astype(int)])


# ----------------------------------------------------------------------- all six, by name
_OPTIONS = {"rise": {"n_masks": 20, "grid": 3}, "kernel_shap": {"cell": 4}}
_NEW = ["gradient_x_input", "guided_backprop", "layercam", "scorecam", "rise", "kernel_shap"]


@pytest.mark.parametrize("method", _NEW)
def test_attribute_by_name_and_the_randomization_test_run_every_new_method(method):
    model, _ = _two_layer(seed=3)
    inspector = AttributionInspector(model)
    X = _images(3, seed=11)
    options = dict(_OPTIONS.get(method, {}), **({"random_state": 0} if method in _OPTIONS else {}))
    direct = getattr(inspector, method)(X, 1, **options)
    by_name = inspector.attribute(X, method, 1, **options)
    assert by_name.method == method and by_name.maps.shape == (3, 8, 8) and np.any(direct.maps != 0)
    np.testing.assert_array_equal(by_name.maps, direct.maps)
    r = inspector.randomization_test(X, method, target=1, layers=["out"], random_state=0, **_OPTIONS.get(method, {}))
    assert r.maps.shape == (2, 3, 8, 8) and not np.allclose(r.maps[1], r.maps[0])


def test_the_new_maps_draw():
    from skcnn.plotting import plot_attribution, plot_attribution_grid

    model, _ = _two_layer(seed=3)
    inspector = AttributionInspector(model)
    X = _images(2, seed=12)
    results = {m: getattr(inspector, m)(X, **_OPTIONS.get(m, {})) for m in _NEW}
    fig = plot_attribution_grid(results)
    assert len(fig.axes) >= 2 * 7
    titles = {m: plot_attribution(results[m])._suptitle.get_text() for m in ("kernel_shap", "scorecam", "rise")}
    assert titles == {"kernel_shap": "KernelSHAP", "scorecam": "Score-CAM (c)", "rise": "RISE"}


@pytest.mark.parametrize("call, match", [
    (lambda i, X: i.rise(X, keep=0.0), "^keep must be a positive number"),
    (lambda i, X: i.rise(X, keep=1.5), r"^keep must be a probability in \(0, 1\]"),
    (lambda i, X: i.rise(X, grid=0), "^grid must be an int >= 1"),
    (lambda i, X: i.rise(X, n_masks=2.5), "^n_masks must be an int >= 1"),
    (lambda i, X: i.kernel_shap(X, n_samples=0), "^n_samples must be an int >= 1"),
    (lambda i, X: i.kernel_shap(X, cell=9), r"^cell must be at most the image's longer side \(8\)"),
    (lambda i, X: i.kernel_shap(X, cell=2, segments=np.zeros((8, 8), int)), "^give cell .* or segments"),
    (lambda i, X: i.kernel_shap(X, segments=np.zeros((8, 8))), "^segments must hold integer labels"),
    (lambda i, X: i.kernel_shap(X, segments=np.zeros((2, 8, 8), int)), r"^segments must be one item of shape \(8, 8\)"),
    (lambda i, X: i.kernel_shap(X, baseline="white"), "^baseline must be one of"),
    (lambda i, X: i.scorecam(X, layer="out"), r"^layer must have maps of shape \(n, h, w, maps\) for Score-CAM"),
    (lambda i, X: i.layercam(X, layer="out"), r"^layer must have maps of shape \(n, h, w, maps\) for LayerCAM"),
    (lambda i, X: i.attribute(X, "lime"), "^method must be one of .*kernel_shap"),
])
def test_bad_input_names_the_parameter(call, match):
    model, _ = _two_layer(seed=3)
    with pytest.raises(ValueError, match=match):
        call(AttributionInspector(model), _images(3))


@pytest.mark.parametrize("method", ["scorecam", "rise", "kernel_shap"])
def test_masking_through_steps_that_mix_pixels_is_refused(method):
    from sklearn.preprocessing import FunctionTransformer

    model, _ = _two_layer(seed=3)
    mixing = FunctionTransformer(lambda Z: Z[:, ::-1], inverse_func=lambda Z: Z[:, ::-1])
    with pytest.raises(ValueError, match="affine map"):
        getattr(AttributionInspector(InspectedModel(model, [mixing])), method)(_images(2).reshape(2, -1),
                                                                              **_OPTIONS.get(method, {}))
