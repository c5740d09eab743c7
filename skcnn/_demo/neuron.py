"""Demo section: the series' single neuron on the two clusters."""

from __future__ import annotations

import numpy as np

from ._context import Section


def run(ctx) -> Section:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .. import plotting
    from ..datasets import load_two_clusters
    from ..neuron import SingleNeuronClassifier, cost_surface

    ctx.log("neuron: batch gradient descent on the two clusters (2000 epochs)")
    X, y = load_two_clusters(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        SingleNeuronClassifier(loss="squared", solver="batch", learning_rate=0.1, max_iter=2000, tol=None,
                               fit_intercept=False, target_values=(0.3, 0.7), coef_init=[-0.2, 0.25]),
    ).fit(X, y)
    neuron = pipe[-1]
    w1, w2 = neuron.coef_[0]
    surface = cost_surface(pipe, X, y, np.linspace(-1.0, 0.4, 141), np.linspace(-0.3, 1.1, 141))
    m1, m2, mcost = surface.minimum
    text = (
        f"weights after {neuron.n_iter_} epochs: (w1, w2) = ({w1:.4f}, {w2:.4f})   [series: (-0.4815, 0.3906)]\n"
        f"final cost: {neuron.loss_curve_[-1]:.6f}; mesh minimum: ({m1:.3f}, {m2:.3f}) with cost {mcost:.6f}\n"
        f"training accuracy: {pipe.score(X, y):.3f} ({int((pipe.predict(X) == y).sum())} of {len(y)} samples)"
    )
    print("\n== Single neuron (two clusters) ==\n" + text)
    images = [
        (ctx.save(plotting.plot_cost_surface(surface, samples=[0, 1], path=neuron.coef_path_), "neuron_cost.png"),
         "Cost over (w1, w2): all samples and two single samples, with the descent path."),
        (ctx.save(plotting.plot_neuron_history(pipe), "neuron_history.png"),
         "The cost flattens long before the weights settle."),
        (ctx.save(plotting.plot_decision_contour(pipe, X, y, feature_names=("K1", "K2")), "neuron_contour.png"),
         "Neuron output over the original (unscaled) feature plane; the black line is the decision threshold."),
    ]
    return Section("Single neuron on two clusters", text, images)
