"""The house rules of skcnn/inspect/, read from the source: they fail the day someone breaks them.

- Only the runtime (skcnn/inspect/_core/) touches the backend's own API: no ``tf.``, no ``tf.function``, no
  ``GradientTape`` elsewhere in skcnn/inspect/.
- No function in skcnn/inspect/ is longer than 80 lines, its docstring not counted.
- Examples, benchmarks, docs and the demo's sections use the public API only.
- One vocabulary: no inspector parameter named ``step_size`` or ``chunk_size``, every inspector's first
  argument is ``model``, and ``random_state`` defaults to None everywhere (scikit-learn's convention).
"""

import ast
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSPECT = ROOT / "skcnn" / "inspect"
MAX_LINES = 80


def _modules(folder, *, exclude=()):
    return sorted(p for p in folder.rglob("*.py") if not any(part in exclude for part in p.relative_to(folder).parts))


def _tensorflow_uses(path):
    """Lines of ``path`` that name TensorFlow: an import of it, ``tf.`` or ``GradientTape``."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                                                    else [])
            if any(n == "tensorflow" or n.startswith("tensorflow.") for n in names):
                found.append(node.lineno)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "tf":
            found.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id == "GradientTape":
            found.append(node.lineno)
    return sorted(set(found))


def _long_functions(path):
    """``(name, lines)`` of each function in ``path`` longer than MAX_LINES, its docstring not counted."""
    tree = ast.parse(path.read_text())
    long = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        lines = node.end_lineno - node.lineno + 1
        doc = node.body[0] if node.body and isinstance(node.body[0], ast.Expr) and isinstance(
            getattr(node.body[0], "value", None), ast.Constant) and isinstance(node.body[0].value.value, str) else None
        if doc is not None:
            lines -= doc.end_lineno - doc.lineno + 1
        if lines > MAX_LINES:
            long.append((node.name, lines))
    return long


_PRIVATE_IMPORT = re.compile(r"^\s*(from\s+skcnn(\.\w+)*\.(_\w+)|import\s+skcnn(\.\w+)*\.(_\w+))", re.M)
_PRIVATE_CALL = re.compile(r"\b(?!self\b)[a-z]\w*\.(_[a-z]\w*)\(")


def _private_uses(text):
    uses = [m.group(0).strip() for m in _PRIVATE_IMPORT.finditer(text)]
    uses += [m.group(0) for m in _PRIVATE_CALL.finditer(text) if not m.group(1).startswith("__")]
    return uses


def test_no_tensorflow_outside_the_runtime():
    offenders = {str(p.relative_to(ROOT)): _tensorflow_uses(p) for p in _modules(INSPECT, exclude=("_core",))}
    assert {p: lines for p, lines in offenders.items() if lines} == {}


def test_no_long_functions_in_inspect():
    offenders = {str(p.relative_to(ROOT)): _long_functions(p) for p in _modules(INSPECT)}
    assert {p: f for p, f in offenders.items() if f} == {}


def _user_facing_files():
    files = sorted((ROOT / "examples").glob("*.py")) + sorted((ROOT / "benchmarks").glob("*.py"))
    # the pages we write, not what the docs build generates from them (the build may be running: CI runs it
    # beside the tests)
    built = {"_build", "api", "auto_examples", "gen_modules", "generated", "sg_execution_times.rst"}
    for folder, subfolders, names in os.walk(ROOT / "docs"):
        subfolders[:] = sorted(name for name in subfolders if name not in built)  # not walked into
        files += [Path(folder) / name for name in sorted(names)
                  if name.endswith((".rst", ".md")) and name not in built]
    demo = ROOT / "skcnn" / "_demo"
    files += [p for p in sorted(demo.glob("*.py")) if not p.name.startswith("_")]  # the sections, not the harness
    return files


def test_examples_benchmarks_docs_and_demo_sections_use_the_public_api_only():
    offenders = {str(p.relative_to(ROOT)): _private_uses(p.read_text()) for p in _user_facing_files()}
    assert {p: uses for p, uses in offenders.items() if uses} == {}


def _inspector_signatures():
    import inspect as pyinspect

    import skcnn.inspect as api

    for name in ("ActivationInspector", "AttributionInspector", "DreamInspector", "OIPInspector", "GradientAscent"):
        cls = getattr(api, name)
        yield name, "__init__", pyinspect.signature(cls.__init__)
        for method_name, method in pyinspect.getmembers(cls, pyinspect.isfunction):
            if not method_name.startswith("_"):
                yield name, method_name, pyinspect.signature(method)


def test_one_vocabulary_in_the_inspectors_signatures():
    pytest.importorskip("keras")
    old = {"step_size", "chunk_size", "l2", "tv", "value_range"}
    found = [(cls, method, p) for cls, method, sig in _inspector_signatures() for p in sig.parameters if p in old]
    assert found == []
    first = {cls: list(sig.parameters)[1] for cls, method, sig in _inspector_signatures() if method == "__init__"}
    assert set(first.values()) == {"model"}, first


def _public_callables():
    """Every public function and public method of every public class that ``skcnn.inspect`` or its modules export."""
    import importlib
    import inspect as pyinspect

    import skcnn.inspect as api

    seen = set()
    modules = [importlib.import_module(f"skcnn.inspect.{p.stem}") for p in sorted(INSPECT.glob("[a-z]*.py"))]
    for module in [api, *modules]:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if pyinspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            elif pyinspect.isclass(obj):
                for method_name, method in pyinspect.getmembers(obj, pyinspect.isfunction):
                    if method_name == "__init__" or not method_name.startswith("_"):
                        yield f"{name}.{method_name}", method


def _seed_defaults():
    import inspect as pyinspect

    return {name: sig.parameters["random_state"].default for name, fn in _public_callables()
            if "random_state" in (sig := pyinspect.signature(fn)).parameters}


def test_random_state_has_one_default_everywhere():
    pytest.importorskip("keras")
    defaults = _seed_defaults()
    # the check reaches the inspectors, the sanity checks and the module-level helpers alike
    assert {"OIPInspector.oip_layer", "AttributionInspector.randomization_test", "AttributionInspector.deletion_auc",
            "skcnn.inspect.oip.robustness", "DreamInspector.dream"} <= set(defaults)
    assert {name: d for name, d in defaults.items() if d is not None} == {}


def test_the_rules_catch_what_they_guard(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import tensorflow as tf\n\ndef f(x):\n    '''doc'''\n" + "    x = tf.abs(x)\n" * 81
                   + "    with GradientTape() as t:\n        pass\n")
    assert _tensorflow_uses(bad)[:2] == [1, 5] and 86 in _tensorflow_uses(bad)
    assert _long_functions(bad) == [("f", 84)]
    assert _private_uses("from skcnn.inspect._ascent import fast_dtype\nx = inspector._engine(3)\nself._x()\n") == [
        "from skcnn.inspect._ascent", "inspector._engine("]
    assert _private_uses("from skcnn.inspect import OIPInspector\nx.__len__()\n") == []
