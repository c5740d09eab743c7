"""Every plot renders to a PNG that decodes; the pictures are kept in tests/_pictures for a human to look at."""

import os
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcnn import SingleNeuronClassifier, plotting
from skcnn.datasets import load_two_clusters
from skcnn.neuron import cost_surface

PICTURES = Path(os.environ.get("SKCNN_PICTURES", "")) if os.environ.get("SKCNN_PICTURES") else None


def render(fig, tmp_path, name):
    path = plotting.save_figure(fig, (PICTURES or tmp_path) / f"{name}.png")
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.size[0] > 100 and im.size[1] > 100
        assert np.asarray(im.convert("L")).std() > 5  # not a blank canvas
    return path


@pytest.fixture(scope="module")
def series_pipe():
    X, y = load_two_clusters(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SingleNeuronClassifier(
        fit_intercept=False, target_values=(0.3, 0.7), coef_init=[-0.2, 0.25], max_iter=2000, tol=None))
    return pipe.fit(X, y), X, y


def test_confusion_matrix(tmp_path, mnist_5k):
    y = mnist_5k.target[::10]
    pred = np.where(np.arange(len(y)) % 7 == 0, (y + 1) % 10, y)
    fig = plotting.plot_confusion_matrix(y, pred)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("%" in t for t in texts)
    render(fig, tmp_path, "confusion_matrix")


def test_digits(tmp_path, mnist_5k):
    idx = np.arange(0, 5000, 250)
    fig = plotting.plot_digits(mnist_5k.images[idx], labels=mnist_5k.target[idx],
                               predictions=np.roll(mnist_5k.target[idx], 1), n_cols=10, title="digits")
    render(fig, tmp_path, "digits")
    with pytest.raises(ValueError, match="square"):
        plotting.plot_digits(np.zeros((2, 10)))


def test_digit_captions_and_red_errors():
    labels = np.array([3, 1, 4, 1, 5])
    predictions = np.array([3, 7, 4, 1, 0])
    fig = plotting.plot_digits(np.zeros((5, 28, 28)), labels=labels, predictions=predictions)
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles] == [f"{a}→{b}" for a, b in zip(labels, predictions)]
    red = [to_rgb(t.get_color()) == to_rgb("red") for t in titles]
    assert red == (labels != predictions).tolist()
    assert all(to_rgb(t.get_color()) == to_rgb("black") for t, r in zip(titles, red) if not r)
    only_labels = plotting.plot_digits(np.zeros((5, 784)), labels=labels)
    assert [ax.title.get_text() for ax in only_labels.axes] == [str(k) for k in labels]
    assert not any(ax.title.get_text() for ax in plotting.plot_digits(np.zeros((5, 784))).axes)


def test_learning_curves(tmp_path):
    fig = plotting.plot_learning_curves({"loss": {"train": np.exp(-np.arange(20) / 5), "validation":
                                                  np.exp(-np.arange(20) / 6) + 0.05}, "accuracy": [0.5, 0.8, 0.9]},
                                        logy={"loss"})
    render(fig, tmp_path, "learning_curves")
    with pytest.raises(ValueError, match="no non-empty"):
        plotting.plot_learning_curves({"loss": []})


def test_cost_surface_plot(tmp_path, series_pipe):
    pipe, X, y = series_pipe
    s = cost_surface(pipe, X, y, np.linspace(-1, 0.5, 80), np.linspace(-0.5, 1, 80))
    render(plotting.plot_cost_surface(s, samples=[0, 1], path=pipe[-1].coef_path_), tmp_path, "cost_surface")


def test_neuron_history_plot(tmp_path, series_pipe):
    render(plotting.plot_neuron_history(series_pipe[0]), tmp_path, "neuron_history")


def test_decision_contour_in_original_units(tmp_path, series_pipe):
    pipe, X, y = series_pipe
    fig = plotting.plot_decision_contour(pipe, X, y, feature_names=("K1", "K2"))
    xlim = fig.axes[0].get_xlim()
    assert xlim[1] > 200  # drawn in K1's own units, not standardized ones
    render(fig, tmp_path, "decision_contour")


def test_save_figure_is_atomic(tmp_path):
    fig, _ = plotting._common.new_figure()
    with pytest.raises(ValueError):
        plotting.save_figure(fig, tmp_path / "x.notaformat")
    assert list(tmp_path.iterdir()) == []


def test_saved_files_get_normal_permissions(tmp_path):
    fig, _ = plotting._common.new_figure()
    path = plotting.save_figure(fig, tmp_path / "a.png")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_neuron_history_needs_a_fitted_neuron():
    with pytest.raises(ValueError, match="Expected a fitted SingleNeuronClassifier"):
        plotting.plot_neuron_history(make_pipeline(StandardScaler(), SingleNeuronClassifier()))


def test_maps_compare_with_chosen_maps_draws_one_column_per_map(tmp_path):
    acts = np.zeros((3, 3, 3, 5))
    acts[:, 2, 0, 1] = 1.0  # map 1: the point (2, 0) is active in every image
    acts[0, 1, 1, 4] = 2.0  # map 4: active in the first image only
    images = np.zeros((3, 28, 28))
    fig = plotting.plot_maps_compare(acts, labels=["4", "4", "1"], images=images, maps=[4, 1], size=0.8)
    axes = np.array(fig.axes).reshape(3, 3)  # a row per image: the input, then map 4, then map 1
    assert [ax.get_title() for ax in axes[0]] == ["4", "map 4", "map 1"]
    assert [ax.get_title() for ax in axes[:, 0]] == ["4", "4", "1"]
    assert axes[0, 1].get_images()[0].get_array()[1, 1] == 2.0
    assert not axes[0, 1].collections  # nothing common to all three in map 4
    assert axes[2, 2].collections[0].get_offsets().tolist() == [[0.0, 2.0]]  # (x=col, y=row)
    render(fig, tmp_path, "maps_compare_chosen")
    for bad in ([5], [], [1.5]):
        with pytest.raises(ValueError, match=r"maps must list map indices in \[0, 5\)"):
            plotting.plot_maps_compare(acts, maps=bad)
