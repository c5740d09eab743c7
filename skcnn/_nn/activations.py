"""Activation functions with their derivatives, registered by name.

Every activation maps pre-activations ``z`` to outputs ``a``. ``backward``
turns a gradient with respect to ``a`` into one with respect to ``z``; for the
element-wise functions this is ``grad * derivative(z, a)``, for softmax it is
the product with the Jacobian. Derivatives are written in terms of ``a`` where
that is cheaper, so the forward output can be reused in backpropagation.

Examples
--------
>>> import numpy as np
>>> from skcnn.plugins import activations
>>> sig = activations.get("sigmoid")
>>> a = sig(np.array([0.0]))
>>> float(a[0]), float(sig.derivative(np.array([0.0]), a)[0])
(0.5, 0.25)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit

from ..plugins import activations as _registry

__all__ = ["Activation", "get_activation"]

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805
_LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """An activation function and its derivative.

    Parameters
    ----------
    name : str
    forward : callable ``(z, out) -> a``
        Writes into ``out`` when given (``out`` may be ``z`` itself).
    derivative : callable ``(z, a) -> da/dz``, or None
        Element-wise derivative; None for non-element-wise functions (softmax),
        which define ``jacobian_product`` instead.
    jacobian_product : callable ``(grad, z, a) -> grad_z``, optional
    """

    name: str
    forward: Callable
    derivative: Callable | None = None
    jacobian_product: Callable | None = None

    def __call__(self, z, out=None):
        return self.forward(z, out)

    @property
    def elementwise(self) -> bool:
        return self.derivative is not None

    def backward(self, grad, z, a, out=None):
        """Gradient with respect to ``z`` given the gradient ``grad`` with respect to ``a``."""
        if self.jacobian_product is not None:
            return _into(out, self.jacobian_product(grad, z, a))
        return np.multiply(grad, self.derivative(z, a), out=out)


def _register(name, forward, derivative=None, jacobian_product=None):
    act = Activation(name, forward, derivative, jacobian_product)
    _registry.register(name, act)
    return act


def _softmax(z, out=None):
    out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def _into(out, value):
    """Return ``value``, written into ``out`` when a buffer is given."""
    if out is None:
        return value
    out[...] = value
    return out


def _elu_forward(z, out=None):
    return _into(out, np.where(z > 0, z, np.expm1(np.minimum(z, 0))))


def _selu_forward(z, out=None):
    return _into(out, _SELU_SCALE * np.where(z > 0, z, _SELU_ALPHA * np.expm1(np.minimum(z, 0))))


def _leaky_forward(z, out=None):
    return _into(out, np.where(z > 0, z, _LEAKY_SLOPE * z))


def _identity_forward(z, out=None):
    return _into(out, z) if out is not z else z


def _sigmoid(z, out=None):
    """Logistic function; float32 goes through ``tanh`` (several times faster than ``expit``).

    ``sigmoid(z) = (1 + tanh(z / 2)) / 2`` is exact math; in float32 its absolute
    error stays below 1e-7 (tiny outputs round to 0, which losses clip anyway).
    Other dtypes use :func:`scipy.special.expit`.
    """
    if getattr(z, "dtype", None) != np.float32:
        return expit(z, out=out)
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    np.multiply(out, 0.5, out=out)
    np.add(out, 0.5, out=out)
    return out


def _softplus(z, out=None):
    return np.logaddexp(0, z, out=out)


_register("sigmoid", _sigmoid, lambda z, a: a * (1 - a))
_register("tanh", lambda z, out=None: np.tanh(z, out=out), lambda z, a: 1 - a * a)
_register("relu", lambda z, out=None: np.maximum(z, 0, out=out), lambda z, a: (a > 0).astype(a.dtype))
_register("leaky_relu", _leaky_forward, lambda z, a: np.where(a > 0, 1, _LEAKY_SLOPE).astype(a.dtype))
_register("elu", _elu_forward, lambda z, a: np.where(a > 0, 1, a + 1).astype(a.dtype))
_register(
    "selu",
    _selu_forward,
    lambda z, a: np.where(a > 0, _SELU_SCALE, a + _SELU_SCALE * _SELU_ALPHA).astype(a.dtype),
)
_register("softplus", _softplus, lambda z, a: expit(z))
_register("identity", _identity_forward, lambda z, a: np.ones_like(a))
_register(
    "softmax",
    _softmax,
    jacobian_product=lambda g, z, a: a * (g - np.sum(g * a, axis=1, keepdims=True)),
)


def get_activation(activation) -> Activation:
    """Look up an activation by name, or wrap a user's function.

    Parameters
    ----------
    activation : str, Activation or callable
        A registered name, an :class:`Activation`, or a callable ``f(z)`` that
        has a ``derivative(z, a)`` attribute.

    Returns
    -------
    Activation

    Examples
    --------
    >>> get_activation("relu").name
    'relu'
    """
    act = _registry.get(activation)
    if isinstance(act, Activation):
        return act
    derivative = getattr(act, "derivative", None)
    if derivative is None:
        raise ValueError(
            f"A custom activation must be an skcnn Activation or a callable with a "
            f"'derivative(z, a)' attribute; got {activation!r}."
        )
    return Activation(getattr(act, "__name__", "custom"), lambda z, out=None: act(z), derivative)
