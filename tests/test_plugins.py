import importlib.metadata
import json
import os
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


# --- built-in entries are declared by name and imported on first use ---


@pytest.fixture
def lazy_registry(tmp_path, monkeypatch):
    """A registry whose entry 'a' is declared for a provider module on disk, not imported yet."""
    holder = type(sys)("skcnn_test_holder")
    holder.registry = Registry("things", builtins={"skcnn_test_provider": ("a",)})
    monkeypatch.setitem(sys.modules, "skcnn_test_holder", holder)
    (tmp_path / "skcnn_test_provider.py").write_text(
        "from skcnn_test_holder import registry\nregistry.register('a', 'built-in a')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "skcnn_test_provider", raising=False)
    yield holder.registry
    sys.modules.pop("skcnn_test_provider", None)


def test_declared_entry_is_listed_without_import_and_loaded_by_get(lazy_registry):
    assert lazy_registry.names() == ["a"] and "a" in lazy_registry and "a" in repr(lazy_registry)
    assert "skcnn_test_provider" not in sys.modules
    assert lazy_registry.get("a") == "built-in a"
    assert "skcnn_test_provider" in sys.modules and lazy_registry.names() == ["a"]


def test_declared_entry_is_registered_like_any_other(lazy_registry):
    with pytest.raises(ValueError, match="already registered"):
        lazy_registry.register("a", "mine")
    lazy_registry.register("a", "mine", overwrite=True)
    # the provider was imported first, so its own registration cannot undo the user's choice
    assert "skcnn_test_provider" in sys.modules
    assert lazy_registry.get("a") == "mine"


def test_unregistered_declared_entry_stays_away(lazy_registry):
    lazy_registry.unregister("a")
    assert lazy_registry.names() == [] and "a" not in lazy_registry
    import skcnn_test_provider  # noqa: F401  (someone imports the provider for another reason)

    assert lazy_registry.names() == []
    with pytest.raises(ValueError, match="Unknown things 'a'"):
        lazy_registry.get("a")


def test_declared_name_the_provider_does_not_register(lazy_registry):
    lazy_registry._declared["b"] = lazy_registry._lazy["b"] = "skcnn_test_provider"
    with pytest.raises(RuntimeError, match="declared to register things 'b' but did not"):
        lazy_registry.get("b")


def test_entry_point_is_listed_without_importing_the_plugin(tmp_path, monkeypatch):
    (tmp_path / "skcnn_test_plugin.py").write_text("def swish(z, out=None):\n    return z\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = importlib.metadata.EntryPoints([
        importlib.metadata.EntryPoint("activations.swish", "skcnn_test_plugin:swish", "skcnn.plugins"),
        importlib.metadata.EntryPoint("losses.broken", "skcnn_test_no_such_module:f", "skcnn.plugins"),
    ])
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group=None: eps.select(group=group))
    monkeypatch.setattr(plugins, "_entry_points_loaded", False)
    try:
        assert "swish" in plugins.activations.names() and "broken" in plugins.losses.names()
        assert "skcnn_test_plugin" not in sys.modules
        assert plugins.activations.get("swish").__module__ == "skcnn_test_plugin"
        with pytest.warns(RuntimeWarning, match="Could not load skcnn plugin 'losses.broken'"):
            with pytest.raises(ValueError, match="Unknown losses 'broken'"):
                plugins.losses.get("broken")
    finally:
        plugins.activations.unregister("swish")
        plugins.losses.unregister("broken")
        sys.modules.pop("skcnn_test_plugin", None)


def test_declared_names_are_what_the_modules_register():
    """Listing imports no framework; importing every provider afterwards registers exactly those names."""
    code = textwrap.dedent("""
        import importlib, json, sys
        from skcnn import plugins
        listed = {kind: r.names() for kind, r in plugins.registries.items()}
        frameworks = sorted(m for m in ("tensorflow", "keras", "sklearn", "scipy") if m in sys.modules)
        for r in plugins.registries.values():
            for module in set(r._declared.values()):
                importlib.import_module(module)
        registered = {kind: sorted(r._items) for kind, r in plugins.registries.items()}
        pending = {kind: sorted(r._lazy) for kind, r in plugins.registries.items() if r._lazy}
        print(json.dumps([listed, frameworks, registered, pending]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    listed, frameworks, registered, pending = json.loads(out.stdout.strip().splitlines()[-1])
    assert frameworks == []
    assert listed == registered and pending == {}
    assert listed["oip_starts"] == ["multiscale", "precursor"] and "relu" in listed["activations"]
