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

__all__ = ["Loss", "get_loss", "output_delta", "loss_value", "check_sample_weight"]


def _eps(a):
    return np.finfo(a.dtype).eps if np.issubdtype(a.dtype, np.floating) else 1e-15


@dataclass(frozen=True)
class Loss:
    """A loss ``value(a, t)`` and its gradient ``gradient(a, t)`` with respect to ``a``.

    ``canonical`` names the output activation for which ``dL/dz`` simplifies to
    ``(a - t) / n`` (sigmoid for log_loss, softmax for cross-entropy).
    ``per_sample(a, t)`` gives the loss of every row (shape ``(n,)``, so that
    ``value`` is its mean); sample weights need it.
    """

    name: str
    value: Callable
    gradient: Callable
    canonical: str | None = None
    per_sample: Callable | None = None

    def __call__(self, a, t):
        return self.value(a, t)


def _squared(a, t):
    d = a - t
    return 0.5 * float(np.einsum("ij,ij->", d, d)) / a.shape[0]


def _squared_rows(a, t):
    d = a - t
    return 0.5 * np.einsum("ij,ij->i", d, d)


def _squared_grad(a, t):
    return (a - t) / a.shape[0]


def _log_loss(a, t):
    eps = _eps(a)
    a = np.clip(a, eps, 1 - eps)
    return -float(np.sum(t * np.log(a) + (1 - t) * np.log1p(-a))) / a.shape[0]


def _log_loss_rows(a, t):
    eps = _eps(a)
    a = np.clip(a, eps, 1 - eps)
    return -np.sum(t * np.log(a) + (1 - t) * np.log1p(-a), axis=1)


def _log_loss_grad(a, t):
    eps = _eps(a)
    a = np.clip(a, eps, 1 - eps)
    return (a - t) / (a * (1 - a)) / a.shape[0]


def _cce(a, t):
    a = np.clip(a, _eps(a), 1)
    return -float(np.sum(t * np.log(a))) / a.shape[0]


def _cce_rows(a, t):
    return -np.sum(t * np.log(np.clip(a, _eps(a), 1)), axis=1)


def _cce_grad(a, t):
    return -t / np.clip(a, _eps(a), 1) / a.shape[0]


_registry.register("squared", Loss("squared", _squared, _squared_grad, per_sample=_squared_rows))
_registry.register("log_loss", Loss("log_loss", _log_loss, _log_loss_grad, canonical="sigmoid",
                                    per_sample=_log_loss_rows))
_registry.register(
    "categorical_crossentropy",
    Loss("categorical_crossentropy", _cce, _cce_grad, canonical="softmax", per_sample=_cce_rows),
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


def check_sample_weight(sample_weight, X):
    """``sample_weight`` checked for ``X`` as float64 (None stays None): non-negative, with a positive sum.

    Examples
    --------
    >>> check_sample_weight([1, 0, 2], np.zeros((3, 1))).tolist()
    [1.0, 0.0, 2.0]
    """
    if sample_weight is None:
        return None
    from sklearn.utils.validation import _check_sample_weight

    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    if not sw.sum() > 0:
        raise ValueError("sample_weight must hold at least one positive weight; all weights are 0.")
    return sw


def loss_value(loss: Loss, a, t, row_weights=None):
    """``loss.value(a, t)``, or with ``row_weights`` the weighted sum of the rows' losses.

    ``row_weights`` (shape ``(n,)``) replace the ``1 / n`` of the mean: the
    sample weights divided by their sum give the weighted mean.

    Examples
    --------
    >>> a, t = np.array([[0.2], [0.6]]), np.array([[0.0], [1.0]])
    >>> sq = get_loss("squared")
    >>> loss_value(sq, a, t) == loss_value(sq, a, t, np.array([0.5, 0.5]))
    True
    >>> round(loss_value(sq, a, t, np.array([1.0, 0.0])), 6)
    0.02
    """
    if row_weights is None:
        return float(loss.value(a, t))
    if loss.per_sample is None:
        raise ValueError(
            f"The loss {loss.name!r} has no per-sample values (Loss.per_sample), which sample_weight needs; "
            f"give it one or fit without sample_weight."
        )
    return float(np.dot(row_weights, loss.per_sample(a, t)))


def output_delta(loss: Loss, activation, z, a, t, out=None, row_weights=None):
    """Gradient of ``loss`` with respect to the output pre-activations ``z``.

    Uses the exact shortcut ``(a - t) / n`` for the canonical pairs (sigmoid
    with log-loss, softmax with cross-entropy, and for softmax with log-loss
    the same per-node formula); otherwise chains the loss gradient through the
    activation. ``row_weights`` (see :func:`loss_value`) weight the rows
    instead of ``1 / n``.
    """
    if loss.canonical is not None and activation.name == loss.canonical:
        out = np.subtract(a, t, out=out)
        out /= a.shape[0]
    else:
        out = activation.backward(loss.gradient(a, t), z, a, out=out)
    if row_weights is not None:  # each row's share: row_weights instead of 1 / n
        out *= (np.asarray(row_weights, dtype=out.dtype) * a.shape[0])[:, None]
    return out
