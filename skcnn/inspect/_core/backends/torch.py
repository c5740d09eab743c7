"""The runtime on PyTorch: eager calls under ``torch.no_grad()``, gradients by ``torch.autograd.grad``.

Keras on PyTorch runs eagerly; ``torch.compile`` is not used (see the
performance page for what it would cost and save). Forward work runs without
recording a graph; :func:`value_and_gradient` switches recording on for the
one tensor it differentiates.
"""

from __future__ import annotations

import torch

from . import convert

NAME = "torch"
SHAPE_ERRORS = (ValueError, RuntimeError)


def compile(fn, specs, variables=(), jit_compile=False):  # noqa: A001 (the backend's verb)
    """``fn`` of NumPy arrays, run eagerly without autograd (``variables`` and ``jit_compile`` are unused)."""

    def call(*args):
        import keras

        with torch.no_grad():
            return fn(*convert(args, specs, keras.ops.convert_to_tensor))

    return call


def _detached(out):
    if isinstance(out, (list, tuple)):
        return type(out)(_detached(o) for o in out)
    return out.detach() if isinstance(out, torch.Tensor) else out


def value_and_gradient(fn, x, *args):
    """Per-image values of ``fn(x, *args)`` and the gradient of their sum w.r.t. ``x`` (see ``probe``)."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        out = fn(x, *args)
        values = out[0] if isinstance(out, tuple) else out
        grad, = torch.autograd.grad(torch.sum(values), x)
    return _detached(out), grad


def rfft2(x, size):
    """The half spectrum ``(real, imag)`` of real images ``(..., h, w)``."""
    spectrum = torch.fft.rfft2(x, s=tuple(size))
    return spectrum.real, spectrum.imag


def irfft2(real, imag, size):
    """Real images ``(..., h, w)`` from the half spectrum."""
    return torch.fft.irfft2(torch.complex(real, imag), s=tuple(size))
