"""Checks of scalar parameters (and of per-image arrays) shared by the estimators and the inspectors.

Every failure is a ValueError that names the parameter and says what it
accepts.

Examples
--------
>>> check_int(3, "steps")
3
>>> check_number(0, "learning_rate", strict=True)
Traceback (most recent call last):
...
ValueError: learning_rate must be a positive number, got 0.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def is_int(value) -> bool:
    """True for integers (NumPy's included), False for bools and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(value, name, low=1) -> int:
    """``value`` as an int >= ``low``, else a ValueError naming ``name``."""
    if not is_int(value) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
    return int(value)


def check_number(value, name, *, low=0, strict=False) -> float:
    """``value`` as a finite float >= ``low`` (> ``low`` when ``strict``), else a ValueError naming ``name``."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (value <= low if strict else value < low):
        expected = "a positive number" if strict and low == 0 else f"a number {'>' if strict else '>='} {low}"
        raise ValueError(f"{name} must be {expected}, got {value!r}.")
    return float(value)


def _item_forms(shape, image):
    """The shapes one item may take: ``shape``, and for an image ``(h, w)`` (one channel) and flat."""
    forms = [shape]
    if image and len(shape) == 3:
        if shape[2] == 1:
            forms.append(shape[:2])
        forms.append((math.prod(shape),))
    return list(dict.fromkeys(forms))


def _shape_text(shape):
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def check_per_image(values, n, shape, name, *, image=True, dtype=None, note=""):
    """``values`` as ``(n,) + shape``: one item for every image, a batch of one, or one per image.

    The parameters that take "one image or one per image" (a baseline, a
    fill, a mask) all read their value here, so that they accept the same
    forms: one item, broadcast to all ``n`` images; a batch of one
    ``(1,) + shape``, broadcast the same way (as NumPy, Captum and xplique
    do); or ``n`` items ``(n,) + shape``. With ``image=True`` and an image
    ``shape`` of ``(height, width, channels)``, one item may also be written
    ``(height, width)`` (one channel) or flat ``(height * width * channels,)``,
    as the images themselves may. Anything else is a ValueError that names
    ``name`` and the shapes expected: values of the right size in the wrong
    shape are never reshaped silently.

    Parameters
    ----------
    values : array-like
    n : int
        The number of images.
    shape : tuple of int
        The shape of one item.
    name : str
        The parameter's name, for the error.
    image : bool, default=True
        Also accept an image's other spellings (see above).
    dtype : dtype, optional
        Convert to this dtype first.
    note : str, default=""
        Appended to the error in parentheses (e.g. ``"pixel space"``).

    Returns
    -------
    ndarray of shape ``(n,) + shape``
        A read-only broadcast view where one item was given.

    Examples
    --------
    >>> import numpy as np
    >>> check_per_image(np.zeros((1, 4, 5, 1)), 3, (4, 5, 1), "baseline").shape
    (3, 4, 5, 1)
    >>> check_per_image(np.arange(20), 2, (4, 5, 1), "baseline")[1, 0, :, 0].tolist()
    [0, 1, 2, 3, 4]
    >>> check_per_image(np.zeros((2, 4, 5)), 3, (4, 5, 1), "fill")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: fill must be one image of shape (4, 5, 1), (4, 5) or (20,), a batch of one (1, 4, 5, 1) or ...
    """
    shape = tuple(int(s) for s in shape)
    forms = _item_forms(shape, image)
    noun = "image" if image else "item"
    one = ", ".join(map(_shape_text, forms[:-1])) + (" or " if len(forms) > 1 else "") + _shape_text(forms[-1])
    expected = (f"one {noun} of shape {one}, a batch of one {_shape_text((1,) + shape)} or one per image "
                f"{_shape_text((n,) + shape)}")
    suffix = f" ({note})" if note else ""
    try:
        values = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {expected}{suffix}, as an array of numbers; got "
                         f"{type(values).__name__} that is not one.") from None
    if values.shape in forms:
        values = values.reshape((1,) + shape)
    elif values.ndim >= 2 and values.shape[0] in (1, n) and values.shape[1:] in forms:
        values = values.reshape((len(values),) + shape)
    else:
        raise ValueError(f"{name} must be {expected}{suffix}; got shape {values.shape}.")
    return np.broadcast_to(values, (n,) + shape)
