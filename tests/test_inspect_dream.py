import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skcnn.inspect import DreamInspector  # noqa: E402
from skcnn.plugins import dream_objectives  # noqa: E402


@pytest.fixture(scope="module")
def model():
    init = keras.initializers.GlorotUniform(seed=0)
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="c1", kernel_initializer=init),
        keras.layers.Conv2D(6, 3, activation="relu", name="c2", kernel_initializer=init),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ])


@pytest.fixture(scope="module")
def photo():
    """A smooth 40x48 'photo' so that changes, not the photo itself, dominate its gradients."""
    yy, xx = np.mgrid[0:40, 0:48]
    return (120 + 60 * np.sin(xx / 9.0) * np.cos(yy / 7.0)).astype(np.uint8)


@pytest.mark.parametrize("method", ["rescale", "octaves", "tiles"])
def test_dream_keeps_shape_and_dtype_changes_image_and_is_reproducible(model, photo, method):
    inspector = DreamInspector(model)
    a = inspector.dream(photo, "c2", method=method, loops=2, octaves=3, steps=4, random_state=1)
    b = inspector.dream(photo, "c2", method=method, loops=2, octaves=3, steps=4, random_state=1)
    assert a.image.shape == photo.shape and a.image.dtype == photo.dtype
    assert np.abs(a.image.astype(float) - photo).mean() > 1.0
    np.testing.assert_array_equal(a.image, b.image)
    assert len(a.intermediates) == (3 if method == "octaves" else 2)
    assert all(i.shape == photo.shape for i in a.intermediates)
    assert a.scores[-1] > 0


def test_rgb_float_input_luminance_and_each(model, photo):
    rgb = np.stack([photo, photo[::-1], np.roll(photo, 5, axis=1)], axis=2).astype(np.float32) / 255
    inspector = DreamInspector(model)
    lum = inspector.dream(rgb, "c1", method="rescale", loops=1, steps=3, random_state=0)
    each = inspector.dream(rgb, "c1", method="rescale", loops=1, steps=3, channels="each", random_state=0)
    for r in (lum, each):
        assert r.image.shape == rgb.shape and r.image.dtype == np.float32
    # luminance dreams add the same change to every channel
    change = lum.image - rgb
    np.testing.assert_allclose(change[..., 0], change[..., 1], atol=1e-4)
    assert not np.allclose(each.image - rgb, (each.image - rgb)[..., :1])


def _seam_ratio(image, original, tile):
    change = image.astype(np.float64) - original
    dx = np.abs(np.diff(change, axis=1))  # dx[:, j] = change[:, j+1] - change[:, j]
    border = np.zeros(dx.shape[1], bool)
    border[tile - 1::tile] = True
    return dx[:, border].mean() / dx[:, ~border].mean()


def test_tiles_leave_no_seams(model):
    yy, xx = np.mgrid[0:32, 0:64]
    smooth = (0.5 + 0.2 * np.sin(xx / 11.0) + 0.1 * np.cos(yy / 5.0)).astype(np.float64)
    inspector = DreamInspector(model, jitter=0)
    shifted = inspector.dream(smooth, "c1", method="tiles", loops=2, steps=8, step_size=0.1, random_state=0)
    fixed = inspector.dream(smooth, "c1", method="tiles", loops=2, steps=8, step_size=0.1, random_state=0,
                            tile_shift=False)
    # the test can see seams: a fixed tile grid leaves them
    assert _seam_ratio(fixed.image, smooth, 8) > 1.5
    assert _seam_ratio(shifted.image, smooth, 8) < 1.25


def test_maps_weights_and_objectives(model, photo):
    inspector = DreamInspector(model, objective="l2")
    one = inspector.dream(photo, "c2", maps=3, method="rescale", loops=1, steps=3, random_state=0)
    two = inspector.dream(photo, "c2", maps=[0, 3], weights=[0.2, 0.8], method="rescale", loops=1, steps=3,
                          random_state=0)
    assert not np.array_equal(one.image, two.image)
    assert {"mean", "l2"} <= set(dream_objectives.names())
    with pytest.raises(ValueError, match="maps must lie"):
        inspector.dream(photo, "c2", maps=[9])
    with pytest.raises(ValueError, match="weights must hold 2"):
        inspector.dream(photo, "c2", maps=[0, 1], weights=[1.0])
    with pytest.raises(ValueError, match="Unknown dream_objectives"):
        DreamInspector(model, objective="nope")


@pytest.mark.parametrize("kwargs, match", [
    ({"image": np.zeros((4, 4))}, "at least the network's input size"),
    ({"image": np.zeros((20, 20, 2))}, "grayscale or"),
    ({"image": np.full((20, 20), np.nan)}, "finite"),
    ({"method": "dreamy"}, "method must be"),
    ({"channels": "red"}, "channels must be"),
    ({"steps": 0}, "steps must be"),
    ({"octave_scale": 1.0}, "octave_scale"),
])
def test_bad_input(model, kwargs, match):
    args = {"image": np.zeros((20, 20)), "layer": "c1", **kwargs}
    with pytest.raises(ValueError, match=match):
        DreamInspector(model).dream(**args)


def test_plot_dream_renders(model, photo, tmp_path):
    from PIL import Image

    from skcnn.plotting import plot_dream, save_figure

    result = DreamInspector(model).dream(photo, "c2", method="rescale", loops=2, steps=3, random_state=0)
    fig = plot_dream(photo, result.image, intermediates=result.small)
    assert [ax.get_title() for ax in fig.axes] == ["original", "stage 1", "stage 2", "dream"]
    path = save_figure(fig, tmp_path / "dream.png")
    with Image.open(path) as im:
        assert im.size[0] > 3 * im.size[1]
    with pytest.raises(ValueError, match="titles must hold 4"):
        plot_dream(photo, result.image, intermediates=result.small, titles=["a"])
