import numpy as np
import pytest

from skcnn._validation import check_int, check_number, is_int


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
