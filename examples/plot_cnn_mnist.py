"""
The series' CNN on MNIST digits, inside a Pipeline
===================================================

The series (reference 002) standardizes the pixels with a StandardScaler and
trains a small CNN: three 3x3 convolutions (32, 64, 64 maps) with a 2x2
max-pooling between two of them, a dense layer of 70 nodes and a softmax,
rmsprop, 5 epochs in batches of 64.

:class:`skcnn.KerasCNNClassifier` takes the flat, standardized pixels of the
Pipeline and reshapes them to 28x28x1 images (``image_shape``). We

1. train the Pipeline on 4000 of the embedded 5,000 digits, 10% held out to
   follow the validation loss,
2. print the per-class table on the 1000 test digits,
3. draw the confusion matrix, the learning curves and the first layer's kernels.

Pictures are written to ``cnn_mnist/`` in the current folder (or ``--out DIR``).
Measured run time: 122 s wall (56 s of it training) on two CPU cores shared with other
jobs (load average 12); the estimators show no progress bars (``verbose=0``).
"""

import argparse
from pathlib import Path

from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import KerasCNNClassifier
from skcnn.datasets import load_mnist
from skcnn.metrics import classification_table
from skcnn.plotting import plot_cnn_learning_curves, plot_confusion_matrix, plot_conv_kernels, save_figure

# Pictures go to one folder named after this example, or to ``--out DIR``.
parser = argparse.ArgumentParser()
parser.add_argument("--out", type=Path, default=Path("cnn_mnist"), help="folder for the pictures")
out = parser.parse_known_args()[0].out
print(f"pictures go to {out.resolve()}")

# %%
# The embedded digits, split like the benchmarks: 4000 to train, 1000 to test.
digits = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=1000, stratify=digits.target, random_state=0
)

# %%
# StandardScaler, then the CNN. The defaults are the series' network; the
# flat rows of 784 pixels become 28x28 images with one channel.
cnn = KerasCNNClassifier(image_shape=(28, 28, 1), epochs=5, batch_size=64, validation_fraction=0.1,
                         random_state=0)
pipe = make_pipeline(StandardScaler(), cnn).fit(X_train, y_train)
cnn.summary()
print(f"trained {len(cnn.history_['loss'])} epochs in {cnn.fit_time_:.1f} s")

# %%
# Per-class precision, recall, F1 and the counts behind them.
y_pred = pipe.predict(X_test)
table = classification_table(y_test, y_pred)
print(table)

# %%
# Pictures: which digits get confused, how loss and accuracy developed, and
# what the 32 kernels of the first convolution learned.
print("wrote", save_figure(plot_confusion_matrix(y_test, y_pred, title="CNN, 1000 test digits"),
                           out / "confusion.png"))
print("wrote", save_figure(plot_cnn_learning_curves(pipe, title="CNN learning curves"), out / "curves.png"))
print("wrote", save_figure(plot_conv_kernels(pipe), out / "conv1_kernels.png"))
