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

Each term is an object (a :class:`Term`) that names the layer it reads and
computes its value per image from that layer's activations; a new kind of
term is one subclass. All terms but :class:`Diversity` and
:class:`FunctionTerm` are linear in the activations (:class:`LinearTerm`): a
weight array over the layer's points and maps, so one compiled graph serves
every mix of them and the batch is fed as weights.

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

__all__ = ["Objective", "Term", "LinearTerm", "Channel", "Neuron", "LayerMean", "ClassLogit", "Direction",
           "Diversity", "FunctionTerm", "channel", "neuron", "layer_mean", "class_logit", "direction", "diversity",
           "as_objectives"]


class Term:
    """One term of an objective: the layer it reads and its value per image from that layer's activations.

    A new kind of term is one subclass that writes :meth:`value` (with
    ``keras.ops``); the engine needs nothing else. What differs per image
    reaches the compiled step as :meth:`data` (one array per image, summed
    over the equal terms of an objective and times their coefficients), so
    :meth:`value` must be linear in ``data`` and give zero for zero data (an
    image whose objective lacks the term gets zeros). Terms with the same
    :meth:`key` share one input of the compiled step.

    Parameters
    ----------
    layer : str or int
        Keras name, alias (``"conv3"``) or index of the layer it reads.

    Attributes
    ----------
    layer : str or int
    reads : {"output", "logits"}
        ``"output"``: the layer's output (or its value before the activation
        function when the engine climbs it, see ``pre_activation``);
        ``"logits"``: always the value before the activation function.

    Examples
    --------
    >>> import keras
    >>> class Peak(Term):
    ...     def value(self, activations, data):  # data: the coefficient, one per image
    ...         return data * keras.ops.max(activations, axis=(1, 2, 3))
    >>> 2 * Objective([(1.0, Peak("conv3"))])
    2 * Peak(layer='conv3')
    """

    reads = "output"

    def __init__(self, layer):
        self.layer = _layer(layer)

    def layer_index(self, model):
        """Index into ``model.layers`` (an InspectedModel) of the layer this term reads."""
        return model.layer_index(self.layer)

    def key(self, model):
        """What identifies the compiled computation: equal keys share one input (their data add up)."""
        return (type(self), self.layer_index(model), repr(self))

    def data(self, model):
        """This term's data for one image, before its coefficient: by default ``1.0`` (the coefficient alone)."""
        return np.float32(1.0)

    def value(self, activations, data):
        """Per-image values ``(n,)`` from the layer's ``activations`` ``(n, h, w, maps)`` and ``data`` ``(n, ...)``."""
        raise NotImplementedError(f"{type(self).__name__} must define value(activations, data).")

    def __repr__(self):
        fields = ", ".join(f"{name}={value!r}" for name, value in vars(self).items() if not name.startswith("_"))
        return f"{type(self).__name__}({fields})"


def _ops():
    from .._keras import import_keras

    return import_keras().ops


class LinearTerm(Term):
    """``sum(activations * weights)``: weights over the layer's ``(h, w, maps)``, given by :meth:`weights`.

    Every linear term of a layer shares one input of the compiled step, so one
    graph serves any mix of channels, neurons, directions and layer means.

    Examples
    --------
    >>> Channel("conv1", 1).weights((2, 2, 3), "conv1")[..., 1].tolist()
    [[0.25, 0.25], [0.25, 0.25]]
    """

    def __init__(self, layer):
        super().__init__(layer)
        self._cache = {}

    def key(self, model):
        return (self._kind, self.layer_index(model))

    _kind = "linear"

    def weights(self, shape, name):  # pragma: no cover - every linear term overrides it
        """The weights, an array of ``shape`` ``(h, w, maps)``; ``name`` is the layer's, for messages."""
        raise NotImplementedError

    def data(self, model):
        index = self.layer_index(model)
        shape = model.layer_shape(index)
        if shape not in self._cache:
            self._cache[shape] = np.asarray(self.weights(shape, model.layer_name(index)), dtype=np.float32)
        return self._cache[shape]

    def value(self, activations, data):
        return _ops().sum(activations * data, axis=(1, 2, 3))


class Channel(LinearTerm):
    """The mean of map ``n`` (see :func:`channel`).

    Examples
    --------
    >>> Channel("conv1", 2)
    channel('conv1', 2)
    """

    def __init__(self, layer, n):
        super().__init__(layer)
        self.n = _index(n, "n")

    def weights(self, shape, name):
        _check_map(shape, self.n, name)
        w = np.zeros(shape)
        w[:, :, self.n] = 1.0 / (shape[0] * shape[1])
        return w

    def __repr__(self):
        return f"channel({self.layer!r}, {self.n})"


class Neuron(LinearTerm):
    """One point of map ``n`` (see :func:`neuron`).

    Examples
    --------
    >>> Neuron("c", 0, point=(0, 1)).weights((2, 2, 1), "c")[..., 0].tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """

    def __init__(self, layer, n, point=None):
        super().__init__(layer)
        self.n, self.point = _index(n, "n"), check_point(point)

    def weights(self, shape, name):
        _check_map(shape, self.n, name)
        row, col = (shape[0] // 2, shape[1] // 2) if self.point is None else self.point
        if not (0 <= row < shape[0] and 0 <= col < shape[1]):
            raise ValueError(f"point ({row}, {col}) lies outside the {shape[0]}x{shape[1]} maps of layer {name!r}.")
        w = np.zeros(shape)
        w[row, col, self.n] = 1.0
        return w

    def __repr__(self):
        return f"neuron({self.layer!r}, {self.n}" + ("" if self.point is None else f", point={self.point}") + ")"


class LayerMean(LinearTerm):
    """The mean of a whole layer (see :func:`layer_mean`).

    Examples
    --------
    >>> LayerMean("c").weights((2, 1, 2), "c").ravel().tolist()
    [0.25, 0.25, 0.25, 0.25]
    """

    def weights(self, shape, name):
        return np.full(shape, 1.0 / float(np.prod(shape)))

    def __repr__(self):
        return f"layer_mean({self.layer!r})"


class ClassLogit(LinearTerm):
    """Output ``n`` before the output layer's activation (see :func:`class_logit`).

    Examples
    --------
    >>> term = ClassLogit(2)
    >>> term, term.weights((1, 1, 3), "head").ravel().tolist()
    (class_logit(2), [0.0, 0.0, 1.0])
    """

    _kind = "logit"
    reads = "logits"

    def __init__(self, n, layer=-1):
        super().__init__(layer)
        self.n = _index(n, "n")

    def layer_index(self, model):
        """The given layer, or by default (``layer=-1``) the one giving the explained output (``output=``)."""
        return model.output_layer if self.layer == -1 else model.layer_index(self.layer)

    def weights(self, shape, name):
        _check_map(shape, self.n, name)
        w = np.zeros(shape)
        w[..., self.n] = 1.0 / (shape[0] * shape[1])
        return w

    def __repr__(self):
        return f"class_logit({self.n})" if self.layer == -1 else f"class_logit({self.n}, layer={self.layer!r})"


class Direction(LinearTerm):
    """The projection on a unit vector over the maps or a unit pattern over the layer (see :func:`direction`).

    Examples
    --------
    >>> Direction("c", [3.0, 4.0], "my direction").unit.tolist()
    [0.6, 0.8]
    """

    def __init__(self, layer, vector, text):
        super().__init__(layer)
        vector = np.asarray(vector, dtype=np.float64)
        norm = np.linalg.norm(vector)
        if not np.isfinite(norm) or norm == 0:
            raise ValueError("vector must be finite and not all zeros.")
        self.unit, self._text = vector / norm, text

    def weights(self, shape, name):
        unit = self.unit
        if unit.ndim == 1:
            if unit.shape[0] != shape[2]:
                raise ValueError(f"vector has {unit.shape[0]} values; layer {name!r} has {shape[2]} maps.")
            return np.broadcast_to(unit / (shape[0] * shape[1]), shape)
        if unit.shape != tuple(shape):
            raise ValueError(f"vector has shape {unit.shape}; layer {name!r} has shape {tuple(shape)}.")
        return unit

    def __repr__(self):
        return self._text


class Diversity(Term):
    """Minus each image's mean cosine similarity of its Gram matrix to the other images' (:func:`diversity`).

    Examples
    --------
    >>> Diversity("conv2")
    diversity('conv2')
    """

    def key(self, model):
        return ("diversity", self.layer_index(model))

    def value(self, activations, data):
        ops = _ops()
        n, maps = ops.shape(activations)[0], ops.shape(activations)[3]
        flat = ops.reshape(activations, (n, -1, maps))
        gram = ops.reshape(ops.einsum("npc,npd->ncd", flat, flat), (n, -1))
        unit = gram / (ops.norm(gram, axis=1, keepdims=True) + 1e-8)
        similarity = ops.matmul(unit, ops.transpose(unit))
        others = ops.sum(similarity, axis=1) - ops.diagonal(similarity)
        return -data * others / ops.maximum(ops.cast(n, "float32") - 1.0, 1.0)

    def __repr__(self):
        return f"diversity({self.layer!r})"


class FunctionTerm(Term):
    """``fn(activations, weights) -> (n,)`` with a weight vector per image (the dreams' registered objectives).

    Parameters
    ----------
    layer : str or int
    fn : callable
        Takes the layer's activations ``(n, h, w, maps)`` float32 and the
        weights ``(n, k)``; returns one value per image.
    vector : array-like of shape (k,)
        The weights, times the term's coefficient.

    Examples
    --------
    >>> import keras
    >>> def peak(activations, weights):
    ...     return weights[:, 0] * keras.ops.max(activations, axis=(1, 2, 3))
    >>> FunctionTerm("c", peak, [2.0]).vector.tolist()
    [2.0]
    """

    def __init__(self, layer, fn, vector=(), text=None):
        super().__init__(layer)
        self.fn = fn
        self.vector = np.asarray(vector, dtype=np.float32).ravel()
        self._text = text or f"FunctionTerm({self.layer!r}, {getattr(fn, '__name__', fn)!r})"

    def key(self, model):
        return ("callable", self.layer_index(model), self.fn, len(self.vector))

    def data(self, model):
        return self.vector

    def value(self, activations, data):
        ops = _ops()
        return ops.reshape(ops.cast(self.fn(activations, data), "float32"), (-1,))

    def __repr__(self):
        return self._text


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
    def layers(self, model):
        """Layer indices the objective reads (in the model's order)."""
        return sorted({t.key(model)[1] for _, t in self.terms})

    def parts(self, model):
        """``{key: (term, data)}``: the terms of equal key merged, their data times their coefficients summed.

        The term is the first of its key; the engine calls its
        :meth:`Term.value` on the summed data.
        """
        out = {}
        for c, t in self.terms:
            key = t.key(model)
            value = c * np.asarray(t.data(model), dtype=np.float32)
            out[key] = (t, value) if key not in out else (out[key][0], out[key][1] + value)
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
    return Objective([(1.0, Channel(layer, n))])


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
    return Objective([(1.0, Neuron(layer, n, point))])


def layer_mean(layer):
    """The mean of all of a layer's maps and points: the dream objective.

    Examples
    --------
    >>> sum(layer_mean(name) for name in ("mixed3", "mixed5"))
    layer_mean('mixed3') + layer_mean('mixed5')
    """
    return Objective([(1.0, LayerMean(layer))])


def class_logit(n, layer=-1):
    """The value of output ``n`` before the output layer's activation (its logit, for a softmax).

    A softmax probability saturates at 1 and stops giving gradient; the logit
    keeps climbing. ``layer`` is the output layer (default: the layer giving
    the explained output, see ``output=`` of the inspectors); if
    it is a bare ``Activation`` layer, the logits are its input.

    Examples
    --------
    >>> class_logit(4)
    class_logit(4)
    """
    return Objective([(1.0, ClassLogit(n, layer))])


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
    return Objective([(1.0, Direction(layer, vector, text))])


def diversity(layer):
    """Minus the mean cosine similarity of each image's Gram matrix to the others' in its batch.

    Add it (with a weight) to other objectives to render a batch of different
    images for the same objective.

    Examples
    --------
    >>> channel("conv3", 1) + 0.5 * diversity("conv3")
    channel('conv3', 1) + 0.5 * diversity('conv3')
    """
    return Objective([(1.0, Diversity(layer))])


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
