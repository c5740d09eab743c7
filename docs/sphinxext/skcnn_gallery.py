"""sphinx-gallery hooks for skcnn's examples.

skcnn's plotting functions build :class:`matplotlib.figure.Figure` objects
directly, without pyplot, so sphinx-gallery's own matplotlib scraper (which
asks pyplot for its open figures) sees none of them. Here every Figure is
recorded when it is created, and the scraper saves the ones that a code block
created, in the order they were made. Figures made through pyplot are Figures
too, so this scraper replaces the matplotlib one.
"""

from __future__ import annotations

import gc
import sys

import matplotlib

_created = []  # Figures made since the last scrape, strong references, creation order
_figure_init = None  # the original Figure.__init__, once it is wrapped


def _record_figures():
    """Wrap ``Figure.__init__`` once so that each new Figure is remembered."""
    global _figure_init
    from matplotlib.figure import Figure

    if _figure_init is not None:
        return
    _figure_init = Figure.__init__

    def init_and_record(self, *args, **kwargs):
        _figure_init(self, *args, **kwargs)
        _created.append(self)

    Figure.__init__ = init_and_record


def reset_figures(gallery_conf, fname):
    """Before each example: record new Figures and forget the last example's.

    Keras models of earlier examples are released too (one build runs every
    example in the same process).
    """
    matplotlib.use("agg")
    _record_figures()
    _created.clear()
    if "keras" in sys.modules:
        sys.modules["keras"].backend.clear_session()
    gc.collect()


def figure_scraper(block, block_vars, gallery_conf, **kwargs):
    """Save the Figures a code block created and return their reST.

    The signature is the one sphinx-gallery calls image scrapers with.
    """
    from sphinx_gallery.scrapers import figure_rst

    figures, images = list(_created), []
    _created.clear()
    # zip takes from ``figures`` first, so no image name is used up for nothing.
    for figure, path in zip(figures, block_vars["image_path_iterator"]):
        figure.savefig(path, dpi=kwargs.get("dpi", 100))
        images.append((path, _title(figure)))
    # One image directive per figure: skcnn's figures are wide mosaics, which
    # read better stacked at full width than side by side as thumbnails.
    return "".join(figure_rst([path], gallery_conf["src_dir"], title) for path, title in images)


def _title(figure) -> str:
    """The figure's title, or its axes' titles: the image's alt text."""
    title = figure.get_suptitle() if hasattr(figure, "get_suptitle") else ""
    if not title:
        title = ", ".join(t for t in (ax.get_title() for ax in figure.axes) if t)
    return " ".join(title.split())[:120]
