"""skcnn on every Keras backend: imports, missing packages, and the same answers on TensorFlow, JAX and PyTorch.

Keras fixes its backend when it is first imported, so every test here runs
its backend in a subprocess of its own (``KERAS_BACKEND`` set) and this
process imports no framework. The comparisons train one small CNN on
TensorFlow, save it as ``.keras``, and let one subprocess per other backend
load it and compute every inspection at once; the arrays come back as
``.npy`` files and are compared here with TensorFlow's. A backend whose
package is not installed is skipped.
"""

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.backend

BACKENDS = ("tensorflow", "jax", "torch")
OTHERS = ("jax", "torch")
FRAMEWORKS = ("tensorflow", "jax", "torch", "keras")


def _installed(backend):
    return importlib.util.find_spec(backend) is not None


def _needs(backend):
    return pytest.mark.skipif(not _installed(backend), reason=f"{backend} is not installed")


def _run(backend, code, *args, timeout=1800):  # a hang guard: CI shares 2 cores among 5 jobs
    """Run ``code`` in a fresh Python on ``backend``; its stdout, or a failure showing its stderr."""
    env = {**os.environ, "KERAS_BACKEND": backend, "OPENBLAS_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        pytest.fail(f"the {backend} subprocess failed (exit {done.returncode}):\n{done.stderr[-6000:]}")
    return done.stdout


# ---------------------------------------------------------------------------------------------------------------
# import skcnn imports no framework; a missing backend names its extra

IMPORTS = """
import sys
import skcnn, skcnn.inspect, skcnn.datasets, skcnn.plugins
print(sorted(name for name in {frameworks!r} if name in sys.modules))
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_import_skcnn_imports_no_framework(backend):
    assert _run(backend, IMPORTS.format(frameworks=FRAMEWORKS)).strip() == "[]"


# The package is hidden the way a missing one is: the path finder, which finds installed packages, answers None
# for it (so importlib.util.find_spec gives None and `import` raises ModuleNotFoundError).
HIDDEN = """
import importlib.machinery, sys
hidden = sys.argv[1]

class Hide:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] == hidden:
            return None
        return importlib.machinery.PathFinder.find_spec(name, path, target)

    @staticmethod
    def invalidate_caches():
        importlib.machinery.PathFinder.invalidate_caches()

sys.meta_path[:] = [Hide if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
import importlib.util
assert importlib.util.find_spec(hidden) is None

import numpy as np
from skcnn import KerasCNNClassifier
from skcnn._keras import import_keras
for call in (lambda: KerasCNNClassifier(epochs=1).fit(np.zeros((4, 64)), [0, 1, 0, 1]), import_keras):
    try:
        call()
    except ImportError as error:
        print(str(error))
    else:
        print("no error")
print(sorted(name for name in ("keras", hidden) if name in sys.modules))
"""


@pytest.mark.parametrize("backend, install", [("jax", "skcnn[jax]"), ("torch", "skcnn[torch]"),
                                              ("tensorflow", "pip install tensorflow")])
def test_missing_backend_names_the_extra_to_install(backend, install):
    lines = _run(backend, HIDDEN, backend).strip().splitlines()
    *messages, imported = lines
    assert len(messages) == 2, lines
    for message in messages:
        assert install in message and f"KERAS_BACKEND={backend!r}" in message, message
    assert imported == "[]"  # stopped before Keras, which would raise its own error


# ---------------------------------------------------------------------------------------------------------------
# the same answers on every backend

# One script: `train` (on TensorFlow) fits a small CNN and saves it as model.keras first; then, on the process's
# backend, it loads model.keras and writes every inspection's result as .npy files into a folder named after it.
WORKER = """
import json, pathlib, sys
import numpy as np
import keras

folder, task = pathlib.Path(sys.argv[1]), sys.argv[2]
digits = np.load(folder / "digits.npz")
X, y = digits["X"], digits["y"]
if task == "train":
    from skcnn import KerasCNNClassifier
    cnn = KerasCNNClassifier(image_shape=(28, 28, 1), conv_filters=(8, 16, 16), dense_units=(32,), epochs=2,
                             batch_size=64, random_state=0).fit(X[:1500], y[:1500])
    cnn.model_.save(folder / "model.keras")

from skcnn.inspect import ActivationInspector, AttributionInspector, DreamInspector, OIPInspector
out = folder / keras.backend.backend()
out.mkdir(exist_ok=True)  # a second try after a failed one finds it
model = keras.saving.load_model(folder / "model.keras")
images, targets = X[-6:].reshape(-1, 28, 28, 1), y[-6:]
convs = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
for name, value in ActivationInspector(model).activations(images, layers=convs).items():
    np.save(out / f"activations_{name}.npy", value)
attribution = AttributionInspector(model)
np.save(out / "saliency.npy", attribution.saliency(images, targets).maps)
np.save(out / "integrated_gradients.npy", attribution.integrated_gradients(images, targets, steps=16).maps)
np.save(out / "gradcam.npy", attribution.gradcam(images, targets, layer=convs[-1]).maps)
np.save(out / "occlusion.npy", attribution.occlusion(images, targets, window=6, stride=3).maps)
oips = OIPInspector(model, input_range=(0.0, 1.0)).oip_layer(convs[1], maps=range(4), steps=20, random_state=0)
np.save(out / "oip.npy", oips.activations)
dream = DreamInspector(model, input_range=(0.0, 1.0)).dream(X[-7].reshape(28, 28), convs[1], method="rescale",
                                                           loops=2, steps=8, random_state=0)
np.save(out / "dream.npy", np.asarray(dream.scores))
print(json.dumps(sorted(path.name for path in out.iterdir())))
"""


# CI runs this file in its JAX job and in its PyTorch job at the same time, and both compare with the same
# TensorFlow results: where SKCNN_TEST_SHARED names a folder (.ci/run sets one for both jobs), the first job
# to need a TensorFlow result computes it there and the other waits for it and reads it.
SHARED = os.environ.get("SKCNN_TEST_SHARED")


@contextlib.contextmanager
def _once(folder, name):
    """Whether the caller must make ``name`` in ``folder``: True once over every process sharing the folder."""
    if not SHARED:
        yield True
        return
    import fcntl  # POSIX; only where a folder is shared

    with open(folder / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held by the process making it, released when it is made (or fails)
        done = folder / f".{name}.done"
        if done.exists():
            yield False
            return
        yield True  # an error in the caller's block leaves no .done: the next process tries again
        done.touch()


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """A folder holding the embedded digits in [0, 1] (``digits.npz``), read once for every subprocess."""
    from skcnn.datasets import load_mnist

    folder = Path(SHARED, "backends") if SHARED else tmp_path_factory.mktemp("backends")
    folder.mkdir(parents=True, exist_ok=True)
    with _once(folder, "digits") as first:
        if first:
            data, target = load_mnist(return_X_y=True)
            np.savez(folder / "digits.npz", X=(data / 255.0).astype(np.float32), y=target)
    return folder


@pytest.fixture(scope="module")
def compared(digits):
    """The folder of the TensorFlow-trained model.keras, with TensorFlow's results in ``tensorflow/``."""
    with _once(digits, "tensorflow") as first:
        if first:
            _run("tensorflow", WORKER, digits, "train")
    return digits


def _load(folder, backend):
    return {path.stem: np.load(path) for path in sorted((folder / backend).glob("*.npy"))}


def _pearson(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(np.corrcoef(a, b)[0, 1])


@pytest.mark.parametrize("backend", [pytest.param(name, marks=_needs(name)) for name in OTHERS])
def test_a_tensorflow_model_gives_the_same_answers_on(backend, compared):
    produced = json.loads(_run(backend, WORKER, compared, "inspect").strip().splitlines()[-1])
    tf, other = _load(compared, "tensorflow"), _load(compared, backend)
    assert sorted(f"{name}.npy" for name in tf) == produced
    activations = [name for name in tf if name.startswith("activations_")]
    assert len(activations) == 3
    for name in activations:
        assert other[name].shape == tf[name].shape, name
        np.testing.assert_allclose(other[name], tf[name], rtol=1e-4, atol=1e-4 * np.abs(tf[name]).max(),
                                   err_msg=name)
    for name in ("saliency", "integrated_gradients", "gradcam", "occlusion"):
        assert other[name].shape == tf[name].shape == (6, 28, 28), name
        assert np.ptp(tf[name]) > 0, name  # a constant map would make r meaningless
        assert _pearson(other[name], tf[name]) >= 0.999, name
    for name in ("oip", "dream"):
        assert other[name].shape == tf[name].shape, name
        assert np.abs(tf[name]).max() > 0, name
        # the final objectives within 2 %, each measured against the largest of TensorFlow's
        np.testing.assert_allclose(other[name], tf[name], rtol=0, atol=0.02 * np.abs(tf[name]).max(), err_msg=name)


# ---------------------------------------------------------------------------------------------------------------
# the CNN trains alike on every backend

FIT = """
import pathlib, sys
import numpy as np
from skcnn import KerasCNNClassifier

digits = np.load(pathlib.Path(sys.argv[1]) / "digits.npz")
X, y = digits["X"], digits["y"]
scores = [KerasCNNClassifier(image_shape=(28, 28, 1), conv_filters=(16, 32, 32), dense_units=(64,), epochs=4,
                             optimizer="adam", learning_rate=0.002, batch_size=32, random_state=seed)
          .fit(X[:4000], y[:4000]).score(X[4000:], y[4000:]) for seed in map(int, sys.argv[2:])]
print(float(np.mean(scores)))
"""
# One seed's test accuracy moves by up to 3 points on one backend, since each backend draws its own initial
# weights from a seed (seeds 0-3 here: TensorFlow 0.948-0.960, JAX 0.956-0.970, PyTorch 0.928-0.959), so
# the test compares the mean over three seeds (0-2: TensorFlow 0.955, JAX 0.958, PyTorch 0.946).
SEEDS = (0, 1, 2)


def _accuracy(backend, folder):
    return float(_run(backend, FIT, folder, *SEEDS).strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tensorflow_accuracy(digits):
    with _once(digits, "tensorflow_accuracy") as first:
        if first:
            (digits / "tensorflow_accuracy.json").write_text(json.dumps(_accuracy("tensorflow", digits)))
    return json.loads((digits / "tensorflow_accuracy.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("backend", [pytest.param(name, marks=_needs(name)) for name in OTHERS])
def test_the_cnn_reaches_the_same_test_accuracy_on(backend, tensorflow_accuracy, digits):
    accuracy = {"tensorflow": tensorflow_accuracy, backend: _accuracy(backend, digits)}
    assert accuracy["tensorflow"] > 0.9, accuracy  # it learned something
    assert abs(accuracy[backend] - accuracy["tensorflow"]) <= 0.015, accuracy
