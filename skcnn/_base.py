"""What every skcnn estimator shares with the others (one place, so it changes in one place).

Today that is the link from an estimator's HTML representation (the diagram
Jupyter shows) to its page of the API reference. The documentation site is
built by ``make -C docs html`` into ``docs/_build/html/``, with one page per
public name under ``api/generated/`` (``skcnn.<Name>.html``); the link is
relative to a clone of the repository until the site is published, when
:data:`DOCS_ROOT` becomes its address.
"""

from __future__ import annotations

__all__ = ["DOCS_ROOT", "DocLinkMixin"]

DOCS_ROOT = "docs/_build/html/"
"""Where the documentation site lives: a folder relative to the repository root, or a URL ending in ``/``."""


class DocLinkMixin:
    """Links an estimator's HTML representation to its API page.

    scikit-learn's diagram shows a "?" icon that links to
    ``_doc_link_template`` filled in with the estimator's class name, for
    classes whose module starts with ``_doc_link_module``. Every public skcnn
    estimator is importable as ``skcnn.<Name>`` and documented under that
    name. Put this mixin first among the bases, before ``BaseEstimator``.

    Examples
    --------
    >>> from skcnn import ClusterDistanceTransformer
    >>> ClusterDistanceTransformer()._get_doc_link()
    'docs/_build/html/api/generated/skcnn.ClusterDistanceTransformer.html'
    """

    _doc_link_module = "skcnn"
    _doc_link_template = DOCS_ROOT + "api/generated/skcnn.{estimator_name}.html"
