"""Plugin registries: every named, swappable piece of skcnn lives in one.

A :class:`Registry` maps names to objects (activations, losses, solvers, CNN
builders, ...). Look-ups accept either a registered name or the object itself
(any callable), so a user can pass their own function wherever a name works.

Third-party packages add entries through the entry-point group
``skcnn.plugins``. Each entry point is named ``<registry>.<name>`` (for
example ``activations.swish``) and points at the object to register. Entry
points are loaded lazily, the first time any registry is searched.

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
        Modules that register the built-in entries; imported at the first
        look-up, so the registry is complete without importing them up front.

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
    """

    def __init__(self, kind: str, providers: tuple[str, ...] = ()):
        self.kind = kind
        self.providers = providers
        self._items: dict[str, Any] = {}
        self._provided = not providers

    def _load(self) -> None:
        """Import the modules that register the built-in entries, then the entry points."""
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
            if name in self._items and not overwrite and self._items[name] is not item:
                raise ValueError(
                    f"{self.kind} {name!r} is already registered; pass overwrite=True to replace it."
                )
            self._items[name] = item
            return item

        if obj is None:
            return add
        return add(obj)

    def unregister(self, name: str) -> None:
        """Remove ``name`` from the registry (no error if absent)."""
        self._items.pop(name, None)

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
        if name_or_obj not in self._items:
            self._load()
        try:
            return self._items[name_or_obj]
        except KeyError:
            raise ValueError(
                f"Unknown {self.kind} {name_or_obj!r}. Registered {self.kind}: {self._quoted_names()}."
            ) from None

    def names(self) -> list[str]:
        """Sorted list of registered names (entry points included)."""
        self._load()
        return sorted(self._items)

    def _quoted_names(self) -> str:
        return ", ".join(repr(n) for n in sorted(self._items)) or "(none)"

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str) and name not in self._items:
            self._load()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={sorted(self._items)})"


activations = Registry("activations", ("skcnn._nn.activations",))
losses = Registry("losses", ("skcnn._nn.losses",))
initializers = Registry("initializers", ("skcnn._nn.init",))
solvers = Registry("solvers", ("skcnn._nn.optim",))
cnn_architectures = Registry("cnn_architectures", ("skcnn.cnn.architectures",))
oip_starts = Registry("oip_starts", ("skcnn.inspect.oip",))
dream_objectives = Registry("dream_objectives", ("skcnn.inspect.dream",))

registries: dict[str, Registry] = {
    r.kind: r
    for r in (activations, losses, initializers, solvers, cnn_architectures, oip_starts, dream_objectives)
}

_entry_points_loaded = False


def load_entry_points(entry_points: Callable[..., Any] | None = None, *, force: bool = False) -> list[str]:
    """Register the objects advertised in the ``skcnn.plugins`` entry-point group.

    Called automatically at the first look-up of an unknown name. Entry point
    names have the form ``"<registry>.<name>"``; a broken plugin warns instead
    of breaking skcnn.

    Parameters
    ----------
    entry_points : callable, optional
        Replacement for :func:`importlib.metadata.entry_points` (for tests).
    force : bool, default=False
        Load again even if entry points were already loaded.

    Returns
    -------
    list of str
        The ``"<registry>.<name>"`` entries that were registered by this call.

    Examples
    --------
    >>> from importlib.metadata import EntryPoint
    >>> from skcnn.plugins import activations, load_entry_points
    >>> advertised = [EntryPoint("activations.double", "operator:mul", "skcnn.plugins")]
    >>> load_entry_points(lambda group: advertised, force=True)
    ['activations.double']
    >>> "double" in activations
    True
    >>> activations.unregister("double")
    """
    global _entry_points_loaded
    if _entry_points_loaded and not force:
        return []
    _entry_points_loaded = True
    eps = (entry_points or importlib.metadata.entry_points)(group=ENTRY_POINT_GROUP)
    loaded = []
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
        try:
            obj = ep.load()
        except Exception as exc:  # a broken third-party plugin must not break skcnn
            warnings.warn(f"Could not load skcnn plugin {ep.name!r}: {exc!r}", RuntimeWarning, stacklevel=2)
            continue
        registries[kind].register(name, obj, overwrite=True)
        loaded.append(ep.name)
    return loaded
