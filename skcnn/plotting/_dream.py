"""Pictures of dreams."""

from __future__ import annotations

import numpy as np

from ._common import new_figure

__all__ = ["plot_dream"]


def _display(image, value_range):
    """An image ready for imshow: RGB scaled to [0, 1] by the original's value range, gray as is."""
    image = np.asarray(image, dtype=np.float32)
    low, high = value_range
    if image.ndim == 3 and image.shape[2] == 3:
        return np.clip((image - low) / max(high - low, 1e-8), 0, 1), {}
    return image, {"cmap": "gray"}


def plot_dream(original, dreamed, *, intermediates=(), titles=None, size=3.2, title=None):
    """The original image, optional intermediate stages, and the dream, side by side.

    Parameters
    ----------
    original, dreamed : array-like, (H, W) or (H, W, 3)
    intermediates : sequence of array-like, optional
        Stages to show between them, e.g. ``DreamResult.intermediates[:-1]``
        or the CNN-sized images ``DreamResult.small``.
    titles : sequence of str, optional
        One per panel.
    size : float
        Inches per panel.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_dream(np.zeros((30, 30)), np.eye(30), intermediates=[np.ones((28, 28))])
    >>> [ax.get_title() for ax in fig.axes]
    ['original', 'stage 1', 'dream']
    """
    panels = [original, *intermediates, dreamed]
    names = list(titles) if titles is not None else (
        ["original"] + [f"stage {k + 1}" for k in range(len(intermediates))] + ["dream"])
    if len(names) != len(panels):
        raise ValueError(f"titles must hold {len(panels)} names (one per panel); got {len(names)}.")
    first = np.asarray(original)
    aspect = first.shape[0] / first.shape[1]
    # every colour panel on the original's scale, so stages and dream compare fairly
    value_range = (0.0, 255.0) if np.issubdtype(first.dtype, np.integer) else (float(first.min()), float(first.max()))
    fig, axes = new_figure(figsize=(size * len(panels), size * aspect + (0.5 if title else 0.3)),
                           ncols=len(panels))
    for ax, image, name in zip(axes[0], panels, names):
        shown, style = _display(image, value_range)
        ax.imshow(shown, **style)
        ax.set_title(name, fontsize=10)
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return fig
