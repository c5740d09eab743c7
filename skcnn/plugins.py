"""Plugin registries: every named, swappable piece of skcnn lives in one.

A :class:`Registry` maps names to objects (activations, losses, solvers, CNN
builders, ...). Look-ups accept either a registered name or the object itself
(any callable), so a user can pass their own function wherever a name works.

Third-party packages add entries through the entry-point group
``skcnn.plugins``. Each entry point is named ``<registry>.<name>`` (for
example ``activations.swish``) and points at the object to register.

Nothing is imported to list names: the built-in entries are declared here by
name, each with the module that registers it, and an entry point's name is
read from the installed metadata. The module (or the plugin) is imported the
first time its entry is looked up with :meth:`Registry.get`, so
``skcnn plugins`` lists every registry without importing TensorFlow.

Examples
--------
>>> from skcnn.plugins import Registry
>>> greetings = Registry("greetings")
>>> @greetings.register("hello")
... def hello():
...     return "hi"
>>> greetings.get("hello")()
'hi'
>>> greetings.names()
['hello']
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import warnings
from typing import Any, Callable, Iterator

__all__ = [
    "Registry",
    "ENTRY_POINT_GROUP",
    "activations",
    "losses",
    "initializers",
    "solvers",
    "cnn_architectures",
    "oip_starts",
    "dream_objectives",
    "registries",
    "load_entry_points",
]

ENTRY_POINT_GROUP = "skcnn.plugins"


class Registry:
    """A named collection of interchangeable objects.

    Parameters
    ----------
    kind : str
        What the registry holds (used in error messages), e.g. ``"activations"``.
    providers : tuple of str
        Modules that register entries not declared in ``builtins``; imported
        at the first look-up of a name the registry does not know.
    builtins : dict of {str: tuple of str}, optional
        Entries declared ahead of their import: ``{module: names}``, the
        names that importing ``module`` registers. They are listed by
        :meth:`names` and found by ``in`` without importing anything;
        :meth:`get` imports the module the first time one is asked for.

    Examples
    --------
    >>> r = Registry("colors")
    >>> _ = r.register("red", "#ff0000")
    >>> r.get("red")
    '#ff0000'
    >>> r.get("blue")
    Traceback (most recent call last):
    ...
    ValueError: Unknown colors 'blue'. Registered colors: 'red'.

    A name declared with ``builtins`` is listed before its module is imported:

    >>> r = Registry("numbers", builtins={"fractions": ("Fraction",)})
    >>> r.names()
    ['Fraction']
    """

    def __init__(self, kind: str, providers: tuple[str, ...] = (), *, builtins: dict | None = None):
        self.kind = kind
        self.providers = tuple(providers)
        self._items: dict[str, Any] = {}
        # declared, not loaded yet: name -> module (a built-in) or EntryPoint (a plugin)
        self._lazy: dict[str, Any] = {}
        # every declared built-in: name -> the module that registers it
        self._declared: dict[str, str] = {}
        self._arrived: set[str] = set()
        for module, names in (builtins or {}).items():
            for name in names:
                self._declared[name] = module
                self._lazy[name] = module
        self._provided = not self.providers

    def _load(self) -> None:
        """Import the providers of undeclared entries, then read the entry points."""
        if not self._provided:
            self._provided = True
            for module in self.providers:
                try:
                    importlib.import_module(module)
                except ModuleNotFoundError as exc:  # a provider that is not written yet
                    if exc.name != module:
                        raise
        load_entry_points()

    def register(self, name: str, obj: Any = None, *, overwrite: bool = False):
        """Register ``obj`` under ``name``; without ``obj``, return a decorator.

        Parameters
        ----------
        name : str
            The look-up name.
        obj : object, optional
            The object to register. If omitted, ``register`` returns a decorator.
        overwrite : bool, default=False
            Replace an existing entry of the same name instead of raising.

        Returns
        -------
        obj or decorator
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.kind} names must be non-empty strings, got {name!r}.")

        def add(item):
            if self._is_builtin_arriving(name):
                # the declaring module registers its own entry; one that was
                # replaced or removed in the meantime stays as the user left it
                self._arrived.add(name)
                if self._lazy.get(name) == self._declared[name]:
                    del self._lazy[name]
                    self._items[name] = item
                return item
            exists = name in self._lazy or (name in self._items and self._items[name] is not item)
            if exists and not overwrite:
                raise ValueError(
                    f"{self.kind} {name!r} is already registered; pass overwrite=True to replace it."
                )
            if isinstance(self._lazy.get(name), str):
                self._import(name)  # let the built-in arrive now, so it cannot replace this one later
            self._lazy.pop(name, None)
            self._items[name] = item
            return item

        if obj is None:
            return add
        return add(obj)

    def _is_builtin_arriving(self, name: str) -> bool:
        module = self._declared.get(name)
        return module is not None and name not in self._arrived and module in sys.modules

    def _import(self, name: str) -> None:
        """Import the module that declares the built-in ``name``; it registers the entry."""
        module = self._declared[name]
        importlib.import_module(module)
        if name not in self._arrived:
            raise RuntimeError(f"{module} is declared to register {self.kind} {name!r} but did not.")

    def _resolve(self, name: str) -> None:
        """Load the declared entry ``name`` into the registry (a warning if a plugin is broken)."""
        source = self._lazy[name]
        if isinstance(source, str):
            self._import(name)
            return
        try:
            obj = source.load()
        except Exception as exc:  # a broken third-party plugin must not break skcnn
            warnings.warn(f"Could not load skcnn plugin {source.name!r}: {exc!r}", RuntimeWarning, stacklevel=3)
            del self._lazy[name]
            return
        del self._lazy[name]
        self._items[name] = obj

    def unregister(self, name: str) -> None:
        """Remove ``name`` from the registry (no error if absent)."""
        self._items.pop(name, None)
        self._lazy.pop(name, None)

    def get(self, name_or_obj: Any) -> Any:
        """Return the entry for a name; a non-string (e.g. a callable) is returned as is.

        Raises
        ------
        ValueError
            If ``name_or_obj`` is a string that is not registered; the message
            lists the registered names.
        """
        if not isinstance(name_or_obj, str):
            if not callable(name_or_obj):
                raise ValueError(
                    f"Expected a registered {self.kind} name or a callable, got {name_or_obj!r}. "
                    f"Registered {self.kind}: {self._quoted_names()}."
                )
            return name_or_obj
        if name_or_obj not in self._items and name_or_obj not in self._lazy:
            self._load()
        if name_or_obj in self._lazy:
            self._resolve(name_or_obj)
        try:
            return self._items[name_or_obj]
        except KeyError:
            raise ValueError(
                f"Unknown {self.kind} {name_or_obj!r}. Registered {self.kind}: {self._quoted_names()}."
            ) from None

    def names(self) -> list[str]:
        """Sorted list of registered names (entry points included), imported or not."""
        self._load()
        return self._sorted_names()

    def _sorted_names(self) -> list[str]:
        return sorted(set(self._items) | set(self._lazy))

    def _quoted_names(self) -> str:
        return ", ".join(repr(n) for n in self._sorted_names()) or "(none)"

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str) and name not in self._items and name not in self._lazy:
            self._load()
        return name in self._items or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={self._sorted_names()})"


activations = Registry("activations", builtins={"skcnn._nn.activations": (
    "elu", "identity", "leaky_relu", "relu", "selu", "sigmoid", "softmax", "softplus", "tanh")})
losses = Registry("losses", builtins={"skcnn._nn.losses": ("categorical_crossentropy", "log_loss", "squared")})
initializers = Registry("initializers", builtins={"skcnn._nn.init": ("glorot", "uniform")})
solvers = Registry("solvers", builtins={"skcnn._nn.optim": ("batch", "cg", "lbfgs", "sgd")})
cnn_architectures = Registry("cnn_architectures", builtins={"skcnn.cnn.architectures": ("padded", "series")})
oip_starts = Registry("oip_starts", builtins={"skcnn.inspect.starts": ("multiscale", "precursor")})
dream_objectives = Registry("dream_objectives", builtins={"skcnn.inspect.dream": ("l2", "mean")})

registries: dict[str, Registry] = {
    r.kind: r
    for r in (activations, losses, initializers, solvers, cnn_architectures, oip_starts, dream_objectives)
}

_entry_points_loaded = False


def load_entry_points(entry_points: Callable[..., Any] | None = None, *, force: bool = False) -> list[str]:
    """Declare the objects advertised in the ``skcnn.plugins`` entry-point group.

    Called automatically at the first look-up of an unknown name and by
    :meth:`Registry.names`. Entry point names have the form
    ``"<registry>.<name>"``; an entry replaces a built-in of the same name.
    Only the names are read here: a plugin is imported the first time its
    entry is looked up with :meth:`Registry.get`, and a broken one warns
    then, instead of breaking skcnn.

    Parameters
    ----------
    entry_points : callable, optional
        Replacement for :func:`importlib.metadata.entry_points` (for tests).
    force : bool, default=False
        Read them again even if entry points were already read.

    Returns
    -------
    list of str
        The ``"<registry>.<name>"`` entries that were declared by this call.

    Examples
    --------
    >>> from importlib.metadata import EntryPoint
    >>> from skcnn.plugins import activations, load_entry_points
    >>> advertised = [EntryPoint("activations.double", "operator:mul", "skcnn.plugins")]
    >>> load_entry_points(lambda group: advertised, force=True)
    ['activations.double']
    >>> "double" in activations
    True
    >>> activations.get("double")(2, 3)
    6
    >>> activations.unregister("double")
    """
    global _entry_points_loaded
    if _entry_points_loaded and not force:
        return []
    _entry_points_loaded = True
    eps = (entry_points or importlib.metadata.entry_points)(group=ENTRY_POINT_GROUP)
    declared = []
    for ep in eps:
        kind, _, name = ep.name.partition(".")
        if kind not in registries or not name:
            warnings.warn(
                f"Ignoring skcnn plugin {ep.name!r}: entry point names must be '<registry>.<name>' "
                f"with a registry among {sorted(registries)}.",
                RuntimeWarning,
                stacklevel=2,
            )
            continue
        registry = registries[kind]
        registry._items.pop(name, None)
        registry._lazy[name] = ep
        declared.append(ep.name)
    return declared
