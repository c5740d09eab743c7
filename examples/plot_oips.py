"""
Original input patterns (OIPs) of every map of conv3
====================================================

An OIP is an input image that drives one map of the CNN as hard as it can:
gradient ascent on the input, starting from a pattern that gives the map a
chance to respond. The series found OIPs for about half of its conv3 maps
from random starts on four length scales, and for half of the remaining maps
with a "precursor" search: every 3x3 arrangement of three grey values
(3**9 = 19683 coarse patterns), a few ascent steps each, the best 8 optimized
fully.

:class:`skcnn.inspect.OIPInspector` optimizes all maps (and all their starts)
in one batch. With ``pre_activation="auto"`` (the default) a map that is dead
after its ReLU climbs its value before the ReLU until it comes alive.

Takes two to three minutes on two CPU cores.
"""

import time

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import KerasCNNClassifier
from skcnn.datasets import load_mnist
from skcnn.inspect import OIPInspector
from skcnn.plotting import plot_oips, save_figure

digits = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data.astype(np.float32), digits.target, test_size=1000, stratify=digits.target, random_state=0)
cnn = make_pipeline(StandardScaler(), KerasCNNClassifier(image_shape=(28, 28, 1), epochs=5, random_state=0))
cnn.fit(X_train, y_train)
print(f"test accuracy: {cnn.score(X_test, y_test):.3f}")

# %%
# Random multiscale starts, the series' way (no pre-activation rescue).
strict = OIPInspector(cnn, pre_activation=False, verbose=1)
plain = strict.oip_layer("conv3", steps=300, learning_rate=0.02, random_state=0)
print(f"multiscale, post-activation only: {len(plain.dead)} of {len(plain.maps)} maps dead "
      f"({plain.seconds:.1f} s)")

# %%
# The default: dead maps climb their pre-activation first.
inspector = OIPInspector(cnn, verbose=1)
oips = inspector.oip_layer("conv3", steps=300, learning_rate=0.02, random_state=0)
print(f"multiscale, pre-activation rescue: {len(oips.dead)} maps dead ({oips.seconds:.1f} s)")
save_figure(plot_oips(oips, title="OIPs of conv3 (pixel space, contrast enhanced)"), "oips_conv3.png")

# %%
# The precursor on the maps the plain search left dead (or on a few maps if
# none was): 2048 of the 19683 coarse patterns per map keep this example short.
maps = plain.dead.tolist() or [0, 1, 2, 3]
start = time.perf_counter()
rescued = inspector.oip_layer("conv3", maps=maps, steps=300, learning_rate=0.02, start="precursor",
                              start_options={"n_candidates": 2048}, random_state=0)
print(f"precursor on maps {maps}: {len(rescued.dead)} still dead ({time.perf_counter() - start:.1f} s)")
save_figure(plot_oips(rescued, title="OIPs from the precursor"), "oips_precursor.png")

# %%
# One map in detail: the series' full precursor search, every one of the 19683 patterns climbed for 10
# steps (``prescreen=None``; by default one forward pass ranks all patterns and only the best 64 are climbed).
start = time.perf_counter()
best = inspector.oip("conv3", maps[0], steps=600, learning_rate=0.02, start="precursor",
                     start_options={"prescreen": None}, random_state=0)
print(f"map {maps[0]}: activation {best.start_activation:.2f} -> {best.activation:.2f} "
      f"({time.perf_counter() - start:.1f} s)")
save_figure(plot_oips([best]), "oips_single.png")
