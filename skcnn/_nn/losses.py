"""Losses with their gradients, registered by name.

Every loss is averaged over samples and summed over output nodes, so its
gradient with respect to the outputs ``a`` carries a factor ``1 / n_samples``.

- ``"squared"``: ``mean_i sum_k 0.5 * (a_ik - t_ik)**2`` (the series' cost).
- ``"log_loss"``: binary cross-entropy per output node (sigmoid outputs, one
  node per class as in the series), with outputs clipped away from 0 and 1.
- ``"categorical_crossentropy"``: ``-mean_i sum_k t_ik log a_ik`` (softmax outputs).

Examples
--------
>>> import numpy as np
>>> from skcnn.plugins import losses
>>> sq = losses.get("squared")
>>> round(sq(np.array([[0.5]]), np.array([[0.7]])), 6)
0.02
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..plugins import losses as _registry

__all__ = ["Loss", "get_loss", "output_delta"]


def _eps(a):
    return np.finfo(a.dtype).eps if np.issubdtype(a.dtype, np.floating) else 1e-15


@dataclass(frozen=True)
class Loss:
    """A loss ``value(a, t)`` and its gradient ``gradient(a, t)`` with respect to ``a``.

    ``canonical`` names the output activation for which ``dL/dz`` simplifies to
    ``(a - t) / n`` (sigmoid for log_loss, softmax for cross-entropy).
    """

    name: str
    value: Callable
    gradient: Callable
    canonical: str | None = None

    def __call__(self, a, t):
        return self.value(a, t)


def _squared(a, t):
    d = a - t
    return 0.5 * float(np.einsum("ij,ij->", d, d)) / a.shape[0]


def _squared_grad(a, t):
    return (a - t) / a.shape[0]


def _log_loss(a, t):
    eps = _eps(a)
    a = np.clip(a, eps, 1 - eps)
    return -float(np.sum(t * np.log(a) + (1 - t) * np.log1p(-a))) / a.shape[0]


def _log_loss_grad(a, t):
    eps = _eps(a)
    a = np.clip(a, eps, 1 - eps)
    return (a - t) / (a * (1 - a)) / a.shape[0]


def _cce(a, t):
    a = np.clip(a, _eps(a), 1)
    return -float(np.sum(t * np.log(a))) / a.shape[0]


def _cce_grad(a, t):
    return -t / np.clip(a, _eps(a), 1) / a.shape[0]


_registry.register("squared", Loss("squared", _squared, _squared_grad))
_registry.register("log_loss", Loss("log_loss", _log_loss, _log_loss_grad, canonical="sigmoid"))
_registry.register(
    "categorical_crossentropy",
    Loss("categorical_crossentropy", _cce, _cce_grad, canonical="softmax"),
)


def get_loss(loss) -> Loss:
    """Look up a loss by name or accept a :class:`Loss` instance.

    Examples
    --------
    >>> get_loss("log_loss").canonical
    'sigmoid'
    """
    found = _registry.get(loss)
    if not isinstance(found, Loss):
        raise ValueError(f"A custom loss must be an skcnn Loss instance, got {loss!r}.")
    return found


def output_delta(loss: Loss, activation, z, a, t, out=None):
    """Gradient of ``loss`` with respect to the output pre-activations ``z``.

    Uses the exact shortcut ``(a - t) / n`` for the canonical pairs (sigmoid
    with log-loss, softmax with cross-entropy, and for softmax with log-loss
    the same per-node formula); otherwise chains the loss gradient through the
    activation.
    """
    if loss.canonical is not None and activation.name == loss.canonical:
        out = np.subtract(a, t, out=out)
        out /= a.shape[0]
        return out
    return activation.backward(loss.gradient(a, t), z, a, out=out)
