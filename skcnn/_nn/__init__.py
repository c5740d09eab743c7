"""NumPy core shared by :class:`~skcnn.SingleNeuronClassifier` and :class:`~skcnn.MLPScratchClassifier`.

Importing this package fills the activation, loss, initializer and solver registries.
"""

from .activations import Activation, get_activation
from .init import glorot, uniform
from .losses import Loss, get_loss, output_delta
from .optim import Solver, StoppingRule, get_solver, scipy_minimize, sgd_epoch

__all__ = [
    "Activation", "get_activation", "Loss", "get_loss", "output_delta", "uniform", "glorot",
    "Solver", "StoppingRule", "get_solver", "scipy_minimize", "sgd_epoch",
]
