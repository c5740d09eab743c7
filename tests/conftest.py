"""Shared data fixtures (the environment is set in the root conftest.py)."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def mnist_5k():
    """The embedded 5,000-digit MNIST subset as a Bunch."""
    from skcnn.datasets import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def mnist_split(mnist_5k):
    """The benchmark split: 4000/1000 stratified, random_state=0 (float32 pixels, int labels)."""
    from sklearn.model_selection import train_test_split

    return train_test_split(mnist_5k.data, mnist_5k.target, test_size=1000, stratify=mnist_5k.target,
                            random_state=0)


@pytest.fixture
def mnist_small(mnist_5k):
    """600 digits (60 per class), shuffled with a fixed seed: for quick fits."""
    rng = np.random.default_rng(0)
    idx = np.concatenate([rng.choice(np.flatnonzero(mnist_5k.target == k), 60, replace=False) for k in range(10)])
    rng.shuffle(idx)
    return mnist_5k.data[idx], mnist_5k.target[idx]


def _value_and_gradient(fn, x):
    """``fn(x)`` and the gradient of ``sum(fn(x))`` w.r.t. ``x`` (NumPy), by the running backend's own autodiff."""
    import keras

    name = keras.backend.backend()
    x = np.asarray(x, np.float32)
    if name == "jax":
        import jax

        (_, value), grad = jax.value_and_grad(lambda t: (jax.numpy.sum(fn(t)), fn(t)), has_aux=True)(
            jax.numpy.asarray(x))
        return np.asarray(value), np.asarray(grad)
    if name == "torch":
        import torch

        xt = torch.tensor(x, requires_grad=True)
        value = fn(xt)
        grad, = torch.autograd.grad(torch.sum(value), xt)
        return value.detach().cpu().numpy(), grad.cpu().numpy()
    import tensorflow as tf

    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        value = fn(xt)
        total = tf.reduce_sum(value)
    return value.numpy(), tape.gradient(total, xt).numpy()


@pytest.fixture
def backend_gradient():
    """``gradient(fn, x) -> (fn(x), d sum(fn(x)) / dx)`` as NumPy, by TensorFlow's tape, jax.grad or torch.autograd."""
    return _value_and_gradient
