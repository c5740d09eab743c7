"""
Readable OIPs: Fourier-space images and small random transforms
===============================================================

Raw activation maximization changes pixels directly, and a network answers
strongly to pixel-exact high-frequency noise: the OIPs look like static.
Two changes make them readable (Lucid's recipe, on the same one ascent
engine):

- ``param="fft"``: the ascent changes the image's Fourier spectrum, each
  frequency scaled by 1/frequency, so a step moves coarse structure as much
  as fine;
- ``transforms="standard"``: before every step the image is padded, shifted,
  zoomed and rotated a little at random, so only patterns that survive such
  changes keep the map active.

Both kinds are found here for 16 conv3 maps of the series' CNN from the same
starts and the same number of steps, measured (share of energy above half
the Nyquist frequency; share of the activation kept over 20 randomly
shifted, zoomed and rotated copies), and drawn side by side. Then the
class patterns (FCPs) of conv3 become pictures: ``direction("conv3",
signature)`` renders, for each class, the input that drives the pattern of
conv3 points active in that class's digits.

Pictures go to the folder ``plot_oip_readable/`` (or ``--out``). Measured:
84 s on a shared two-core machine under heavy load (19 s of CPU time).
"""

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import KerasCNNClassifier
from skcnn.datasets import load_mnist
from skcnn.inspect import ActivationInspector, OIPInspector
from skcnn.inspect.objectives import direction
from skcnn.inspect.images import enhance_contrast, high_frequency_share
from skcnn.inspect.oip import robustness
from skcnn.plotting import plot_digits, plot_oips, save_figure

parser = argparse.ArgumentParser(description="Pixel against FFT + transforms OIPs, and FCP renders.")
parser.add_argument("--out", default="plot_oip_readable", help="folder for the pictures")
out = Path(parser.parse_args().out)
out.mkdir(parents=True, exist_ok=True)
begin = time.perf_counter()

digits = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data.astype(np.float32), digits.target, test_size=1000, stratify=digits.target, random_state=0)
cnn = make_pipeline(StandardScaler(), KerasCNNClassifier(image_shape=(28, 28, 1), epochs=5, random_state=0))
cnn.fit(X_train, y_train)
print(f"test accuracy: {cnn.score(X_test, y_test):.3f}")

# %%
# The same 16 maps, the same starts and steps: pixels, then FFT + transforms.
inspector = OIPInspector(cnn)
maps = np.arange(16)
pixel = inspector.oip_layer("conv3", maps=maps, steps=300, learning_rate=0.05, random_state=0)
smooth = inspector.oip_layer("conv3", maps=maps, steps=300, learning_rate=0.05, random_state=0,
                             param="fft", transforms="standard")
judge = inspector.engine("conv3", regularized=False)  # the plain objective, as both were climbed
for name, result in (("pixel", pixel), ("FFT + transforms", smooth)):
    kept = robustness(judge, result.images, maps=maps, random_state=0).mean()
    print(f"{name:>17}: high-frequency share {high_frequency_share(result.images).mean():.3f}, "
          f"activation kept over 20 transformed copies {kept:.2f}")
save_figure(plot_oips(pixel, title="conv3 OIPs, pixels"), out / "oips_pixel.png")
save_figure(plot_oips(smooth, title="conv3 OIPs, FFT + transforms"), out / "oips_fft.png")

# %%
# Each class's pattern of active conv3 points (its FCP), rendered: one image per class, in one batch.
signature = ActivationInspector(cnn).class_signature(X_test, y_test, "conv3")
fcps = inspector.render(direction("conv3", signature), steps=300, random_state=0)
save_figure(plot_digits(enhance_contrast(fcps.images_pixels), labels=signature.classes, cmap="gray", size=1.3,
                        title="Inputs that drive each class's conv3 pattern (FCP)"), out / "fcp_renders.png")
print(f"pictures written to {out}/ ({time.perf_counter() - begin:.0f} s)")
