"""Write the API reference's source pages from the modules' ``__all__``.

One page per module (``api/<module>.rst``) lists its public names; classes and
functions get one page each from autosummary (``api/generated/``), with the
docstring, its rendered Examples and the gallery examples that use the object.
Registries and other module-level values get a page written here, whose
example shows what the value holds at build time.

A name is documented once, under the first module (in the order given) whose
``__all__`` holds it; other modules that re-export it link to that page.
"""

from __future__ import annotations

import importlib
import inspect
import pprint
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

PACKAGE = "skcnn"

# Where each registry's names are accepted (shown on the registry's page).
REGISTRY_USE = {
    "activations": "``MLPScratchClassifier(activation=...)``",
    "losses": "``loss=`` of ``SingleNeuronClassifier`` and ``MLPScratchClassifier``",
    "initializers": "``MLPScratchClassifier(init=...)``",
    "solvers": "``solver=`` of ``SingleNeuronClassifier`` and ``MLPScratchClassifier``",
    "cnn_architectures": "``KerasCNNClassifier(architecture=...)``",
    "oip_starts": "``start=`` of ``OIPInspector.oip`` and ``OIPInspector.oip_layer``",
    "dream_objectives": "``DreamInspector(objective=...)``",
}


@dataclass
class ModulePage:
    name: str
    module: ModuleType
    classes: list = field(default_factory=list)  # (name, canonical full name)
    functions: list = field(default_factory=list)
    data: list = field(default_factory=list)
    modules: list = field(default_factory=list)


def public_names(module: ModuleType) -> list[str]:
    """``__all__``, or else the public classes and functions defined in the module."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [
        n for n, obj in vars(module).items()
        if not n.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
        and getattr(obj, "__module__", "") == module.__name__
    ]


def _key(module_name: str, name: str, obj) -> tuple:
    # Classes and functions are the same object wherever they are re-exported;
    # plain values (strings, numbers) are told apart by where they live.
    if inspect.isclass(obj) or inspect.isroutine(obj) or hasattr(obj, "__dict__"):
        return ("id", id(obj))
    return ("name", module_name, name)


def collect(module_names: list[str]) -> tuple[list[ModulePage], dict[tuple, str]]:
    """Walk the modules (and the skcnn modules their ``__all__`` names), in order."""
    pages: list[ModulePage] = []
    canonical: dict[tuple, str] = {}
    queue, seen = list(module_names), set()
    while queue:
        modname = queue.pop(0)
        if modname in seen:
            continue
        seen.add(modname)
        module = importlib.import_module(modname)
        page = ModulePage(modname, module)
        for name in public_names(module):
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                if obj.__name__.startswith(PACKAGE + "."):
                    page.modules.append(obj.__name__)
                    queue.append(obj.__name__)
                continue
            key = _key(modname, name, obj)
            full = canonical.setdefault(key, f"{modname}.{name}")
            if inspect.isclass(obj):
                page.classes.append((name, full))
            elif callable(obj) and not hasattr(obj, "names"):
                page.functions.append((name, full))
            else:
                page.data.append((name, full))
        pages.append(page)
    return pages, canonical


def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def _summary(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


def _autosummary(current: str, entries: list[tuple[str, str]], toctree: bool) -> str:
    lines = [f".. currentmodule:: {current}", "", ".. autosummary::"]
    if toctree:
        lines += ["   :toctree: generated/", "   :nosignatures:"]
    else:
        lines += ["   :nosignatures:"]
    lines.append("")
    for name, full in entries:
        lines.append("   " + (name if full == f"{current}.{name}" else full))
    return "\n".join(lines) + "\n"


def _data_page(full: str, obj) -> str:
    """A page for a module-level value: what it is, and an example run at build time."""
    modname, _, name = full.rpartition(".")
    if hasattr(obj, "names") and hasattr(obj, "kind"):  # a skcnn.plugins.Registry
        kind = obj.kind
        body = (
            f"The registry of {kind.replace('_', ' ')}: a name registered here is accepted "
            f"wherever skcnn takes one of its {kind.replace('_', ' ')} by name, and a callable "
            "works in its place. Other packages add entries through the ``skcnn.plugins`` "
            f"entry-point group as ``{kind}.<name>``. See :class:`skcnn.plugins.Registry` and "
            ":doc:`/user_guide/plugins`."
        )
        if kind in REGISTRY_USE:
            body += f"\n\nUsed by {REGISTRY_USE[kind]}."
        example = [f">>> from {modname} import {name}", f">>> {name}.names()"]
        value = obj.names()
        type_name = "skcnn.plugins.Registry"
    elif isinstance(obj, dict):
        body = "A dict of values, keyed by name."
        if all(hasattr(v, "names") for v in obj.values()):
            body = ("Every registry of :mod:`skcnn.plugins`, keyed by its kind (the part of an "
                    "entry point's name before the dot).")
        example = [f">>> from {modname} import {name}", f">>> sorted({name})"]
        value = sorted(obj)
        type_name = "dict"
    else:
        body = {
            "ENTRY_POINT_GROUP": "The entry-point group that third-party packages use to add "
                                 "entries to skcnn's registries (see :doc:`/user_guide/plugins`).",
            "__version__": "The version of the installed skcnn.",
        }.get(name, f"A module-level value of :mod:`{modname}`.")
        example = [f">>> from {modname} import {name}", f">>> {name}"]
        value = obj
        type_name = type(obj).__name__
    result = pprint.pformat(value, width=72, compact=True)
    lines = [
        _title(full),
        f".. py:data:: {full}",
        f"   :type: {type_name}",
        "",
        textwrap.indent(body, "   "),
        "",
        "   .. rubric:: Examples",
        "",
        textwrap.indent("\n".join(example + [result]), "   "),
        "",
    ]
    return "\n".join(lines)


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless the file already holds it (keeps Sphinx's rebuilds incremental)."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def write_api_pages(api_dir: Path, module_names: list[str]) -> list[str]:
    """Write ``api/index.rst`` and one page per module; return the documented names."""
    pages, _ = collect(module_names)
    documented = []
    for page in pages:
        parts = [
            _title(page.name),
            f".. automodule:: {page.name}",
            "   :no-members:",
            "   :no-index:" if page.name == PACKAGE else "",
            "",
        ]
        own = lambda entries: [e for e in entries if e[1] == f"{page.name}.{e[0]}"]  # noqa: E731
        other = lambda entries: [e for e in entries if e[1] != f"{page.name}.{e[0]}"]  # noqa: E731
        for heading, entries in (("Classes", page.classes), ("Functions", page.functions)):
            if own(entries):
                parts += [_title(heading, "-"), _autosummary(page.name, own(entries), True)]
                documented += [full for _, full in own(entries)]
        if page.data:
            parts += [_title("Registries and values" if page.name.endswith("plugins") else "Values", "-")]
            parts += [".. toctree::", "   :hidden:", ""]
            parts += [f"   generated/{full}" for _, full in own(page.data)] + [""]
            parts += [".. list-table::", "   :widths: 30 70", ""]
            for name, full in page.data:
                parts += [f"   * - :data:`{full}`", f"     - {type(getattr(page.module, name)).__name__}"]
            parts.append("")
            for name, full in own(page.data):
                write_if_changed(api_dir / "generated" / f"{full}.rst", _data_page(full, getattr(page.module, name)))
                documented.append(full)
        again = other(page.classes) + other(page.functions)
        if again:
            parts += [_title("Also importable from here", "-"),
                      "Documented with the module where they are defined for users:", "",
                      _autosummary(page.name, again, False)]
        if page.modules:  # every module page is in the index's toctree; here, links
            parts += [_title("Modules", "-")]
            for name in page.modules:
                summary = _summary(importlib.import_module(name)).rstrip(".")
                parts.append(f"- :doc:`{name}`: {summary}.")
            parts.append("")
        write_if_changed(api_dir / f"{page.name}.rst", "\n".join(parts))

    index = [
        ".. _api:",
        "",
        _title("API reference"),
        "Every public name of skcnn, one page each: the docstring, an example that runs "
        "(the doctests), and the gallery examples that use it. Written from the modules' "
        "``__all__`` at each build, so nothing public is missing.",
        "",
        ".. list-table::",
        "   :widths: 30 70",
        "",
    ]
    for page in pages:
        summary = _summary(page.module).rstrip(".") + "."
        index += [f"   * - :doc:`{page.name}`", f"     - {summary}"]
    index += ["", ".. toctree::", "   :hidden:", ""] + [f"   {p.name}" for p in pages] + [""]
    write_if_changed(api_dir / "index.rst", "\n".join(index))
    return documented


_EXAMPLES = re.compile(r"^\s*Examples\n\s*-{3,}", re.MULTILINE)


def missing_examples(module_names: list[str]) -> list[str]:
    """Names of documented classes and functions whose docstring has no Examples section."""
    pages, _ = collect(module_names)
    missing = []
    for page in pages:
        for name, full in page.classes + page.functions:
            if full != f"{page.name}.{name}":
                continue
            doc = getattr(page.module, name).__doc__ or ""
            if not _EXAMPLES.search(doc):
                missing.append(full)
    return missing
