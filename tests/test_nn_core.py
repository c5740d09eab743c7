import numpy as np
import pytest

from skcnn._nn import StoppingRule, get_activation, get_loss, get_solver, output_delta, scipy_minimize, sgd_epoch
from skcnn.plugins import activations, initializers, losses

RTOL = 1e-4


def _central_diff(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


@pytest.mark.parametrize("name", activations.names())
def test_activation_derivative_matches_finite_differences(name):
    act = get_activation(name)
    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=(5, 4))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the kinks of relu-like functions
    a = act(z.copy())
    g = rng.normal(size=z.shape)  # an upstream gradient
    analytic = act.backward(g, z, a)
    numeric = _central_diff(lambda zz: np.sum(g * act(zz.copy())), z)
    np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=1e-7)


@pytest.mark.parametrize("name", [n for n in activations.names() if n != "identity"])
def test_activation_writes_in_place(name):
    act = get_activation(name)
    z = np.linspace(-3, 3, 12).reshape(3, 4)
    expected = act(z.copy())
    buf = z.copy()
    out = act(buf, out=buf)
    assert out is buf
    np.testing.assert_allclose(buf, expected)


def test_softmax_rows_sum_to_one_and_survive_large_inputs():
    a = get_activation("softmax")(np.array([[1000.0, 0.0, -1000.0], [1.0, 1.0, 1.0]]))
    np.testing.assert_allclose(a.sum(axis=1), 1)
    assert np.all(np.isfinite(a))


@pytest.mark.parametrize("name", losses.names())
def test_loss_gradient_matches_finite_differences(name):
    loss = get_loss(name)
    rng = np.random.default_rng(1)
    a = rng.uniform(0.05, 0.95, size=(6, 3))
    t = np.eye(3)[rng.integers(0, 3, 6)]
    numeric = _central_diff(lambda aa: loss(aa, t), a)
    np.testing.assert_allclose(loss.gradient(a, t), numeric, rtol=RTOL, atol=1e-9)


@pytest.mark.parametrize("loss_name, act_name", [("log_loss", "sigmoid"), ("categorical_crossentropy", "softmax"),
                                                  ("squared", "sigmoid"), ("squared", "softmax"),
                                                  ("log_loss", "softmax")])
def test_output_delta_matches_chain_rule(loss_name, act_name):
    loss, act = get_loss(loss_name), get_activation(act_name)
    rng = np.random.default_rng(2)
    z = rng.normal(size=(5, 3))
    t = np.eye(3)[rng.integers(0, 3, 5)]
    numeric = _central_diff(lambda zz: loss(act(zz.copy()), t), z)
    np.testing.assert_allclose(output_delta(loss, act, z, act(z.copy()), t), numeric, rtol=RTOL, atol=1e-9)


def test_log_loss_is_clipped():
    assert np.isfinite(get_loss("log_loss")(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])))


def test_initializers_respect_their_limits():
    rng = np.random.default_rng(0)
    w = initializers.get("uniform")(100, 7, rng, 2.0, np.float32)
    assert w.shape == (100, 7) and w.dtype == np.float32 and np.abs(w).max() <= 0.2
    g = initializers.get("glorot")(10, 6, rng)
    assert np.abs(g).max() <= np.sqrt(6 / 16)


def test_custom_activation_needs_derivative():
    with pytest.raises(ValueError, match="derivative"):
        get_activation(lambda z: z)

    def cube(z):
        return z**3

    cube.derivative = lambda z, a: 3 * z**2
    assert get_activation(cube).backward(np.ones(2), np.array([1.0, 2.0]), None).tolist() == [3.0, 12.0]


def test_sgd_epoch_with_momentum_minimizes_a_quadratic():
    target = np.array([1.0, -2.0])
    X = np.ones((10, 1))

    def grad_fn(idx):
        return float(np.sum((params - target) ** 2)), 2 * (params - target) * len(idx) / 10

    params, velocity = np.zeros(2), np.zeros(2)
    for _ in range(50):
        losses_ = sgd_epoch(grad_fn, params, velocity, n_samples=len(X), batch_size=3, learning_rate=0.1,
                            momentum=0.5, rng=np.random.default_rng(0))
    assert len(losses_) == 4
    np.testing.assert_allclose(params, target, atol=1e-6)
    assert len(sgd_epoch(grad_fn, params, velocity, n_samples=10, batch_size=3, learning_rate=0.1,
                         max_batches=2)) == 2


@pytest.mark.parametrize("method", ["lbfgs", "cg", "BFGS", "Nelder-Mead"])
def test_solvers_minimize_rosenbrock(method):
    from scipy.optimize import rosen, rosen_der

    solver = get_solver(method)
    res = solver.minimizer(lambda x: (rosen(x), rosen_der(x)), np.array([-1.0, 1.0]), max_iter=2000, tol=1e-10)
    np.testing.assert_allclose(res.x, [1, 1], atol=1e-3)
    assert res.loss_curve and res.loss_curve[-1] < res.loss_curve[0]


def test_get_solver_rejects_unsupported_kind():
    with pytest.raises(ValueError, match="not supported"):
        get_solver("cg", allowed={"sgd"})
    with pytest.raises(ValueError, match="Unknown solvers"):
        get_solver("adamw")


def test_scipy_minimize_reports_iterations():
    res = scipy_minimize(lambda x: (float(x @ x), 2 * x), np.ones(3), method="CG", max_iter=10)
    assert res.n_iter >= 1 and res.success


def test_stopping_rule_scores():
    rule = StoppingRule(tol=0.01, n_iter_no_change=1, higher_is_better=True)
    assert [rule.update(v) for v in [0.5, 0.6, 0.6, 0.6]] == [False, False, False, True]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_matmul_gives_a_row_the_same_bits_in_any_batch(dtype):
    from skcnn._nn.network import row_matmul

    rng = np.random.default_rng(0)
    X = rng.normal(size=(37, 784)).astype(dtype)
    W = rng.normal(size=(784, 70)).astype(dtype)
    full, full_v = row_matmul(X, W), row_matmul(X, W[:, 0].copy())
    np.testing.assert_allclose(full, X @ W, rtol=1e-4, atol=1e-3)
    perm = rng.permutation(len(X))
    np.testing.assert_array_equal(row_matmul(X[perm], W), full[perm])
    for start, n in [(0, 1), (5, 1), (3, 2), (10, 5), (20, 17)]:
        np.testing.assert_array_equal(row_matmul(X[start:start + n], W), full[start:start + n])
        np.testing.assert_array_equal(row_matmul(X[start:start + n], W[:, 0].copy()), full_v[start:start + n])


def test_penalty_divides_by_n_penalty_not_by_the_rows():
    from skcnn._nn.network import FlatNetwork

    net = FlatNetwork([3, 2], [], "sigmoid", "log_loss", dtype=np.float64)
    theta = net.init_params(np.random.RandomState(0))
    X, T = np.ones((2, 3)), np.eye(2)
    plain, short = np.empty_like(theta), np.empty_like(theta)
    base = net.cost_grad(theta, plain, X, T)
    stats = net.cost_grad(theta, short, X, T, alpha_l2=4.0, alpha_l1=2.0, n_penalty=8)
    w = theta[:net.n_weights]
    assert stats.reg == pytest.approx(0.5 * 4.0 / 8 * np.sum(w**2) + 2.0 / 8 * np.sum(np.abs(w)), rel=1e-12)
    np.testing.assert_allclose(short - plain, np.r_[4.0 / 8 * w + 2.0 / 8 * np.sign(w), np.zeros(2)], rtol=1e-12)
    assert stats.loss == base.loss


# --------------------------------------------------------------------------- the flat network's plumbing
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_network_computes_in_its_own_dtype(dtype):
    from skcnn._nn.network import FlatNetwork, Workspace

    net = FlatNetwork([4, 3, 2], ["relu"], "sigmoid", "log_loss", dtype=dtype)
    work = Workspace(net, 5)
    assert {b.dtype for b in work.z + work.a + work.delta} == {np.dtype(dtype)}
    assert Workspace(net, 5, backward=False).delta is None
    seen = []

    def init(fan_in, fan_out, rng, scale, dt):
        seen.append(np.dtype(dt))
        return np.ones((fan_in, fan_out), dtype=dt)

    theta = net.init_params(np.random.RandomState(0), init)
    assert seen == [np.dtype(dtype)] * 2 and theta.dtype == dtype
    X = np.random.default_rng(0).normal(size=(5, 4)).astype(dtype)
    assert net.forward(theta, X).dtype == dtype and net.forward(theta, X, row_exact=True).dtype == dtype


def test_network_refuses_bad_layouts_and_initializers():
    from skcnn._nn.network import FlatNetwork

    for sizes in ([3], [3, 0, 2]):
        with pytest.raises(ValueError, match="at least two positive sizes"):
            FlatNetwork(sizes, ["relu"] * max(len(sizes) - 2, 0), "sigmoid", "log_loss")
    with pytest.raises(ValueError, match="Expected 1 hidden activations, got 0"):
        FlatNetwork([3, 4, 2], [], "sigmoid", "log_loss")
    net = FlatNetwork([3, 2], [], "sigmoid", "log_loss")
    with pytest.raises(ValueError, match=r"returned shape \(2, 2\); expected \(3, 2\)"):
        net.init_params(np.random.RandomState(0), lambda fi, fo, rng, scale, dt: np.zeros((2, 2)))


def test_pack_writes_into_out_and_unpack_gives_views():
    from skcnn._nn.network import FlatNetwork

    net = FlatNetwork([3, 4, 2], ["relu"], "sigmoid", "log_loss", dtype=np.float64)
    theta = net.init_params(np.random.RandomState(0))
    coefs, intercepts = net.unpack(theta)
    buf = np.zeros_like(theta)
    assert net.pack(coefs, intercepts, out=buf) is buf
    np.testing.assert_array_equal(buf, theta)
    coefs[1][0, 0] = 7.0
    assert theta[net.coef_shapes[0][0] * net.coef_shapes[0][1]] == 7.0


def test_used_inputs_keeps_columns_only_when_it_saves_enough():
    from skcnn._nn.network import used_inputs

    X = np.ones((3, 20))
    cols, Xu = used_inputs(X)
    assert cols is None and Xu is X  # nothing to drop
    X[:, 7] = 0  # 19 of 20 used: 5% saved, exactly the threshold
    cols, Xu = used_inputs(X)
    assert cols.tolist() == [k for k in range(20) if k != 7] and Xu.shape == (3, 19)
    assert used_inputs(X, min_saving=0.06)[0] is None  # 5% saves less than asked
    one = np.zeros((3, 20))
    one[:, 4] = 1.0
    assert used_inputs(one)[0].tolist() == [4]
    assert used_inputs(np.zeros((3, 20)))[0] is None  # nothing used at all: keep X as it is


def test_cost_grad_with_inputs_follows_changing_columns():
    from skcnn._nn.network import FlatNetwork, Workspace, used_inputs

    net = FlatNetwork([6, 3, 2], ["tanh"], "softmax", "categorical_crossentropy", dtype=np.float64)
    theta = net.init_params(np.random.RandomState(0))
    rng = np.random.default_rng(0)
    work = Workspace(net, 4)
    T = np.eye(2)[[0, 1, 1, 0]]
    for zero_cols in ([1, 4], [1, 4], [0, 2, 5]):
        X = rng.normal(size=(4, 6))
        X[:, zero_cols] = 0
        inputs, Xu = used_inputs(X, min_saving=0.0)
        inputs = inputs.copy()  # equal but not the same array as the last call's
        full, part = np.empty_like(theta), np.empty_like(theta)
        expected = net.cost_grad(theta, full, X, T)
        got = net.cost_grad(theta, part, Xu, T, work=work, inputs=inputs)
        assert got.cost == pytest.approx(expected.cost, rel=1e-12)
        np.testing.assert_allclose(part, full, rtol=1e-12, atol=1e-15)


def test_a_too_small_or_forward_only_workspace_is_replaced():
    from skcnn._nn.network import FlatNetwork, Workspace

    net = FlatNetwork([4, 3, 2], ["sigmoid"], "sigmoid", "squared", dtype=np.float64)
    theta = net.init_params(np.random.RandomState(0))
    X, T = np.random.default_rng(0).normal(size=(5, 4)), np.eye(2)[[0, 1, 1, 0, 1]]
    expected, g0 = net.forward(theta, X).copy(), np.empty_like(theta)
    ref = net.cost_grad(theta, g0, X, T)
    for work in (Workspace(net, 2), Workspace(net, 9, backward=False)):
        np.testing.assert_array_equal(net.forward(theta, X, Workspace(net, 2)), expected)
        g = np.empty_like(theta)
        assert net.cost_grad(theta, g, X, T, work=work).cost == ref.cost
        np.testing.assert_array_equal(g, g0)


# --------------------------------------------------------------------------- optimizers against scipy and by hand
@pytest.mark.parametrize("name, method", [("lbfgs", "L-BFGS-B"), ("cg", "CG"), ("BFGS", "BFGS"),
                                          ("Nelder-Mead", "Nelder-Mead")])
def test_solver_runs_the_named_scipy_method_for_max_iter(name, method):
    import scipy.optimize
    from scipy.optimize import rosen, rosen_der

    x0 = np.array([-1.2, 1.0])
    seen = []
    res = get_solver(name).minimizer(lambda x: (rosen(x), rosen_der(x)), x0, max_iter=7, tol=1e-12,
                                     callback=lambda x, loss: seen.append((x.copy(), loss)))
    gradient_free = method == "Nelder-Mead"
    ref = scipy.optimize.minimize(rosen, x0, jac=None if gradient_free else rosen_der, method=method, tol=1e-12,
                                  options={"maxiter": 7})
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-12)
    assert res.n_iter == ref.nit == 7 and not res.success and res.message == str(ref.message)
    assert len(res.loss_curve) == len(seen) == 7 or gradient_free and len(seen) == 6  # NM: no call at the end
    np.testing.assert_allclose(res.loss_curve, [rosen(x) for x, _ in seen], rtol=1e-12)
    assert [loss for _, loss in seen] == res.loss_curve


def test_scipy_minimize_stops_where_the_callback_asks():
    from scipy.optimize import rosen, rosen_der

    xs = []

    def callback(x, loss):
        xs.append(x.copy())
        return len(xs) == 3

    res = scipy_minimize(lambda x: (rosen(x), rosen_der(x)), np.array([-1.2, 1.0]), method="L-BFGS-B",
                         max_iter=50, callback=callback)
    assert res.n_iter == 3 and res.success and res.message == "stopped by a callback"
    assert len(res.loss_curve) == 3 and res.loss_curve[-1] == rosen(xs[-1])
    np.testing.assert_array_equal(res.x, xs[-1])


def test_sgd_epoch_visits_batches_in_the_generators_order():
    seen = []

    def grad_fn(idx):
        seen.append(idx.copy())
        return float(len(seen)), np.ones(1)

    params, velocity = np.zeros(1), np.zeros(1)
    losses_ = sgd_epoch(grad_fn, params, velocity, n_samples=10, batch_size=4, learning_rate=0.5,
                        rng=np.random.default_rng(3))
    order = np.random.default_rng(3).permutation(10)
    assert [b.tolist() for b in seen] == [order[:4].tolist(), order[4:8].tolist(), order[8:].tolist()]
    assert losses_ == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(params, [-1.5])  # three plain steps of 0.5
    seen.clear()
    sgd_epoch(grad_fn, params, velocity, n_samples=5, batch_size=9, learning_rate=0.5)
    assert [b.tolist() for b in seen] == [[0, 1, 2, 3, 4]]  # no rng: in order; batch clipped to the samples
    hits = []
    sgd_epoch(grad_fn, params, velocity, n_samples=6, batch_size=2, learning_rate=0.5, max_batches=2,
              on_batch=lambda idx, loss: hits.append((idx.tolist(), loss)))
    assert hits == [([0, 1], 2.0), ([2, 3], 3.0)]


def test_sgd_epoch_momentum_by_hand():
    params, velocity = np.zeros(1), np.zeros(1)
    grads = iter([1.0, 2.0, 4.0])
    sgd_epoch(lambda idx: (0.0, np.array([next(grads)])), params, velocity, n_samples=3, batch_size=1,
              learning_rate=0.1, momentum=0.5)
    # v1 = -0.1, v2 = 0.5 v1 - 0.2 = -0.25, v3 = 0.5 v2 - 0.4 = -0.525; params = v1 + v2 + v3
    np.testing.assert_allclose(velocity, [-0.525])
    np.testing.assert_allclose(params, [-0.875])


def test_stopping_rule_for_scores_uses_tol_on_the_score_scale():
    rule = StoppingRule(tol=0.1, n_iter_no_change=1, higher_is_better=True)
    # 0.56 and 0.62 each rise by less than tol: two epochs without improvement stop training
    assert [rule.update(v) for v in [0.5, 0.56, 0.62]] == [False, False, True]
    assert rule.best == -0.62


def test_sgd_epoch_casts_a_float64_step_into_float32_weights():
    params, velocity = np.zeros(2, dtype=np.float32), np.zeros(2, dtype=np.float32)
    sgd_epoch(lambda idx: (0.0, np.array([1.0, 2.0])), params, velocity, n_samples=1, batch_size=1,
              learning_rate=0.5)
    assert params.dtype == np.float32 and params.tolist() == [-0.5, -1.0]


def test_stopping_rule_counts_epochs_without_improvement():
    rule = StoppingRule(tol=0.1, n_iter_no_change=2)
    # best 1.0; 0.95 and 0.92 improve by less than tol (but become the best); 0.5 resets the count
    assert [rule.update(v) for v in [1.0, 0.95, 0.92, 0.5, 0.45, 0.44, 0.43]] == \
        [False, False, False, False, False, False, True]
    assert rule.best == 0.43 and rule.improved
    no_tol = StoppingRule(tol=None, n_iter_no_change=1)
    assert [no_tol.update(v) for v in [1.0, 1.0, 1.0, 0.9]] == [False, False, False, False]


def test_get_solver_resolves_names_objects_and_callables():
    from skcnn._nn.optim import Solver

    assert get_solver("sgd").kind == "sgd" and get_solver("batch").kind == "batch"
    assert get_solver("sgd").iterative and get_solver("batch").iterative and not get_solver("lbfgs").iterative
    mine = Solver("mine", "minimize", lambda fun, x0, **kw: x0)
    assert get_solver(mine) is mine

    def my_minimizer(fun, x0, *, max_iter, tol, callback=None):
        return x0

    found = get_solver(my_minimizer)
    assert (found.name, found.kind, found.minimizer) == ("my_minimizer", "minimize", my_minimizer)
    assert get_solver("tnc").name == "tnc" and get_solver("TNC").kind == "minimize"
    with pytest.raises(ValueError, match=r"kinds \['minimize'\] \(registered solvers: 'batch', 'cg', 'lbfgs', 'sgd'\)"):
        get_solver("batch", allowed={"minimize"})

    class Minimizer:  # a callable without __name__
        def __call__(self, fun, x0, *, max_iter, tol, callback=None):
            return x0

    assert get_solver(Minimizer()).name == "custom"


def test_scipy_minimize_defaults_and_evaluations():
    import scipy.optimize

    calls = []

    def quartic(x):
        calls.append(1)
        return float(np.sum(x**4)), 4 * x**3

    # defaults: L-BFGS-B for at most 200 iterations (x**4 takes longer than that with tol=0)
    res = scipy_minimize(quartic, np.ones(2), tol=0, callback=lambda x, loss: None)
    n_ours = len(calls)
    calls.clear()
    ref = scipy.optimize.minimize(quartic, np.ones(2), jac=True, method="L-BFGS-B", tol=0, options={"maxiter": 200})
    assert res.n_iter == ref.nit == 200 and not res.success
    np.testing.assert_array_equal(res.x, ref.x)
    assert n_ours == ref.nfev  # the per-iteration loss comes from the last evaluation, not a new one
    # tol reaches scipy: a loose one stops early, as scipy's own run does
    loose = scipy_minimize(quartic, np.ones(2), tol=1e-2, max_iter=200)
    ref = scipy.optimize.minimize(quartic, np.ones(2), jac=True, method="L-BFGS-B", tol=1e-2)
    assert loose.n_iter == ref.nit < 50 and loose.success
    assert get_solver("lbfgs").minimizer(quartic, np.ones(2), max_iter=200, tol=1e-2).n_iter == ref.nit


def test_gradient_free_methods_get_no_gradient():
    import warnings as _warnings

    with _warnings.catch_warnings():
        _warnings.simplefilter("error")  # scipy warns when a method that takes no gradient is given one
        for method in ("Nelder-Mead", "nelder-mead", "Powell"):
            res = scipy_minimize(lambda x: (float(x @ x), 2 * x), np.ones(2), method=method, max_iter=100)
            assert abs(res.loss_curve[-1]) < 1e-3


def test_stopping_rule_an_improvement_of_exactly_tol_counts():
    rule = StoppingRule(tol=0.5, n_iter_no_change=0)  # as sklearn: no improvement means loss > best - tol
    assert [rule.update(v) for v in [2.0, 1.5, 1.0]] == [False, False, False]
    assert rule.update(0.75) is True


# --------------------------------------------------------------------------- losses by formula
def _by_hand(name, a, t):
    """Each row's loss, written out here."""
    if name == "squared":
        return 0.5 * np.sum((a - t) ** 2, axis=1)
    if name == "log_loss":
        return -np.sum(t * np.log(a) + (1 - t) * np.log(1 - a), axis=1)
    return -np.sum(t * np.log(a), axis=1)


@pytest.mark.parametrize("name", ["squared", "log_loss", "categorical_crossentropy"])
def test_losses_by_formula_per_row_weighted_and_clipped(name):
    from skcnn._nn.losses import loss_value

    loss = get_loss(name)
    rng = np.random.default_rng(4)
    a = rng.uniform(0.05, 0.95, size=(5, 3))
    t = np.eye(3)[[0, 2, 1, 1, 0]]
    rows = _by_hand(name, a, t)
    np.testing.assert_allclose(loss.per_sample(a, t), rows, rtol=1e-12)
    assert loss.value(a, t) == pytest.approx(rows.mean(), rel=1e-12) == loss(a, t)
    w = np.array([0.1, 0.0, 0.5, 0.3, 0.1])
    assert loss_value(loss, a, t, w) == pytest.approx(np.dot(w, rows), rel=1e-12)
    assert loss_value(loss, a, t) == loss.value(a, t)
    # outputs of exactly 0 or 1 are clipped to eps (float32: its own eps), never inf
    for dtype in (np.float64, np.float32):
        edge = np.array([[0.0, 1.0, 0.0]], dtype=dtype)
        eps = np.finfo(dtype).eps
        bad = np.array([[1.0, 0.0, 1.0]])
        if name != "squared":
            clipped = np.clip(edge.astype(np.float64), eps, 1 - eps if name == "log_loss" else 1)
            assert loss.value(edge, bad) == pytest.approx(_by_hand(name, clipped, bad)[0], rel=1e-6)
            assert np.isfinite(loss.per_sample(edge, bad)).all()


# the output layers the estimators build: two canonical pairs and one chained through the activation
OUTPUT_PAIRS = [("log_loss", "sigmoid"), ("squared", "sigmoid"), ("categorical_crossentropy", "softmax")]


@pytest.mark.parametrize("loss_name, act_name", OUTPUT_PAIRS)
def test_output_delta_with_row_weights_is_the_weighted_gradient(loss_name, act_name):
    loss, act = get_loss(loss_name), get_activation(act_name)
    rng = np.random.default_rng(5)
    z = rng.normal(size=(4, 3))
    t = np.eye(3)[[0, 1, 2, 1]]
    w = np.array([0.5, 0.25, 0.0, 0.25])
    numeric = _central_diff(lambda zz: float(np.dot(w, loss.per_sample(act(zz.copy()), t))), z)
    got = output_delta(loss, act, z, act(z.copy()), t, row_weights=w)
    np.testing.assert_allclose(got, numeric, rtol=RTOL, atol=1e-9)


def test_custom_losses_must_be_loss_objects_with_rows_for_weights():
    from skcnn._nn.losses import Loss, check_sample_weight, loss_value

    with pytest.raises(ValueError, match="A custom loss must be an skcnn Loss instance"):
        get_loss(lambda a, t: 0.0)
    bare = Loss("bare", lambda a, t: 0.0, lambda a, t: a - t)
    with pytest.raises(ValueError, match="'bare' has no per-sample values"):
        loss_value(bare, np.zeros((2, 1)), np.zeros((2, 1)), np.array([0.5, 0.5]))
    assert check_sample_weight(None, np.zeros((2, 1))) is None
    sw = check_sample_weight([1, 2], np.zeros((2, 1)))
    assert sw.dtype == np.float64 and sw.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("loss_name", ["log_loss", "squared"])
def test_batch_error_is_the_mean_absolute_output_error(loss_name):
    from skcnn._nn.network import FlatNetwork

    net = FlatNetwork([3, 4, 2], ["tanh"], "sigmoid", loss_name, dtype=np.float64)
    theta = net.init_params(np.random.RandomState(1), scale=3.0)
    rng = np.random.default_rng(1)
    X, T = rng.normal(size=(6, 3)), np.eye(2)[[0, 1, 1, 0, 1, 0]]
    out = net.forward(theta, X).copy()
    grad = np.empty_like(theta)
    expected = np.abs(out - T).mean()
    assert net.cost_grad(theta, grad, X, T).error == pytest.approx(expected, rel=1e-12)
    weighted = net.cost_grad(theta, grad, X, T, row_weights=np.full(6, 1 / 6) * [2, 0, 1, 1, 1, 1])
    assert weighted.error == pytest.approx(expected, rel=1e-12)  # an output error, not weighted


def test_l1_gradient_of_a_zero_weight_is_zero():
    from skcnn._nn.network import FlatNetwork, Workspace

    net = FlatNetwork([2, 2], [], "sigmoid", "log_loss", dtype=np.float32)
    theta = np.array([0.0, 0.5, -0.5, 0.0, 0.0, 0.0], dtype=np.float32)
    X, T = np.zeros((1, 2), dtype=np.float32), np.array([[0.5, 0.5]], dtype=np.float32)  # no data gradient
    grad = np.empty_like(theta)
    stats = net.cost_grad(theta, grad, X, T, alpha_l1=2.0)
    np.testing.assert_array_equal(grad, [0.0, 2.0, -2.0, 0.0, 0.0, 0.0])
    assert stats.reg == pytest.approx(2.0)
    work = Workspace(net, 1)
    net.cost_grad(theta, grad, X[:, :1], T, work=work, inputs=np.array([0]))
    assert work.first_grad.dtype == np.float32 and work.first_weights(theta[:4].reshape(2, 2), [0]).dtype == np.float32


def test_loss_edges_int_input_and_finite_gradients():
    log_loss, cce = get_loss("log_loss"), get_loss("categorical_crossentropy")
    # integer outputs are clipped with 1e-15
    expected = -(np.log(1e-15) + np.log1p(-(1 - 1e-15)))
    assert log_loss(np.array([[0, 1]]), np.array([[1, 0]])) == pytest.approx(expected, rel=1e-12)
    # gradients at outputs of exactly 0 or 1 are large but finite (clipped with eps)
    eps = np.finfo(np.float64).eps
    g = log_loss.gradient(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(g, [[-1 / eps / (1 - eps), 1 / eps / (1 - eps)]], rtol=1e-9)
    np.testing.assert_allclose(cce.gradient(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])), [[-1 / eps, 0.0]])


@pytest.mark.parametrize("loss_name, act_name", OUTPUT_PAIRS)
def test_output_delta_writes_into_out_and_uses_the_shortcut(loss_name, act_name):
    loss, act = get_loss(loss_name), get_activation(act_name)
    rng = np.random.default_rng(6)
    z = rng.normal(size=(4, 3))
    a, t = act(z.copy()), np.eye(3)[[0, 1, 2, 0]]
    buf = np.empty_like(z)
    assert output_delta(loss, act, z, a, t, out=buf) is buf
    if loss.canonical == act_name:  # exactly (a - t) / n, not the chain rule's rounding
        np.testing.assert_array_equal(buf, (a - t) / 4)


def test_sample_weights_become_float64_whatever_x_is():
    from skcnn._nn.losses import check_sample_weight

    assert check_sample_weight([1, 2], np.zeros((2, 1), dtype=np.float32)).dtype == np.float64
