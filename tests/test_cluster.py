"""ClusterDistanceTransformer, scan_clusters, cluster_alpha and plot_cluster_scan."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import MiniBatchKMeans
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from skcnn import ClusterDistanceTransformer
from skcnn.cluster import ClusterScan, cluster_alpha, scan_clusters
from skcnn.plotting import plot_cluster_scan, save_figure


# Checks about row order and batch position run with every BLAS/OpenMP thread: more threads split rows differently.
_THREAD_SENSITIVE = {"check_methods_sample_order_invariance", "check_methods_subset_invariance",
                     "check_fit_idempotent", "check_estimator_sparse_array", "check_estimator_sparse_matrix"}


@parametrize_with_checks([ClusterDistanceTransformer(n_clusters=3, random_state=0)])
def test_sklearn_contract(estimator, check):
    name = getattr(check, "func", check).__name__
    if name in _THREAD_SENSITIVE:
        check(estimator)
        return
    # Other tiny fits: OpenMP threads only wait for each other on a busy machine.
    with threadpool_limits(limits=1):
        check(estimator)


def test_transform_is_independent_of_row_order_and_batch(pixels, mnist_5k):
    """Bit-identical distances for any row order and batch size, with multi-threaded BLAS."""
    X_train, _ = pixels
    X = mnist_5k.data[:1300] / 255.0
    cdt = ClusterDistanceTransformer(n_clusters=30, random_state=0, batch_size=100).fit(X_train)
    Z = cdt.transform(X)
    rng = np.random.default_rng(0)
    for _ in range(5):
        order = rng.permutation(len(X))
        assert_array_equal(cdt.transform(X[order]), Z[order])
    assert_array_equal(np.vstack([cdt.transform(X[i:i + 7]) for i in range(0, len(X), 7)]), Z)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_csr_input_with_default_n_clusters(pixels, dtype):
    """CSR pixels (about 19% non-zero) with the default K=70: what MiniBatchKMeans on CSR gives, scaled."""
    X_train, X_new = (sp.csr_matrix(X.astype(dtype)) for X in pixels)
    cdt = ClusterDistanceTransformer(random_state=2, batch_size=100).fit(X_train)
    assert cdt.n_clusters == 70
    kmeans = MiniBatchKMeans(n_clusters=70, batch_size=100, n_init=3, max_iter=100, random_state=2).fit(X_train)
    assert_allclose(cdt.cluster_centers_, kmeans.cluster_centers_)
    scaler = StandardScaler().fit(kmeans.transform(X_train))
    Z = cdt.transform(X_new)
    assert Z.dtype == dtype and not sp.issparse(Z)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert_allclose(Z, scaler.transform(kmeans.transform(X_new)), rtol=tol, atol=tol)
    # dense and other sparse formats of the same rows give the same distances
    assert_allclose(cdt.transform(X_new.toarray()), Z, rtol=tol, atol=tol)
    assert_allclose(cdt.transform(X_new.tocsc()), Z, rtol=tol, atol=tol)
    assert_allclose(cdt.fit_transform(X_train), cdt.transform(X_train), rtol=tol, atol=tol)


@pytest.fixture(scope="module")
def pixels(mnist_5k):
    """300 MNIST digits scaled to [0, 1], and 100 more to transform."""
    X = mnist_5k.data[:400] / 255.0
    return X[:300], X[300:]


@pytest.mark.parametrize(
    "scale, reference",
    [("standard", StandardScaler()), ("minmax", MinMaxScaler()), (None, None), (RobustScaler(), RobustScaler())],
)
def test_transform_is_kmeans_distances_then_scaler(pixels, scale, reference):
    X_train, X_new = pixels
    cdt = ClusterDistanceTransformer(n_clusters=12, scale=scale, batch_size=100, random_state=3).fit(X_train)
    kmeans = MiniBatchKMeans(n_clusters=12, batch_size=100, n_init=3, max_iter=100, random_state=3).fit(X_train)
    assert_allclose(cdt.cluster_centers_, kmeans.cluster_centers_)
    assert cdt.inertia_ == pytest.approx(kmeans.inertia_)
    expected_train, expected_new = kmeans.transform(X_train), kmeans.transform(X_new)
    if reference is not None:
        expected_train = reference.fit_transform(expected_train)
        expected_new = reference.transform(expected_new)
    assert_allclose(cdt.transform(X_train), expected_train, rtol=1e-5, atol=1e-5)
    assert_allclose(cdt.transform(X_new), expected_new, rtol=1e-5, atol=1e-5)
    assert_allclose(cdt.fit_transform(X_train), expected_train, rtol=1e-5, atol=1e-5)
    if scale is not None and not isinstance(scale, str):
        assert cdt.scaler_ is not scale  # the given transformer is cloned, never fitted in place


def test_attributes_and_dtype(pixels):
    X_train, _ = pixels
    assert X_train.dtype == np.float32
    cdt = ClusterDistanceTransformer(n_clusters=7, random_state=0).fit(X_train)
    assert cdt.n_features_in_ == 784
    assert cdt.cluster_centers_.shape == (7, 784)
    assert cdt.n_iter_ >= 1 and cdt.inertia_ > 0
    Z = cdt.transform(X_train)
    assert Z.dtype == np.float32 and Z.shape == (300, 7)
    assert_allclose(Z.mean(axis=0), 0, atol=1e-5)
    assert_allclose(Z.std(axis=0), 1, atol=1e-4)
    names = cdt.get_feature_names_out()
    assert names.tolist() == [f"clusterdistancetransformer{i}" for i in range(7)]


def test_minmax_range_on_training_data(pixels):
    Z = ClusterDistanceTransformer(n_clusters=5, scale="minmax", random_state=0).fit_transform(pixels[0])
    assert_allclose(Z.min(axis=0), 0, atol=1e-6)
    assert_allclose(Z.max(axis=0), 1, atol=1e-6)


def test_set_output_pandas(pixels):
    pd = pytest.importorskip("pandas")
    X_train, X_new = pixels
    frame = pd.DataFrame(X_new, index=np.arange(100, 200))
    cdt = ClusterDistanceTransformer(n_clusters=4, random_state=0).set_output(transform="pandas").fit(X_train)
    out = cdt.transform(frame.to_numpy())
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"clusterdistancetransformer{i}" for i in range(4)]
    assert isinstance(cdt.fit_transform(X_train), pd.DataFrame)


def test_same_seed_same_centroids(pixels):
    a = ClusterDistanceTransformer(n_clusters=6, random_state=11).fit(pixels[0])
    b = ClusterDistanceTransformer(n_clusters=6, random_state=11).fit(pixels[0])
    assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    auto = ClusterDistanceTransformer(n_clusters=6, n_init="auto", random_state=11).fit(pixels[0])
    assert auto.kmeans_.n_init == "auto"


@pytest.mark.parametrize(
    "params, name",
    [
        ({"n_clusters": 0}, "n_clusters"),
        ({"n_clusters": 2.5}, "n_clusters"),
        ({"n_clusters": 500}, "n_clusters"),
        ({"scale": "zscore"}, "scale"),
        ({"scale": 3}, "scale"),
        ({"batch_size": 0}, "batch_size"),
        ({"n_init": "many"}, "n_init"),
        ({"max_iter": -1}, "max_iter"),
    ],
)
def test_bad_parameters_name_themselves(pixels, params, name):
    params = {"n_clusters": 3, **params}
    with pytest.raises(ValueError, match=name):
        ClusterDistanceTransformer(**params).fit(pixels[0])


def test_transform_checks_fit_and_width(pixels):
    X_train, X_new = pixels
    with pytest.raises(NotFittedError):
        ClusterDistanceTransformer().transform(X_new)
    cdt = ClusterDistanceTransformer(n_clusters=3, random_state=0).fit(X_train)
    # the transformer itself refuses the width (not its MiniBatchKMeans) and keeps its fitted width
    with pytest.raises(ValueError, match="ClusterDistanceTransformer is expecting 784 features"):
        cdt.transform(X_new[:, :100])
    assert cdt.n_features_in_ == 784


def test_as_many_clusters_as_samples(pixels):
    """K = n_samples is allowed (MiniBatchKMeans allows it); one more is refused, naming both numbers."""
    X = pixels[0][:10]
    cdt = ClusterDistanceTransformer(n_clusters=10, scale=None, batch_size=10, random_state=0).fit(X)
    kmeans = MiniBatchKMeans(n_clusters=10, batch_size=10, n_init=3, max_iter=100, random_state=0).fit(X)
    assert_allclose(cdt.transform(X), kmeans.transform(X), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"n_clusters=11 must be <= the number of samples \(n_samples=10\)"):
        ClusterDistanceTransformer(n_clusters=11).fit(X)


def test_max_iter_reaches_minibatchkmeans(blobs):
    """max_iter=1 stops MiniBatchKMeans after one pass (its default of 100 runs 4 passes on these data)."""
    cdt = ClusterDistanceTransformer(n_clusters=5, scale=None, batch_size=100, max_iter=1, random_state=0).fit(blobs)
    kmeans = MiniBatchKMeans(n_clusters=5, batch_size=100, n_init=3, max_iter=1, random_state=0).fit(blobs)
    assert cdt.n_iter_ == 1
    assert_allclose(cdt.cluster_centers_, kmeans.cluster_centers_)
    assert cdt.inertia_ == pytest.approx(kmeans.inertia_)


def test_internal_steps_ignore_global_pandas_output(pixels):
    """Under set_config(transform_output="pandas") the rows keep their index, the scaler sees a plain
    array (so a later NumPy transform warns about no feature names), and the numbers do not change."""
    pd = pytest.importorskip("pandas")
    from sklearn import config_context

    X_train, _ = pixels
    frame = pd.DataFrame(X_train, index=np.arange(1000, 1300))
    with config_context(transform_output="pandas"):
        cdt = ClusterDistanceTransformer(n_clusters=4, random_state=0)
        Z = cdt.fit_transform(frame)
        assert isinstance(Z, pd.DataFrame)
        assert Z.index.tolist() == list(range(1000, 1300))
        assert cdt.transform(frame).index.tolist() == list(range(1000, 1300))
    assert not hasattr(cdt.scaler_, "feature_names_in_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z_plain = cdt.transform(X_train)
    assert isinstance(Z_plain, np.ndarray)
    assert_allclose(Z_plain, Z.to_numpy(), rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=400, n_features=6, centers=5, cluster_std=1.5, random_state=1)
    return X


def test_scan_identical_for_any_n_jobs(blobs):
    kwargs = dict(ks=[2, 3, 5, 8, 13], silhouette_sample=150, batch_size=64, random_state=42)
    serial = scan_clusters(blobs, n_jobs=1, **kwargs)
    parallel = scan_clusters(blobs, n_jobs=2, **kwargs)
    assert_array_equal(serial.ks, parallel.ks)
    assert_array_equal(serial.inertia, parallel.inertia)
    assert_array_equal(serial.silhouette, parallel.silhouette)
    assert_array_equal(serial.n_iter, parallel.n_iter)
    # A K's numbers depend on random_state and K only, not on the other K scanned.
    alone = scan_clusters(blobs, **{**kwargs, "ks": [8]})
    assert alone.inertia[0] == serial.inertia[3] and alone.silhouette[0] == serial.silhouette[3]


def test_scan_silhouette_sample(blobs):
    """A sampled silhouette is not the full one; the inertia does not depend on the sample."""
    kwargs = dict(ks=[3, 5], batch_size=64, random_state=7)
    full = scan_clusters(blobs, silhouette_sample=None, **kwargs)
    sampled = scan_clusters(blobs, silhouette_sample=60, **kwargs)
    assert full.silhouette_sample == 400 and sampled.silhouette_sample == 60
    assert_array_equal(full.inertia, sampled.inertia)
    assert np.all(np.abs(full.silhouette - sampled.silhouette) > 1e-6)


def test_scan_result(blobs):
    pd = pytest.importorskip("pandas")
    scan = scan_clusters(blobs, ks=range(2, 9, 2), random_state=0)
    assert isinstance(scan, ClusterScan)
    assert scan.ks.tolist() == [2, 4, 6, 8]
    assert np.all(np.diff(scan.inertia) < 0)
    assert np.all((scan.silhouette > -1) & (scan.silhouette < 1))
    assert np.all(scan.fit_time > 0) and np.all(scan.fit_time < 60) and np.all(scan.n_iter >= 1)
    assert scan.silhouette_sample == 400
    assert scan.best_k == 4  # five blobs, two of them overlapping
    frame = scan.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert frame.index.name == "n_clusters" and list(frame.index) == [2, 4, 6, 8]
    assert list(frame.columns) == ["inertia", "silhouette", "fit_time", "n_iter"]


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"ks": [1, 3]}, "ks"),
        ({"ks": []}, "ks"),
        ({"ks": 5}, "ks"),
        ({"ks": [3, 400]}, "ks"),
        ({"ks": [3], "silhouette_sample": 1}, "silhouette_sample"),
        ({"ks": [3], "n_init": 0}, "n_init"),
        ({"ks": [3], "n_init": "many"}, "n_init"),
        ({"ks": [3], "batch_size": -5}, "batch_size"),
        ({"ks": [3], "max_iter": 0}, "max_iter"),
    ],
)
def test_scan_bad_input(blobs, kwargs, name):
    with pytest.raises(ValueError, match=rf"(^|\s){name} must"):
        scan_clusters(blobs, **kwargs)


def test_scan_error_texts(blobs):
    with pytest.raises(ValueError, match="every K in ks must be an int >= 2"):
        scan_clusters(blobs, ks=[3, 1])
    with pytest.raises(ValueError, match="n_init must be an integer >= 1 or 'auto'; got 'many'"):
        scan_clusters(blobs, ks=[3], n_init="many")


def test_scan_n_init_auto(blobs):
    """n_init="auto" reaches MiniBatchKMeans, which then starts once (k-means++ init)."""
    auto = scan_clusters(blobs, ks=[3, 5], n_init="auto", random_state=0)
    once = scan_clusters(blobs, ks=[3, 5], n_init=1, random_state=0)
    assert_array_equal(auto.inertia, once.inertia)
    assert_array_equal(auto.silhouette, once.silhouette)


def test_scan_verbose_is_joblibs(blobs, capsys):
    scan_clusters(blobs, ks=[3, 4], random_state=0, verbose=10)
    assert "[Parallel(n_jobs=" in capsys.readouterr().err


def test_scan_defaults_are_the_documented_ones(capsys):
    """Defaults as documented (the series' batch of 500, 3 starts, 100 passes), and no joblib chatter."""
    import inspect

    params = inspect.signature(scan_clusters).parameters
    assert params["ks"].default == range(10, 171, 10)
    documented = dict(batch_size=500, n_init=3, max_iter=100, silhouette_sample=2000, random_state=None,
                      n_jobs=None, verbose=0)
    assert {name: params[name].default for name in documented} == documented
    # more samples than the default batch and silhouette sample, so that both show in the numbers
    X, _ = make_blobs(n_samples=2100, n_features=6, centers=5, cluster_std=1.5, random_state=1)
    default = scan_clusters(X, ks=[3, 4], random_state=0)
    explicit = scan_clusters(X, ks=[3, 4], batch_size=500, n_init=3, max_iter=100, silhouette_sample=2000,
                             random_state=0, n_jobs=1, verbose=0)
    assert default.silhouette_sample == 2000
    assert_array_equal(default.inertia, explicit.inertia)
    assert_array_equal(default.silhouette, explicit.silhouette)
    assert_array_equal(default.n_iter, explicit.n_iter)
    assert capsys.readouterr().err == ""


def test_scan_accepts_csr(blobs):
    X = np.abs(blobs)
    X[X < 1.5] = 0  # sparse enough to be worth CSR
    dense = scan_clusters(X, ks=[3], random_state=0)
    sparse = scan_clusters(sp.csr_matrix(X), ks=[3], random_state=0)
    assert sparse.ks.tolist() == [3] and np.isfinite(sparse.silhouette).all() and sparse.inertia[0] > 0
    assert sparse.inertia[0] == pytest.approx(dense.inertia[0], rel=0.5)


def test_scan_smallest_settings_are_accepted(blobs):
    scan = scan_clusters(blobs, ks=[2], batch_size=1, max_iter=1, n_init=1, random_state=0)
    assert scan.n_iter.tolist() == [1]
    assert scan.n_iter.dtype.kind == "i" and scan.ks.dtype.kind == "i"


def test_scan_rejects_nan(blobs):
    X = blobs.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        scan_clusters(X, ks=[3])


def test_cluster_alpha():
    assert cluster_alpha(0.2, 100, 784) == pytest.approx(0.2 * 100 / 784)
    assert type(cluster_alpha(1, 70, 784)) is float  # not a NumPy scalar (its repr differs)
    assert cluster_alpha(0.2, 1, 1) == 0.2  # the smallest K and width
    assert_allclose(cluster_alpha([0.0, 0.1, 0.2], n_clusters=392, n_features=784), [0.0, 0.05, 0.1])


@pytest.mark.parametrize(
    "args, name",
    [((-0.1, 70, 784), "alpha"), ((np.nan, 70, 784), "alpha"), (("0.2", 70, 784), "alpha"),
     ((0.2, 0, 784), "n_clusters"), ((0.2, 70, 78.4), "n_features"), ((None, 70, 784), "alpha"),
     (([0.1, "high"], 70, 784), "alpha")],
)
def test_cluster_alpha_bad_input(args, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        cluster_alpha(*args)


def test_plot_cluster_scan(tmp_path):
    scan = ClusterScan(ks=np.array([30, 10, 20]), inertia=np.array([5.0, 9.0, 6.0]),
                       silhouette=np.array([0.1, 0.2, 0.3]), fit_time=np.array([0.3, 0.1, 0.2]),
                       n_iter=np.array([3, 3, 3]), silhouette_sample=100)
    fig = plot_cluster_scan(scan, title="scan")
    assert len(fig.axes) == 3
    assert fig.get_suptitle() == "scan"
    assert repr(scan) == "ClusterScan(ks='10..30 (3 values)', best_k=20, best_silhouette=0.3, silhouette_sample=100)"
    line = fig.axes[0].lines[0]
    assert line.get_xdata().tolist() == [10, 20, 30]  # drawn in order of K
    assert line.get_ydata().tolist() == [9.0, 6.0, 5.0]
    assert fig.axes[1].lines[1].get_xdata()[0] == 20  # the best silhouette is marked
    assert all(len(ax.lines) == 1 for ax in plot_cluster_scan(scan, mark_k=False).axes)
    assert save_figure(fig, tmp_path / "scan.png").stat().st_size > 0


def test_plot_cluster_scan_bad_input():
    with pytest.raises(ValueError, match="scan"):
        plot_cluster_scan({"ks": [1, 2]})


def test_grid_search_pipeline_with_mlp(mnist_small):
    """The series' chain as one Pipeline, K and the tied L2 strength searched in two processes."""
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import Pipeline

    from skcnn import MLPScratchClassifier

    X, y = mnist_small
    X_train, y_train, X_test, y_test = X[:400], y[:400], X[400:], y[400:]
    pipe = Pipeline([
        ("scale", StandardScaler()),
        ("clusters", ClusterDistanceTransformer(random_state=0)),
        ("mlp", MLPScratchClassifier(hidden_layer_sizes=(20,), batch_size=50, max_iter=40, random_state=0)),
    ])
    grid = [{"clusters__n_clusters": [k], "mlp__alpha_l2": list(cluster_alpha([0.5, 2.0], k, 784))} for k in (10, 20)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, grid, cv=2, n_jobs=2).fit(X_train, y_train)
    assert len(search.cv_results_["params"]) == 4
    # The best candidate is the one an independent cross-validation scores highest, and it is what was refit.
    best = search.best_params_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        own = cross_val_score(clone(pipe).set_params(**best), X_train, y_train, cv=2)
    assert own.mean() == pytest.approx(search.best_score_)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_score_ == scores.max() and scores.max() > scores.min()  # the choice mattered
    k = best["clusters__n_clusters"]
    fitted = search.best_estimator_
    assert fitted.named_steps["clusters"].n_clusters == k
    assert fitted.named_steps["mlp"].alpha_l2 == best["mlp__alpha_l2"]
    assert fitted.named_steps["clusters"].cluster_centers_.shape == (k, 784)
    assert fitted.named_steps["mlp"].n_features_in_ == k
    assert search.predict(X_test).shape == (200,)
    assert search.score(X_test, y_test) > 0.5  # ten classes: chance is 0.1
