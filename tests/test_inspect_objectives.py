"""Composable objectives, image parameterizations and transforms on the one ascent engine."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skcnn.inspect import GradientAscent, OIPInspector  # noqa: E402
from skcnn.inspect import transforms as T  # noqa: E402
from skcnn.inspect.objectives import (  # noqa: E402
    Objective, Term, channel, class_logit, direction, diversity, layer_mean, neuron,
)
from skcnn.inspect.params import COLOR_BASIS, ImageParam, fft_scale  # noqa: E402

L = keras.layers
pytestmark = pytest.mark.backend


def _model(channels=1, size=12, softmax=True):
    init = keras.initializers.GlorotUniform(0)
    return keras.Sequential([
        keras.Input((size, size, channels)),
        L.Conv2D(4, 3, activation="relu", kernel_initializer=init, name="c1"),
        L.Conv2D(5, 3, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(1), name="c2"),
        L.Flatten(),
        L.Dense(3, activation="softmax" if softmax else None, kernel_initializer=keras.initializers.GlorotUniform(2),
                name="out"),
    ])


def _acts(model, name, x):
    return keras.Model(model.inputs, model.get_layer(name).output).predict(x, verbose=0)


def _start(n=4, size=12, channels=1, seed=0):
    return np.random.default_rng(seed).normal(size=(n, size, size, channels)).astype(np.float32)


# ---------------------------------------------------------------- algebra
def test_objectives_add_subtract_scale():
    a, b = channel("c1", 1), channel("c1", 2)
    combo = 2 * a - b / 4 + 0
    assert isinstance(combo, Objective)
    assert [c for c, _ in combo.terms] == [2.0, -0.25]
    assert repr(combo) == "2 * channel('c1', 1) - 0.25 * channel('c1', 2)"
    assert repr(-a) == "-channel('c1', 1)"
    assert repr(sum([a, b])) == "channel('c1', 1) + channel('c1', 2)"
    with pytest.raises(TypeError):
        a + 1
    with pytest.raises(TypeError):
        a * "x"


def test_objective_parts_merge_terms_at_one_layer():
    from skcnn.inspect import resolve_model

    target = resolve_model(_model())
    parts = (channel("c1", 1) - 3 * channel("c1", 1) + neuron("c1", 0, point=(1, 2))).parts(target)
    (key, (term, weights)), = parts.items()
    assert key == ("linear", 0) and weights.shape == (10, 10, 4) and repr(term) == "channel('c1', 1)"
    assert np.allclose(weights[..., 1], -2.0 / 100) and weights[1, 2, 0] == 1.0
    assert weights[..., [2, 3]].sum() == 0 and weights[..., 0].sum() == 1.0


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="n must be a non-negative int"):
        channel("c1", -1)
    with pytest.raises(TypeError, match="layer must be"):
        channel(1.5, 0)
    with pytest.raises(ValueError, match="point must be"):
        neuron("c1", 0, point=(1,))
    with pytest.raises(ValueError, match="vector must have shape"):
        direction("c1", np.zeros((2, 2)))
    with pytest.raises(ValueError, match="not all zeros"):
        direction("c1", np.zeros(4))
    engine = GradientAscent(_model())
    with pytest.raises(ValueError, match="map 9 does not exist"):
        engine.score(_start(1), objective=channel("c1", 9))
    with pytest.raises(ValueError, match="outside"):
        engine.score(_start(1), objective=neuron("c1", 0, point=(10, 0)))
    with pytest.raises(ValueError, match="2 objectives for 3 images"):
        engine.score(_start(3), objective=[channel("c1", 0)] * 2)
    with pytest.raises(TypeError, match="objective must be an Objective"):
        engine.score(_start(1), objective=[1, 2])


# ----------------------------------------------------------- against Keras
def test_linear_objectives_equal_a_direct_forward_pass():
    model = _model()
    x = _start(5)
    c1, c2 = _acts(model, "c1", x), _acts(model, "c2", x)
    vector = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    unit = vector / np.linalg.norm(vector)
    pattern = np.random.default_rng(1).normal(size=(8, 8, 5))
    goals = [channel("c1", 2), neuron("c2", 4), layer_mean("c2"), direction("c2", vector),
             channel("c1", 0) - 0.5 * direction("c2", pattern)]
    want = [c1[0, :, :, 2].mean(), c2[1, 4, 4, 4], c2[2].mean(), (c2[3] @ unit).mean(),
            c1[4, :, :, 0].mean() - 0.5 * np.sum(c2[4] * pattern) / np.linalg.norm(pattern)]
    got = GradientAscent(model).score(x, objective=goals)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_class_logit_climbs_the_logit_not_the_probability():
    model = _model(softmax=True)
    logits_model = keras.Model(model.inputs, model.get_layer("out").input)
    W, b = model.get_layer("out").get_weights()
    x = _start(1)
    engine = GradientAscent(model)
    want = logits_model.predict(x, verbose=0) @ W + b
    np.testing.assert_allclose(engine.score(x, objective=class_logit(1)), want[:, 1], rtol=1e-5)
    result = engine.run(x, objective=class_logit(1), steps=60, learning_rate=0.3)
    history = result.objective_history[:, 0]
    logits = logits_model.predict(result.images, verbose=0) @ W + b
    probability = model.predict(result.images, verbose=0)[0, 1]
    assert probability > 0.999  # saturated: the probability's gradient has all but vanished...
    assert np.all(np.diff(history[-10:]) > 0)  # ...while the logit keeps climbing
    np.testing.assert_allclose(result.scores[0], logits[0, 1], rtol=1e-4)
    assert result.scores[0] > 5.0 > probability
    linear = _model(softmax=False)  # no activation on the output: its output is the logits
    np.testing.assert_allclose(GradientAscent(linear).score(x, objective=class_logit(2)),
                               linear.predict(x, verbose=0)[:, 2], rtol=1e-5)


class _SoftPeak(Term):
    """A kind of term the library does not have, written only here: the log-sum-exp (a smooth maximum) of map
    ``n`` over its points, times the term's data (its coefficient)."""

    def __init__(self, layer, n):
        super().__init__(layer)
        self.n = n

    def value(self, activations, data):
        ops = keras.ops
        return data * ops.logsumexp(ops.reshape(activations[..., self.n], (ops.shape(activations)[0], -1)), axis=1)


def _soft_peak(acts, n):
    flat = acts[..., n].reshape(len(acts), -1).astype(np.float64)
    top = flat.max(axis=1)
    return top + np.log(np.exp(flat - top[:, None]).sum(axis=1))


def test_a_new_kind_of_term_is_one_class_and_the_engine_climbs_it(backend_gradient):
    """A Term subclass defined here: scored against a direct forward pass, one step against the backend's own
    autodiff written out, and climbed; two of its instances with other parameters stay two terms."""
    ops = keras.ops
    model = _model(softmax=False)
    x = _start(3, seed=40)
    one, other = Objective([(1.0, _SoftPeak("c1", 1))]), Objective([(1.0, _SoftPeak("c1", 2))])
    goals = [2 * one - channel("c1", 0), other, one + 0.5 * other]
    assert repr(goals[1]) == "_SoftPeak(layer='c1', n=2)"
    c1 = _acts(model, "c1", x)
    want = [2 * _soft_peak(c1, 1)[0] - c1[0, ..., 0].mean(), _soft_peak(c1, 2)[1],
            _soft_peak(c1, 1)[2] + 0.5 * _soft_peak(c1, 2)[2]]
    engine = GradientAscent(model)
    np.testing.assert_allclose(engine.score(x, objective=goals), want, rtol=1e-5)
    sub = keras.Model(model.inputs, model.get_layer("c1").output)

    def total(xt):
        a = sub(xt)
        peak = [ops.logsumexp(ops.reshape(a[..., k], [3, -1]), axis=1) for k in range(3)]
        return 2 * peak[1][0] - ops.mean(a[0, ..., 0]) + peak[2][1] + peak[1][2] + 0.5 * peak[2][2]

    g = backend_gradient(total, x)[1]
    moved = x + 0.2 * g / np.sqrt((g ** 2).mean(axis=(1, 2, 3), keepdims=True))
    np.testing.assert_allclose(engine.run(x, objective=goals, steps=1, learning_rate=0.2).images, moved,
                               rtol=1e-4, atol=1e-5)
    climbed = engine.run(x, objective=goals, steps=15, learning_rate=0.2)
    assert np.all(climbed.scores > np.asarray(want) + 1.0)


def test_class_logit_reads_the_chosen_output_of_a_model_with_several():
    from skcnn.inspect import resolve_model

    inputs = keras.Input((8, 8, 1))
    init = keras.initializers.GlorotUniform(1)
    x = L.Flatten()(L.Conv2D(3, 3, activation="relu", kernel_initializer=init, name="c1")(inputs))
    head_a = L.Dense(4, activation="softmax", kernel_initializer=init, name="a")(x)
    head_b = L.Dense(2, kernel_initializer=init, name="b")(x)
    model = keras.Model(inputs, [head_b, head_a])  # the last layer built is not the chosen output
    images = _start(2, size=8, seed=41)
    logits = keras.Model(inputs, model.get_layer("a").input)(images) @ model.get_layer("a").kernel
    want = keras.ops.convert_to_numpy(logits + model.get_layer("a").bias)[:, 3]
    got = GradientAscent(resolve_model(model, output="a")).score(images, objective=class_logit(3))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="output="):
        GradientAscent(model).score(images, objective=class_logit(3))


@pytest.mark.parametrize("a, b", [(1, 3), (4, 0)])
def test_channel_difference_raises_one_and_lowers_the_other(a, b):
    model = _model(softmax=False)
    x = np.clip(_start(3, seed=3), -1, 1)
    before = _acts(model, "c2", x).mean(axis=(1, 2))
    engine = GradientAscent(model, input_range=(-1, 1))  # bounded images: a must be bought by lowering b
    result = engine.run(x, objective=channel("c2", a) - channel("c2", b), steps=40, learning_rate=0.1)
    after = _acts(model, "c2", result.images).mean(axis=(1, 2))
    assert np.all(after[:, a] > before[:, a])
    assert np.all(after[:, b] < before[:, b])
    alone = _acts(model, "c2", engine.run(x, objective=channel("c2", a), steps=40, learning_rate=0.1).images)
    assert np.all(alone.mean(axis=(1, 2))[:, b] > after[:, b])


def _mean_gram_similarity(acts):
    flat = acts.reshape(len(acts), -1, acts.shape[-1])
    gram = np.einsum("npc,npd->ncd", flat, flat).reshape(len(acts), -1)
    unit = gram / np.linalg.norm(gram, axis=1, keepdims=True)
    sim = unit @ unit.T
    return (sim.sum() - np.trace(sim)) / (len(acts) * (len(acts) - 1))


def test_diversity_lowers_gram_similarity_by_a_fifth():
    model = _model(softmax=False)
    x = _start(4, seed=5) * 0.1
    engine = GradientAscent(model)
    plain = engine.run(x, objective=channel("c2", 1), steps=60, learning_rate=0.1)
    varied = engine.run(x, objective=channel("c2", 1) + 2.0 * diversity("c1"), steps=60, learning_rate=0.1)
    same, spread = (_mean_gram_similarity(_acts(model, "c1", r.images)) for r in (plain, varied))
    assert spread <= 0.8 * same
    # The engine's diversity term is minus the mean similarity to the others, per image.
    sim = engine.score(varied.images, objective=diversity("c1"))
    np.testing.assert_allclose(sim.mean(), -spread, rtol=1e-4)


def test_a_list_runs_one_objective_per_image_like_single_runs():
    model = _model()
    x = _start(3, seed=7)
    goals = [channel("c1", 0), neuron("c2", 2) + layer_mean("c1"), class_logit(2)]
    engine = GradientAscent(model, pre_activation="auto")
    together = engine.run(x, objective=goals, steps=15, learning_rate=0.1)
    for i, goal in enumerate(goals):
        alone = engine.run(x[i:i + 1], objective=goal, steps=15, learning_rate=0.1)
        np.testing.assert_allclose(alone.images[0], together.images[i], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(alone.objective_history[:, 0], together.objective_history[:, i], rtol=1e-4,
                                   atol=1e-6)


def test_map_mode_is_a_use_of_channel_and_neuron():
    model = _model()
    x = _start(4, seed=2)
    old = GradientAscent(model, "c2", pre_activation="auto")
    new = GradientAscent(model, pre_activation="auto")
    got = old.run(x, maps=[0, 1, 2, 3], points=[[-1, -1], [2, 3], [-1, -1], [0, 0]], steps=10, learning_rate=0.1)
    want = new.run(x, objective=[channel("c2", 0), neuron("c2", 1, (2, 3)), channel("c2", 2),
                                 neuron("c2", 3, (0, 0))], steps=10, learning_rate=0.1)
    np.testing.assert_allclose(got.images, want.images, rtol=1e-5, atol=1e-6)
    weights = np.random.default_rng(0).uniform(size=(4, 5)).astype(np.float32)
    mixed = GradientAscent(model, "c2", objective="weights").score(x, weights=weights)
    np.testing.assert_allclose(mixed, (_acts(model, "c2", x).mean(axis=(1, 2)) * weights).sum(axis=1), rtol=1e-5)


def test_direction_from_a_class_signature():
    from skcnn.inspect import ActivationInspector

    model = _model()
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 12, 12, 1)).astype(np.float32), np.repeat([0, 1, 2], 10)
    signature = ActivationInspector(model).class_signature(X, y, "c2")
    goals = direction("c2", signature)
    assert len(goals) == 3 and repr(goals[1]) == "direction('c2', class 1)"
    table = signature.point_active_fraction
    pattern = table[2] - table.mean(axis=0)
    got = GradientAscent(model).score(X[:1], objective=direction("c2", signature, label=2))
    want = np.sum(_acts(model, "c2", X[:1])[0] * pattern) / np.linalg.norm(pattern)
    np.testing.assert_allclose(got, [want], rtol=1e-4)
    with pytest.raises(ValueError, match="not among the classes"):
        direction("c2", signature, label=7)


# ------------------------------------------------------------ parameters
@pytest.mark.parametrize("param, decorrelate", [("pixel", False), ("pixel", True), ("fft", False), ("fft", True)])
def test_params_round_trip(param, decorrelate):
    x = _start(2, size=10, channels=3)
    p = ImageParam((10, 10, 3), param, decorrelate)
    np.testing.assert_allclose(p.decode_numpy(p.encode_numpy(x)), x, atol=1e-4)


def test_fft_decode_matches_numpy_and_scaling_favours_low_frequencies():
    p = ImageParam((8, 10, 1), "fft")
    spectrum = np.random.default_rng(0).normal(size=(1,) + p.param_shape).astype(np.float32)
    want = np.fft.irfft2((spectrum[..., 0] + 1j * spectrum[..., 1]) * fft_scale(8, 10), s=(8, 10))
    np.testing.assert_allclose(p.decode_numpy(spectrum)[..., 0], want[:, 0], rtol=1e-4, atol=1e-5)
    scale = fft_scale(32, 32)
    assert scale[0, 1] > 3 * scale[0, 8] > 0
    noise = np.random.default_rng(1).normal(size=(200,) + ImageParam((32, 32, 1), "fft").param_shape)
    rms = np.sqrt(np.mean(ImageParam((32, 32, 1), "fft").decode_numpy(noise) ** 2))
    assert 0.5 < rms < 2.0


def test_decorrelate_uses_the_colour_basis_and_checks_channels():
    p = ImageParam((4, 4, 3), "pixel", decorrelate=True)
    one = np.zeros((1, 4, 4, 3), np.float32)
    one[..., 0] = 1.0
    np.testing.assert_allclose(p.decode_numpy(one)[0, 0, 0], COLOR_BASIS[:, 0], rtol=1e-6)
    with pytest.raises(ValueError, match="3 colour channels"):
        ImageParam((4, 4, 1), "pixel", decorrelate=True)
    with pytest.raises(ValueError, match="param must be one of"):
        ImageParam((4, 4, 1), "wavelet")


def _high_frequency_share(images):
    spectrum = np.abs(np.fft.fft2(images - images.mean(axis=(1, 2), keepdims=True), axes=(1, 2))) ** 2
    h, w = images.shape[1:3]
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij")
    high = np.sqrt(fy**2 + fx**2) > 0.25
    return spectrum[:, high].sum() / spectrum.sum()


def test_fft_ascent_climbs_with_less_high_frequency_energy():
    model = _model(size=16, softmax=False)
    x = _start(4, size=16, seed=4) * 0.05
    goals = [channel("c2", k) for k in range(4)]
    pixel = GradientAscent(model).run(x, objective=goals, steps=80, learning_rate=0.05)
    fft = GradientAscent(model, param="fft").run(x, objective=goals, steps=80, learning_rate=0.05)
    assert np.all(fft.scores > fft.objective_history[0])
    assert _high_frequency_share(fft.images) < 0.5 * _high_frequency_share(pixel.images)


# ------------------------------------------------------------ transforms
def _run(transform, x, seed=(3, 4)):
    return keras.ops.convert_to_numpy(transform(x, np.array(seed, np.int32)))


def test_transforms_shapes_and_identities():
    x = _start(2, size=9, channels=2)
    assert _run(T.pad(3), x).shape == (2, 15, 15, 2)
    np.testing.assert_array_equal(_run(T.pad(2, "constant"), x)[:, :2], 0.0)
    np.testing.assert_allclose(_run(T.random_scale(1.0, 1.0), x), x, atol=1e-5)
    np.testing.assert_allclose(_run(T.random_rotate(0.0), x), x, atol=1e-5)
    np.testing.assert_array_equal(_run(T.jitter(0), x), x)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(T.fit_to(_run(T.pad(3), x), (9, 9))), x)
    assert T.fit_to(x, (11, 7)).shape == (2, 11, 7, 2)
    with pytest.raises(ValueError, match="transforms must be"):
        T.resolve("fancy", (9, 9))
    with pytest.raises(TypeError, match="callables"):
        T.resolve([1], (9, 9))


def test_jitter_is_a_random_window_and_the_seed_decides_it():
    x = _start(1, size=9)
    moved = _run(T.jitter(2), x)
    assert moved.shape == (1, 7, 7, 1)
    shifts = [(dy, dx) for dy in range(3) for dx in range(3) if np.array_equal(x[:, dy:dy + 7, dx:dx + 7], moved)]
    assert len(shifts) == 1
    np.testing.assert_array_equal(_run(T.jitter(2), x), moved)
    draws = {tuple(_run(T.jitter(2), x, seed=(s, 0)).ravel()[:5]) for s in range(12)}
    assert len(draws) > 3


def test_compose_merges_zoom_and_rotation_into_one_resampling():
    x = _start(2, size=11)
    seed = np.array([5, 6], np.int32)
    parts = [T.random_scale(0.8, 1.2), T.random_rotate(20.0)]
    fused = keras.ops.convert_to_numpy(T.compose(parts, (11, 11))(x, seed))
    salted = [seed + np.array([0, 104729 * (k + 1)], np.int32) for k in range(2)]
    zoom, _ = parts[0].affine(salted[0])
    _, angle = parts[1].affine(salted[1])
    np.testing.assert_allclose(fused, keras.ops.convert_to_numpy(T._affine(x, zoom, angle)), atol=1e-5)
    # One resampling, not two: two bilinear passes would blur more.
    twice = keras.ops.convert_to_numpy(parts[1](parts[0](x, salted[0]), salted[1]))
    assert not np.allclose(fused, twice, atol=1e-3)


def test_rotation_by_a_quarter_turn_matches_numpy():
    x = _start(1, size=7)
    rotate = keras.ops.convert_to_numpy(T._affine(x, 1.0, np.float32(np.pi / 2)))
    assert any(np.allclose(rotate[0, ..., 0], np.rot90(x[0, ..., 0], k), atol=1e-4) for k in (1, 3))


def test_render_with_transforms_and_fft_is_reproducible():
    model = _model(channels=3, size=16, softmax=False)
    inspector = OIPInspector(model)
    goals = [channel("c2", 0), channel("c2", 1)]
    a = inspector.render(goals, steps=20, random_state=0)
    b = inspector.render(goals, steps=20, random_state=0)
    c = inspector.render(goals, steps=20, random_state=1)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, c.images)
    assert a.images.shape == (2, 16, 16, 3) and a.objectives == ["channel('c2', 0)", "channel('c2', 1)"]
    assert np.all(a.activations > a.objective_history[0])
    assert "RenderResult" in repr(a) and len(repr(a).splitlines()) < 10


def test_objectives_reach_inside_a_nested_model_and_behind_an_activation_layer():
    inner = keras.Sequential([keras.Input((10, 10, 3)), L.Conv2D(
        4, 3, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(0), name="conv")], name="inner")
    outer = keras.Sequential([keras.Input((10, 10, 3)), L.Rescaling(0.5, name="scale"), inner, L.Flatten(),
                              L.Dense(3, name="dense"), L.Activation("softmax", name="prob")])
    x = _start(2, size=10, channels=3)
    engine = GradientAscent(outer, pre_activation="auto")
    want_conv = inner.predict(0.5 * x, verbose=0)[..., 2].mean(axis=(1, 2))
    logits = keras.Model(outer.inputs, outer.get_layer("dense").output).predict(x, verbose=0)
    got = engine.score(x, objective=[channel("inner/conv", 2), class_logit(1)])
    np.testing.assert_allclose(got, [want_conv[0], logits[1, 1]], rtol=1e-4, atol=1e-6)
    result = engine.run(x, objective=channel("inner/conv", 2), steps=10, learning_rate=0.1)
    assert np.all(result.scores > want_conv)


def test_engine_applies_the_transforms_before_every_step():
    def flip(images, seed):
        return keras.ops.flip(images, axis=1)

    flip.__name__ = "flip"
    model = _model(softmax=False)
    x = _start(3, seed=8)
    goals = [channel("c2", k) for k in range(3)]
    plain = GradientAscent(model)
    flipped = GradientAscent(model, transforms=[flip])
    result = flipped.run(x, objective=goals, steps=5, learning_rate=0.1)
    # The history holds the objective of the transformed image; the images themselves are not flipped.
    np.testing.assert_allclose(result.objective_history[0], plain.score(x[:, ::-1], objective=goals), rtol=1e-5)
    assert np.all(plain.score(result.images[:, ::-1], objective=goals) > plain.score(x[:, ::-1], objective=goals))
    np.testing.assert_allclose(result.scores, plain.score(result.images, objective=goals), rtol=1e-5)


@pytest.mark.parametrize("param", ["pixel", "fft"])
def test_engine_returns_images_not_parameters(param):
    model = _model(channels=3, size=10, softmax=False)
    x = _start(2, size=10, channels=3, seed=9)
    engine = GradientAscent(model, param=param, decorrelate=True)
    tiny = engine.run(x, objective=channel("c1", 0), steps=1, learning_rate=1e-6)
    np.testing.assert_allclose(tiny.images, x, atol=1e-3)
    moved = engine.run(x, objective=channel("c1", 0), steps=20, learning_rate=0.1)
    assert np.all(moved.scores > moved.objective_history[0])
    np.testing.assert_allclose(moved.scores, GradientAscent(model).score(moved.images, objective=channel("c1", 0)),
                               rtol=1e-4)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="AutoGraph traces Python on TensorFlow only")
def test_nothing_python_side_runs_in_the_compiled_step(monkeypatch):
    """Parameterizations and transforms use TensorFlow bound at import, never import_keras (AutoGraph traces it)."""
    import tensorflow as tf

    from skcnn.inspect import params

    def forbidden():
        raise AssertionError("import_keras called while tracing")

    monkeypatch.setattr(T, "import_keras", forbidden)
    monkeypatch.setattr(params, "import_keras", forbidden)
    param = ImageParam((12, 12, 3), "fft", decorrelate=True)
    apply = T.compose(T.standard((12, 12)), (12, 12))

    @tf.function
    def step(x, seed):
        return apply(param.decode(param.encode(x)), seed)

    assert step(_start(2, channels=3), tf.constant([1, 2])).shape == (2, 12, 12, 3)
