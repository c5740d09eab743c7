import importlib.metadata
import subprocess
import sys
import textwrap

import pytest

from skcnn import plugins
from skcnn.plugins import Registry


def test_register_by_decorator_and_call_and_lookup():
    r = Registry("things")

    @r.register("a")
    def a():
        return 1

    r.register("b", lambda: 2)
    assert r.get("a") is a and r.get("b")() == 2
    assert r.names() == ["a", "b"] and "a" in r and len(r) == 2
    assert list(r) == ["a", "b"]


def test_callable_passes_through_and_unknown_name_lists_registered():
    r = Registry("things")
    r.register("x", 1)
    fn = lambda: 0  # noqa: E731
    assert r.get(fn) is fn
    with pytest.raises(ValueError, match=r"Unknown things 'y'. Registered things: 'x'"):
        r.get("y")
    with pytest.raises(ValueError, match="name or a callable"):
        r.get(3.5)


def test_duplicate_registration_needs_overwrite():
    r = Registry("things")
    r.register("x", 1)
    with pytest.raises(ValueError, match="already registered"):
        r.register("x", 2)
    r.register("x", 2, overwrite=True)
    assert r.get("x") == 2
    with pytest.raises(ValueError, match="non-empty"):
        r.register("", 3)


def test_all_registries_exist():
    assert set(plugins.registries) == {
        "activations", "losses", "initializers", "solvers", "cnn_architectures", "oip_starts", "dream_objectives",
    }


def test_entry_point_is_loaded_lazily(monkeypatch):
    def double(z, out=None):
        return 2 * z

    module = type(sys)("fake_skcnn_plugin")
    module.double = double
    monkeypatch.setitem(sys.modules, "fake_skcnn_plugin", module)
    eps = importlib.metadata.EntryPoints(
        [
            importlib.metadata.EntryPoint("activations.double", "fake_skcnn_plugin:double", "skcnn.plugins"),
            importlib.metadata.EntryPoint("nonsense", "fake_skcnn_plugin:double", "skcnn.plugins"),
        ]
    )
    monkeypatch.setattr(plugins, "_entry_points_loaded", False)
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group=None: eps.select(group=group))
    try:
        with pytest.warns(RuntimeWarning, match="nonsense"):
            assert plugins.activations.get("double") is double
        assert "double" in plugins.activations.names()
    finally:
        plugins.activations.unregister("double")


def test_installed_distribution_entry_point_found(tmp_path):
    """A real (tiny) distribution on sys.path advertises a loss; a fresh interpreter finds it."""
    site = tmp_path / "site"
    pkg = site / "myskcnnplugin"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        from skcnn._nn.losses import Loss
        half = Loss("half", lambda a, t: 0.5, lambda a, t: a * 0)
    """))
    dist = site / "myskcnnplugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: myskcnnplugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[skcnn.plugins]\nlosses.half = myskcnnplugin:half\n")
    code = "from skcnn.plugins import losses; print(losses.get('half').name, 'half' in losses.names())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(site), "PATH": ""})
    assert out.stdout.split() == ["half", "True"]
