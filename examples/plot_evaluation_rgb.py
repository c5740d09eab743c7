"""
Which map to trust on a CNN of real photos: six attribution methods, measured
==============================================================================

No pretrained network is downloaded here, so the RGB model is trained on the
spot, on real photos: the two sample photos that come with scikit-learn (a
pagoda in China and a dahlia), cut into 32 x 32 patches of four regions:
the pagoda's roofs, the trees around it, the dahlia's petals and the blurred
leaves behind it. Every patch has its three colour channels put in a random
order, so that hue says little: an orange petal may come out blue, green or
purple. A logistic regression on the mean colour of a patch gets about half
of the test patches right (a quarter is chance); the CNN, which sees the
edges, textures and shapes too, gets about eight in ten. The photos are cut
into strips of columns, and the test patches come from other strips than the
training ones, so that the CNN never saw a test pixel; most of its mistakes
are trees (the test strips hold other trees than the training ones) and
roofs taken for trees.

Six methods of :class:`~skcnn.inspect.AttributionInspector` explain 16 test
patches (saliency, Guided Backprop, integrated gradients, Grad-CAM, RISE and
KernelSHAP), and :func:`skcnn.inspect.evaluation.evaluate` measures their
maps under eight metrics of four families:

- faithfulness: deletion and insertion (remove or add pixels in the map's
  order and follow the class probability), faithfulness correlation;
- randomization: model parameter randomization (redraw the weights from the
  top layer down and compare the maps with the trained network's), random
  logit (explain another class and compare);
- robustness: max-sensitivity (the largest change of the map under small
  noise);
- complexity: sparseness (Gini index) and complexity (entropy).

What the numbers show, on this run and on runs with other seeds (the
sentences the script prints are computed from its own numbers):

- The randomization test separates the methods as Adebayo et al. (2018)
  found on ImageNet models: Guided Backprop and the saliency (absolute
  gradient) keep most of their maps when every weight is redrawn, and
  integrated gradients, which carry the patch itself in them, more than
  half; Grad-CAM and RISE lose most of theirs. Guided Backprop's map also changes
  the least when it explains another class (random logit): it hardly
  depends on the class. In the picture of the maps, saliency and Guided
  Backprop look alike and put a disc in the middle of every patch, even of
  a smooth patch of leaves: through unpadded convolutions and pooling, the
  central pixels reach more units of the last convolution than the border
  ones, whatever the weights, so a network with random weights draws the
  disc too.
- Grad-CAM is the least faithful, by deletion and by faithfulness
  correlation: its map is the last convolution's 4 x 4 grid enlarged, and
  cannot point at pixels.
- The most detailed maps are the least stable: integrated gradients give the
  sparsest maps and change the most under noise; Grad-CAM and RISE, smooth
  by construction, change the least.
- A faithfulness score is only as good as its removal. Deletion and
  insertion here replace pixels by black, which takes nearly all of its
  class away from a patch of roof or petals (printed); but black is also what integrated gradients, RISE and
  KernelSHAP take as "absent" (their baseline, their masks), so they are
  judged by their own rule. The default removal, a blurred copy, removes
  little here: a blurred patch of leaves or petals is still leaves or petals
  to this CNN, and deletion to the blur separates the methods less.
- RISE is a Monte Carlo estimate: with other masks, its maps of the same
  network come out somewhat different (the printed Spearman correlation is
  below 1). Both networks of the randomization test are explained with the
  same masks (a seed), so that its score measures the change of the
  network, not of the masks.

No method wins every family, and the mean rank that orders the table hides
which check each one fails.

The pictures go to the folder ``plot_evaluation_rgb/``. Run time, measured:
31 to 46 s wall clock (32 to 35 s of CPU) on 2 CPU cores shared with other
jobs (load average 2 to 4.5), imports and training included.
"""

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.stats import spearmanr
from sklearn.datasets import load_sample_image
from sklearn.linear_model import LogisticRegression

from skcnn import KerasCNNClassifier
from skcnn.inspect import AttributionInspector
from skcnn.inspect.evaluation import deletion, evaluate
from skcnn.plotting import plot_attribution_grid, plot_evaluation, save_figure

start = time.perf_counter()
out = Path("plot_evaluation_rgb")
rng = np.random.default_rng(0)
# the two photos at half size (213 x 320 pixels), each pixel the mean of a 2 x 2 block
china, flower = (load_sample_image(name)[:426].reshape(213, 2, 320, 2, 3).mean(axis=(1, 3)) / 255
                 for name in ("china.jpg", "flower.jpg"))
y, x = np.mgrid[:213, :320]  # the pixels of the half-size photos
rows, cols = 2 * y, 2 * x  # their places in the 427 x 640 photos, where the regions are drawn
regions = {
    "roof": (china, (cols > 160) & (cols < 310) & (rows > 100) & (rows < 390)),
    "trees": (china, ((cols > 570) & (rows > 160)) | ((cols < 100) & (rows > 330))),
    "petals": (flower, (cols - 300) ** 2 + (rows - 190) ** 2 < 90 ** 2),
    "leaves": (flower, (cols < 170) | ((cols > 470) & (rows < 330))),
}
# The photos are cut into strips of 56 columns; every patch lies inside one strip, and the odd strips give the
# test patches, so that no test pixel was seen in training.
strip = x // 56
whole = (y >= 16) & (y <= 213 - 16) & (x <= 320 - 16) & ((x - 16) // 56 == (x + 15) // 56)  # their centres


def cut(n, test):
    """n patches of 32 x 32 pixels per region, each with its three channels in a random order."""
    images, labels = [], []
    for label, (photo, where) in regions.items():
        centre_y, centre_x = np.nonzero(where & whole & ((strip % 2 == 1) == test))
        chosen = rng.choice(len(centre_y), n)
        images += [photo[a - 16:a + 16, b - 16:b + 16][..., rng.permutation(3)]
                   for a, b in zip(centre_y[chosen], centre_x[chosen])]
        labels += [label] * n
    return np.stack(images).astype(np.float32), np.array(labels)


X_train, y_train = cut(600, test=False)
X_test, y_test = cut(100, test=True)
colour = LogisticRegression(max_iter=1000).fit(X_train.mean(axis=(1, 2)), y_train)
print(f"test accuracy from the mean colour of a patch alone: {colour.score(X_test.mean(axis=(1, 2)), y_test):.2f}")
cnn = KerasCNNClassifier(conv_filters=(16, 32, 32), dense_units=(32,), epochs=6, random_state=0)
cnn.fit(X_train, y_train)
print(f"CNN test accuracy: {cnn.score(X_test, y_test):.3f}")

# %%
# Six methods on 16 test patches, four of each region, under eight metrics.
# RISE and KernelSHAP get fewer masks and coalitions than by default, and
# max-sensitivity 5 noisy copies per patch: the example must run in a
# minute. Both are seeded, so that the trained and the randomized networks
# meet the same masks and coalitions.
pick = [100 * region + 25 * k for k in range(4) for region in range(4)]
sample, y_sample = X_test[pick], y_test[pick]
methods = ["saliency", "guided_backprop", "integrated_gradients", "gradcam", "rise", "kernel_shap"]
rise_options = {"n_masks": 600, "grid": 3, "random_state": 0}
metrics = ["deletion", "insertion", "faithfulness_correlation", "model_parameter_randomization", "random_logit",
           "max_sensitivity", "sparseness", "complexity"]
result = evaluate(cnn, sample, methods, metrics,
                  method_options={"integrated_gradients": {"steps": 32}, "rise": rise_options,
                                  "kernel_shap": {"cell": 8, "n_samples": 300, "random_state": 0}},
                  metric_options={"deletion": {"fill": "black"}, "insertion": {"fill": "black"},
                                  "max_sensitivity": {"n_samples": 5}},
                  random_state=0)
print(result)
save_figure(plot_evaluation(result, n_cols=4), out / "evaluation.png")
save_figure(plot_attribution_grid(list(result.attributions.values()), y_true=y_sample, n_images=8),
            out / "maps.png")

# %%
# What each family says, computed from the table.
means = result.to_frame()
print("maps still like the trained network's when all weights are redrawn (mean Spearman > 0.5):",
      ", ".join(means.index[means["model_parameter_randomization"] > 0.5]))
print("map least changed by explaining another class:", means["random_logit"].idxmax())
print("highest deletion AUC:", means["deletion"].idxmax(),
      "| lowest faithfulness correlation:", means["faithfulness_correlation"].idxmin())
rise = result.attributions["rise"].maps
again = AttributionInspector(cnn).rise(sample, **{**rise_options, "random_state": 1}).maps
agreement = np.mean([spearmanr(a.ravel(), b.ravel())[0] for a, b in zip(rise, again)])
print(f"RISE with other masks, same network: mean Spearman {agreement:.2f} with the maps above")
print("sparsest:", means["sparseness"].idxmax(), "| most sensitive to noise:", means["max_sensitivity"].idxmax(),
      "| least:", means["max_sensitivity"].idxmin())

# %%
# The removal decides what deletion measures. The class probability a patch
# keeps when every pixel is removed, to black and to the blur that
# :func:`~skcnn.inspect.evaluation.deletion` uses by default (a Gaussian of
# sigma 4 pixels), then the deletion AUC of each method both ways.
true = np.searchsorted(cnn.classes_, y_sample)
blurred = gaussian_filter(sample, sigma=(0, 4, 4, 0), mode="nearest")
for fill, removed in [("black", np.zeros_like(sample)), ("blurred", blurred)]:
    kept = cnn.predict_proba(removed)[np.arange(len(sample)), true]
    print(f"class probability left, every pixel {fill}:",
          ", ".join(f"{region} {kept[y_sample == region].mean():.2f}" for region in regions))
to_black = means["deletion"]
to_blur = {method: deletion(cnn, sample, maps, random_state=0).mean() for method, maps in result.attributions.items()}
for method in means.index:
    print(f"deletion AUC of {method:20s}  to black {to_black[method]:.3f}   to the blur {to_blur[method]:.3f}")
print(f"spread over the methods: to black {np.ptp(to_black):.3f}, to the blur {np.ptp(list(to_blur.values())):.3f}")
print(f"pictures in {out}/; {time.perf_counter() - start:.0f} s in all")
