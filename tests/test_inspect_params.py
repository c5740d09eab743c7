"""Image parameterizations and transforms (keras.ops) against NumPy computations written out here."""

import inspect as pyinspect
import re

import numpy as np
import pytest

keras = pytest.importorskip("keras")
ops = keras.ops
pytestmark = pytest.mark.backend

from skcnn.inspect import params, transforms  # noqa: E402
from skcnn.inspect.params import COLOR_BASIS, ImageParam, fft_scale  # noqa: E402


def _np(x):
    return ops.convert_to_numpy(x)


def _value_and_weighted_gradient(fn, x, weights):
    """``fn(x)`` and the gradient of ``sum(fn(x) * weights)`` w.r.t. ``x``, by the backend's own autodiff."""
    name = keras.backend.backend()
    if name == "jax":
        import jax

        value, pullback = jax.vjp(fn, jax.numpy.asarray(x))
        return np.asarray(value), np.asarray(pullback(jax.numpy.asarray(weights))[0])
    if name == "torch":
        import torch

        x = torch.tensor(x, requires_grad=True)
        value = fn(x)
        grad, = torch.autograd.grad(torch.sum(value * torch.as_tensor(weights)), x)
        return value.detach().cpu().numpy(), grad.cpu().numpy()
    import tensorflow as tf

    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = fn(x)
        total = tf.reduce_sum(value * weights)
    return value.numpy(), tape.gradient(total, x).numpy()


def _numpy_decode(p, shape, basis):
    """The fft parameterization by np.fft: scaled half spectrum -> images, then the colour basis."""
    h, w, _ = shape
    spectrum = (p[..., 0] + 1j * p[..., 1]) * fft_scale(h, w).astype(np.float64)
    x = np.fft.irfft2(spectrum, s=(h, w)).transpose(0, 2, 3, 1)
    return x if basis is None else x @ np.asarray(basis, np.float64).T


# Small images decode by two matrix products, large ones (a side over 48) by the FFT: both routes are checked.
@pytest.mark.parametrize("shape", [(8, 8, 3), (6, 7, 3), (5, 4, 1), (70, 66, 3), (9, 65, 1)])
def test_fft_decode_and_encode_match_numpy(shape):
    h, w, c = shape
    rng = np.random.default_rng(0)
    basis = COLOR_BASIS if c == 3 else None
    param = ImageParam(shape, "fft", decorrelate=basis is not None)
    p = rng.normal(size=(2, c, h, w // 2 + 1, 2)).astype(np.float32)
    expected = _numpy_decode(p.astype(np.float64), shape, basis)
    np.testing.assert_allclose(param.decode_numpy(p), expected, atol=1e-5 * np.abs(expected).max())
    x = rng.normal(size=(2, h, w, c)).astype(np.float32)
    inverse = np.linalg.inv(np.asarray(basis, np.float64)) if basis is not None else np.eye(c)
    spectrum = np.fft.rfft2((x.astype(np.float64) @ inverse.T).transpose(0, 3, 1, 2)) / fft_scale(h, w)
    got = param.encode_numpy(x)
    np.testing.assert_allclose(got, np.stack([spectrum.real, spectrum.imag], -1), atol=1e-4 * np.abs(spectrum).max())


def test_pixel_decorrelate_is_the_basis_product():
    basis = np.array([[1.0, 0.2, 0.0], [0.0, 1.0, 0.3], [0.1, 0.0, 2.0]], np.float32)
    param = ImageParam((4, 5, 3), "pixel", decorrelate=basis)
    p = np.random.default_rng(1).normal(size=(2, 4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(param.decode_numpy(p), p @ basis.T, atol=1e-5)
    np.testing.assert_allclose(param.encode_numpy(p @ basis.T), p, atol=1e-4)


def test_modules_call_no_tensorflow():
    for module in (params, transforms):
        source = pyinspect.getsource(module)
        assert not re.search(r"\btf\.|tensorflow", source), module.__name__


def _numpy_affine(images, zoom, angle):
    """Bilinear zoom and rotation about the centre, edges extended: dense matrix, one row per output pixel."""
    n, h, w, c = images.shape
    matrix = np.zeros((h * w, h * w))
    for i in range(h):
        for j in range(w):
            r, q = i - (h - 1) / 2, j - (w - 1) / 2
            y = min(max((np.sin(angle) * q + np.cos(angle) * r) / zoom + (h - 1) / 2, 0), h - 1)
            x = min(max((np.cos(angle) * q - np.sin(angle) * r) / zoom + (w - 1) / 2, 0), w - 1)
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            fy, fx = y - y0, x - x0
            for yy, xx, weight in ((y0, x0, (1 - fy) * (1 - fx)), (y0, x0 + 1, (1 - fy) * fx),
                                   (y0 + 1, x0, fy * (1 - fx)), (y0 + 1, x0 + 1, fy * fx)):
                matrix[i * w + j, min(yy, h - 1) * w + min(xx, w - 1)] += weight
    return matrix


@pytest.mark.parametrize("zoom, angle", [(1.0, 0.3), (1.15, -0.2), (0.9, 0.0)])
def test_affine_and_its_gradient_match_a_dense_resampling(zoom, angle):
    rng = np.random.default_rng(2)
    images = rng.normal(size=(2, 7, 6, 2)).astype(np.float32)
    weights = rng.normal(size=images.shape).astype(np.float32)
    matrix = _numpy_affine(images, zoom, angle)
    flat = images.transpose(1, 2, 0, 3).reshape(42, -1)
    expected = (matrix @ flat).reshape(7, 6, 2, 2).transpose(2, 0, 1, 3)
    moved, got = _value_and_weighted_gradient(
        lambda x: transforms._affine(x, ops.convert_to_tensor(zoom), ops.convert_to_tensor(angle)), images, weights)
    np.testing.assert_allclose(moved, expected, atol=1e-5)
    grad = (matrix.T @ weights.transpose(1, 2, 0, 3).reshape(42, -1)).reshape(7, 6, 2, 2).transpose(2, 0, 1, 3)
    np.testing.assert_allclose(got, grad, atol=1e-5)


@pytest.mark.parametrize("mode", ["reflect", "constant"])
def test_pad_matches_numpy(mode):
    images = np.random.default_rng(3).normal(size=(2, 4, 5, 1)).astype(np.float32)
    expected = np.pad(images, [(0, 0), (2, 2), (2, 2), (0, 0)], mode=mode)
    np.testing.assert_array_equal(_np(transforms.pad(2, mode)(images, np.array([0, 0], np.int32))), expected)


def test_jitter_and_roll_move_by_a_seeded_shift_within_the_distance():
    images = np.arange(2 * 9 * 8, dtype=np.float32).reshape(2, 9, 8, 1)
    found_j, found_r = set(), set()
    for s in range(40):
        seed = np.array([s, 5], np.int32)
        cut = _np(transforms.jitter(2)(images, seed))
        windows = [(dy, dx) for dy in range(3) for dx in range(3)
                   if np.array_equal(cut, images[:, dy:dy + 7, dx:dx + 6])]
        assert len(windows) == 1
        found_j.add(windows[0])
        np.testing.assert_array_equal(_np(transforms.jitter(2)(images, seed)), cut)
        rolled = _np(transforms.roll(2)(images, seed))
        shifts = [(a, b) for a in range(-2, 3) for b in range(-2, 3)
                  if np.array_equal(rolled, np.roll(images, (a, b), axis=(1, 2)))]
        assert len(shifts) == 1
        found_r.add(shifts[0])
    assert len(found_j) > 3 and {a for a, _ in found_r} == {b for _, b in found_r} == {-2, -1, 0, 1, 2}


def test_fit_to_reflect_pads_then_crops_the_centre():
    images = np.random.default_rng(4).normal(size=(1, 10, 4, 2)).astype(np.float32)
    expected = np.pad(images, [(0, 0), (0, 0), (1, 2), (0, 0)], mode="reflect")[:, 1:8]
    np.testing.assert_array_equal(_np(transforms.fit_to(images, (7, 7))), expected)


def test_compose_resamples_scale_and_rotation_once_with_the_drawn_values():
    images = np.random.default_rng(5).normal(size=(2, 8, 8, 1)).astype(np.float32)
    scale, rotate = transforms.random_scale(0.8, 1.2), transforms.random_rotate(20)
    seed = np.array([4, 9], np.int32)
    got = _np(transforms.compose([scale, rotate, rotate], (8, 8))(images, seed))
    zoom, _ = scale.affine(seed + np.array([0, 104729], np.int32))
    angle = sum(float(rotate.affine(seed + np.array([0, k * 104729], np.int32))[1]) for k in (2, 3))
    zoom = float(zoom)
    assert 0.8 <= zoom <= 1.2 and abs(angle) <= 2 * np.radians(20) and zoom != 1.0 and angle != 0.0
    matrix = _numpy_affine(images, zoom, angle)
    expected = (matrix @ images.transpose(1, 2, 0, 3).reshape(64, -1)).reshape(8, 8, 2, 1).transpose(2, 0, 1, 3)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def _linear_map(fn, shape):
    """The matrix of a linear map on arrays of ``shape``, one column per unit array."""
    size = int(np.prod(shape))
    return np.stack([np.ravel(fn(np.eye(size)[k].reshape(shape))) for k in range(size)], axis=1)


def test_fft_decode_gradient_is_the_transposed_numpy_map():
    param = ImageParam((4, 5, 3), "fft", decorrelate=True)
    matrix = _linear_map(lambda q: _numpy_decode(q[None], (4, 5, 3), COLOR_BASIS)[0], param.param_shape)
    rng = np.random.default_rng(6)
    p = rng.normal(size=(2,) + param.param_shape).astype(np.float32)
    weights = rng.normal(size=(2, 4, 5, 3)).astype(np.float32)
    _, got = _value_and_weighted_gradient(param.decode, p, weights)
    expected = (weights.reshape(2, -1) @ matrix).reshape(p.shape)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def _numpy_standard_chain(images, dy, dx, zoom, angle, unit, size):
    """pad (zeros) -> window at (dy, dx) -> bilinear zoom and rotation -> centre crop, step by step in NumPy."""
    n, h, w, c = images.shape
    x = np.pad(images, [(0, 0), (unit, unit), (unit, unit), (0, 0)])
    x = x[:, dy:dy + h + unit, dx:dx + w + unit]
    hh, ww = x.shape[1:3]
    matrix = _numpy_affine(x, zoom, angle)
    x = (matrix @ x.transpose(1, 2, 0, 3).reshape(hh * ww, -1)).reshape(hh, ww, n, c).transpose(2, 0, 1, 3)
    top, left = (hh - size[0]) // 2, (ww - size[1]) // 2
    return x[:, top:top + size[0], left:left + size[1]]


def test_compose_of_the_standard_chain_and_its_gradient_match_numpy_step_by_step():
    h, w, unit = 8, 7, 2
    chain = [transforms.pad(unit, "constant"), transforms.jitter(unit), transforms.random_scale(0.8, 1.2),
             transforms.random_rotate(20)]
    apply = transforms.compose(chain, (h, w))
    rng = np.random.default_rng(7)
    images = rng.normal(size=(2, h, w, 2)).astype(np.float32)
    weights = rng.normal(size=images.shape).astype(np.float32)
    shifts = set()
    for s in range(6):
        seed = np.array([s, 3], np.int32)
        salted = [seed + np.array([0, 104729 * (k + 1)], np.int32) for k in range(4)]
        dy, dx = (int(transforms._uniform(salted[1], 0, unit + 1, salt, "int32")) for salt in (11, 13))
        zoom, angle = float(chain[2].affine(salted[2])[0]), float(chain[3].affine(salted[3])[1])
        shifts.add((dy, dx))
        one = lambda x: _numpy_standard_chain(x[None, ..., None], dy, dx, zoom, angle, unit, (h, w))[0, ..., 0]
        matrix = _linear_map(one, (h, w))
        moved, got = _value_and_weighted_gradient(lambda x: apply(x, seed), images, weights)
        flat = images.transpose(1, 2, 0, 3).reshape(h * w, -1)
        expected = (matrix @ flat).reshape(h, w, 2, 2).transpose(2, 0, 1, 3)
        np.testing.assert_allclose(moved, expected, atol=1e-5)
        grad = (matrix.T @ weights.transpose(1, 2, 0, 3).reshape(h * w, -1)).reshape(h, w, 2, 2).transpose(2, 0, 1, 3)
        np.testing.assert_allclose(got, grad, atol=1e-5)
    assert len(shifts) > 1


@pytest.mark.parametrize("size", [(12, 9), (14, 13)])
def test_compose_of_reflect_pad_and_roll_then_fit_matches_numpy(size):
    images = np.random.default_rng(8).normal(size=(2, 6, 5, 1)).astype(np.float32)
    seed = np.array([2, 11], np.int32)
    got = _np(transforms.compose([transforms.pad(3, "reflect"), transforms.roll(2)], size)(images, seed))
    shift = _np(transforms._ops.uniform(seed + np.array([0, 2 * 104729], np.int32), [2], -2, 3, "int32"))
    x = np.roll(np.pad(images, [(0, 0), (3, 3), (3, 3), (0, 0)], mode="reflect"), tuple(shift), axis=(1, 2))
    grow = [max(0, t - s) for t, s in zip(size, x.shape[1:3])]
    x = np.pad(x, [(0, 0), (grow[0] // 2, grow[0] - grow[0] // 2), (grow[1] // 2, grow[1] - grow[1] // 2), (0, 0)],
               mode="reflect")
    top, left = (x.shape[1] - size[0]) // 2, (x.shape[2] - size[1]) // 2
    np.testing.assert_array_equal(got, x[:, top:top + size[0], left:left + size[1]])


def test_compose_of_two_resamplings_around_a_zero_pad_matches_numpy():
    images = np.random.default_rng(9).normal(size=(2, 6, 7, 1)).astype(np.float32)
    rotate, scale = transforms.random_rotate(20), transforms.random_scale(0.8, 1.2)
    seed = np.array([6, 1], np.int32)
    got = _np(transforms.compose([rotate, transforms.pad(2, "constant"), scale], (6, 7))(images, seed))

    def resample(x, zoom, angle):
        n, h, w, c = x.shape
        flat = x.transpose(1, 2, 0, 3).reshape(h * w, -1)
        return (_numpy_affine(x, zoom, angle) @ flat).reshape(h, w, n, c).transpose(2, 0, 1, 3)

    angle = float(rotate.affine(seed + np.array([0, 104729], np.int32))[1])
    zoom = float(scale.affine(seed + np.array([0, 3 * 104729], np.int32))[0])
    x = np.pad(resample(images, 1.0, angle), [(0, 0), (2, 2), (2, 2), (0, 0)])
    np.testing.assert_allclose(got, resample(x, zoom, 0.0)[:, 2:8, 2:9], atol=1e-5)
