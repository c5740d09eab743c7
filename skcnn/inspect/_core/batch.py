"""The one batch loop of the inspectors: memory-budgeted batches, padding, a seed per batch.

Examples
--------
>>> import numpy as np
>>> batch_bounds(10, 4)
[(0, 4), (4, 8), (8, 10)]
>>> run_in_batches(lambda a, b: (a + b, a * b), [np.arange(5.0), np.ones(5)], 2)
[array([1., 2., 3., 4., 5.]), array([0., 1., 2., 3., 4.])]
>>> budget_batch_size(values_per_image=1000, budget=2**20)
1048
"""

from __future__ import annotations

import numpy as np

__all__ = ["batch_bounds", "budget_batch_size", "pad_to", "run_in_batches", "batch_seeds", "MEMORY_BUDGET"]

MEMORY_BUDGET = 2**22  # float32 values the largest tensor of one batch may hold (16 MiB)


def batch_bounds(n, batch_size):
    """``[(start, stop), ...]`` covering ``range(n)`` in batches of ``batch_size``."""
    return [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]


def budget_batch_size(values_per_image, budget=MEMORY_BUDGET, *, per_image=1):
    """The most images whose largest tensor (``values_per_image`` each, ``per_image`` copies) fits ``budget``."""
    return max(1, int(budget) // max(1, int(values_per_image) * max(1, int(per_image))))


def pad_to(arrays, size):
    """Each array padded to ``size`` rows by repeating its last row (one compiled shape serves every batch)."""
    fill = size - len(arrays[0])
    if fill <= 0:
        return list(arrays)
    return [np.concatenate([a, np.repeat(a[-1:], fill, axis=0)]) for a in arrays]


def batch_seeds(random_state, n_batches):
    """One independent integer seed per batch, drawn from ``random_state`` (an int, None or a Generator)."""
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    return [int(s) for s in rng.integers(0, 2**31 - 1, size=n_batches)]


def run_in_batches(fn, arrays, batch_size, *extra, pad=False):
    """``fn(*batch_of_each_array, *extra)`` batch by batch; each output concatenated over the batches.

    With ``pad``, the last batch is padded to ``batch_size`` rows (and the
    padding dropped from the outputs), so that a function compiled for a
    fixed batch shape serves it too.
    """
    n = len(arrays[0])
    outputs = None
    for start, stop in batch_bounds(n, batch_size):
        part = [a[start:stop] for a in arrays]
        if pad:
            part = pad_to(part, batch_size)
        out = fn(*part, *extra)
        out = [np.asarray(o)[:stop - start] for o in (out if isinstance(out, (list, tuple)) else [out])]
        outputs = [[o] for o in out] if outputs is None else [acc + [o] for acc, o in zip(outputs, out)]
    return [np.concatenate(parts) for parts in outputs]
