"""The series' convolutional network as a scikit-learn estimator (Keras 3 on TensorFlow).

Importing this package is cheap: Keras and TensorFlow are imported the first
time a model is built or used.

Examples
--------
>>> from skcnn.cnn import KerasCNNClassifier
>>> KerasCNNClassifier().get_params()["conv_filters"]
(32, 64, 64)
"""

from . import architectures  # noqa: F401  (registers the builders)
from .classifier import KerasCNNClassifier

__all__ = ["KerasCNNClassifier", "architectures"]
