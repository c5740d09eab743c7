"""Pre-clustering in feature space: samples -> scaled distances to k-means centroids.

The series (reference 003, second half) shrinks the MLP's input layer by
replacing the 784 pixels of a digit with its distances to K cluster centres
found by :class:`sklearn.cluster.MiniBatchKMeans`, normalized before gradient
descent. This module gives that step as a Pipeline transformer,
:class:`ClusterDistanceTransformer`; a scan over K (inertia for the "elbow",
silhouette, fit time), :func:`scan_clusters`; and the series' rule of thumb for
the L2 strength after the transform, :func:`cluster_alpha`.

Examples
--------
>>> import numpy as np
>>> from skcnn.cluster import ClusterDistanceTransformer, cluster_alpha
>>> X = np.random.default_rng(0).normal(size=(60, 5))
>>> ClusterDistanceTransformer(n_clusters=4, random_state=0).fit_transform(X).shape
(60, 4)
>>> round(cluster_alpha(0.2, n_clusters=100, n_features=784), 4)
0.0255
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, clone
from sklearn.cluster import MiniBatchKMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._base import DocLinkMixin
from ._repr import ShortReprMixin
from ._validation import check_int

__all__ = ["ClusterDistanceTransformer", "ClusterScan", "scan_clusters", "cluster_alpha"]

_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler}


def _check_kmeans_params(batch_size, n_init, max_iter):
    check_int(batch_size, "batch_size", 1)
    check_int(max_iter, "max_iter", 1)
    if isinstance(n_init, str) and n_init == "auto":
        return
    try:
        check_int(n_init, "n_init", 1)
    except ValueError:
        raise ValueError(f"n_init must be an integer >= 1 or 'auto'; got {n_init!r}.") from None


def _make_kmeans(n_clusters, *, batch_size, n_init, max_iter, random_state):
    """The one place where the MiniBatchKMeans of this module is configured."""
    return MiniBatchKMeans(n_clusters=n_clusters, batch_size=batch_size, n_init=n_init, max_iter=max_iter,
                           random_state=random_state)


class ClusterDistanceTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, DocLinkMixin, BaseEstimator):
    """Distances of each sample to MiniBatchKMeans centroids, then scaled.

    ``fit`` finds ``n_clusters`` centroids in X with
    :class:`sklearn.cluster.MiniBatchKMeans` (labels are ignored) and fits the
    chosen scaler on the training samples' distances; ``transform`` maps each
    sample to its Euclidean distances to the centroids and applies that scaler.
    On MNIST, 784 pixels become K (the series uses 70) normalized features,
    so the first weight matrix of a following MLP shrinks by the same factor.

    Parameters
    ----------
    n_clusters : int, default=70
        Number of centroids K, i.e. of output features.
    scale : {"standard", "minmax"}, None or transformer, default="standard"
        Scaling of the distance space: :class:`~sklearn.preprocessing.StandardScaler`,
        :class:`~sklearn.preprocessing.MinMaxScaler`, none, or an unfitted
        transformer (cloned, then fitted on the training distances).
    batch_size : int, default=500
        Mini-batch size of MiniBatchKMeans (the series' value).
    n_init : int or "auto", default=3
        Number of random initializations; the best (lowest inertia) is kept.
        The series used 500, which costs far more time for little gain.
    max_iter : int, default=100
        Maximum passes over the data for MiniBatchKMeans.
    random_state : int, RandomState instance or None, default=None
        Seeds the centroid initialization and the mini-batches.

    Attributes
    ----------
    kmeans_ : sklearn.cluster.MiniBatchKMeans
        The fitted clustering.
    scaler_ : transformer or None
        The scaler fitted on the training distances (None when ``scale=None``).
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centroids, in the input space.
    inertia_ : float
        Sum of squared distances of the training samples to their closest centroid.
    n_iter_ : int
        Passes over the data MiniBatchKMeans ran.
    n_features_in_ : int
        Number of input features.
    feature_names_in_ : ndarray of str
        Input feature names, when X had string column names.

    See Also
    --------
    scan_clusters : inertia, silhouette and fit time over a range of K.
    cluster_alpha : the L2 strength to use after this transform.

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn import ClusterDistanceTransformer
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> cdt = ClusterDistanceTransformer(n_clusters=5, random_state=0).fit(X)
    >>> Z = cdt.transform(X)
    >>> Z.shape, bool(np.allclose(Z.mean(axis=0), 0, atol=1e-6))
    ((50, 5), True)
    >>> cdt.get_feature_names_out()[:2].tolist()
    ['clusterdistancetransformer0', 'clusterdistancetransformer1']
    """

    def __init__(self, n_clusters=70, *, scale="standard", batch_size=500, n_init=3, max_iter=100,
                 random_state=None):
        self.n_clusters = n_clusters
        self.scale = scale
        self.batch_size = batch_size
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    _parameter_constraints: dict = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "scale": [StrOptions(set(_SCALERS)), None, HasMethods(["fit", "transform"])],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_init": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def _make_scaler(self):
        if self.scale is None:
            return None
        if isinstance(self.scale, str):
            return _SCALERS[self.scale]()
        return clone(self.scale)

    def _fit_distances(self, X):
        """Fit centroids and scaler; return the scaled distances of the training samples."""
        self._validate_params()
        n_clusters = self.n_clusters
        scaler = self._make_scaler()
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        if n_clusters > X.shape[0]:
            raise ValueError(
                f"n_clusters={n_clusters} must be <= the number of samples (n_samples={X.shape[0]}); "
                f"lower n_clusters or pass more samples."
            )
        kmeans = _make_kmeans(n_clusters, batch_size=self.batch_size, n_init=self.n_init,
                              max_iter=self.max_iter, random_state=self.random_state)
        # Internal steps return plain arrays whatever the global output config says;
        # the wrapper of this class turns the final result into a DataFrame if asked.
        distances = kmeans.set_output(transform="default").fit_transform(X)
        if scaler is not None:
            if hasattr(scaler, "set_output"):
                scaler.set_output(transform="default")
            distances = scaler.fit_transform(distances)
        self.kmeans_ = kmeans
        self.scaler_ = scaler
        self.cluster_centers_ = kmeans.cluster_centers_
        self.inertia_ = float(kmeans.inertia_)
        self.n_iter_ = int(kmeans.n_iter_)
        return distances

    def fit(self, X, y=None):
        """Find the centroids and fit the scaler of the distance space.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training samples, at least ``n_clusters`` of them.
        y : ignored
            Accepted for Pipeline compatibility.

        Returns
        -------
        ClusterDistanceTransformer
            The fitted transformer, ``self``.
        """
        self._fit_distances(X)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit, then return the scaled distances of X (computed once).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : ignored
        **fit_params : dict
            Not used; accepted for the TransformerMixin signature.

        Returns
        -------
        ndarray of shape (n_samples, n_clusters)
        """
        return self._fit_distances(X)

    def transform(self, X):
        """Scaled Euclidean distances of each sample to every centroid.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_clusters)
            A pandas DataFrame after ``set_output(transform="pandas")``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        distances = self.kmeans_.transform(X)
        if self.scaler_ is not None:
            distances = self.scaler_.transform(distances)
        return distances

    @property
    def _n_features_out(self):
        return self.cluster_centers_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


@dataclass(frozen=True, repr=False)
class ClusterScan(ShortReprMixin):
    """What :func:`scan_clusters` measured, one entry per K.

    Attributes
    ----------
    ks : ndarray of int
        The numbers of clusters tried, in the order given.
    inertia : ndarray of float
        Sum of squared distances of the samples to their closest centroid.
    silhouette : ndarray of float
        Mean silhouette coefficient, on a seeded sample of the data.
    fit_time : ndarray of float
        Wall-clock seconds of the single-threaded MiniBatchKMeans fit
        (the one number that is not reproducible).
    n_iter : ndarray of int
        Passes over the data MiniBatchKMeans ran.
    silhouette_sample : int
        How many samples the silhouette was computed on.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from skcnn.cluster import scan_clusters
    >>> X, _ = make_blobs(n_samples=200, centers=4, random_state=0)
    >>> scan_clusters(X, ks=[2, 4, 8], random_state=0)
    ClusterScan(ks='2..8 (3 values)', best_k=4, best_silhouette=0.4982, silhouette_sample=200)
    """

    ks: np.ndarray
    inertia: np.ndarray
    silhouette: np.ndarray
    fit_time: np.ndarray
    n_iter: np.ndarray
    silhouette_sample: int

    def _repr_fields(self):
        return [("ks", f"{self.ks.min()}..{self.ks.max()} ({self.ks.size} values)"), ("best_k", self.best_k),
                ("best_silhouette", float(self.silhouette.max())), ("silhouette_sample", self.silhouette_sample)]

    @property
    def best_k(self) -> int:
        """The K with the highest silhouette."""
        return int(self.ks[int(np.argmax(self.silhouette))])

    def to_frame(self):
        """The scan as a pandas DataFrame indexed by K (requires pandas)."""
        import pandas as pd

        return pd.DataFrame(
            {"inertia": self.inertia, "silhouette": self.silhouette, "fit_time": self.fit_time,
             "n_iter": self.n_iter},
            index=pd.Index(self.ks, name="n_clusters"),
        )


def _scan_one(X, k, seed, *, batch_size, n_init, max_iter, silhouette_sample):
    kmeans_seed, sample_seed = (int(s) for s in np.random.SeedSequence([seed, k]).generate_state(2))
    kmeans = _make_kmeans(k, batch_size=batch_size, n_init=n_init, max_iter=max_iter, random_state=kmeans_seed)
    sample = None if silhouette_sample >= X.shape[0] else silhouette_sample
    # One thread per fit, whatever n_jobs is: the inertia sums (which also pick the best of
    # n_init starts) are reduced over OpenMP threads, so their last bits depend on the count.
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        kmeans.fit(X)
        seconds = time.perf_counter() - start
        sil = silhouette_score(X, kmeans.labels_, sample_size=sample, random_state=sample_seed)
    return float(kmeans.inertia_), float(sil), seconds, int(kmeans.n_iter_)


def scan_clusters(X, ks=range(10, 171, 10), *, batch_size=500, n_init=3, max_iter=100, silhouette_sample=2000,
                  random_state=None, n_jobs=None, verbose=0):
    """Fit MiniBatchKMeans for each K and measure inertia, silhouette and fit time.

    The series looks for an "elbow" in the inertia over K and for peaks of
    the silhouette to choose the number of clusters. The fits run in
    parallel with joblib, one K per job. Each K gets its own seeds derived
    from ``random_state`` and K alone, and each fit runs on one thread, so the
    numbers are bit-identical for any ``n_jobs`` and do not depend on which
    other K are scanned.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
        The samples (labels are not used).
    ks : iterable of int, default=range(10, 171, 10)
        Numbers of clusters to try; each must be in [2, n_samples - 1]
        (the silhouette needs at least two clusters and one sample more than K).
    batch_size, n_init, max_iter : int
        Passed to :class:`sklearn.cluster.MiniBatchKMeans`, as in
        :class:`ClusterDistanceTransformer` (``n_init`` may also be "auto").
    silhouette_sample : int or None, default=2000
        Number of samples, drawn with a seed, on which the silhouette is
        computed (its cost grows with the square of this); None uses all.
    random_state : int, RandomState instance or None, default=None
        Seed for the per-K seeds. An int gives the same inertia and silhouette
        on every run and for any ``n_jobs``.
    n_jobs : int or None, default=None
        Parallel jobs for :class:`joblib.Parallel` (-1: all cores).
    verbose : int, default=0
        joblib's progress messages.

    Returns
    -------
    ClusterScan
        Arrays ``ks``, ``inertia``, ``silhouette``, ``fit_time``, ``n_iter``;
        ``best_k`` and ``to_frame()``.

    See Also
    --------
    skcnn.plotting.plot_cluster_scan : draws the three curves.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from skcnn.cluster import scan_clusters
    >>> X, _ = make_blobs(n_samples=200, centers=4, random_state=0)
    >>> scan = scan_clusters(X, ks=[2, 4, 8], random_state=0)
    >>> scan.best_k
    4
    >>> bool(np.all(np.diff(scan.inertia) < 0))
    True
    """
    X = check_array(X, accept_sparse="csr", dtype=[np.float64, np.float32], input_name="X")
    n_samples = X.shape[0]
    try:
        ks = np.array([check_int(k, "every K in ks", 2) for k in ks], dtype=int)
    except TypeError:
        raise ValueError(f"ks must be an iterable of integers >= 2; got {ks!r}.") from None
    if ks.size == 0:
        raise ValueError("ks must hold at least one number of clusters; got an empty sequence.")
    if ks.max() >= n_samples:
        raise ValueError(
            f"ks must be < n_samples={n_samples} (the silhouette needs more samples than clusters); "
            f"got K={ks.max()}."
        )
    _check_kmeans_params(batch_size, n_init, max_iter)
    if silhouette_sample is None:
        silhouette_sample = n_samples
    silhouette_sample = min(check_int(silhouette_sample, "silhouette_sample", 2), n_samples)
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))

    results = Parallel(n_jobs=n_jobs, verbose=verbose)(
        delayed(_scan_one)(X, int(k), seed, batch_size=batch_size, n_init=n_init, max_iter=max_iter,
                           silhouette_sample=silhouette_sample)
        for k in ks
    )
    inertia, silhouette, fit_time, n_iter = (np.array(column) for column in zip(*results))
    return ClusterScan(ks=ks, inertia=inertia, silhouette=silhouette, fit_time=fit_time,
                       n_iter=n_iter.astype(int), silhouette_sample=silhouette_sample)


def cluster_alpha(alpha, n_clusters, n_features):
    """The series' L2 strength after a cluster transform: ``alpha * n_clusters / n_features``.

    With fewer input nodes the first-layer weights grow to carry the same
    signal, and the L2 penalty grows with their square; the series therefore
    shrinks the regularization in proportion to the input size (reference
    003: Lambda2 = 0.2 on 784 pixels becomes about 0.025 on K=100 clusters).
    A rule of thumb, not a law: grid-search around it.

    Parameters
    ----------
    alpha : float or array-like of float
        The L2 strength (``alpha_l2``) that works on the original features; >= 0.
    n_clusters : int
        K, the number of features after the transform.
    n_features : int
        Number of original features (784 for MNIST pixels).

    Returns
    -------
    float or ndarray
        The scaled strength; an array when ``alpha`` is array-like.

    Examples
    --------
    >>> from skcnn.cluster import cluster_alpha
    >>> cluster_alpha(0.2, n_clusters=70, n_features=784)  # doctest: +ELLIPSIS
    0.01785...
    >>> cluster_alpha([0.1, 0.2], 392, 784).tolist()
    [0.05, 0.1]
    """
    n_clusters = check_int(n_clusters, "n_clusters", 1)
    n_features = check_int(n_features, "n_features", 1)
    try:
        values = None if isinstance(alpha, str) else np.asarray(alpha, dtype=float)
    except (TypeError, ValueError):
        values = None
    if values is None or values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"alpha must be a finite number >= 0 (or an array of them); got {alpha!r}.")
    scaled = values * n_clusters / n_features
    return float(scaled) if scaled.ndim == 0 else scaled
