"""Checks of scalar parameters shared by the estimators and the inspectors.

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
