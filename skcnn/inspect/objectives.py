"""Composable objectives: what a gradient ascent climbs.

An :class:`Objective` is a weighted sum of terms, each at one layer of the
network:

- :func:`channel` -- the mean of one map;
- :func:`neuron` -- one point of one map (the centre by default);
- :func:`layer_mean` -- the mean of a whole layer (the dream objective);
- :func:`class_logit` -- the value of an output class before its softmax;
- :func:`direction` -- the projection of a layer's activations on a vector or
  pattern (a :class:`~skcnn.inspect.ClassSignature` gives the pattern that
  marks a class: its FCP);
- :func:`diversity` -- a penalty on images of a batch whose Gram matrices are
  alike.

Objectives add, subtract and scale: ``channel("conv3", 5) -
channel("conv3", 7)``, ``2 * neuron("conv2", 0)``, ``sum(...)``. A list of
objectives runs as one batch in :class:`~skcnn.inspect.GradientAscent` and
:meth:`~skcnn.inspect.OIPInspector.render`, one objective per image.

All terms but :func:`diversity` (and registered callables) are linear in the
layer's activations: each is a weight array over the layer's points and maps,
so one compiled graph serves every mix of them and the batch is fed as
weights.

Examples
--------
>>> from skcnn.inspect.objectives import channel, neuron
>>> objective = channel("conv3", 5) - 0.5 * neuron("conv3", 7)
>>> objective
channel('conv3', 5) - 0.5 * neuron('conv3', 7)
>>> len(objective.terms)
2
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import is_int

__all__ = ["Objective", "channel", "neuron", "layer_mean", "class_logit", "direction", "diversity",
           "as_objectives"]


class _Term:
    """One term at one layer. ``kind`` is ``"linear"``, ``"logit"``, ``"diversity"`` or ``"callable"``."""

    kind = "linear"

    def __init__(self, layer, text):
        self.layer = layer
        self.text = text

    def key(self, resolved):
        """What the engine must compute for this term: ``(kind, layer index[, extra])``."""
        return (self.kind, resolved.layer_index(self.layer))

    def weights(self, resolved):  # pragma: no cover - every linear term overrides it
        raise NotImplementedError

    def __repr__(self):
        return self.text


class _Linear(_Term):
    """``sum(activations * weights)`` with weights over the layer's ``(h, w, maps)``, built by ``make(shape)``."""

    def __init__(self, layer, text, make, kind="linear"):
        super().__init__(layer, text)
        self._make = make
        self.kind = kind
        self._cache = {}

    def weights(self, resolved):
        shape = resolved.layer_shape(resolved.layer_index(self.layer))
        if shape not in self._cache:
            self._cache[shape] = np.asarray(self._make(shape, self.layer), dtype=np.float32)
        return self._cache[shape]


class _Diversity(_Term):
    kind = "diversity"


class _Callable(_Term):
    """A registered or user function ``f(activations, weights) -> (n,)`` (legacy dream objectives)."""

    kind = "callable"

    def __init__(self, layer, fn, vector, text):
        super().__init__(layer, text)
        self.fn = fn
        self.vector = np.asarray(vector, dtype=np.float32).ravel()

    def key(self, resolved):
        return ("callable", resolved.layer_index(self.layer), self.fn, len(self.vector))


class Objective:
    """A weighted sum of terms; build one with :func:`channel`, :func:`neuron`, ... and ``+ - *``.

    Parameters
    ----------
    terms : sequence of (float, term)
        Coefficients and terms.

    Attributes
    ----------
    terms : tuple of (float, term)

    Examples
    --------
    >>> from skcnn.inspect.objectives import layer_mean, diversity
    >>> 2 * layer_mean("mixed3") + layer_mean("mixed5") - 0.1 * diversity("mixed3")
    2 * layer_mean('mixed3') + layer_mean('mixed5') - 0.1 * diversity('mixed3')
    """

    def __init__(self, terms):
        self.terms = tuple((float(c), t) for c, t in terms)

    # ------------------------------------------------------------- algebra
    def __add__(self, other):
        if isinstance(other, numbers.Number) and other == 0:
            return self  # sum() starts from 0
        if not isinstance(other, Objective):
            return NotImplemented
        return Objective(self.terms + other.terms)

    __radd__ = __add__

    def __neg__(self):
        return Objective((-c, t) for c, t in self.terms)

    def __sub__(self, other):
        if not isinstance(other, Objective):
            return NotImplemented
        return self + (-other)

    def __mul__(self, factor):
        if not isinstance(factor, numbers.Real) or isinstance(factor, bool):
            return NotImplemented
        return Objective((c * float(factor), t) for c, t in self.terms)

    __rmul__ = __mul__

    def __truediv__(self, factor):
        if not isinstance(factor, numbers.Real) or isinstance(factor, bool) or factor == 0:
            return NotImplemented
        return self * (1.0 / float(factor))

    def __repr__(self):
        parts = []
        for i, (c, t) in enumerate(self.terms):
            sign = "-" if c < 0 else "+"
            size = abs(c)
            text = repr(t) if size == 1 else f"{size:g} * {t!r}"
            parts.append((("-" if c < 0 else "") if i == 0 else f" {sign} ") + text)
        return "".join(parts) or "Objective(())"

    # ------------------------------------------------------------- engine
    def layers(self, resolved):
        """Layer indices the objective reads (in the target's order)."""
        return sorted({t.key(resolved)[1] for _, t in self.terms})

    def parts(self, resolved):
        """``{key: (coefficient or weights)}``: linear keys map to summed ``(h, w, maps)`` weights.

        The other keys map to their summed coefficient (callables: coefficient
        times their vector).
        """
        out = {}
        for c, t in self.terms:
            key = t.key(resolved)
            if t.kind in ("linear", "logit"):
                value = c * t.weights(resolved)
            elif t.kind == "callable":
                value = c * t.vector
            else:
                value = np.float32(c)
            out[key] = value if key not in out else out[key] + value
        return out


def _layer(layer, name="layer"):
    if not (isinstance(layer, str) or is_int(layer)):
        raise TypeError(f"{name} must be a layer name, alias (like 'conv3') or index; got {type(layer).__name__}.")
    return layer


def _index(n, name):
    if not is_int(n) or n < 0:
        raise ValueError(f"{name} must be a non-negative int (a map index); got {n!r}.")
    return int(n)


def check_point(point):
    """None, or ``point`` as a ``(row, col)`` tuple of ints; a ValueError otherwise."""
    if point is None:
        return None
    try:
        checked = tuple(int(v) for v in point)
    except (TypeError, ValueError):
        checked = ()
    if len(checked) != 2:
        raise ValueError(f"point must be None or a (row, col) pair of ints; got {point!r}.")
    return checked


def _check_map(shape, n, layer):
    if n >= shape[2]:
        raise ValueError(f"map {n} does not exist in layer {layer!r} with {shape[2]} maps.")


def channel(layer, n):
    """The mean of map ``n`` of ``layer`` over its points.

    Parameters
    ----------
    layer : str or int
        Keras name, alias (``"conv3"``) or index.
    n : int
        The map.

    Returns
    -------
    Objective

    Examples
    --------
    >>> channel("conv3", 5) - channel("conv3", 7)
    channel('conv3', 5) - channel('conv3', 7)
    """
    layer, n = _layer(layer), _index(n, "n")

    def make(shape, name):
        _check_map(shape, n, name)
        w = np.zeros(shape)
        w[:, :, n] = 1.0 / (shape[0] * shape[1])
        return w

    return Objective([(1.0, _Linear(layer, f"channel({layer!r}, {n})", make))])


def neuron(layer, n, point=None):
    """One point of map ``n``: ``point=(row, col)``, by default the centre (``(h // 2, w // 2)``).

    Parameters
    ----------
    layer : str or int
    n : int
    point : (int, int), optional

    Returns
    -------
    Objective

    Examples
    --------
    >>> neuron("conv3", 2, point=(0, 1))
    neuron('conv3', 2, point=(0, 1))
    """
    layer, n, point = _layer(layer), _index(n, "n"), check_point(point)

    def make(shape, name):
        _check_map(shape, n, name)
        row, col = (shape[0] // 2, shape[1] // 2) if point is None else point
        if not (0 <= row < shape[0] and 0 <= col < shape[1]):
            raise ValueError(f"point ({row}, {col}) lies outside the {shape[0]}x{shape[1]} maps of layer {name!r}.")
        w = np.zeros(shape)
        w[row, col, n] = 1.0
        return w

    text = f"neuron({layer!r}, {n}" + ("" if point is None else f", point={point}") + ")"
    return Objective([(1.0, _Linear(layer, text, make))])


def layer_mean(layer):
    """The mean of all of a layer's maps and points: the dream objective.

    Examples
    --------
    >>> sum(layer_mean(name) for name in ("mixed3", "mixed5"))
    layer_mean('mixed3') + layer_mean('mixed5')
    """
    layer = _layer(layer)
    return Objective([(1.0, _Linear(layer, f"layer_mean({layer!r})", lambda shape, name: np.full(
        shape, 1.0 / float(np.prod(shape)))))])


def class_logit(n, layer=-1):
    """The value of output ``n`` before the output layer's activation (its logit, for a softmax).

    A softmax probability saturates at 1 and stops giving gradient; the logit
    keeps climbing. ``layer`` is the output layer (default: the last one); if
    it is a bare ``Activation`` layer, the logits are its input.

    Examples
    --------
    >>> class_logit(4)
    class_logit(4)
    """
    n = _index(n, "n")

    def make(shape, name):
        _check_map(shape, n, name)
        w = np.zeros(shape)
        w[..., n] = 1.0 / (shape[0] * shape[1])
        return w

    return Objective([(1.0, _Linear(_layer(layer), f"class_logit({n})" if layer == -1 else
                                    f"class_logit({n}, layer={layer!r})", make, kind="logit"))])


def _signature_pattern(signature, label):
    fractions = signature.point_active_fraction
    table = signature.mean_points if fractions is None else fractions
    pattern = table[signature._row(label)] - table.mean(axis=0)
    return pattern


def direction(layer, vector, label=None):
    """Projection of the layer's activations on ``vector``, scaled to unit length.

    ``vector`` of shape ``(maps,)`` is applied at every point (and averaged
    over the points); ``(h, w, maps)`` is a full pattern. A
    :class:`~skcnn.inspect.ClassSignature` gives a class's pattern of active
    points (its FCP) minus the mean pattern of all its classes: with
    ``label`` one objective, without it a list of one objective per class,
    which renders as one batch.

    Parameters
    ----------
    layer : str or int
    vector : array-like of shape (maps,) or (h, w, maps), or ClassSignature
    label : class label, optional
        The class, when ``vector`` is a ClassSignature.

    Returns
    -------
    Objective, or list of Objective (a ClassSignature without ``label``)

    Examples
    --------
    >>> direction("conv3", [1.0, 0.0, -1.0])
    direction('conv3', maps=3)
    """
    layer = _layer(layer)
    if hasattr(vector, "point_active_fraction") and hasattr(vector, "classes"):
        labels = vector.classes.tolist() if label is None else [label]
        made = [_direction(layer, _signature_pattern(vector, lab), f"direction({layer!r}, class {lab!r})")
                for lab in labels]
        return made if label is None else made[0]
    if label is not None:
        raise ValueError("label is only used when vector is a ClassSignature.")
    vector = np.asarray(vector, dtype=np.float64)
    if vector.ndim not in (1, 3):
        raise ValueError(f"vector must have shape (maps,) or (h, w, maps); got {vector.shape}.")
    return _direction(layer, vector, f"direction({layer!r}, " + (
        f"maps={vector.shape[0]})" if vector.ndim == 1 else f"pattern={vector.shape})"))


def _direction(layer, vector, text):
    vector = np.asarray(vector, dtype=np.float64)
    norm = np.linalg.norm(vector)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("vector must be finite and not all zeros.")
    unit = vector / norm

    def make(shape, name):
        if unit.ndim == 1:
            if unit.shape[0] != shape[2]:
                raise ValueError(f"vector has {unit.shape[0]} values; layer {name!r} has {shape[2]} maps.")
            return np.broadcast_to(unit / (shape[0] * shape[1]), shape)
        if unit.shape != tuple(shape):
            raise ValueError(f"vector has shape {unit.shape}; layer {name!r} has shape {tuple(shape)}.")
        return unit

    return Objective([(1.0, _Linear(layer, text, make))])


def diversity(layer):
    """Minus the mean cosine similarity of each image's Gram matrix to the others' in its batch.

    Add it (with a weight) to other objectives to render a batch of different
    images for the same objective.

    Examples
    --------
    >>> channel("conv3", 1) + 0.5 * diversity("conv3")
    channel('conv3', 1) + 0.5 * diversity('conv3')
    """
    layer = _layer(layer)
    return Objective([(1.0, _Diversity(layer, f"diversity({layer!r})"))])


def as_objectives(objective, n=None):
    """A list of Objectives from one objective or a list of them (one per image; one is repeated to ``n``).

    Examples
    --------
    >>> from skcnn.inspect.objectives import as_objectives, channel
    >>> as_objectives(channel("c1", 0), n=3)
    [channel('c1', 0), channel('c1', 0), channel('c1', 0)]
    """
    if isinstance(objective, Objective):
        return [objective] * (1 if n is None else int(n))
    if isinstance(objective, (list, tuple)) and objective and all(isinstance(o, Objective) for o in objective):
        if n is not None and len(objective) == 1:
            return list(objective) * int(n)  # a batch of one, repeated like one objective
        if n is not None and len(objective) != n:
            raise ValueError(f"objective holds {len(objective)} objectives for {n} images; give one per image "
                             f"or a single objective for all.")
        return list(objective)
    raise TypeError("objective must be an Objective (channel(...), neuron(...), ...) or a non-empty list of them; "
                    f"got {type(objective).__name__}.")
