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
