"""Plots. Every function returns a matplotlib Figure and never calls ``plt.show()``.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from skcnn.plotting import plot_confusion_matrix
>>> fig = plot_confusion_matrix([0, 1, 1], [0, 1, 0])
>>> type(fig).__name__
'Figure'
"""

from ._common import plot_confusion_matrix, plot_digits, plot_learning_curves, save_figure
from ._cluster import plot_cluster_scan
from ._neuron import plot_cost_surface, plot_decision_contour, plot_neuron_history
from ._mlp import plot_mlp_learning_curves, plot_mlp_weights
from ._history import plot_history
from ._inspect import map_mosaic, plot_class_signature, plot_maps, plot_maps_compare, plot_oips
from ._cnn import plot_cnn_learning_curves, plot_conv_kernels
from ._dream import plot_dream
from ._search import plot_validation_curve
from ._attribution import plot_attribution, plot_attribution_grid, plot_deletion, plot_randomization
from ._evaluation import plot_evaluation


__all__ = [
    "plot_confusion_matrix", "plot_digits", "plot_learning_curves", "save_figure",
    "plot_cluster_scan",
    "plot_cost_surface", "plot_decision_contour", "plot_neuron_history",
    "plot_mlp_learning_curves", "plot_mlp_weights", "plot_history",
    "map_mosaic", "plot_class_signature", "plot_maps", "plot_maps_compare", "plot_oips",
    "plot_cnn_learning_curves", "plot_conv_kernels",
    "plot_dream",
    "plot_validation_curve",
    "plot_attribution", "plot_attribution_grid", "plot_deletion", "plot_randomization",
    "plot_evaluation",
]
