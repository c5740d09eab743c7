"""A fully connected feed-forward network on one flat parameter vector.

:class:`FlatNetwork` knows the layer sizes, the activations and the loss. It
lays out all weights, then all biases, in a single 1-d array, so an optimizer
(:func:`~skcnn._nn.optim.sgd_epoch` or :func:`~skcnn._nn.optim.scipy_minimize`)
can work on that vector while the layers see 2-d views of it. The hot path,
:meth:`FlatNetwork.cost_grad`, writes into preallocated buffers
(:class:`Workspace`) and straight into the flat gradient: no array is created
per layer in the matrix products, and the regularization of all weights is one
vector operation. Only the large matrix products go to BLAS: tiny BLAS calls
(bias sums, axpy) gain microseconds on an idle machine but each one waits for
every BLAS thread, which costs milliseconds when the cores are shared.

Regularization follows scikit-learn's scaling: for a batch of ``n`` samples the
cost is ``data_loss + alpha_l2 / (2 n) * sum(W**2) + alpha_l1 / n * sum(|W|)``;
biases are not penalized.

Examples
--------
>>> import numpy as np
>>> net = FlatNetwork([4, 3, 2], ["sigmoid"], "sigmoid", "log_loss", dtype=np.float64)
>>> theta = net.init_params(np.random.RandomState(0))
>>> theta.shape, net.n_weights
((23,), 18)
>>> X, T = np.ones((5, 4)), np.eye(2)[[0, 1, 0, 1, 1]]
>>> grad = np.empty_like(theta)
>>> stats = net.cost_grad(theta, grad, X, T, alpha_l2=0.1)
>>> bool(stats.cost > stats.loss > 0)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..plugins import initializers as _initializers
from .activations import Activation, get_activation
from .losses import Loss, get_loss, loss_value, output_delta

__all__ = ["FlatNetwork", "Workspace", "BatchStats", "used_inputs", "row_matmul"]


def row_matmul(a, b, out=None):
    """``a @ b`` computed so that each row of the result depends on that row of ``a`` alone.

    Predictions must not change with a row's position in the batch or the
    batch's size (scikit-learn's ``check_methods_sample_order_invariance`` and
    ``check_methods_subset_invariance``). ``np.matmul`` does not promise that:
    BLAS (OpenBLAS here) picks its kernel, its tile for the leftover rows and
    its split over threads from the shape of the whole batch, and those paths
    add the products of a row in different orders (FMA or not, a different
    unrolling), so the same row comes out one float32 ulp (~6e-8) apart in
    another batch -- depending on the thread count and on where a row lands,
    which is why the failure came and went between runs. ``np.einsum`` without
    ``optimize`` never calls BLAS: numpy's own loops add the products of every
    row in one fixed order, so a row gives the same bits wherever it is. It is
    slower than BLAS (about 6x for a 784 x 70 layer), so training, which needs
    no such promise, keeps ``np.matmul``.

    Examples
    --------
    >>> a = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    >>> b = np.ones((3, 2), dtype=np.float32)
    >>> bool(np.array_equal(row_matmul(a, b)[2:4], row_matmul(a[2:4], b)))
    True
    """
    spec = "ij,jk->ik" if np.ndim(b) == 2 else "ij,j->i"
    return np.einsum(spec, a, b, out=out, optimize=False)


def used_inputs(X, min_saving=0.05):
    """Columns of ``X`` that are not zero in every row, or None if dropping the rest saves little.

    Returns ``(columns, X[:, columns])`` for :meth:`FlatNetwork.cost_grad`'s
    ``inputs``, or ``(None, X)`` when fewer than ``min_saving`` of the columns
    are all zero.

    Examples
    --------
    >>> cols, Xu = used_inputs(np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]]))
    >>> cols.tolist(), Xu.shape
    ([1, 2], (2, 2))
    """
    columns = np.flatnonzero(np.any(X != 0, axis=0))
    if len(columns) > (1.0 - min_saving) * X.shape[1] or len(columns) == 0:
        return None, X
    return columns, np.ascontiguousarray(X[:, columns])


@dataclass
class BatchStats:
    """What one cost evaluation measured.

    ``cost`` = ``loss`` + ``reg``; ``error`` is the mean absolute difference
    between outputs and targets (averaged over samples and output nodes).

    Examples
    --------
    >>> BatchStats(cost=0.5, loss=0.4, reg=0.1, error=0.05).reg
    0.1
    """

    cost: float
    loss: float
    reg: float
    error: float


class Workspace:
    """Preallocated pre-activations, activations and deltas for up to ``n_rows`` samples.

    Examples
    --------
    >>> net = FlatNetwork([4, 3, 2], ["relu"], "softmax", "categorical_crossentropy")
    >>> work = Workspace(net, 10)
    >>> [z.shape for z in work.z], work.a[0].dtype
    ([(10, 3), (10, 2)], dtype('float32'))
    """

    def __init__(self, network: "FlatNetwork", n_rows: int, backward: bool = True):
        self.n_rows = int(n_rows)
        dt = network.dtype
        fan_out = network.layer_sizes[1:]
        self.z = [np.empty((self.n_rows, k), dtype=dt) for k in fan_out]
        self.a = [np.empty((self.n_rows, k), dtype=dt) for k in fan_out]
        self.delta = [np.empty((self.n_rows, k), dtype=dt) for k in fan_out] if backward else None
        self._inputs = None

    def first_weights(self, weights, inputs):
        """The rows ``inputs`` of the first weight matrix, gathered into a reused buffer."""
        if self._inputs is not inputs and (self._inputs is None or not np.array_equal(self._inputs, inputs)):
            self._inputs = np.asarray(inputs)
            self.unused = np.setdiff1d(np.arange(weights.shape[0]), self._inputs)
            self._first = np.empty((len(inputs), weights.shape[1]), dtype=weights.dtype)
            self.first_grad = np.empty_like(self._first)
        return np.take(weights, self._inputs, axis=0, out=self._first, mode="clip")


class FlatNetwork:
    """Layer sizes, activations and loss of a fully connected network.

    Parameters
    ----------
    layer_sizes : sequence of int
        Input size, hidden sizes, output size.
    hidden_activations : sequence
        One activation (registered name, :class:`Activation` or callable) per
        hidden layer.
    output_activation : str, Activation or callable
    loss : str or Loss
    dtype : numpy dtype, default=float32

    Examples
    --------
    >>> net = FlatNetwork([784, 70, 30, 10], ["sigmoid", "sigmoid"], "softmax", "categorical_crossentropy")
    >>> net.n_params, [w.shape for w in net.unpack(net.init_params(np.random.RandomState(0)))[0]]
    (57390, [(784, 70), (70, 30), (30, 10)])
    """

    def __init__(self, layer_sizes, hidden_activations, output_activation, loss, dtype=np.float32):
        self.layer_sizes = tuple(int(k) for k in layer_sizes)
        if len(self.layer_sizes) < 2 or min(self.layer_sizes) < 1:
            raise ValueError(f"layer_sizes must hold at least two positive sizes, got {layer_sizes!r}.")
        hidden = list(hidden_activations)
        if len(hidden) != len(self.layer_sizes) - 2:
            raise ValueError(
                f"Expected {len(self.layer_sizes) - 2} hidden activations, got {len(hidden)}."
            )
        self.activations: list[Activation] = [get_activation(a) for a in hidden]
        self.activations.append(get_activation(output_activation))
        self.loss: Loss = get_loss(loss)
        self.dtype = np.dtype(dtype)
        shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.coef_shapes = shapes
        sizes = [i * o for i, o in shapes]
        self.n_weights = int(sum(sizes))
        self.n_params = self.n_weights + int(sum(self.layer_sizes[1:]))
        ends = np.cumsum(sizes)
        self._coef_slices = [slice(int(e - s), int(e)) for s, e in zip(sizes, ends)]
        bias_ends = self.n_weights + np.cumsum(self.layer_sizes[1:])
        self._bias_slices = [slice(int(e - k), int(e)) for k, e in zip(self.layer_sizes[1:], bias_ends)]

    # -- parameters --------------------------------------------------------------------------
    def unpack(self, theta):
        """Views of ``theta`` as ``(coefs, intercepts)`` lists in scikit-learn's layout."""
        coefs = [theta[s].reshape(shape) for s, shape in zip(self._coef_slices, self.coef_shapes)]
        intercepts = [theta[s] for s in self._bias_slices]
        return coefs, intercepts

    def pack(self, coefs, intercepts, out=None):
        """Copy ``coefs`` and ``intercepts`` into a flat vector (new unless ``out`` is given)."""
        theta = np.empty(self.n_params, dtype=self.dtype) if out is None else out
        for s, w in zip(self._coef_slices, coefs):
            theta[s] = np.ravel(w)
        for s, b in zip(self._bias_slices, intercepts):
            theta[s] = b
        return theta

    def init_params(self, rng, init="uniform", scale=1.0):
        """A new flat vector: weights from the initializer ``init``, biases zero."""
        initializer = _initializers.get(init)
        theta = np.zeros(self.n_params, dtype=self.dtype)
        for s, (fan_in, fan_out) in zip(self._coef_slices, self.coef_shapes):
            w = np.asarray(initializer(fan_in, fan_out, rng, scale, self.dtype))
            if w.shape != (fan_in, fan_out):
                raise ValueError(
                    f"The initializer {init!r} returned shape {w.shape}; expected ({fan_in}, {fan_out})."
                )
            theta[s] = w.ravel()
        return theta

    # -- computation -------------------------------------------------------------------------
    def forward(self, theta, X, work: Workspace | None = None, first_weights=None, row_exact=False):
        """Output activations for ``X`` (a view into ``work`` when one is given).

        ``first_weights`` replaces the first weight matrix (used with ``inputs``
        in :meth:`cost_grad`). ``row_exact=True`` computes the layers with
        :func:`row_matmul`, so each row's output is the same bits whatever
        the other rows are (for predictions); the default uses BLAS (for training).
        """
        matmul = row_matmul if row_exact else np.matmul
        coefs, intercepts = self.unpack(theta)
        n = X.shape[0]
        if work is None or work.n_rows < n:
            work = Workspace(self, n, backward=False)
        if first_weights is not None:
            coefs[0] = first_weights
        a = X
        for k, (w, b, act) in enumerate(zip(coefs, intercepts, self.activations)):
            z = matmul(a, w, out=work.z[k][:n])
            z += b
            a = act.forward(z, out=work.a[k][:n])
        return a

    def cost_grad(self, theta, grad, X, T, *, alpha_l1=0.0, alpha_l2=0.0, work: Workspace | None = None,
                  inputs=None, n_penalty=None, row_weights=None):
        """Cost of ``theta`` on ``(X, T)``; its gradient is written into ``grad``.

        Parameters
        ----------
        theta, grad : ndarray of shape (n_params,)
        X : ndarray of shape (n, n_inputs)
        T : ndarray of shape (n, n_outputs)
            Targets (one-hot for classification).
        alpha_l1, alpha_l2 : float
        work : Workspace, optional
            Buffers with at least ``n`` rows (allocated if missing).
        inputs : ndarray of int, optional
            When ``X`` holds only these columns of the input (e.g. the
            features that are not zero in every training sample), the first
            layer multiplies by those rows of its weights only; the other
            rows get no data gradient. Exact, and cheaper when many inputs are
            always zero (standardized MNIST: about one pixel in six).

        n_penalty : float, optional
            The ``n`` that divides the penalties (default: the rows of ``X``).
            Mini-batch training passes the nominal batch size, so a short last
            batch is not penalized more than the others; with sample weights,
            times the mean weight (the total weight when one batch holds every
            row, as for repeated rows).
        row_weights : ndarray of shape (n,), optional
            Weight of each row in the data loss instead of ``1 / n`` (sample
            weights divided by their sum: a weighted mean). The penalties keep
            ``n_penalty``.

        Returns
        -------
        BatchStats
        """
        n = X.shape[0]
        if work is None or work.n_rows < n or work.delta is None:
            work = Workspace(self, n)
        coefs, _ = self.unpack(theta)
        gcoefs, gintercepts = self.unpack(grad)
        first = None
        if inputs is not None:
            first = work.first_weights(coefs[0], inputs)
            gfirst = gcoefs[0]
            gcoefs[0] = work.first_grad
        out = self.forward(theta, X, work, first_weights=first)
        last = len(coefs) - 1
        z = work.z
        a = work.a
        d = work.delta
        data_loss = loss_value(self.loss, out, T, row_weights)
        delta = output_delta(self.loss, self.activations[-1], z[last][:n], out, T, out=d[last][:n],
                             row_weights=row_weights)
        error = float(np.abs(delta).sum()) * (n / delta.size) if self._delta_is_residual and row_weights is None \
            else float(np.abs(out - T).mean())
        for k in range(last, -1, -1):
            below = X if k == 0 else a[k - 1][:n]
            np.matmul(below.T, delta, out=gcoefs[k])
            np.add.reduce(delta, axis=0, out=gintercepts[k])
            if k > 0:
                prev = np.matmul(delta, coefs[k].T, out=d[k - 1][:n])
                delta = self.activations[k - 1].backward(prev, z[k - 1][:n], below, out=prev)
        if inputs is not None:
            gfirst[work.unused] = 0
            gfirst[inputs] = work.first_grad
        reg = self._regularize(theta, grad, n_penalty or n, alpha_l1, alpha_l2)
        return BatchStats(data_loss + reg, data_loss, reg, error)

    @property
    def _delta_is_residual(self):
        """True when the output delta is ``(a - t) / n`` (canonical loss and output pair)."""
        return self.loss.canonical is not None and self.activations[-1].name == self.loss.canonical

    def _regularize(self, theta, grad, n, alpha_l1, alpha_l2):
        """Add the penalty gradients to ``grad``; return the penalty."""
        reg = 0.0
        if not (alpha_l1 or alpha_l2):
            return reg
        w = theta[: self.n_weights]
        g = grad[: self.n_weights]
        if alpha_l2:
            reg += 0.5 * alpha_l2 / n * float(np.dot(w, w))
            g += (alpha_l2 / n) * w
        if alpha_l1:
            reg += alpha_l1 / n * float(np.abs(w).sum())
            g += (alpha_l1 / n) * np.sign(w)
        return reg
