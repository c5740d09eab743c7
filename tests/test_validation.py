import re

import numpy as np
import pytest

from skcnn._validation import check_int, check_number, check_per_image, is_int


def test_is_int():
    assert is_int(3) and is_int(np.int64(3))
    assert not is_int(True) and not is_int(3.0) and not is_int("3")


@pytest.mark.parametrize("value", [0, -1, 2.0, True, "1", None])
def test_check_int_rejects(value):
    with pytest.raises(ValueError, match=r"n must be an int >= 1, got"):
        check_int(value, "n")


@pytest.mark.parametrize("value, kwargs, match", [
    (-0.1, {}, "x must be a number >= 0, got"),
    (float("inf"), {}, "x must be a number >= 0"),
    (float("nan"), {}, "x must be a number >= 0"),
    (0, {"strict": True}, "x must be a positive number"),
    (1, {"low": 1, "strict": True}, "x must be a number > 1"),
    (False, {}, "x must be a number"),
])
def test_check_number_rejects(value, kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_number(value, "x", **kwargs)


def test_check_number_returns_float():
    assert check_number(np.float32(0.5), "x") == 0.5 and isinstance(check_number(2, "x"), float)


# ------------------------------------------------------------------ one item, a batch of one, one per image
def _image(shape=(4, 5, 1), seed=0):
    return np.random.default_rng(seed).random(shape)


@pytest.mark.parametrize("form", [
    lambda b: b, lambda b: b[None], lambda b: b[..., 0], lambda b: b[None, ..., 0], lambda b: b.ravel(),
    lambda b: b.reshape(1, -1), lambda b: b.tolist(),
])
def test_check_per_image_broadcasts_one_image_as_repeating_it(form):
    b = _image()
    got = check_per_image(form(b), 3, (4, 5, 1), "baseline")
    assert got.shape == (3, 4, 5, 1)
    np.testing.assert_array_equal(got, np.stack([b, b, b]))  # written out, not broadcast


@pytest.mark.parametrize("form", [lambda b: b, lambda b: b[..., 0], lambda b: b.reshape(3, -1)])
def test_check_per_image_keeps_one_per_image(form):
    b = np.stack([_image(seed=k) for k in range(3)])
    np.testing.assert_array_equal(check_per_image(form(b), 3, (4, 5, 1), "fill"), b)


def test_check_per_image_with_three_channels_and_one_image():
    b = _image((4, 5, 3))
    np.testing.assert_array_equal(check_per_image(b.ravel(), 2, (4, 5, 3), "x"), np.stack([b, b]))
    np.testing.assert_array_equal(check_per_image(b[None], 1, (4, 5, 3), "x"), b[None])
    with pytest.raises(ValueError, match=r"^x must be one image of shape \(4, 5, 3\) or \(60,\), a batch of one"):
        check_per_image(b[..., 0], 2, (4, 5, 3), "x")  # (h, w) is one image only with one channel


def test_check_per_image_of_other_items_takes_only_their_shape():
    spatial = _image((4, 5))
    np.testing.assert_array_equal(check_per_image(spatial[None], 2, (4, 5), "spatial", image=False),
                                  np.stack([spatial, spatial]))
    with pytest.raises(ValueError, match=r"^spatial must be one item of shape \(4, 5\), a batch of one \(1, 4, 5\) "
                                         r"or one per image \(2, 4, 5\); got shape \(20,\)\.$"):
        check_per_image(spatial.ravel(), 2, (4, 5), "spatial", image=False)


@pytest.mark.parametrize("shape", [(2, 4, 5, 1), (5, 4, 3), (20, 3), (3, 20, 1), (1, 1, 4, 5, 1), (4, 5, 2), ()])
def test_check_per_image_refuses_other_shapes_by_name(shape):
    # (5, 4, 3) and (20, 3) hold as many values as three images but are not images: never reshaped silently
    with pytest.raises(ValueError, match=r"^fill must be one image of shape \(4, 5, 1\), \(4, 5\) or \(20,\), a batch "
                                         r"of one \(1, 4, 5, 1\) or one per image \(3, 4, 5, 1\) \(pixel space\); "
                                         rf"got shape {re.escape(str(shape))}\.$"):
        check_per_image(np.zeros(shape), 3, (4, 5, 1), "fill", note="pixel space")


@pytest.mark.parametrize("values", [[[0.0, 1.0], [2.0]], "black", {"a": 1}])
def test_check_per_image_refuses_what_is_not_an_array_of_numbers(values):
    with pytest.raises(ValueError, match=r"^baseline must be one image of shape \(2, 2, 1\).* as an array of numbers"):
        check_per_image(values, 3, (2, 2, 1), "baseline", dtype=np.float32)
