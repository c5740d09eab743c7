"""Plots of attribution maps and of their sanity checks (:mod:`skcnn.inspect.attribution`)."""

from __future__ import annotations

import numpy as np

from ._common import new_figure
from ._dream import _display

__all__ = ["plot_attribution", "plot_attribution_grid", "plot_randomization", "plot_deletion"]

_NAMES = {"saliency": "saliency", "smoothgrad": "SmoothGrad", "integrated_gradients": "integrated gradients",
          "gradcam": "Grad-CAM", "gradcam_plus_plus": "Grad-CAM++", "occlusion": "occlusion",
          "gradient_x_input": "gradient x input", "guided_backprop": "Guided Backprop", "layercam": "LayerCAM",
          "scorecam": "Score-CAM", "rise": "RISE", "kernel_shap": "KernelSHAP"}


def _check_attribution(result, name="attribution"):
    if not all(hasattr(result, a) for a in ("maps", "images", "method", "predicted")):
        raise TypeError(f"{name} must be an Attribution from skcnn.inspect.AttributionInspector; "
                        f"got {type(result).__name__}.")
    return result


def _normalized(maps):
    """Each map divided by its largest absolute value; signed maps keep their sign."""
    maps = np.asarray(maps, dtype=np.float64)
    top = np.abs(maps).reshape(len(maps), -1).max(axis=1)
    return maps / np.where(top > 0, top, 1.0)[:, None, None]


def _signed(maps):
    return bool(np.any(np.asarray(maps) < 0))


def _overlay(ax, image, heat, signed, alpha, cmap):
    shown, kwargs = _display(image[..., 0] if image.shape[-1] == 1 else image, (float(image.min()),
                                                                                 float(image.max())))
    ax.imshow(shown, **kwargs)
    cmap = cmap or ("RdBu_r" if signed else "inferno")
    mesh = ax.imshow(heat, cmap=cmap, alpha=alpha, vmin=-1.0 if signed else 0.0, vmax=1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    return mesh


def _caption(result, i, y_true):
    parts = [] if y_true is None else [f"true {y_true[i]}"]
    parts.append(f"predicted {result.predicted[i]}")
    text = ", ".join(parts)
    if result.labels[i] != result.predicted[i]:
        text += f"\nexplains {result.labels[i]}"
    return text


def _colorbar(fig, mesh, axes, signed):
    bar = fig.colorbar(mesh, ax=axes, shrink=0.8)
    bar.set_label("share of max |value|" if signed else "share of max value", fontsize=8)
    return bar


def plot_attribution(attribution, *, y_true=None, n_images=8, n_cols=None, alpha=0.6, cmap=None, size=2.0,
                     title=None):
    """Attribution maps as heat maps over their images, with a colour bar and the labels.

    Each map is scaled by its own largest absolute value, so the colour bar
    reads as a share of it; signed maps (integrated gradients, occlusion)
    use a diverging map, red for evidence for the class and blue against.

    Parameters
    ----------
    attribution : Attribution
        From :class:`~skcnn.inspect.AttributionInspector`.
    y_true : array-like of shape (n,), optional
        True labels, shown as "true 4, predicted 9".
    n_images : int, default=8
        How many of the images to show (the first ones).
    n_cols : int, optional
        Panels per row (default: all in one row, at most 8).
    alpha : float, default=0.6
        Opacity of the heat map.
    cmap : str, optional
        Colour map (default ``"inferno"``, or ``"RdBu_r"`` for signed maps).
    size : float, default=2.0
        Inches per panel.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.inspect import Attribution
    >>> a = Attribution(np.random.default_rng(0).random((3, 8, 8)), "saliency", np.zeros(3, int), np.zeros(3, int),
    ...                 np.array([0, 1, 0]), np.zeros(3), np.zeros((3, 8, 8, 1)))
    >>> fig = plot_attribution(a, y_true=[0, 0, 0])
    >>> fig.axes[1].get_title().splitlines()
    ['true 0, predicted 1', 'explains 0']
    """
    result = _check_attribution(attribution)
    n = min(len(result.maps), int(n_images))
    if n < 1:
        raise ValueError(f"n_images must be at least 1 and the attribution must hold images; got {n_images!r} "
                         f"and {len(result.maps)} maps.")
    if y_true is not None:
        y_true = np.asarray(y_true)
        if len(y_true) < n:
            raise ValueError(f"y_true must have one label per image ({len(result.maps)}); got {len(y_true)}.")
    n_cols = min(n, 8) if n_cols is None else max(1, int(n_cols))
    n_rows = -(-n // n_cols)
    fig, axes = new_figure(figsize=(size * n_cols + 1.0, size * n_rows + 0.4), nrows=n_rows, ncols=n_cols)
    signed = _signed(result.maps[:n])
    heat = _normalized(result.maps[:n])
    mesh = None
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.set_axis_off()
            continue
        mesh = _overlay(ax, result.images[k], heat[k], signed, alpha, cmap)
        ax.set_title(_caption(result, k, y_true), fontsize=9)
    _colorbar(fig, mesh, axes, signed)
    layer = f" ({result.layer})" if getattr(result, "layer", None) else ""
    fig.suptitle(title or f"{_NAMES.get(result.method, result.method)}{layer}")
    return fig


def plot_attribution_grid(attributions, *, y_true=None, n_images=6, alpha=0.6, size=1.7, title=None):
    """Several methods side by side: one row per image, the image then one column per method.

    Parameters
    ----------
    attributions : list of Attribution or dict of str -> Attribution
        Results for the same images (a dict's keys become the column titles).
    y_true : array-like, optional
        True labels, shown with the prediction at the start of each row.
    n_images : int, default=6
    alpha : float, default=0.6
    size : float, default=1.7
        Inches per panel.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.inspect import Attribution
    >>> rng = np.random.default_rng(0)
    >>> make = lambda m, s: Attribution(s * rng.random((2, 8, 8)), m, np.zeros(2, int), np.zeros(2, int),
    ...                                 np.zeros(2, int), np.zeros(2), np.zeros((2, 8, 8, 1)))
    >>> fig = plot_attribution_grid([make("saliency", 1), make("integrated_gradients", -1)])
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['image', 'saliency', 'integrated gradients']
    """
    if isinstance(attributions, dict):
        names, results = list(attributions), list(attributions.values())
    else:
        results = list(attributions)
        names = [_NAMES.get(getattr(r, "method", ""), getattr(r, "method", "")) for r in results]
    if not results:
        raise ValueError("attributions must hold at least one Attribution.")
    for r in results:
        _check_attribution(r, "each of attributions")
    n = min(int(n_images), *(len(r.maps) for r in results))
    if any(r.maps.shape[1:] != results[0].maps.shape[1:] for r in results):
        raise ValueError("attributions must explain the same images (maps of one shape).")
    first = results[0]
    y_true = None if y_true is None else np.asarray(y_true)
    fig, axes = new_figure(figsize=(size * (len(results) + 1) + 0.8, size * n + 0.9), nrows=n,
                           ncols=len(results) + 1)
    for j, (name, r) in enumerate(zip(names, results), start=1):
        signed = _signed(r.maps[:n])
        heat = _normalized(r.maps[:n])
        for i in range(n):
            mesh = _overlay(axes[i, j], r.images[i], heat[i], signed, alpha, None)
        axes[0, j].set_title(name, fontsize=9)
        bar = fig.colorbar(mesh, ax=axes[:, j], location="bottom", shrink=0.9, aspect=12)
        bar.set_ticks([-1, 0, 1] if signed else [0, 1])
    for i in range(n):
        image = first.images[i]
        shown, kwargs = _display(image[..., 0] if image.shape[-1] == 1 else image,
                                 (float(image.min()), float(image.max())))
        axes[i, 0].imshow(shown, **kwargs)
        axes[i, 0].set_xticks([])
        axes[i, 0].set_yticks([])
        axes[i, 0].set_ylabel(_caption(first, i, y_true).replace(", ", "\n"), fontsize=8)
    axes[0, 0].set_title("image", fontsize=9)
    fig.suptitle(title or "Attribution maps (each scaled by its largest |value|)")
    return fig


def plot_randomization(results, *, image=0, title=None, size=1.6):
    """The randomization test: rank correlation with the trained maps as layers are re-initialized.

    Top: the mean Spearman correlation per stage (the band spans the middle
    half of the images) for each result; a method that explains the model
    falls toward 0. Bottom: the first result's map of one image at every
    stage.

    Parameters
    ----------
    results : RandomizationResult, list of them or dict of str -> RandomizationResult
    image : int, default=0
        Which image's maps to show.
    title : str, optional
    size : float, default=1.6
        Inches per map panel.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.inspect.attribution import RandomizationResult
    >>> r = RandomizationResult("saliency", ["output", "conv1"], np.array([[0.3, 0.5], [0.1, 0.0]]),
    ...                         np.random.default_rng(0).random((3, 2, 8, 8)))
    >>> fig = plot_randomization(r)
    >>> fig.axes[0].get_xlabel()
    'layers re-initialized, from the top (cumulative)'
    """
    if isinstance(results, dict):
        named = list(results.items())
    else:
        results = [results] if hasattr(results, "correlations") else list(results)
        named = [(_NAMES.get(r.method, r.method), r) for r in results]
    if not named or not all(hasattr(r, "correlations") for _, r in named):
        raise TypeError("results must be RandomizationResult objects from AttributionInspector.randomization_test.")
    first = named[0][1]
    stages = len(first.layers)
    if not 0 <= int(image) < first.maps.shape[1]:
        raise ValueError(f"image must lie in [0, {first.maps.shape[1]}); got {image!r}.")
    from matplotlib.figure import Figure

    width = max(6.0, size * (stages + 1) + 0.8)
    fig = Figure(figsize=(width, 3.2 + size + 0.5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[3.2, size + 0.5])
    ax = top.subplots()
    positions = np.arange(stages + 1)
    for label, r in named:
        c = np.vstack([np.ones((1, r.correlations.shape[1])), r.correlations])
        line, = ax.plot(positions[:len(c)], c.mean(axis=1), marker="o", label=label)
        ax.fill_between(positions[:len(c)], np.percentile(c, 25, axis=1), np.percentile(c, 75, axis=1),
                        color=line.get_color(), alpha=0.15)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xticks(positions, ["trained"] + list(first.layers))
    ax.set_xlabel("layers re-initialized, from the top (cumulative)" if first.mode == "top-down"
                  else "layer re-initialized (the others trained)")
    ax.set_ylabel("Spearman rank correlation\nwith the trained map")
    ax.set_ylim(min(-0.2, ax.get_ylim()[0]), 1.05)
    ax.legend(fontsize=8, loc="best")
    panels = bottom.subplots(1, stages + 1, squeeze=False)[0]
    maps = first.maps[:, int(image)]
    signed = _signed(maps)
    heat = _normalized(maps)
    for k, panel in enumerate(panels):
        panel.imshow(heat[k], cmap="RdBu_r" if signed else "inferno", vmin=-1.0 if signed else 0.0, vmax=1.0)
        panel.set_xticks([])
        panel.set_yticks([])
        panel.set_title("trained" if k == 0 else f"to {first.layers[k - 1]}", fontsize=8)
    bottom.suptitle(f"{named[0][0]} map of image {int(image)} at each stage", fontsize=9)
    fig.suptitle(title or "Randomization test (Adebayo et al., 2018)")
    return fig


def plot_deletion(results, *, title=None):
    """Deletion (or insertion) curves: the attribution's order against a random order.

    Parameters
    ----------
    results : AUCResult, list of them or dict of str -> AUCResult
        From :meth:`~skcnn.inspect.AttributionInspector.deletion_auc` or
        ``insertion_auc``; a dict's keys label the curves.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skcnn.inspect.attribution import AUCResult
    >>> r = AUCResult("deletion", np.linspace(0, 1, 3), np.array([[1.0, 0.2, 0.0]]), np.array([[1.0, 0.8, 0.0]]),
    ...               np.array([0.35]), np.array([0.65]))
    >>> plot_deletion({"IG": r}).axes[0].get_ylabel()
    'class probability (mean over images)'
    """
    if isinstance(results, dict):
        named = list(results.items())
    else:
        results = [results] if hasattr(results, "curve") else list(results)
        named = [(f"map {k + 1}", r) for k, r in enumerate(results)]
    if not named or not all(hasattr(r, "curve") for _, r in named):
        raise TypeError("results must be AUCResult objects from AttributionInspector.deletion_auc/insertion_auc.")
    fig, axes = new_figure(figsize=(5.5, 3.6))
    ax = axes[0, 0]
    drawn = []
    for label, r in named:
        line, = ax.plot(r.fractions, r.curve.mean(axis=0), label=f"{label} order (AUC {r.auc.mean():.3f})")
        random_mean = r.random_curve.mean(axis=0)
        if any(np.array_equal(random_mean, other) for other in drawn):
            continue  # the same random order on the same images: drawn once
        drawn.append(random_mean)
        ax.plot(r.fractions, random_mean, ls="--", color=line.get_color(), alpha=0.7,
                label=f"random order (AUC {r.random_auc.mean():.3f})")
    kind = named[0][1].kind
    ax.set_xlabel("share of pixels removed" if kind == "deletion" else "share of pixels revealed")
    ax.set_ylabel("class probability (mean over images)")
    ax.legend(fontsize=8)
    ax.set_ylim(-0.02, 1.02)
    fig.suptitle(title or (f"{kind.capitalize()} curves: " + ("lower is better" if kind == "deletion"
                                                               else "higher is better")))
    return fig
