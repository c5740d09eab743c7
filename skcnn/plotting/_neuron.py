"""Pictures of the single neuron: cost surface, cost and weight history, decision contour."""

from __future__ import annotations

import numpy as np

from ._common import fitted_last_step, new_figure

__all__ = ["plot_cost_surface", "plot_neuron_history", "plot_decision_contour"]


def plot_cost_surface(surface, *, samples=(), path=None, levels=30, title=None):
    """Contours of the total cost over ``(w1, w2)``, and of single samples' costs.

    Parameters
    ----------
    surface : skcnn.neuron.CostSurface
        From :func:`skcnn.neuron.cost_surface`.
    samples : sequence of int
        Samples whose own cost surface gets a panel too (the series shows how
        each sample's cost valley differs from the total's).
    path : array-like of shape (n, 2), optional
        Weights to draw as a trajectory, e.g. a fitted neuron's ``coef_path_``.
    levels : int
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import SingleNeuronClassifier
    >>> from skcnn.neuron import cost_surface
    >>> s = cost_surface(SingleNeuronClassifier(), [[1.0, 0.0], [0.0, 1.0]], [0, 1],
    ...                  np.linspace(-2, 2, 21), np.linspace(-2, 2, 21))
    >>> len(plot_cost_surface(s, samples=[0]).axes)
    4
    """
    panels = [("total cost", surface.total)] + [(f"sample {k}", surface.per_sample[k]) for k in samples]
    fig, axes = new_figure(figsize=(4.6 * len(panels), 4.0), ncols=len(panels))
    W1, W2 = np.meshgrid(surface.w1, surface.w2)
    for ax, (name, cost) in zip(axes[0], panels):
        filled = ax.contourf(W1, W2, cost, levels=levels, cmap="viridis")
        ax.contour(W1, W2, cost, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
        fig.colorbar(filled, ax=ax, shrink=0.85)
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
        ax.set_title(name)
        if path is not None:
            p = np.asarray(path)
            ax.plot(p[:, 0], p[:, 1], color="white", lw=1.2)
            ax.plot(p[0, 0], p[0, 1], "o", color="white", ms=5, label="start")
            ax.plot(p[-1, 0], p[-1, 1], "*", color="red", ms=10, label="end")
        i, j = np.unravel_index(np.argmin(cost), cost.shape)
        ax.plot(surface.w1[j], surface.w2[i], "x", color="orange", ms=8, label="mesh minimum")
    axes[0, 0].legend(fontsize=8, loc="best")
    if title:
        fig.suptitle(title)
    return fig


def plot_neuron_history(estimator, *, title=None):
    """Cost per epoch and every weight per epoch of a fitted neuron.

    The series' lesson: the cost flattens long before the weights stop moving,
    so both are drawn. A Pipeline ending in the neuron works too.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import SingleNeuronClassifier
    >>> clf = SingleNeuronClassifier(max_iter=20, tol=None, random_state=0).fit([[-1.0], [1.0]], [0, 1])
    >>> [ax.get_title() for ax in plot_neuron_history(clf).axes]
    ['cost per epoch', 'weights per epoch']
    """
    neuron = fitted_last_step(estimator, ["coef_path_", "history_"], "SingleNeuronClassifier")
    fig, axes = new_figure(figsize=(9, 3.4), ncols=2)
    cost_ax, w_ax = axes[0]
    loss = neuron.history_["loss"][-neuron.n_iter_:]  # this fit's epochs (warm starts keep older rows)
    cost_ax.plot(np.arange(1, len(loss) + 1), loss)
    cost_ax.set_yscale("log")
    cost_ax.set_title("cost per epoch")
    cost_ax.set_xlabel("epoch")
    path = neuron.coef_path_
    for k in range(path.shape[1]):
        w_ax.plot(np.arange(len(path)), path[:, k], label=f"w{k + 1}")
    w_ax.set_title("weights per epoch")
    w_ax.set_xlabel("epoch")
    w_ax.legend(fontsize=8)
    for ax in axes[0]:
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def plot_decision_contour(estimator, X, y, *, resolution=200, feature_names=None, title=None):
    """The neuron's output ``a`` over the original feature plane, with the samples on top.

    A Pipeline (e.g. StandardScaler then the neuron) is applied to the mesh as
    a whole, so the picture is drawn in the features' own units.

    Parameters
    ----------
    estimator : fitted SingleNeuronClassifier or Pipeline ending in one
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
    resolution : int
        Mesh points per axis.
    feature_names : pair of str, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from skcnn import SingleNeuronClassifier
    >>> X, y = [[0.0, 0.0], [1.0, 1.0]], [0, 1]
    >>> clf = SingleNeuronClassifier(random_state=0).fit(X, y)
    >>> plot_decision_contour(clf, X, y).axes[0].get_xlabel()
    'feature 1'
    """
    from ..neuron import _split_pipeline

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_contour needs X with 2 features, got shape {X.shape}.")
    pre, neuron = _split_pipeline(estimator)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0) + 1e-12)
    g1 = np.linspace(X[:, 0].min() - pad[0], X[:, 0].max() + pad[0], resolution)
    g2 = np.linspace(X[:, 1].min() - pad[1], X[:, 1].max() + pad[1], resolution)
    G1, G2 = np.meshgrid(g1, g2)
    mesh = np.column_stack([G1.ravel(), G2.ravel()])
    a = neuron._activation(pre.transform(mesh) if pre is not None else mesh).reshape(G1.shape)
    t0, t1 = neuron._targets()
    fig, axes = new_figure(figsize=(5.6, 4.4))
    ax = axes[0, 0]
    filled = ax.contourf(G1, G2, a, levels=20, cmap="coolwarm", alpha=0.8)
    fig.colorbar(filled, ax=ax, label="output a")
    ax.contour(G1, G2, a, levels=[0.5 * (t0 + t1)], colors="k", linewidths=1.5)
    for cls, marker in zip(neuron.classes_, ("o", "s")):
        m = y == cls
        ax.scatter(X[m, 0], X[m, 1], marker=marker, edgecolor="k", facecolor="white", label=f"class {cls}")
    names = feature_names or ("feature 1", "feature 2")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.legend(fontsize=8)
    ax.set_title(title or "neuron output and decision line")
    return fig
