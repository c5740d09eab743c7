"""skcnn: scikit-learn compatible neural networks for handwritten digits, and tools to look inside them.

Estimators: :class:`SingleNeuronClassifier`, :class:`MLPScratchClassifier`
(NumPy), :class:`KerasCNNClassifier` (Keras 3), :class:`ClusterDistanceTransformer`;
:class:`History` is the per-epoch training record they share (``history_``).
Inspectors for fitted CNNs live in :mod:`skcnn.inspect`.

Every public name is imported on first use (PEP 562), so ``import skcnn`` is
fast and never imports TensorFlow.

Examples
--------
>>> import skcnn
>>> sorted(n for n in skcnn.__all__ if n[0].isupper())
['ClusterDistanceTransformer', 'History', 'KerasCNNClassifier', 'MLPScratchClassifier', 'SingleNeuronClassifier']
>>> skcnn.SingleNeuronClassifier().get_params()["loss"]
'squared'
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "SingleNeuronClassifier": "skcnn.neuron",
    "MLPScratchClassifier": "skcnn.mlp",
    "ClusterDistanceTransformer": "skcnn.cluster",
    "KerasCNNClassifier": "skcnn.cnn",
    "History": "skcnn._history",
}
_SUBMODULES = {"cluster", "cnn", "datasets", "inspect", "metrics", "neuron", "mlp", "parallel", "plotting", "plugins"}

__all__ = sorted(_LAZY) + sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"skcnn.{name}")
    else:
        raise AttributeError(f"module 'skcnn' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
