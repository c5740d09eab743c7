"""The runtime's seeded draws and real FFT (skcnn/inspect/_core/ops.py), against NumPy written out here."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skcnn.inspect._core import ops  # noqa: E402

pytestmark = pytest.mark.backend

_MASK = np.uint64(0xFFFFFFFF)


def _mix(x):
    """The 32-bit integer hash of the generator, on uint64 arrays holding uint32 values."""
    x = x ^ (x >> np.uint64(16))
    x = (x * np.uint64(0x7FEB352D)) & _MASK
    x = x ^ (x >> np.uint64(15))
    x = (x * np.uint64(0x846CA68B)) & _MASK
    return x ^ (x >> np.uint64(16))


def _unit(seed, n, stream):
    golden = np.uint64(0x9E3779B9)
    s0, s1 = (np.uint64(int(v) & 0xFFFFFFFF) for v in seed)
    key = _mix((_mix((s0 + np.uint64(stream) * golden) & _MASK) + s1) & _MASK)
    counter = (np.arange(n, dtype=np.uint64) * golden) & _MASK
    bits = _mix(_mix((counter + key) & _MASK) ^ key)
    return (bits >> np.uint64(8)).astype(np.float64) / 2.0**24


def _seed(a, b):
    return keras.ops.convert_to_tensor(np.array([a, b], "int32"))


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("seed", [(3, 7), (0, 0), (-5, 2**31 - 1)])
def test_uniform_draws_are_the_hash_written_out_in_numpy(seed):
    u = _numpy(ops.uniform(_seed(*seed), (4, 5), -1.0, 3.0))
    np.testing.assert_allclose(u, (-1.0 + 4.0 * _unit(seed, 20, 0)).reshape(4, 5), rtol=0, atol=1e-6)
    integers = _numpy(ops.uniform(_seed(*seed), (50,), -3, 4, "int32"))
    np.testing.assert_array_equal(integers, np.floor(-3 + 7 * _unit(seed, 50, 0)).astype(np.int32))


def test_normal_draws_are_box_muller_of_two_independent_streams():
    z = _numpy(ops.normal(_seed(11, 4), (3, 7)))
    radius = np.sqrt(-2.0 * np.log(1.0 - _unit((11, 4), 21, 1)))
    expected = radius * np.cos(2.0 * np.pi * _unit((11, 4), 21, 2))
    np.testing.assert_allclose(z, expected.reshape(3, 7), rtol=1e-5, atol=1e-5)


def test_draws_look_uniform_and_normal_and_depend_on_both_halves_of_the_seed():
    u = _numpy(ops.uniform(_seed(1, 2), (200_000,), 0.0, 1.0))
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.std() - 12 ** -0.5) < 0.005
    assert np.histogram(u, bins=10, range=(0, 1))[0].min() > 19_000
    z = _numpy(ops.normal(_seed(1, 2), (200_000,)))
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    others = [_numpy(ops.uniform(_seed(*s), (1000,), 0.0, 1.0)) for s in ((1, 3), (2, 2))]
    for other in others:
        assert abs(np.corrcoef(u[:1000], other)[0, 1]) < 0.1
    np.testing.assert_array_equal(u[:1000], _numpy(ops.uniform(_seed(1, 2), (1000,), 0.0, 1.0)))


def test_real_fft_pair_matches_numpy_and_inverts():
    x = np.random.default_rng(0).normal(size=(2, 3, 6, 7)).astype(np.float32)
    real, imag = ops.rfft2(keras.ops.convert_to_tensor(x), (6, 7))
    spectrum = np.fft.rfft2(x)
    np.testing.assert_allclose(_numpy(real), spectrum.real, atol=2e-5)
    np.testing.assert_allclose(_numpy(imag), spectrum.imag, atol=2e-5)
    np.testing.assert_allclose(_numpy(ops.irfft2(real, imag, (6, 7))), x, atol=2e-6)
