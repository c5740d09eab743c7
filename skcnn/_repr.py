"""Short, readable ``repr`` for result objects.

Inspectors return small dataclasses full of arrays; the default dataclass
``repr`` prints every array in full (thousands of lines). Results inherit
:class:`ShortReprMixin` and are declared ``@dataclass(repr=False)``: arrays show
as their dtype and shape (tiny ones with their values), numbers to four
significant digits, one field per line when the whole does not fit on one.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

__all__ = ["ShortReprMixin", "summarize"]

_WIDTH = 100
_INLINE_SIZE = 6  # arrays with at most this many elements show their values


def summarize(value):
    """A short text for one field value.

    Examples
    --------
    >>> import numpy as np
    >>> summarize(np.zeros((64, 28, 28, 1), dtype="float32"))
    'float32 (64, 28, 28, 1)'
    >>> summarize(np.array([3, 5])), summarize(0.123456), summarize({"a": 1})
    ('[3 5]', '0.1235', 'dict of 1')
    """
    if isinstance(value, np.ndarray):
        if value.size <= _INLINE_SIZE and value.ndim <= 1:
            return np.array2string(value, precision=4, separator=" ")
        return f"{value.dtype} {tuple(value.shape)}"
    if isinstance(value, (bool, np.bool_)) or value is None:
        return repr(value)
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return f"{float(value):.4g}"
    if isinstance(value, (list, tuple, dict, set)) and len(value) > _INLINE_SIZE or isinstance(value, dict):
        return f"{type(value).__name__} of {len(value)}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class ShortReprMixin:
    """Mixin for ``@dataclass(repr=False)`` results: a ``repr`` of a few lines.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> import numpy as np
    >>> @dataclass(repr=False)
    ... class Result(ShortReprMixin):
    ...     layer: str
    ...     images: np.ndarray
    ...     seconds: float
    >>> Result("conv3", np.zeros((8, 28, 28, 1)), 1.23456)
    Result(layer='conv3', images=float64 (8, 28, 28, 1), seconds=1.235)
    """

    def _repr_fields(self):
        """``(name, value)`` pairs to show; dataclass fields by default."""
        if dataclasses.is_dataclass(self):
            return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if f.repr]
        return list(vars(self).items())

    def __repr__(self):
        parts = [f"{name}={summarize(value)}" for name, value in self._repr_fields()]
        name = type(self).__name__
        line = f"{name}({', '.join(parts)})"
        if len(line) <= _WIDTH:
            return line
        return f"{name}(\n" + "".join(f"    {part},\n" for part in parts) + ")"
