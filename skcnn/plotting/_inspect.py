"""Pictures of what the inspectors return: map grids, side-by-side comparisons, class signatures, OIPs.

Every function takes NumPy arrays or the inspectors' result objects (no
TensorFlow here) and returns a matplotlib Figure.
"""

from __future__ import annotations

import numpy as np

from ._common import new_figure
from ._dream import _display

__all__ = ["plot_maps", "plot_maps_compare", "plot_class_signature", "plot_oips", "map_mosaic"]


def _as_maps(activations, name="activations"):
    acts = np.asarray(activations, dtype=np.float64)
    if acts.ndim == 4 and acts.shape[0] == 1:
        acts = acts[0]
    if acts.ndim != 3:
        raise ValueError(f"{name} must be the maps of one image, shape (h, w, maps) or (1, h, w, maps); got "
                         f"{acts.shape}.")
    return acts


def _grid(n, n_cols):
    n_cols = max(1, min(int(n_cols), n))
    return n_cols, int(np.ceil(n / n_cols))


def map_mosaic(maps, n_cols=8, gap=1):
    """Tile the maps ``(h, w, m)`` into one 2-D array, ``gap`` NaN pixels between tiles.

    Returns
    -------
    mosaic : ndarray of shape (rows * (h + gap) - gap, n_cols * (w + gap) - gap)
    origin : callable
        ``origin(map_index) -> (row, col)`` of the map's top-left pixel in the mosaic.

    Examples
    --------
    >>> import numpy as np
    >>> mosaic, origin = map_mosaic(np.ones((2, 3, 5)), n_cols=4)
    >>> mosaic.shape, origin(4)
    ((5, 15), (3, 0))
    """
    maps = _as_maps(maps, "maps")
    h, w, m = maps.shape
    n_cols, n_rows = _grid(m, n_cols)
    mosaic = np.full((n_rows * (h + gap) - gap, n_cols * (w + gap) - gap), np.nan)

    def origin(k):
        return (k // n_cols) * (h + gap), (k % n_cols) * (w + gap)

    for k in range(m):
        r, c = origin(k)
        mosaic[r:r + h, c:c + w] = maps[:, :, k]
    return mosaic, origin


def _show_input(ax, image):
    """Draw an input image: an RGB image in its colours (uint8 read in [0, 255]), a digit in gray."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 3:
        value_range = (0.0, 255.0) if np.issubdtype(image.dtype, np.integer) else (float(image.min()),
                                                                                    float(image.max()))
        ax.imshow(_display(image, value_range)[0], interpolation="nearest")
    else:
        ax.imshow(_image2d(image), cmap="gray_r", interpolation="nearest")


def _image2d(image):
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 1:
        side = int(round(np.sqrt(image.size)))
        if side * side != image.size:
            raise ValueError(f"a flat image must have a square number of pixels; got {image.size}.")
        image = image.reshape(side, side)
    return image


def plot_maps(activations, *, image=None, n_cols=8, cmap="viridis", title=None, size=1.0, shared_scale=True):
    """All maps of one layer for one image, as a grid (the series' 32 maps of conv1 for a "4").

    Parameters
    ----------
    activations : array-like of shape (h, w, maps) or (1, h, w, maps)
        One image's activations of one layer (from ``ActivationInspector.activations``).
    image : array-like, optional
        The input image, drawn first.
    n_cols : int, default=8
    cmap : str, default="viridis"
    title : str, optional
    size : float, default=1.0
        Inches per map.
    shared_scale : bool, default=True
        One color scale for all maps (so weak maps look weak); otherwise
        each map is scaled to its own range.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_maps(np.random.default_rng(0).random((6, 6, 4)), image=np.zeros((8, 8)), title="demo")
    >>> len(fig.axes)
    5

    An RGB input is drawn in its colours:

    >>> fig = plot_maps(np.zeros((6, 6, 2)), image=np.full((8, 8, 3), [255, 0, 0], dtype=np.uint8))
    >>> fig.axes[0].get_images()[0].get_array()[0, 0].tolist()
    [1.0, 0.0, 0.0]
    """
    acts = _as_maps(activations)
    m = acts.shape[2]
    extra = 0 if image is None else 1
    n_cols, n_rows = _grid(m + extra, n_cols)
    fig, axes = new_figure(figsize=(size * n_cols, size * n_rows + (0.4 if title else 0.1)), nrows=n_rows,
                           ncols=n_cols)
    axes = axes.ravel()
    vmax = float(np.max(acts)) if shared_scale else None
    vmin = float(min(0.0, np.min(acts))) if shared_scale else None
    if image is not None:
        _show_input(axes[0], image)
        axes[0].set_title("input", fontsize=7)
    for k in range(m):
        ax = axes[k + extra]
        ax.imshow(acts[:, :, k], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(str(k), fontsize=7, pad=2)
    for k, ax in enumerate(axes):
        ax.set_axis_off()
        if k >= m + extra:
            fig.delaxes(ax)
    if title:
        fig.suptitle(title)
    return fig


def plot_maps_compare(activations, *, labels=None, images=None, threshold=0.0, mark_common=True, common_of=None,
                      n_cols=8, cmap="viridis", title=None, size=3.2, maps=None):
    """Several images' maps of one layer side by side, the points active in all of them marked.

    Each image's maps are tiled into one mosaic; a red dot marks every point
    that is above ``threshold`` in all the images (the series' three "4"s).

    Parameters
    ----------
    activations : array-like of shape (n_images, h, w, maps)
    labels : sequence of str, optional
        A caption per image.
    images : array-like, optional
        The input images, drawn in a row above the mosaics.
    threshold : float, default=0.0
    mark_common : bool, default=True
    common_of : sequence of int, optional
        The images whose shared active points are marked (default: all), e.g.
        the three "4"s when a "1" and a "2" are drawn next to them.
    n_cols : int, default=8
        Maps per mosaic row.
    cmap : str
    title : str, optional
    size : float, default=3.2
        Inches per mosaic (with ``maps``: per map).
    maps : sequence of int, optional
        Draw only these maps, in this order, as a table that reads at page
        size: one row per image (its input first), one column per map,
        titled with the map's index, so a map can be compared down its
        column. ``n_cols`` is then unused. Default: every map, one mosaic
        per image.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> acts = np.zeros((3, 3, 3, 4)); acts[:, 1, 1, 2] = 1.0
    >>> fig = plot_maps_compare(acts, labels=["a", "b", "c"])
    >>> len(fig.axes), len(fig.axes[0].collections[0].get_offsets())
    (3, 1)

    Two of the maps, one column each:

    >>> fig = plot_maps_compare(acts, labels=["a", "b", "c"], maps=[2, 0], size=0.8)
    >>> [ax.get_title() for ax in fig.axes[:2]], fig.axes[0].collections[0].get_offsets().tolist()
    (['map 2', 'map 0'], [[1.0, 1.0]])
    """
    acts = np.asarray(activations, dtype=np.float64)
    if acts.ndim != 4 or len(acts) == 0:
        raise ValueError(f"activations must have shape (n_images, h, w, maps) with n_images >= 1; got {acts.shape}.")
    n = len(acts)
    if labels is not None and len(labels) != n:
        raise ValueError(f"labels must have one caption per image ({n}); got {len(labels)}.")
    group = np.arange(n) if common_of is None else np.asarray(common_of, dtype=int)
    if group.ndim != 1 or len(group) == 0 or group.min() < 0 or group.max() >= n:
        raise ValueError(f"common_of must list image indices in [0, {n}); got {common_of!r}.")
    common = np.all(acts[group] > threshold, axis=0)
    vmax = float(acts.max()) or 1.0
    if maps is not None:
        fig = _maps_table(acts, maps, labels, images, common if mark_common else None, cmap, vmax, size)
        if title is None and mark_common:
            names = ", ".join(str(labels[i]) if labels is not None else f"image {i}" for i in group)
            title = f"red: points active in each of ({names})"
        if title:
            fig.suptitle(title)
        return fig
    rows = 1 if images is None else 2
    ratios = [1] if images is None else [0.35, 1]
    fig, axes = new_figure(figsize=(size * n, size * (sum(ratios))), nrows=rows, ncols=n,
                           gridspec_kw={"height_ratios": ratios})
    for i in range(n):
        ax = axes[-1, i]
        mosaic, origin = map_mosaic(acts[i], n_cols=n_cols)
        ax.imshow(np.ma.masked_invalid(mosaic), cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
        if mark_common and common.any():
            rr, cc, kk = np.nonzero(common)
            offsets = np.array([origin(k) for k in kk]).reshape(-1, 2)
            cell = 72.0 * size / mosaic.shape[1]  # one map pixel, in points
            ax.scatter(offsets[:, 1] + cc, offsets[:, 0] + rr, s=(0.45 * cell) ** 2, c="red", marker="o",
                       linewidths=0)
        ax.set_axis_off()
        caption = labels[i] if labels is not None else f"image {i}"
        ax.set_title(str(caption), fontsize=9)
        if images is not None:
            top = axes[0, i]
            _show_input(top, np.asarray(images)[i])
            top.set_axis_off()
    if title is None:
        names = ", ".join(str(labels[i]) if labels is not None else f"image {i}" for i in group)
        title = f"red: the {int(common.sum())} points active in each of ({names})" if mark_common else None
    if title:
        fig.suptitle(title)
    return fig


def _maps_table(acts, maps, labels, images, common, cmap, vmax, size):
    """``plot_maps_compare`` with ``maps``: one row per image, one column per chosen map."""
    n, _, _, m = acts.shape
    chosen = np.asarray(maps)
    if chosen.ndim != 1 or len(chosen) == 0 or not np.issubdtype(chosen.dtype, np.integer) \
            or chosen.min() < 0 or chosen.max() >= m:
        raise ValueError(f"maps must list map indices in [0, {m}); got {maps!r}.")
    first = 0 if images is None else 1
    fig, axes = new_figure(figsize=(size * (len(chosen) + first) + 0.2, size * n + 0.6), nrows=n,
                           ncols=len(chosen) + first)
    for i in range(n):
        if images is not None:
            _show_input(axes[i, 0], np.asarray(images)[i])
            axes[i, 0].set_title(str(labels[i]) if labels is not None else f"image {i}", fontsize=9)
        for j, k in enumerate(chosen, start=first):
            ax = axes[i, j]
            ax.imshow(acts[i, :, :, k], cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
            if common is not None and common[:, :, k].any():
                rr, cc = np.nonzero(common[:, :, k])
                cell = 72.0 * size / acts.shape[2]  # one map pixel, in points
                ax.scatter(cc, rr, s=(0.3 * cell) ** 2, c="red", marker="o", linewidths=0)
            if i == 0:
                ax.set_title(f"map {int(k)}", fontsize=9)
            if images is None and j == 0:
                ax.set_ylabel(str(labels[i]) if labels is not None else f"image {i}", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    return fig


def plot_class_signature(signature, *, classes=None, cmap="viridis", title=None):
    """Per-class mean activation and active fraction of every map; silent maps marked with x.

    Parameters
    ----------
    signature : ClassSignature
        From ``ActivationInspector.class_signature``.
    classes : sequence, optional
        Subset and order of the classes to draw.
    cmap : str
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.inspect.activations import ClassSignature
    >>> sig = ClassSignature("conv3", np.array([4, 9]), np.array([5, 5]), np.zeros((2, 3, 3, 6)),
    ...                      np.ones((2, 6)), np.ones((2, 6)), {4: np.array([1]), 9: np.array([])})
    >>> [ax.get_title() for ax in plot_class_signature(sig).axes[:2]]
    ['mean activation per map', 'fraction of images with the map active']
    """
    labels = list(signature.classes)
    rows = [labels.index(c) if c in labels else None for c in (labels if classes is None else classes)]
    if any(r is None for r in rows):
        raise ValueError(f"classes must be among {labels}; got {list(classes)}.")
    mean = np.asarray(signature.mean_maps)[rows]
    frac = np.asarray(signature.active_fraction)[rows]
    n_maps = mean.shape[1]
    fig, axes = new_figure(figsize=(min(16.0, 2.0 + 0.16 * n_maps), 1.2 + 0.5 * len(rows)), nrows=2, ncols=1,
                           sharex=True)
    for ax, data, name in ((axes[0, 0], mean, "mean activation per map"),
                           (axes[1, 0], frac, "fraction of images with the map active")):
        shown = ax.imshow(data, aspect="auto", cmap=cmap, interpolation="nearest",
                          vmin=0.0, vmax=1.0 if data is frac else None)
        fig.colorbar(shown, ax=ax, fraction=0.03, pad=0.01)
        ax.set_yticks(range(len(rows)), [str(labels[r]) for r in rows], fontsize=8)
        ax.set_ylabel("class")
        ax.set_title(name, fontsize=10)
        for y, r in enumerate(rows):
            silent = np.asarray(signature.silent.get(labels[r], []), dtype=int)
            ax.scatter(silent, np.full(len(silent), y), marker="x", c="red", s=14, linewidths=1)
    axes[1, 0].set_xlabel("map (x: silent for every image of the class)")
    fig.suptitle(title or f"Class signature of {signature.layer}")
    return fig


def plot_oips(oips, *, maps=None, activations=None, contrast=True, pixel_space=True, n_cols=8, cmap="gray",
              title=None, size=1.1):
    """A grid of OIP images, contrast-enhanced, captioned with map and activation; dead maps in red.

    Parameters
    ----------
    oips : OIPLayerResult, OIPResult, list of OIPResult, or array of images (n, h, w[, c])
    maps : sequence of int, optional
        Captions for an array (default 0..n-1).
    activations : sequence of float, optional
        Activation per image, for an array.
    contrast : bool, default=True
        Stretch each image's 1st-99th percentile to the full color range.
    pixel_space : bool, default=True
        Draw the pixel-space images when the result has them.
    n_cols : int, default=8
    cmap : str, default="gray"
    title : str, optional
    size : float, default=1.1
        Inches per image.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_oips(np.random.default_rng(0).random((3, 8, 8)), activations=[1.0, 0.0, 2.5])
    >>> [ax.get_title() for ax in fig.axes]
    ['map 0\\n1.00', 'map 1\\ndead', 'map 2\\n2.50']
    """
    from ..inspect.images import enhance_contrast

    layer = None
    if hasattr(oips, "images") and hasattr(oips, "maps"):
        layer = oips.layer
        pixels = getattr(oips, "images_pixels", None)
        images = pixels if pixel_space and pixels is not None else oips.images
        maps, activations = oips.maps, oips.activations
    elif hasattr(oips, "image") or (isinstance(oips, (list, tuple)) and oips and hasattr(oips[0], "image")):
        items = [oips] if hasattr(oips, "image") else list(oips)
        layer = items[0].layer
        images = np.stack([r.image_pixels if pixel_space and r.image_pixels is not None else r.image
                           for r in items])
        maps = [r.map for r in items]
        activations = [r.activation for r in items]
    else:
        images = np.asarray(oips, dtype=np.float64)
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        images = images.reshape(len(images), side, side)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"oips must be a result object or images (n, h, w[, c]); got shape {images.shape}.")
    n = len(images)
    maps = list(range(n)) if maps is None else list(maps)
    if len(maps) != n or (activations is not None and len(activations) != n):
        raise ValueError(f"maps and activations must have one entry per image ({n}).")
    shown = enhance_contrast(images) if contrast else images
    n_cols, n_rows = _grid(n, n_cols)
    fig, axes = new_figure(figsize=(max(2.8, size * n_cols), size * 1.15 * n_rows + (0.4 if title or layer else 0)),
                           nrows=n_rows, ncols=n_cols)
    for k, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if k >= n:
            fig.delaxes(ax)
            continue
        ax.imshow(shown[k], cmap=cmap, interpolation="nearest")
        caption, color = f"map {maps[k]}", "black"
        if activations is not None:
            value = float(activations[k])
            caption += f"\n{value:.2f}" if value > 0 else "\ndead"
            color = "black" if value > 0 else "red"
        ax.set_title(caption, fontsize=7, color=color, pad=2)
    if title or layer:
        fig.suptitle(title or f"OIPs of {layer}")
    return fig
