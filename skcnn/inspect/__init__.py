"""Look inside a fitted CNN: layer activations, original input patterns (OIPs), dreams.

Every inspector wraps a fitted :class:`~skcnn.KerasCNNClassifier`, a Pipeline
that ends in one, or a ``keras.Model``, returns NumPy arrays and small result
objects, and leaves pictures to :mod:`skcnn.plotting`. Layers are named as
Keras names them, by index, or as ``conv1``, ``pool1``, ``conv2``, ...

Names are imported on first use (PEP 562), and TensorFlow only when an
inspector first touches a model.

Examples
--------
>>> import skcnn.inspect as inspect
>>> inspect.ActivationInspector.__name__, inspect.OIPInspector.__name__, inspect.GradientAscent.__name__
('ActivationInspector', 'OIPInspector', 'GradientAscent')
"""

from __future__ import annotations

import importlib

_LAZY = {
    "ActivationInspector": "activations",
    "AttributionInspector": "attribution",
    "Attribution": "attribution",
    "ClassSignature": "activations",
    "ClassContrast": "activations",
    "DreamInspector": "dream",
    "DreamResult": "dream",
    "OIPInspector": "oip",
    "OIPResult": "oip",
    "OIPLayerResult": "oip",
    "RenderResult": "render",
    "Objective": "objectives",
    "multiscale_start": "starts",
    "precursor_candidates": "starts",
    "precursor_start": "starts",
    "enhance_contrast": "images",
    "GradientAscent": "_ascent",
    "AscentResult": "_ascent",
    "fast_dtype": "_ascent",
    "resolve_model": "_core.model",
    "InspectedModel": "_core.model",
    "evaluation": "evaluation",  # a module: the metrics that measure attribution maps
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'skcnn.inspect' has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
    value = module if _LAZY[name] == name else getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
