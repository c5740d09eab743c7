"""
One model, three backends: the same attribution maps on TensorFlow, JAX and PyTorch
===================================================================================

Keras 3 runs one model on TensorFlow, JAX or PyTorch, and so do skcnn's
inspectors. This example trains the CNN on the embedded digits (on the
backend this script runs on, TensorFlow by default), saves the network as a
``.keras`` file, and explains the same test digits with
:class:`~skcnn.inspect.AttributionInspector` on every backend installed here,
each in a Python process of its own (Keras fixes its backend when it is first
imported). The rows are the backends, the columns saliency, integrated
gradients and Grad-CAM of the same digit for its predicted class; the numbers under the maps say how
closely each backend's maps follow the first one's (Pearson correlation over
all pixels of all maps).

Install a backend with its extra (``pip install "skcnn[jax]"``,
``pip install "skcnn[torch]"``); a backend that is not installed is left out.
The pictures go to the folder ``plot_backends/`` (or ``--out DIR``).
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from skcnn import KerasCNNClassifier
from skcnn.datasets import load_mnist
from skcnn.plotting import save_figure

parser = argparse.ArgumentParser(description="The same attribution maps on every installed Keras backend.")
parser.add_argument("--out", default="plot_backends", help="folder for the pictures (default: %(default)s)")
out = Path(parser.parse_args().out)

digits = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data / 255.0, digits.target, test_size=1000, stratify=digits.target, random_state=0)
cnn = KerasCNNClassifier(image_shape=(28, 28, 1), epochs=2, random_state=0).fit(X_train, y_train)
print(f"test accuracy {cnn.score(X_test, y_test):.3f}")

# %%
# The network as a .keras file, and the digits to explain: every backend reads both.
work = Path(tempfile.mkdtemp())
cnn.model_.save(work / "cnn.keras")
np.save(work / "digits.npy", X_test[:4].reshape(-1, 28, 28, 1).astype(np.float32))

EXPLAIN = textwrap.dedent("""
    import sys
    from pathlib import Path

    import keras
    import numpy as np

    from skcnn.inspect import AttributionInspector

    work = Path(sys.argv[1])
    model = keras.saving.load_model(work / "cnn.keras")
    digits = np.load(work / "digits.npy")
    inspector = AttributionInspector(model)
    maps = [inspector.saliency(digits).maps,  # each digit's predicted class
            inspector.integrated_gradients(digits, steps=32).maps,
            inspector.gradcam(digits).maps]
    np.save(work / f"maps_{keras.backend.backend()}.npy", np.stack(maps))
""")

maps = {}
for backend in ("tensorflow", "jax", "torch"):
    if importlib.util.find_spec(backend) is None:
        print(f"{backend}: not installed, left out")
        continue
    env = {**os.environ, "KERAS_BACKEND": backend}
    run = subprocess.run([sys.executable, "-c", EXPLAIN, str(work)], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        print(f"{backend}: failed\n{run.stderr[-2000:]}")
        continue
    maps[backend] = np.load(work / f"maps_{backend}.npy")

# %%
# One row per backend; the correlation of each backend's maps with the first backend's.
names = ["saliency", "integrated gradients", "Grad-CAM"]
first = next(iter(maps))
fig, axes = plt.subplots(len(maps), 3, figsize=(7, 2.3 * len(maps)), squeeze=False)
for row, (backend, m) in enumerate(maps.items()):
    for col, name in enumerate(names):
        if name == "integrated gradients":  # signed: red for evidence for the class, blue against
            limit = np.abs(m[col, 0]).max()
            axes[row, col].imshow(m[col, 0], cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:
            axes[row, col].imshow(m[col, 0], cmap="magma")
        axes[row, col].set_xticks([])
        axes[row, col].set_yticks([])
        if row == 0:
            axes[row, col].set_title(name)
        r = np.corrcoef(m[col].ravel(), maps[first][col].ravel())[0, 1]
        axes[row, col].set_xlabel(f"r = {r:.5f} vs {first}", fontsize=8)
    axes[row, 0].set_ylabel(backend)
    print(f"{backend:>10}: Pearson r vs {first}: " + ", ".join(
        f"{name} {np.corrcoef(m[k].ravel(), maps[first][k].ravel())[0, 1]:.6f}" for k, name in enumerate(names)))
fig.suptitle("One .keras file, explained on each backend", fontsize=10)
fig.tight_layout()
save_figure(fig, out / "backends.png")
