"""Sphinx configuration of skcnn's documentation site.

Build with ``make -C docs html`` (runs every ``examples/plot_*.py``) or
``make -C docs html-noplot`` (the gallery's pages without running the
examples). The site lands in ``docs/_build/html``.

The build is offline and strict: no network request (intersphinx only when
``SKCNN_DOCS_INTERSPHINX=1``), no remote images, fonts or scripts, and the
Makefile runs Sphinx with ``-W --keep-going``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "sphinxext"))

# Examples check this to train fewer epochs; they still show what they claim.
os.environ.setdefault("SKCNN_DOCS_FAST", "1")
# Quiet TensorFlow's C++ start-up lines in the examples' output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import skcnn  # noqa: E402
from api_pages import missing_examples, write_api_pages  # noqa: E402

project = "skcnn"
author = "the skcnn developers"
copyright = "the skcnn developers, BSD-3-Clause"
version = release = skcnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_design",
    "sphinx_copybutton",
]
if os.environ.get("SKCNN_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "sg_execution_times.rst"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# -- API reference: one generated page per public object --------------------
# api/*.rst are written here from the modules' __all__, so a new public name
# gets its page without anyone editing the docs; autosummary then writes one
# page per object into api/generated/ (both folders are git-ignored).
API_MODULES = [
    "skcnn", "skcnn.inspect", "skcnn.plotting", "skcnn.datasets", "skcnn.metrics",
    "skcnn.plugins", "skcnn.parallel",
    "skcnn.inspect.objectives", "skcnn.inspect.params", "skcnn.inspect.transforms",
    "skcnn.inspect.oip", "skcnn.inspect.images", "skcnn.inspect.starts", "skcnn.inspect.render",
    "skcnn.inspect.evaluation",
]
write_api_pages(DOCS / "api", API_MODULES)

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False, "member-order": "bysource"}
autodoc_typehints = "none"
autodoc_class_signature = "mixed"
add_module_names = False

# -- numpydoc ----------------------------------------------------------------
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# Validation of every docstring that the site renders. The checks, by code:
#   GL02  a multi-line docstring closes its quotes on the line after its text
#   GL03  no double blank lines
#   GL05  tabs are not used for indentation
#   GL06  only known section names (Parameters, Returns, Examples, ...)
#   GL07  sections in numpydoc's order
#   GL09  a deprecation warning comes first
#   GL10  reST directive syntax is right (two colons)
#   SS01  there is a one-line summary
#   SS03  the summary ends with a period
#   PR02  no documented parameter that the signature lacks
#   PR03  parameters are documented in the signature's order
#   PR05  parameter types do not end with a period
#   PR06  parameter types say "int", "bool", "str" (not "integer", "boolean", "string")
#   PR10  a colon with a space on each side between a parameter and its type
#   RT02  the Returns section's first line is the type alone, when one thing is returned
#   YD01  generators document what they yield
#   SA02  See Also entries are well formed
#   SA04  every See Also entry has a description
# Not checked, and why:
#   GL01  the house style puts the summary on the opening line; numpydoc's default is the opposite
#   GL08  objects without a docstring are private and never reach the site
#   SS02, SS04, SS06  a summary may start with an article or run over two lines
#   SS05  a summary may describe ("Cost of ...") instead of command ("Compute ...")
#   SA03  a See Also description may start in lower case
#   ES01, SA01  extended summaries and See Also sections are optional
#   PR01  properties and ``**kwargs`` passed through are documented in prose
#   PR04, PR07, PR08, PR09  self-explanatory attributes may have a type and no sentence
#   RT01, RT03  ``fit`` returns self, which the class documents once
#   EX01  methods share their class's example; _check_examples below requires an
#         Examples section of every class and function that has an API page instead
numpydoc_validation_checks = {
    "GL02", "GL03", "GL05", "GL06", "GL07", "GL09", "GL10",
    "SS01", "SS03",
    "PR02", "PR03", "PR05", "PR06", "PR10",
    "RT02", "YD01",
    "SA02", "SA04",
}
# Only public objects of skcnn are validated; methods and attributes that
# scikit-learn's mixins define are documented there.
numpydoc_validation_exclude = {
    r"\._[a-z]",  # private names
    r"\.__\w+__$",  # dunder methods
    r"\.(get_params|set_params|set_output|get_metadata_routing)$",
    r"\.set_\w+_request$",
}
numpydoc_validation_overrides = {}

# -- sphinx-gallery ----------------------------------------------------------
# The examples are copied into the build folder and run there, so whatever
# they write (pictures, models) stays out of the source tree.
EXAMPLES_COPY = DOCS / "_build" / "examples_src"


def _copy_examples() -> None:
    EXAMPLES_COPY.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in (ROOT / "examples").iterdir() if p.suffix in {".py", ".txt"}}
    for stale in EXAMPLES_COPY.iterdir():
        if stale.is_file() and stale.name not in wanted:
            stale.unlink()
    for name in wanted:
        source, copy = ROOT / "examples" / name, EXAMPLES_COPY / name
        if not copy.exists() or copy.read_bytes() != source.read_bytes():
            shutil.copy2(source, copy)


_copy_examples()

sphinx_gallery_conf = {
    "examples_dirs": str(EXAMPLES_COPY),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skcnn",),
    "reference_url": {"skcnn": None},
    "image_scrapers": ("skcnn_gallery.figure_scraper",),
    "reset_modules": ("matplotlib", "skcnn_gallery.reset_figures"),
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "download_all_examples": False,
    # Its timing pages load jQuery and DataTables from a CDN: not offline.
    "write_computation_times": False,
    "show_signature": False,
    "min_reported_time": 1,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skcnn {release}"
html_static_path = ["_static"]
html_css_files = ["skcnn.css"]
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_theme_options = {
    "navbar_align": "left",
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "icon_links": [],
    "show_version_warning_banner": False,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "show_toc_level": 2,
}
html_sidebars = {"index": [], "install": [], "quick_start": [], "whats_new": []}
html_context = {"default_mode": "light"}

copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True


def _check_examples(app):
    """Warn (an error under -W) for each API object whose docstring has no Examples."""
    from sphinx.util import logging

    logger = logging.getLogger("skcnn.docs")
    for name in missing_examples(API_MODULES):
        logger.warning("%s has no Examples section: every API page shows a runnable example.", name)


def _skip_member(app, what, name, obj, skip, options):
    """Leave out what a class gets from elsewhere and documents nowhere.

    The ``set_*_request`` methods scikit-learn adds to every estimator, and
    the fields of a NamedTuple, whose generated docstrings say only "Alias for
    field number 0" (the class's docstring describes them).
    """
    if what == "class" and name.startswith("set_") and name.endswith("_request"):
        return True
    if what == "class" and (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def setup(app):
    app.connect("builder-inited", _check_examples)
    app.connect("autodoc-skip-member", _skip_member)
