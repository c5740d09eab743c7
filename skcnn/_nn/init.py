"""Weight initializers, registered by name.

An initializer is called as ``init(fan_in, fan_out, rng, scale, dtype)`` and
returns a ``(fan_in, fan_out)`` weight matrix.

- ``"uniform"``: the series' rule, uniform in ``+- scale / sqrt(fan_in)``.
- ``"glorot"``: Glorot/Xavier uniform, ``+- scale * sqrt(6 / (fan_in + fan_out))``.

Examples
--------
>>> import numpy as np
>>> from skcnn.plugins import initializers
>>> W = initializers.get("uniform")(784, 70, np.random.default_rng(0), 1.0, np.float32)
>>> W.shape, bool(np.abs(W).max() <= 1 / 28)
((784, 70), True)
"""

from __future__ import annotations

import numpy as np

from ..plugins import initializers as _registry


@_registry.register("uniform")
def uniform(fan_in, fan_out, rng, scale=1.0, dtype=np.float64):
    """Uniform in ``[-scale / sqrt(fan_in), scale / sqrt(fan_in)]`` (the series' rule)."""
    limit = scale / np.sqrt(fan_in)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype, copy=False)


@_registry.register("glorot")
def glorot(fan_in, fan_out, rng, scale=1.0, dtype=np.float64):
    """Glorot uniform: ``[-l, l]`` with ``l = scale * sqrt(6 / (fan_in + fan_out))``."""
    limit = scale * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype, copy=False)
