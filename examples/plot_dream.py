"""
Dreams of a digit CNN on a flower
=================================

A CNN trained on 28x28 handwritten digits "dreams" on a 560x560 photo: the
photo is brought to the network's 28x28 window (shrunk, in a pyramid of
sizes, or cut into tiles), the input is pushed by gradient ascent to excite
the whole third convolution layer, and the detail lost on the way is put
back. The digit filters carve stroke-like patterns into the petals.

Then an RGB network, as in the TensorFlow DeepDream tutorial: InceptionV3
(random weights here, so nothing is downloaded; pass ``weights="imagenet"``
for the familiar dreams) sees the whole colour photo. Two layers dream at
once (the sum of their mean activations), the image is climbed in a pyramid
of octaves with tiled gradients and a random roll, and the model's own
preprocessing (pixels to [-1, 1]) is undone for display.

Pictures go to the folder ``plot_dream/``.
"""

import time
from pathlib import Path

import keras
import matplotlib

matplotlib.use("Agg")

from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import KerasCNNClassifier
from skcnn.datasets import load_flower, load_mnist
from skcnn.inspect import DreamInspector
from skcnn.plotting import plot_dream, save_figure

out = Path("plot_dream")
out.mkdir(exist_ok=True)
digits = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=1000, stratify=digits.target, random_state=0)
cnn = make_pipeline(StandardScaler(), KerasCNNClassifier(image_shape=(28, 28, 1), epochs=5, random_state=0))
cnn.fit(X_train, y_train)
print(f"CNN test accuracy: {cnn.score(X_test, y_test):.3f}")

photo = load_flower(560)
inspector = DreamInspector(cnn)
for method in ("rescale", "octaves", "tiles"):
    start = time.perf_counter()
    result = inspector.dream(photo, "conv3", method=method, loops=4, steps=20, random_state=0)
    print(f"{method}: {time.perf_counter() - start:.1f} s")
    stages = result.small if method == "rescale" else result.intermediates[:-1]
    save_figure(plot_dream(photo, result.image, intermediates=stages, title=method), out / f"dream_{method}.png")

# One map instead of the whole layer: the series' first dreams.
result = inspector.dream(photo, "conv3", maps=[10], method="rescale", random_state=0)
save_figure(plot_dream(photo, result.image, intermediates=result.small, title="conv3, map 10"), out / "dream_map10.png")

# An RGB network dreams on the whole colour photo: InceptionV3's mixed3 + mixed5.
network = keras.applications.InceptionV3(weights=None, include_top=False)
rgb = DreamInspector(network, preprocess=lambda x: x / 127.5 - 1.0, deprocess=lambda x: (x + 1.0) * 127.5)
photo = load_flower(299)
start = time.perf_counter()
result = rgb.dream(photo, ["mixed3", "mixed5"], method="octaves", octaves=4, octave_scale=1.3, steps=10,
                   learning_rate=0.015, random_state=0)
print(f"InceptionV3 octaves: {time.perf_counter() - start:.1f} s, objective per octave: "
      + ", ".join(f"{h[0]:.3f} -> {h[-1]:.3f}" for h in result.objective_history))
save_figure(plot_dream(photo, result.image, intermediates=result.intermediates[:-1], title="InceptionV3, octaves"),
            out / "dream_inception.png")
print(f"pictures written to {out}/")
