"""
What the maps of a CNN see: three "4"s, a "1" and a "2"
========================================================

The series follows digits through the convolutional layers of its CNN and
asks what makes a "4" a "4" on the last convolutional layer. We train the
series' CNN (behind a StandardScaler) on the embedded MNIST subset and use
:class:`skcnn.inspect.ActivationInspector` to

1. draw all 32 maps of ``conv1`` for one "4",
2. put the maps of ``conv2`` and ``conv3`` for three "4"s next to those of a
   "1" and a "2", with the points active in all three "4"s marked,
3. summarize every class on ``conv3``: which maps stay silent, and what "4"s
   have that "9"s lack,
4. look into any Keras image model the same way: a transfer-learning stack
   with a nested MobileNetV2 on an RGB photo, its inner layers named by a
   path, and a photo larger than the model's input through its
   convolutional part.

Takes about a minute on two CPU cores. Pictures go to ``plot_activations/``.
"""

from pathlib import Path


import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import KerasCNNClassifier
from skcnn.datasets import load_flower, load_mnist
from skcnn.inspect import ActivationInspector
from skcnn.plotting import plot_class_signature, plot_maps, plot_maps_compare, save_figure

out = Path("plot_activations")
out.mkdir(exist_ok=True)
digits = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data.astype(np.float32), digits.target, test_size=1000, stratify=digits.target, random_state=0)
cnn = make_pipeline(StandardScaler(), KerasCNNClassifier(image_shape=(28, 28, 1), epochs=5, random_state=0))
cnn.fit(X_train, y_train)
print(f"test accuracy: {cnn.score(X_test, y_test):.3f}")

# %%
# Raw pixels go in; the inspector applies the scaler on the way.
inspector = ActivationInspector(cnn)
fours = np.flatnonzero(y_test == 4)[:3]
chosen = np.concatenate([fours, np.flatnonzero(y_test == 1)[:1], np.flatnonzero(y_test == 2)[:1]])
acts = inspector.activations(X_test[chosen], layers=["conv1", "conv2", "conv3"])
for name, a in acts.items():
    print(f"{name}: {a.shape}")
save_figure(plot_maps(acts["conv1"][0], image=X_test[chosen[0]], title='The 32 maps of conv1 for a "4"'),
            out / "activations_conv1.png")

# %%
# Side by side; red dots mark the points active in all three "4"s.
labels = ["4", "4", "4", "1", "2"]
for layer in ("conv2", "conv3"):
    fig = plot_maps_compare(acts[layer], labels=labels, images=X_test[chosen], common_of=[0, 1, 2])
    save_figure(fig, out / f"activations_compare_{layer}.png")
common = inspector.common_points(X_test[fours], "conv3")
print(f"conv3 points active in all three 4s: {int(common.sum())} of {common.size}")

# %%
# Class signatures over the whole test split, and what separates "4" from "9".
signature = inspector.class_signature(X_test, y_test, "conv3")
save_figure(plot_class_signature(signature), out / "activations_signature.png")
for label in signature.classes:
    print(f"class {label}: {len(signature.silent[label])} silent maps {signature.silent[label].tolist()}")
contrast = signature.contrast(4, 9, frequent=0.5, rare=0.2)
print(f"maps typical of 4s, rare in 9s: {contrast.only_a.tolist()}")
print(f"maps typical of 9s, rare in 4s: {contrast.only_b.tolist()}")
print(f"points (row, col, map) active in most 4s but in few 9s: {contrast.points_only_a.tolist()}")
print(f"points active in most 9s but in few 4s: {contrast.points_only_b.tolist()}")
print(f"maps separating 4 from 9 most (mean activation 4 - 9): "
      + ", ".join(f"{m}: {contrast.map_difference[m]:+.2f}" for m in contrast.ranking[:6]))

# %%
# Any Keras image model: a transfer-learning stack around a nested MobileNetV2
# (random weights here, so nothing is downloaded). Inner layers are named by a
# path; a photo larger than the model's 96x96 input goes through the
# convolutional part and gives larger maps.
import keras  # noqa: E402

base = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3), include_top=False)
inputs = keras.Input((96, 96, 3))
features = base(keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs))
transfer = keras.Model(inputs, keras.layers.Dense(5)(keras.layers.GlobalAveragePooling2D()(features)))
path = f"{base.name}/block_3_expand"
rgb = ActivationInspector(transfer)
for size in (96, 160):
    photo = load_flower(size)
    maps = rgb.activations(photo[None], layers=[path])[path]
    print(f"{path} on a {size}x{size} photo: {maps.shape}")
    save_figure(plot_maps(maps[0, :, :, :24], image=photo, title=f"{path}, {size}x{size} photo"),
                out / f"activations_nested_{size}.png")
print(f"pictures written to {out}/")
