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
