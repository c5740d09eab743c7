"""skcnn.inspect.evaluation: every metric against a computation written out here (closed forms, NumPy loops)."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from scipy.stats import spearmanr  # noqa: E402

from skcnn.inspect import AttributionInspector, evaluation  # noqa: E402
from skcnn.inspect.evaluation import (  # noqa: E402
    avg_sensitivity, complexity, deletion, evaluate, faithfulness_correlation, insertion, irof,
    local_lipschitz_estimate, max_sensitivity, model_parameter_randomization, model_parameter_randomization_layers,
    random_logit, road, sparseness)

pytestmark = pytest.mark.backend

H, W, K = 4, 5, 3


def _linear(softmax=False, seed=0, shape=(H, W), classes=K):
    """``Flatten -> Dense``: the logit of class t is ``x . W[:, t] + b[t]``; returns the model, W and b."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(shape[0] * shape[1], classes)).astype(np.float32)
    bias = rng.normal(size=classes).astype(np.float32)
    model = keras.Sequential([keras.Input((*shape, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(classes, activation="softmax" if softmax else None, name="d")])
    model.layers[-1].set_weights([weights, bias])
    return model, weights, bias


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _images(n=3, seed=1, shape=(H, W)):
    return np.random.default_rng(seed).random((n, *shape)).astype(np.float32)


@pytest.fixture(scope="module")
def linear():
    model, weights, bias = _linear()
    return AttributionInspector(model), weights, bias


# ----------------------------------------------------------------------------- deletion, insertion
def _order_curve_by_hand(x, maps, weights, bias, targets, counts, fill, insert, probability):
    """The class score as pixels go (or come) in the map's order, one image and one count at a time."""
    curves = []
    for i in range(len(x)):
        order = np.argsort(-maps[i].ravel())
        row = []
        for c in counts:
            moved = np.zeros(x[i].size, bool)
            moved[order[:c]] = True
            image = x[i].ravel().copy()
            start, end = (fill[i].ravel(), image) if insert else (image, fill[i].ravel())
            image = np.where(moved, end, start)
            z = image @ weights + bias
            row.append((_softmax(z) if probability else z)[targets[i]])
        curves.append(row)
    return np.array(curves)


@pytest.mark.parametrize("insert", [False, True])
def test_deletion_and_insertion_follow_the_curve_of_a_linear_model(linear, insert):
    inspector, weights, bias = linear
    x = _images()
    maps = np.random.default_rng(2).normal(size=(3, H, W))
    targets = np.array([0, 2, 1])
    metric = insertion if insert else deletion
    # every pixel one at a time, Quantus' area (unit spacing, from the first removal), a zero fill, logits
    counts = np.arange(H * W + 1)
    curve = _order_curve_by_hand(x, maps, weights, bias, targets, counts, np.zeros_like(x), insert, False)
    got = metric(inspector, x, maps, targets, pixels_per_step=1, fill=0.0, score="logit", area="steps")
    np.testing.assert_allclose(got, np.trapezoid(curve[:, 1:], axis=1), rtol=1e-4, atol=1e-4)
    # 4 steps of a fifth... of the pixels (rounded), the image's minimum as fill, probabilities over the share
    counts = np.round(np.linspace(0, 1, 5) * H * W).astype(int)
    fill = np.broadcast_to(x.min(axis=(1, 2))[:, None, None], x.shape)
    curve = _order_curve_by_hand(x, maps, weights, bias, targets, counts, fill, insert, True)
    got = metric(inspector, x, maps, targets, steps=4, fill="min")
    np.testing.assert_allclose(got, np.trapezoid(curve, counts / (H * W), axis=1), rtol=1e-4)


def test_deletion_in_steps_of_several_pixels_ends_with_the_rest(linear):
    inspector, weights, bias = linear
    x = _images(2)
    maps = np.random.default_rng(3).normal(size=(2, H, W))
    counts = [0, 6, 12, 18, 20]  # 20 pixels, 6 at a time
    curve = _order_curve_by_hand(x, maps, weights, bias, [1, 1], counts, np.zeros_like(x), False, False)
    got = deletion(inspector, x, maps, 1, pixels_per_step=6, fill="black", score="logit")
    np.testing.assert_allclose(got, np.trapezoid(curve, np.array(counts) / 20, axis=1), rtol=1e-4, atol=1e-5)


def test_the_better_map_deletes_faster(linear):
    inspector, weights, _ = linear
    x = _images(4)
    truth = x * weights[:, 0].reshape(H, W)  # each pixel's share of the logit
    good = deletion(inspector, x, truth, 0, steps=10, fill="black", score="logit")
    bad = deletion(inspector, x, -truth, 0, steps=10, fill="black", score="logit")
    assert np.all(good < bad)


# ----------------------------------------------------------------------------- faithfulness correlation
def test_faithfulness_correlation_is_one_for_maps_that_add_up_like_the_model(linear):
    inspector, weights, _ = linear
    x = _images(3)
    targets = np.array([2, 0, 1])
    truth = x * weights[:, targets].T.reshape(3, H, W)  # removing S lowers the logit by the sum of truth over S
    got = faithfulness_correlation(inspector, x, truth, targets, n_samples=30, subset_size=5, random_state=0)
    np.testing.assert_allclose(got, 1.0, atol=1e-5)
    got = faithfulness_correlation(inspector, x, -truth, targets, n_samples=30, subset_size=0.25, random_state=0)
    np.testing.assert_allclose(got, -1.0, atol=1e-5)


def test_faithfulness_correlation_of_any_map_tends_to_its_pixel_correlation_with_the_truth(linear):
    # for random subsets of a fixed size, corr(sum_S a, sum_S t) has the Pearson correlation of a and t over the
    # pixels as its limit (covariances of sums without replacement are both s (N - s) / (N - 1) times those)
    inspector, weights, _ = linear
    x = _images(3)
    truth = x * weights[:, 1].reshape(H, W)
    maps = truth + np.random.default_rng(4).normal(scale=0.5, size=truth.shape)
    maps[2, 0, 0] = 20.0  # an outlier that only subsets holding it can show
    got = faithfulness_correlation(inspector, x, maps, 1, n_samples=4000, subset_size=6, random_state=1)
    expected = [np.corrcoef(m.ravel(), t.ravel())[0, 1] for m, t in zip(maps, truth)]
    np.testing.assert_allclose(got, expected, atol=0.05)
    assert np.array_equal(got, faithfulness_correlation(inspector, x, maps, 1, n_samples=4000, subset_size=6,
                                                        random_state=1))


# ----------------------------------------------------------------------------- ROAD
def _impute_by_hand(image, removed):
    """Each removed pixel the weighted mean of its neighbours inside the image: a dense solve, pixel by pixel."""
    h, w = removed.shape
    index = {p: k for k, p in enumerate(zip(*np.nonzero(removed)))}
    a, b = np.zeros((len(index), len(index))), np.zeros(len(index))
    for (r, c), k in index.items():
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if (dr, dc) == (0, 0) or not (0 <= rr < h and 0 <= cc < w):
                    continue
                weight = 1 / 6 if dr == 0 or dc == 0 else 1 / 12
                a[k, k] += weight
                if (rr, cc) in index:
                    a[k, index[rr, cc]] -= weight
                else:
                    b[k] += weight * image[rr, cc]
    out = image.astype(np.float64).copy()
    for (r, c), v in zip(index, np.linalg.solve(a, b)):
        out[r, c] = v
    return out


def test_road_imputes_by_the_neighbours_and_scores_the_imputed_images():
    model, weights, bias = _linear(softmax=True, shape=(5, 6), classes=2)
    x = _images(2, shape=(5, 6))
    maps = np.random.default_rng(5).normal(size=x.shape)
    percentages = [10, 40, 90]
    expected = []
    for i in range(2):
        order = np.argsort(-maps[i].ravel())
        row = []
        for p in percentages:
            removed = np.zeros(30, bool)
            removed[order[:int(30 * p / 100)]] = True
            imputed = _impute_by_hand(x[i], removed.reshape(5, 6))
            row.append(_softmax(imputed.ravel() @ weights + bias)[1])
        expected.append(np.mean(row))
    got = road(model, x, maps, 1, percentages=percentages, noise=0.0, score="probability")
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # least relevant first, and the accuracy: still class 1?
    hits = road(model, x, -maps, 1, percentages=percentages, order="lerf", noise=0.0)
    assert np.all((hits >= 0) & (hits <= 1))


def test_road_noise_comes_from_random_state():
    model, _, _ = _linear(softmax=True, shape=(5, 6), classes=2)
    x = _images(2, shape=(5, 6))
    maps = np.random.default_rng(5).normal(size=x.shape)
    kwargs = dict(percentages=[30, 60], noise=0.5, score="probability")
    one = road(model, x, maps, 0, random_state=3, **kwargs)
    assert np.array_equal(one, road(model, x, maps, 0, random_state=3, **kwargs))
    assert not np.array_equal(one, road(model, x, maps, 0, random_state=4, **kwargs))


# ----------------------------------------------------------------------------- IROF
def test_irof_removes_grid_cells_by_mean_attribution(linear):
    inspector, weights, bias = linear
    x = _images(3)
    maps = np.random.default_rng(6).normal(size=x.shape)
    targets = np.array([0, 1, 2])
    cells = (np.arange(H)[:, None] // 2) * 3 + np.arange(W)[None] // 2  # cells of side 2: 2 rows x 3 columns
    expected = []
    for i in range(3):
        order = np.argsort([-maps[i][cells == s].mean() for s in range(6)])
        image, ratios = x[i].copy(), []
        base = _softmax(image.ravel() @ weights + bias)[targets[i]]
        for s in order:
            image[cells == s] = x[i].mean()
            ratios.append(_softmax(image.ravel() @ weights + bias)[targets[i]] / base)
        expected.append(6 - np.trapezoid(ratios))
    expected = np.array(expected)
    np.testing.assert_allclose(irof(inspector, x, maps, targets, segments=2, normalize=False), expected, rtol=1e-5)
    np.testing.assert_allclose(irof(inspector, x, maps, targets, segments=cells), expected / 6, rtol=1e-5)


def test_irof_takes_a_segmentation_per_image(linear):
    inspector, weights, bias = linear
    x = _images(2)
    maps = np.random.default_rng(7).normal(size=x.shape)
    labels = np.zeros((2, H, W), int)
    labels[0, :, 3:] = 5  # two segments, labelled 0 and 5
    labels[1] = np.arange(H * W).reshape(H, W) % 3  # three
    got = irof(inspector, x, maps, 0, segments=labels, fill=0.0, normalize=False)
    for i, s in enumerate([[0, 5], [0, 1, 2]]):
        order = np.argsort([-maps[i][labels[i] == v].mean() for v in s])
        image, ratios = x[i].copy(), []
        base = _softmax(image.ravel() @ weights + bias)[0]
        for k in order:
            image[labels[i] == s[k]] = 0.0
            ratios.append(_softmax(image.ravel() @ weights + bias)[0] / base)
        assert got[i] == pytest.approx(len(s) - np.trapezoid(ratios), rel=1e-5)


# ----------------------------------------------------------------------------- randomization
def _two_layer(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(3, 3, activation="relu", name="c"),
                             keras.layers.Flatten(), keras.layers.Dense(2, name="d")])


def test_a_network_whose_weights_are_drawn_again_changes_the_maps():
    model = _two_layer()
    trained = [w.copy() for w in model.get_weights()]
    inspector = AttributionInspector(model)
    x = np.random.default_rng(8).random((4, 6, 6))
    maps = inspector.saliency(x)
    result = model_parameter_randomization_layers(inspector, x, maps, random_state=0)
    assert result.layers == ["d", "c"]
    for stage in range(2):  # the similarities are Spearman's, per image
        expected = [spearmanr(np.abs(maps.maps[i]).ravel(), np.abs(result.maps[stage + 1, i]).ravel())[0]
                    for i in range(4)]
        np.testing.assert_allclose(result.absolute_correlations[stage], expected, atol=1e-9)
    assert not np.allclose(result.maps[1], maps.maps)
    last = model_parameter_randomization(inspector, x, maps, summary="last", random_state=0)
    mean = model_parameter_randomization(inspector, x, maps, random_state=0)
    np.testing.assert_allclose(last, result.absolute_correlations[-1])
    np.testing.assert_allclose(mean, result.absolute_correlations.mean(axis=0))
    assert np.mean(last) < 0.9
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), trained))  # the model itself untouched


def test_randomizing_the_last_layer_of_a_linear_model_gives_its_new_weights_as_maps():
    model, weights, _ = _linear(classes=2)
    inspector = AttributionInspector(model)
    x = _images(2)
    maps = inspector.saliency(x, [0, 1], absolute=False)
    result = model_parameter_randomization_layers(inspector, x, maps, method_options={"absolute": False},
                                                  layers=["d"], similarity="pearson", random_state=0)
    new = result.maps[1]  # the gradient of a linear logit: the new weight column, the same for every image's class
    expected = [np.corrcoef(weights[:, t], new[i].ravel())[0, 1] for i, t in enumerate([0, 1])]
    np.testing.assert_allclose(result.correlations[0], expected, atol=1e-6)
    assert not np.allclose(new[0].ravel(), weights[:, 0], atol=1e-3)
    kwargs = dict(method_options={"absolute": False}, layers=["d"], similarity="pearson", random_state=0)
    signed = model_parameter_randomization(inspector, x, maps, absolute=False, **kwargs)
    np.testing.assert_allclose(signed, expected, atol=1e-6)
    absolute = model_parameter_randomization(inspector, x, maps, **kwargs)
    np.testing.assert_allclose(absolute, [np.corrcoef(np.abs(weights[:, t]), np.abs(new[i].ravel()))[0, 1]
                                          for i, t in enumerate([0, 1])], atol=1e-6)


def _ssim_by_hand(a, b, side=3):
    """SSIM as skimage computes it, window position by window position."""
    span = max(a.max(), b.max()) - min(a.min(), b.min())
    c1, c2 = (0.01 * span) ** 2, (0.03 * span) ** 2
    values = []
    for r in range(a.shape[0] - side + 1):
        for c in range(a.shape[1] - side + 1):
            p, q = a[r:r + side, c:c + side].ravel(), b[r:r + side, c:c + side].ravel()
            cov = np.cov(p, q)  # sample covariances
            values.append((2 * p.mean() * q.mean() + c1) * (2 * cov[0, 1] + c2)
                          / ((p.mean() ** 2 + q.mean() ** 2 + c1) * (cov[0, 0] + cov[1, 1] + c2)))
    return np.mean(values)


def test_random_logit_compares_with_the_map_of_the_other_class():
    model, weights, _ = _linear(classes=2)
    inspector = AttributionInspector(model)
    x = _images(3)
    maps = inspector.saliency(x, [0, 1, 0], absolute=False)
    options = {"absolute": False}
    got = random_logit(inspector, x, maps, method_options=options, similarity="pearson", random_state=0)
    expected = [np.corrcoef(weights[:, 0], weights[:, 1])[0, 1]] * 3  # two classes: the other one is known
    np.testing.assert_allclose(got, expected, atol=1e-6)
    got = random_logit(inspector, x, maps, method_options=options, random_state=0)
    unit = lambda v: v / np.abs(v).max()  # noqa: E731
    expected = [_ssim_by_hand(unit(weights[:, t].reshape(H, W)), unit(weights[:, 1 - t].reshape(H, W)))
                for t in (0, 1, 0)]
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_random_logit_draws_only_other_classes(linear):
    inspector, weights, _ = linear
    x = _images(3)
    maps = inspector.saliency(x, 0, absolute=False)
    got = random_logit(inspector, x, maps, method_options={"absolute": False}, similarity="pearson", random_state=2)
    others = [np.corrcoef(weights[:, 0], weights[:, k])[0, 1] for k in (1, 2)]
    assert all(min(abs(g - o) for o in others) < 1e-6 for g in got)



def test_random_logit_explains_the_other_class_it_is_given(linear):
    inspector, weights, _ = linear
    x = _images(3)
    maps = inspector.saliency(x, 0, absolute=False)
    got = random_logit(inspector, x, maps, method_options={"absolute": False}, similarity="pearson",
                       other_target=[2, 1, 2])
    expected = [np.corrcoef(weights[:, 0], weights[:, k])[0, 1] for k in (2, 1, 2)]
    np.testing.assert_allclose(got, expected, atol=1e-6)
    with pytest.raises(ValueError, match="other_target must differ"):
        random_logit(inspector, x, maps, method_options={"absolute": False}, other_target=[2, 0, 1])


# ----------------------------------------------------------------------------- robustness
def test_the_gradient_of_a_linear_model_is_not_sensitive_to_noise(linear):
    inspector, _, _ = linear
    x = _images(2)
    maps = inspector.saliency(x)
    for metric in (max_sensitivity, avg_sensitivity, local_lipschitz_estimate):
        np.testing.assert_allclose(metric(inspector, x, maps, n_samples=4, random_state=0), 0.0, atol=1e-6)


def test_sensitivity_of_integrated_gradients_on_a_linear_model(linear):
    # IG from black on a linear model is x * w exactly: noise e moves the map by e * w
    inspector, weights, _ = linear
    x = _images(2) + 1.0
    maps = inspector.integrated_gradients(x, 2, steps=2)
    w = weights[:, 2].reshape(H, W)
    radius = 0.3
    avg = avg_sensitivity(inspector, x, maps, n_samples=400, radius=radius, random_state=0)
    most = max_sensitivity(inspector, x, maps, n_samples=400, radius=radius, random_state=0)
    norm = np.linalg.norm((x * w).reshape(2, -1), axis=1)
    expected = np.sqrt(radius ** 2 / 3 * (w ** 2).sum()) / norm  # E||e w||^2 = r^2 / 3 sum w^2 (and ||.|| concentrates)
    np.testing.assert_allclose(avg, expected, rtol=0.1)
    assert np.all(most > avg) and np.all(most <= radius * np.abs(w).sum() / norm * 1.0001 + 0)
    lipschitz = local_lipschitz_estimate(inspector, x, maps, n_samples=200, noise=0.2, random_state=0)
    assert np.all(lipschitz <= np.abs(w).max() * 1.0001)  # ||e w|| / ||e|| <= max |w|
    assert np.all(lipschitz >= np.sqrt((w ** 2).mean()))  # the largest of ratios whose mean square is mean(w^2)


# ----------------------------------------------------------------------------- complexity
def _gini(v):
    """The Gini index as the mean absolute difference over twice the mean."""
    return np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) * v.sum())


def test_sparseness_and_complexity_by_their_formulas():
    rng = np.random.default_rng(9)
    maps = rng.normal(size=(4, 3, 5))
    maps[1] = 0.0
    maps[2] = 0.0
    maps[2, 1, 1] = -2.0
    maps[3] = 7.0
    v = np.abs(maps).reshape(4, -1)
    v = v / np.where(v.max(axis=1, keepdims=True) > 0, v.max(axis=1, keepdims=True), 1) + 1e-7
    np.testing.assert_allclose(sparseness(None, None, maps), [_gini(row) for row in v], rtol=1e-6, atol=1e-9)
    assert sparseness(None, None, maps)[2] == pytest.approx(1 - 1 / 15, rel=1e-5)
    p = np.abs(maps[0]).ravel() / np.abs(maps[0]).sum()
    np.testing.assert_allclose(complexity(None, None, maps), [-(p * np.log(p)).sum(), np.log(15), 0.0, np.log(15)],
                               atol=1e-9)


# ----------------------------------------------------------------------------- the common signature
def test_an_attribution_supplies_the_images_the_classes_and_the_method(linear):
    inspector, _, _ = linear
    x = _images(3)
    a = inspector.integrated_gradients(x, [2, 0, 1], steps=4)
    np.testing.assert_allclose(deletion(inspector, None, a, steps=5),
                               deletion(inspector, x, a.maps, [2, 0, 1], steps=5))
    np.testing.assert_allclose(
        max_sensitivity(inspector, None, a, n_samples=3, random_state=0),
        max_sensitivity(inspector, x, a.maps, [2, 0, 1], method="integrated_gradients", n_samples=3,
                        random_state=0))


def test_bad_arguments_name_the_parameter(linear):
    inspector, _, _ = linear
    x = _images(2)
    maps = np.zeros((2, H, W))
    with pytest.raises(ValueError, match="maps must have shape"):
        deletion(inspector, x, np.zeros((2, H)))
    with pytest.raises(ValueError, match="score must be one of"):
        deletion(inspector, x, maps, score="accuracy")
    with pytest.raises(ValueError, match="X must hold the images"):
        deletion(inspector, None, maps)
    with pytest.raises(ValueError, match="method must name"):
        max_sensitivity(inspector, x, maps)
    with pytest.raises(TypeError, match="model must be"):
        deletion(None, x, maps)
    with pytest.raises(ValueError, match="subset_size must be"):
        faithfulness_correlation(inspector, x, maps, subset_size=H * W + 1)
    with pytest.raises(ValueError, match="percentages must be"):
        road(inspector, x, maps, percentages=[100])
    with pytest.raises(ValueError, match="maps must hold finite"):
        sparseness(None, None, np.full((1, 2, 2), np.nan))
    with pytest.raises(ValueError, match="metrics must be one of"):
        evaluate(inspector, x, ["saliency"], ["pixel_flipping"])


# ----------------------------------------------------------------------------- evaluate
def test_evaluate_runs_each_method_under_each_metric_with_one_seed_per_metric():
    model, weights, _ = _linear(softmax=True)
    x = _images(3)
    result = evaluate(model, x, ["saliency", "integrated_gradients"], ["deletion", "avg_sensitivity", "complexity"],
                      method_options={"integrated_gradients": {"steps": 4}},
                      metric_options={"deletion": {"steps": 5}, "avg_sensitivity": {"n_samples": 3}},
                      random_state=0)
    assert result.higher_is_better == {"deletion": False, "avg_sensitivity": False, "complexity": False}
    ig = result.attributions["integrated_gradients"]
    np.testing.assert_allclose(result.scores["integrated_gradients", "deletion"], deletion(model, x, ig, steps=5))
    np.testing.assert_allclose(result.scores["saliency", "avg_sensitivity"], 0.0, atol=1e-6)
    means = result.mean()
    assert means.shape == (2, 3)
    lines = repr(result).splitlines()
    assert lines[0].split() == ["metric"] + result.ranking()
    assert [line.split()[:2] for line in lines[1:]] == [["deletion", "(-)"], ["avg_sensitivity", "(-)"],
                                                        ["complexity", "(-)"]]
    column = result.methods.index(result.ranking()[0])
    assert float(lines[1].split()[2]) == pytest.approx(means[column, 0], abs=1e-4)
    frame = result.to_frame()
    assert list(frame.index) == result.ranking() and list(frame.columns) == result.metrics
    assert result.to_frame(per_image=True).shape == (6, 3)


def test_evaluate_gives_every_method_the_same_random_draws(linear):
    inspector, _, _ = linear
    x = _images(3)
    # SmoothGrad of one noiseless sample is the saliency: the same maps must get the same random subsets
    result = evaluate(inspector, x, ["saliency", "smoothgrad"], ["faithfulness_correlation"],
                      method_options={"smoothgrad": {"n_samples": 1, "noise": 0.0}},
                      metric_options={"faithfulness_correlation": {"n_samples": 10, "subset_size": 3}})
    np.testing.assert_array_equal(result.attributions["saliency"].maps, result.attributions["smoothgrad"].maps)
    np.testing.assert_array_equal(result.scores["saliency", "faithfulness_correlation"],
                                  result.scores["smoothgrad", "faithfulness_correlation"])


def test_evaluate_seeds_the_methods_own_draws(linear):
    inspector, _, _ = linear
    x = _images(2)
    run = lambda seed, **given: evaluate(  # noqa: E731
        inspector, x, ["rise"], ["sparseness"], random_state=seed,
        method_options={"rise": {"n_masks": 8, "grid": 2, **given}})
    a, b, c = run(0), run(0), run(1)
    np.testing.assert_array_equal(a.attributions["rise"].maps, b.attributions["rise"].maps)
    assert not np.allclose(a.attributions["rise"].maps, c.attributions["rise"].maps)
    # a seed of the method's own wins over the one drawn from random_state
    np.testing.assert_array_equal(run(0, random_state=5).attributions["rise"].maps,
                                  inspector.rise(x, n_masks=8, grid=2, random_state=5).maps)


def test_the_ranking_puts_the_best_mean_rank_first():
    scores = {("a", "insertion"): np.array([0.9]), ("b", "insertion"): np.array([0.5]), ("c", "insertion"): [0.1],
              ("a", "complexity"): np.array([3.0]), ("b", "complexity"): np.array([1.0]), ("c", "complexity"): [2.0]}
    result = evaluation.EvaluationResult(["c", "b", "a"], ["insertion", "complexity"], scores,
                                         {"insertion": True, "complexity": False})
    assert result.ranking() == ["b", "a", "c"]  # mean ranks: b 1.5, a 2.0, c 2.5


def test_plot_evaluation_draws_one_panel_per_metric(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from skcnn.plotting import plot_evaluation

    scores = {(m, k): np.linspace(0, 1, 4) * (i + 1) for i, m in enumerate(["a", "b"]) for k in ["deletion", "irof"]}
    result = evaluation.EvaluationResult(["a", "b"], ["deletion", "irof"], scores, {"deletion": False, "irof": True})
    fig = plot_evaluation(result)
    assert [ax.get_title() for ax in fig.axes] == ["deletion\n(lower is better)", "irof\n(higher is better)"]
    named = plot_evaluation(evaluation.EvaluationResult(["gradcam", "kernel_shap"], ["irof"], {
        ("gradcam", "irof"): np.ones(2), ("kernel_shap", "irof"): np.zeros(2)}, {"irof": True}))
    assert [t.get_text() for t in named.axes[0].get_yticklabels()] == ["Grad-CAM", "KernelSHAP"]  # the best first
    with pytest.raises(ValueError, match="metrics must name"):
        plot_evaluation(result, metrics=["road"])
    with pytest.raises(TypeError, match="EvaluationResult"):
        plot_evaluation({"a": 1})


def test_plot_evaluation_shows_what_a_bar_cannot():
    import matplotlib

    matplotlib.use("Agg")
    from skcnn.plotting import plot_evaluation

    scores = {("a", "avg_sensitivity"): np.array([0.1, 0.3]), ("b", "avg_sensitivity"): np.array([16.0, 18.0]),
              ("c", "avg_sensitivity"): np.array([0.5, np.inf]),
              ("a", "sparseness"): np.array([0.2, 0.4]), ("b", "sparseness"): np.array([0.5, 0.7]),
              ("c", "sparseness"): np.array([0.1, 0.3])}
    result = evaluation.EvaluationResult(["a", "b", "c"], ["avg_sensitivity", "sparseness"], scores,
                                         {"avg_sensitivity": False, "sparseness": True})
    wide, narrow = plot_evaluation(result).axes
    assert wide.get_xscale() == "symlog" and wide.get_title().endswith("log scale)")
    assert narrow.get_xscale() == "linear"
    assert [t.get_text().strip() for t in wide.texts] == ["inf"] and not narrow.texts
    # the best bar: the lowest finite mean ("a"), never the infinite one
    from matplotlib.colors import to_rgb

    green = [k for k, p in enumerate(wide.patches) if tuple(p.get_facecolor()[:3]) == to_rgb("tab:green")]
    assert [result.ranking()[k] for k in green] == ["a"]  # bars are drawn in ranking order
