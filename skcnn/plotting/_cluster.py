"""The cluster scan in pictures: inertia ("elbow"), silhouette and fit time over K."""

from __future__ import annotations

import numpy as np

from ._common import new_figure

__all__ = ["plot_cluster_scan"]

_PANELS = (
    ("inertia", "inertia (sum of squared distances)", "C0"),
    ("silhouette", "mean silhouette", "C1"),
    ("fit_time", "fit time [s]", "C2"),
)


def plot_cluster_scan(scan, *, mark_k=None, title=None, size=(4.0, 3.2)):
    """Three panels over the number of clusters K: inertia, silhouette, fit time.

    The series reads the inertia curve for an "elbow" where it flattens and
    the silhouette for peaks; the fit time shows the cost of each K.

    Parameters
    ----------
    scan : ClusterScan
        The result of :func:`skcnn.cluster.scan_clusters` (any object with
        array attributes ``ks``, ``inertia``, ``silhouette`` and ``fit_time``).
    mark_k : int, optional
        A K to mark with a dashed vertical line in every panel (default: the
        K of the highest silhouette). Pass ``False`` for no mark.
    title : str, optional
        Figure title.
    size : (float, float)
        Inches per panel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skcnn.cluster import scan_clusters
    >>> from skcnn.plotting import plot_cluster_scan
    >>> X, _ = make_blobs(n_samples=150, centers=3, random_state=0)
    >>> fig = plot_cluster_scan(scan_clusters(X, ks=[2, 3, 5], random_state=0))
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['inertia (sum of squared distances)', 'mean silhouette', 'fit time [s]']
    """
    missing = [name for name in ("ks", *(p[0] for p in _PANELS)) if not hasattr(scan, name)]
    if missing:
        raise ValueError(
            f"scan must be the result of skcnn.cluster.scan_clusters (with ks, inertia, silhouette, fit_time); "
            f"{type(scan).__name__} lacks {', '.join(missing)}."
        )
    ks = np.asarray(scan.ks)
    if ks.size == 0:
        raise ValueError("scan holds no K; run scan_clusters with at least one number of clusters.")
    order = np.argsort(ks, kind="stable")
    if mark_k is None:
        mark_k = int(ks[int(np.argmax(np.asarray(scan.silhouette)))])
    fig, axes = new_figure(figsize=(size[0] * len(_PANELS), size[1]), ncols=len(_PANELS))
    for ax, (name, label, color) in zip(axes[0], _PANELS):
        values = np.asarray(getattr(scan, name), dtype=float)
        ax.plot(ks[order], values[order], "o-", color=color, ms=4, lw=1.3)
        if mark_k is not False:
            ax.axvline(mark_k, color="0.4", ls="--", lw=0.9, label=f"K = {mark_k}")
        ax.set_xlabel("number of clusters K")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    if mark_k is not False:
        axes[0, 1].legend(fontsize=8)
    fig.suptitle(title or "Cluster scan: elbow, silhouette and cost")
    return fig
