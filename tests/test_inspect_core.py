"""The inspection runtime's core: the probe's one cache, the one gradient, the one batch loop, the one step rule."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.backend

from skcnn.inspect._core import ascent, batch, tiles  # noqa: E402
from skcnn.inspect._core.model import resolve_model  # noqa: E402
from skcnn.inspect._core.probe import Probe, Spec, as_list, value_and_gradient  # noqa: E402


def _model():
    inputs = keras.Input((5, 5, 2))
    x = keras.layers.Conv2D(3, 3, activation="tanh", name="c",
                            kernel_initializer=keras.initializers.GlorotUniform(1))(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, name="d")(keras.layers.Flatten()(x)))


def test_forward_equals_a_direct_sub_model_and_is_compiled_once_per_request():
    model = _model()
    probe = Probe(resolve_model(model))
    X = np.random.default_rng(0).normal(size=(4, 5, 5, 2)).astype(np.float32)
    conv, dense = probe.forward(["c", "d"])(X)
    direct = keras.Model(model.inputs, [model.get_layer("c").output, model.get_layer("d").output])
    expected = direct.predict(X, verbose=0)
    np.testing.assert_allclose(conv, expected[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dense, expected[1], rtol=1e-5, atol=1e-6)
    assert conv.dtype == np.float32
    assert probe.forward(["c", "d"]) is probe.forward([0, "d"])  # one key per request, however layers are named
    assert probe.forward(["d"]) is not probe.forward(["c", "d"])
    inputs_of = probe.forward(["d"], inputs_of=True)(X)[0]
    np.testing.assert_allclose(inputs_of, expected[0].reshape(4, -1), rtol=1e-5, atol=1e-6)
    assert len(probe.compiled) == 3


def test_value_and_gradient_matches_finite_differences_and_passes_extras_through():
    model = _model()
    probe = Probe(resolve_model(model))
    sub = keras.Model(model.inputs, model.outputs)
    weights = np.array([0.7, -1.3], np.float32)

    def objective(x, w):
        logits = sub(x, training=False)
        return keras.ops.sum(logits * w, axis=1), logits

    fn = probe.function("grad", lambda x, w: value_and_gradient(objective, x, w), [Spec((None, 5, 5, 2)), Spec((2,))])
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2, 5, 5, 2)).astype(np.float64)
    values, grad, logits = fn(X.astype(np.float32), weights)
    np.testing.assert_allclose(values, logits @ weights, rtol=1e-5)
    h = 1e-2
    for index in [(0, 1, 2, 0), (1, 4, 4, 1), (0, 0, 3, 1)]:
        up, down = X.copy(), X.copy()
        up[index] += h
        down[index] -= h
        f = lambda v: float(sub.predict(v.astype(np.float32), verbose=0)[index[0]] @ weights)  # noqa: E731
        assert grad[index] == pytest.approx((f(up) - f(down)) / (2 * h), rel=2e-2, abs=1e-3)
    plain = probe.function("plain", lambda x: value_and_gradient(lambda v: keras.ops.sum(v ** 3, axis=(1, 2, 3)), x),
                           [Spec((None, 5, 5, 2))])
    values, grad = plain(X.astype(np.float32))
    np.testing.assert_allclose(grad, 3 * X ** 2, rtol=1e-5)
    np.testing.assert_allclose(values, (X ** 3).sum(axis=(1, 2, 3)), rtol=1e-4)


def test_a_compiled_function_takes_nested_specs_and_integer_arguments():
    probe = Probe(resolve_model(_model()))
    fn = probe.function("nested", lambda x, pair: (x * keras.ops.cast(pair[1], "float32"), pair[0]),
                        [Spec((None, 3)), [Spec((None,)), Spec((), "int32")]])
    scaled, first = fn(np.ones((2, 3), np.float32), [np.arange(4, dtype=np.float32), np.int32(3)])
    assert scaled.tolist() == [[3.0] * 3] * 2 and first.tolist() == [0, 1, 2, 3]
    assert isinstance(fn(np.ones((1, 3), np.float32), [np.zeros(1, np.float32), np.int32(1)]), tuple)
    assert as_list(5) == [5] and as_list((1, 2)) == [1, 2]


def test_the_batch_loop_covers_every_row_once_and_pads_for_a_fixed_shape():
    assert batch.batch_bounds(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert batch.batch_bounds(6, 3) == [(0, 3), (3, 6)]
    assert batch.budget_batch_size(100, 1000) == 10 and batch.budget_batch_size(100, 1000, per_image=3) == 3
    assert batch.budget_batch_size(10**9, 1000) == 1
    seen = []

    def fn(a, b, extra):
        seen.append(len(a))
        return a * extra, b.sum(axis=1)

    a, b = np.arange(7.0), np.arange(14.0).reshape(7, 2)
    out = batch.run_in_batches(fn, [a, b], 3, 2.0, pad=True)
    assert seen == [3, 3, 3]
    np.testing.assert_array_equal(out[0], a * 2)
    np.testing.assert_array_equal(out[1], b.sum(axis=1))
    seen.clear()
    batch.run_in_batches(fn, [a, b], 3, 1.0)
    assert seen == [3, 3, 1]
    padded = batch.pad_to([np.array([[1, 2], [3, 4]])], 4)[0]
    assert padded.tolist() == [[1, 2], [3, 4], [3, 4], [3, 4]]
    assert batch.pad_to([a], 3)[0] is a
    seeds = batch.batch_seeds(0, 3)
    assert seeds == batch.batch_seeds(np.random.default_rng(0), 3) and len(set(seeds)) == 3
    assert all(0 <= s < 2**31 - 1 for s in seeds) and seeds != batch.batch_seeds(1, 3)


def _step(x, grad, *args, **kwargs):
    """The step rule on tensors (every backend's), back as NumPy."""
    tensor = keras.ops.convert_to_tensor
    return keras.ops.convert_to_numpy(ascent.ascent_step(tensor(x), tensor(grad), *args, **kwargs))


def test_the_step_rule_moves_each_image_by_its_own_rms_in_range_units():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4, 4, 2)).astype(np.float32)
    grad = rng.normal(size=(3, 4, 4, 2)).astype(np.float32) * np.array([1, 100, 1e-3], np.float32)[:, None, None, None]
    rms = np.sqrt((grad.astype(np.float64) ** 2).mean(axis=(1, 2, 3), keepdims=True))
    expected = x + 0.1 * 255 * grad / (rms + ascent.EPSILON)
    got = _step(x, grad, 0.1, scale=255.0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
    moved = np.sqrt(((got - x) ** 2).mean(axis=(1, 2, 3)))
    np.testing.assert_allclose(moved, 25.5, rtol=1e-4)  # the same step for every image, whatever its scale
    clipped = _step(x, grad, 0.1, scale=255.0, bounds=(-1.0, 2.0))
    np.testing.assert_allclose(clipped, np.clip(expected, -1, 2), rtol=1e-5, atol=1e-4)
    unit = _step(x, grad, 0.1)  # without a range: steps in the input's own units
    np.testing.assert_allclose(unit, x + 0.1 * grad / (rms + ascent.EPSILON), rtol=1e-5, atol=1e-5)
    zero = _step(x, np.zeros_like(x), 0.5)
    np.testing.assert_array_equal(zero, x)


def test_the_batch_helpers_at_their_edges():
    a = np.arange(7.0)
    assert batch.pad_to([a], 7)[0] is a  # nothing to pad: the array itself
    assert batch.pad_to([a], 8)[0].tolist() == a.tolist() + [6.0]  # one row short: padded
    assert batch.budget_batch_size(1, 10) == 10
    single = batch.run_in_batches(lambda v: v * 2, [a], 3)  # one output, not a tuple: still one array
    assert len(single) == 1 and single[0].tolist() == (a * 2).tolist()


def test_a_compiled_function_is_traced_once_for_any_batch_length_and_casts_to_float32():
    probe = Probe(resolve_model(_model()))
    fn = probe.function("double", lambda x: x * 2.0, [Spec((None, 3))])
    for n in (1, 2, 5):
        assert fn(np.ones((n, 3), np.float32)).tolist() == [[2.0] * 3] * n
    if keras.backend.backend() == "tensorflow":  # one trace for any length (JAX compiles once per shape)
        assert fn.fn.experimental_get_tracing_count() == 1
    inputs = keras.Input((4, 4, 1))
    low = keras.layers.Conv2D(2, 3, name="c", dtype="mixed_bfloat16")(inputs)
    out = Probe(resolve_model(keras.Model(inputs, low))).forward(["c"])(np.ones((2, 4, 4, 1), np.float32))[0]
    assert out.dtype == np.float32


def test_tiles_are_cut_and_pasted_alike_in_numpy_and_in_keras_ops():
    # two images of 3 x 2 tiles of 2 x 3 pixels, two channels: tile k of image i is the block at row k // 2,
    # column k % 2, written out with plain slicing
    images = np.arange(2 * 6 * 6 * 2, dtype=np.float32).reshape(2, 6, 6, 2)
    tiling = [3, 2, 2, 3]
    expected = np.stack([images[i, r * 2:(r + 1) * 2, c * 3:(c + 1) * 3] for i in range(2) for r in range(3)
                         for c in range(2)])
    np.testing.assert_array_equal(tiles.cut(images, tiling), expected)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(tiles.cut(keras.ops.convert_to_tensor(images), tiling,
                                                                       keras.ops)), expected)
    np.testing.assert_array_equal(tiles.paste(expected, 2, tiling), images)
    np.testing.assert_array_equal(tiles.grid(6, 6, 4), [2, 2, 3, 3])
    np.testing.assert_array_equal(tiles.grid(5, 9, 4), [2, 3, 3, 3])


def test_a_compiled_function_sees_weights_changed_after_it_was_compiled():
    # JAX compiles the variables' values in as arguments, not as constants: an assignment after the first
    # call (the randomization test re-initializes layers in place) must show in the next call
    model = keras.Sequential([keras.Input((1, 1, 3)), keras.layers.Conv2D(2, 1, use_bias=False, name="c")])
    kernel = model.get_layer("c").kernel
    kernel.assign(np.ones((1, 1, 3, 2), "float32"))
    fn = Probe(resolve_model(model)).function("out", lambda x: model(x, training=False), [Spec((None, 1, 1, 3))])
    x = np.array([1.0, 2.0, 3.0], "float32").reshape(1, 1, 1, 3)
    np.testing.assert_allclose(fn(x).ravel(), [6.0, 6.0])
    weights = np.arange(6, dtype="float32").reshape(3, 2)
    kernel.assign(weights.reshape(1, 1, 3, 2))
    np.testing.assert_allclose(fn(x).ravel(), x.ravel() @ weights)


def test_a_static_argument_fixes_a_shape_inside_the_compiled_function():
    probe = Probe(resolve_model(keras.Sequential([keras.Input((4, 4, 1)), keras.layers.ReLU(name="r")])))
    fn = probe.function("tile", lambda x, reps: keras.ops.tile(x, [1, reps[0], reps[1]]),
                        [Spec((None, 2, 2)), Spec((2,), "int32", static=True)])
    x = np.arange(4, dtype="float32").reshape(1, 2, 2)
    np.testing.assert_array_equal(fn(x, np.array([2, 3])), np.tile(x, (1, 2, 3)))
    np.testing.assert_array_equal(fn(x, np.array([1, 2])), np.tile(x, (1, 1, 2)))


def _tiled_feed(kernels):
    """Convolutions of the input without bias or padding, one output each (kernels ``(kh, kw, in, out)``).

    A dropout layer in front, which inference mode must leave out.
    """
    inputs = keras.Input((None, None, kernels[0].shape[2]))
    kept = keras.layers.Dropout(0.5)(inputs)
    feed = keras.Model(inputs, [keras.layers.Conv2D(k.shape[3], k.shape[:2], use_bias=False, name=f"p{i}")(kept)
                                for i, k in enumerate(kernels)])
    for i, k in enumerate(kernels):
        feed.get_layer(f"p{i}").kernel.assign(k.astype(np.float32))
    return feed


def _tiled_objective(maps, weights):
    return keras.ops.mean(keras.ops.einsum("nhwc,nc->nhw", maps + keras.ops.square(maps), weights), axis=(1, 2))


def _numpy_tiled(image, kernels, weights, shift, tiling):
    """The tiled objective of :func:`_tiled_feed` and its gradient, written out in NumPy, tile by tile.

    The image rolled by ``shift``, reflect-padded to the grid, cut by slicing; each layer's maps computed by
    shifted products; the gradient of the image's own pixels only (the reflected border carries none), rolled
    back.
    """
    ny, nx, th, tw = tiling
    h, w = image.shape[1:3]
    rolled = np.roll(image[0], shift, axis=(0, 1)).astype(np.float64)
    padded = np.pad(rolled, [(0, ny * th - h), (0, nx * tw - w), (0, 0)], mode="reflect")
    value, grad = 0.0, np.zeros_like(padded)
    for r in range(ny):
        for c in range(nx):
            tile = padded[r * th:(r + 1) * th, c * tw:(c + 1) * tw]
            tile_grad = grad[r * th:(r + 1) * th, c * tw:(c + 1) * tw]  # a view: written in place
            start = 0
            for kernel in kernels:
                kh, kw, _, m = kernel.shape
                w_k, start = weights[start:start + m], start + m
                oh, ow = th - kh + 1, tw - kw + 1
                maps = sum(tile[i:i + oh, j:j + ow] @ kernel[i, j] for i in range(kh) for j in range(kw))
                value += np.mean((maps + maps ** 2) @ w_k) / (ny * nx)
                slope = (1 + 2 * maps) * w_k / (oh * ow * ny * nx)
                for i in range(kh):
                    for j in range(kw):
                        tile_grad[i:i + oh, j:j + ow] += slope @ kernel[i, j].T
    return value, np.roll(grad[:h, :w], (-shift[0], -shift[1]), axis=(0, 1))[None]


def _tiled_setup(seed):
    rng = np.random.default_rng(seed)
    kernels = [rng.normal(size=(1, 1, 2, 2)), rng.normal(size=(2, 2, 2, 3))]
    weights = rng.uniform(0.5, 1.5, size=5).astype(np.float32)
    feed = _tiled_feed(kernels)
    image = rng.normal(size=(1, 7, 10, 2)).astype(np.float32)
    return kernels, weights, feed, tiles.tiled_objective(feed, _tiled_objective, [2, 3], 2), image


def test_a_tiled_objective_averages_over_tiles_of_the_rolled_reflect_padded_image():
    kernels, weights, feed, objective, image = _tiled_setup(7)
    fn = Probe(resolve_model(feed)).function("g", lambda *args: value_and_gradient(objective, *args), [
        Spec((1, None, None, 2)), Spec((4,), "int32", static=True), Spec((2,), "int32"), Spec((5,))])
    tiling = tiles.grid(7, 10, 4)
    assert tiling.tolist() == [2, 3, 4, 4]  # 8 x 12: one reflected row, two reflected columns
    for shift in ([0, 0], [3, 5], [6, 9]):
        value, grad = fn(image, tiling, np.array(shift, np.int32), weights)
        expected_value, expected_grad = _numpy_tiled(image, kernels, weights, shift, tiling)
        np.testing.assert_allclose(value, expected_value, rtol=1e-5)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=1e-6)


def test_a_tiled_climb_follows_the_step_rule_with_each_steps_roll_written_out_in_numpy():
    kernels, weights, feed, objective, image = _tiled_setup(8)
    climb = Probe(resolve_model(feed)).function("climb", tiles.tiled_climb(objective), tiles.climb_specs(2, 5))
    shifts = np.array([[3, 5], [0, 0], [6, 1]], np.int32)
    low, high = np.array([-1.0, -0.5], np.float32), np.array([1.0, 2.0], np.float32)
    tiling = tiles.grid(7, 10, 4)
    out, history = climb(image, tiling, weights, shifts, np.arange(4, dtype=np.int32), 0.1, 2.0, low, high)
    x, expected = image.astype(np.float64), []
    for shift in shifts.tolist():
        value, grad = _numpy_tiled(x, kernels, weights, shift, tiling)
        expected.append(value)
        x = np.clip(x + 0.1 * 2.0 * grad / (np.sqrt(np.mean(grad ** 2)) + 1e-8), low, high)
    expected.append(_numpy_tiled(x, kernels, weights, [0, 0], tiling)[0])  # after the last step, unrolled
    assert np.any(x == high) and np.any(x == low)  # the bounds clip some pixels, per channel
    np.testing.assert_allclose(out, x, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(history, expected, rtol=1e-4)


def test_forward_takes_another_image_size_and_dtype_and_leaves_dropout_out():
    inputs = keras.Input((4, 4, 1))
    conv = keras.layers.Conv2D(2, 3, name="c", kernel_initializer=keras.initializers.GlorotUniform(2),
                               bias_initializer="ones")(inputs)
    probe = Probe(resolve_model(keras.Model(inputs, keras.layers.Dropout(0.5, name="drop")(conv))))
    kernel, bias = probe.model.network.get_layer("c").get_weights()
    X = np.random.default_rng(3).normal(size=(3, 6, 7, 1)).astype(np.float32)
    # the valid 3 x 3 convolution written out as shifted products; inference mode: the dropout passes it on
    expected = sum(X[:, i:i + 4, j:j + 5] @ kernel[i, j] for i in range(3) for j in range(3)) + bias
    np.testing.assert_allclose(probe.forward(["drop"], size=(6, 7))(X)[0], expected, rtol=1e-5, atol=1e-5)
    half = probe.forward(["drop"], size=(6, 7), dtype="float16")(X)[0]
    assert half.dtype == np.float16
    np.testing.assert_allclose(half, expected, rtol=1e-2, atol=1e-2)


def test_arguments_take_their_specs_dtype_and_a_static_scalar_comes_as_a_python_int():
    from skcnn.inspect._core.backends import convert

    specs = [Spec((3,)), [Spec((), "int32")], Spec((), "int32", static=True), Spec((1, 2), "int32", static=True)]
    floats, [count], static, pair = convert([np.arange(3), [np.float64(2.0)], np.int64(4), np.array([[2, 3]])],
                                            specs, lambda array: array)
    assert floats.dtype == np.float32 and floats.tolist() == [0.0, 1.0, 2.0]
    assert count.dtype == np.int32 and count == 2
    assert type(static) is int and static == 4
    assert pair == (2, 3)


def test_value_and_gradient_passes_extras_that_are_not_tensors_through():
    x = keras.ops.convert_to_tensor(np.array([[1.0, 2.0], [3.0, -1.0]], np.float32))
    values, grad, extra = value_and_gradient(lambda v: (keras.ops.sum(v ** 3, axis=1), None), x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(values), [9.0, 26.0])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grad), [[3.0, 12.0], [27.0, 3.0]])
    assert extra is None
