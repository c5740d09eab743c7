"""What an inspector looks into: a fitted estimator, a Pipeline ending in one, or a keras.Model.

:func:`resolve_target` turns any of these into a :class:`Target`: the Keras
model, its layers under their Keras names and the aliases ``conv1``,
``pool1``, ``conv2``, ..., the way from raw images into model space (the
Pipeline's preceding steps, then a reshape) and, where the steps can be
inverted, the way back from model space to pixel space for display.

Sub-models are built from ``model.inputs`` and layer outputs, never from
``model.input``, which a Sequential model that was never called does not have
in Keras 3.
"""

from __future__ import annotations

import numpy as np

from .._validation import is_int
from ..cnn._keras import import_keras  # the one place Keras is imported, on first use

__all__ = ["Target", "resolve_target", "import_keras"]

_CONV_TYPES = ("Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose")
_POOL_TYPES = ("MaxPooling2D", "AveragePooling2D", "MaxPooling1D", "AveragePooling1D")


class Target:
    """A Keras model seen through the steps that feed it.

    Built by :func:`resolve_target`; inspectors keep one and users rarely
    make one themselves.

    Parameters
    ----------
    model : keras.Model
        The network.
    pre_steps : list of sklearn transformers, optional
        Fitted steps that turn raw samples into the network's input (the
        Pipeline's steps before the classifier).
    classes : array-like, optional
        Class labels of the classifier's outputs.

    Attributes
    ----------
    model : keras.Model
    input_shape : tuple of int
        ``(height, width, channels)`` of one model input.
    layers : list of keras.layers.Layer
        ``model.layers`` (the input layer excluded).
    aliases : dict of str -> int
        ``conv1``, ``pool1``, ... -> index into ``layers``.
    classes_ : ndarray or None

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c"),
    ...                           keras.layers.MaxPooling2D(name="p")])
    >>> target = resolve_target(model)
    >>> target.input_shape, sorted(target.aliases)
    ((8, 8, 1), ['conv1', 'pool1'])
    >>> target.layer_index("pool1"), target.layer_name(0)
    (1, 'c')
    """

    def __init__(self, model, pre_steps=None, classes=None):
        self.model = model
        self.pre_steps = list(pre_steps or [])
        self.classes_ = None if classes is None else np.asarray(classes)
        inputs = _model_inputs(model)
        if len(inputs) != 1:
            raise ValueError(f"target must be a model with exactly one input; this one has {len(inputs)}.")
        self.input_tensor = inputs[0]
        shape = tuple(inputs[0].shape[1:])
        if len(shape) == 2:
            shape = shape + (1,)
        if len(shape) != 3 or any(s is None for s in shape):
            raise ValueError(
                f"target must take images of a fixed shape (height, width, channels); its input shape is "
                f"{tuple(inputs[0].shape)}."
            )
        self.input_shape = tuple(int(s) for s in shape)
        self.layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
        self.aliases = {}
        counts = {"conv": 0, "pool": 0}
        for index, layer in enumerate(self.layers):
            kind = type(layer).__name__
            prefix = "conv" if kind in _CONV_TYPES else "pool" if kind in _POOL_TYPES else None
            if prefix:
                counts[prefix] += 1
                self.aliases.setdefault(f"{prefix}{counts[prefix]}", index)
        self._submodels = {}

    # ------------------------------------------------------------------ layers
    def layer_index(self, layer):
        """Index into :attr:`layers` of a layer given by Keras name, alias, index or object.

        Raises
        ------
        ValueError
            If no such layer exists; the message lists the names that do.
        """
        if is_int(layer):
            n = len(self.layers)
            if not -n <= layer < n:
                raise ValueError(f"layer index {layer} is out of range for a model with {n} layers.")
            return int(layer) % n
        if isinstance(layer, str):
            for index, candidate in enumerate(self.layers):
                if candidate.name == layer:
                    return index
            if layer in self.aliases:
                return self.aliases[layer]
        else:
            for index, candidate in enumerate(self.layers):
                if candidate is layer:
                    return index
        names = [f"{i}: {l.name}" for i, l in enumerate(self.layers)]
        aliases = sorted(set(self.aliases) - {l.name for l in self.layers})
        raise ValueError(
            f"layer must be a Keras layer name, an index or an alias like 'conv1'; got {layer!r}. "
            f"Layers: {', '.join(names)}" + (f"; aliases: {', '.join(aliases)}." if aliases else ".")
        )

    def layer_name(self, layer):
        """The Keras name of a layer given in any accepted form."""
        return self.layers[self.layer_index(layer)].name

    def display_name(self, layer):
        """The alias of a layer (``conv2``) if it has one, else its Keras name."""
        index = self.layer_index(layer)
        for alias, i in self.aliases.items():
            if i == index:
                return alias
        return self.layers[index].name

    def layer_shape(self, layer):
        """``(height, width, maps)`` of a layer's output; flat outputs count as ``(1, 1, units)``."""
        return _map_shape(tuple(self.layers[self.layer_index(layer)].output.shape[1:]))

    def conv_layers(self):
        """Keras names of the convolution layers, in order."""
        return [self.layers[i].name for a, i in sorted(self.aliases.items(), key=lambda t: t[1])
                if a.startswith("conv")]

    def submodel(self, layers, *, inputs_of=False):
        """A keras.Model from the network's input to the given layers' outputs (or inputs); cached."""
        keras, _ = import_keras()
        indices = tuple(self.layer_index(layer) for layer in layers)
        key = (indices, inputs_of)
        if key not in self._submodels:
            tensors = [self.layers[i].input if inputs_of else self.layers[i].output for i in indices]
            self._submodels[key] = keras.Model(self.input_tensor, tensors)
        return self._submodels[key]

    # ---------------------------------------------------------------- images
    @property
    def has_pixel_space(self):
        """True when model-space images can be mapped back to pixel space (every step inverts)."""
        return all(hasattr(step, "inverse_transform") for step in self.pre_steps)

    def to_model(self, X, *, name="X"):
        """Raw samples (flat, ``(n, h, w)`` or ``(n, h, w, c)``) -> float32 model inputs ``(n, h, w, c)``."""
        X = np.asarray(X)
        if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
            raise ValueError(f"{name} must be a numeric array of images, got dtype {X.dtype}.")
        if X.ndim not in (2, 3, 4):
            raise ValueError(
                f"{name} must be flat (n, {int(np.prod(self.input_shape))}), (n, height, width) or "
                f"(n, height, width, channels); got shape {X.shape}."
            )
        if len(X) == 0:
            raise ValueError(f"{name} must hold at least one image; got an empty array.")
        if self.pre_steps:
            flat = X.reshape(len(X), -1)
            for step in self.pre_steps:
                flat = step.transform(flat)
            X = np.asarray(flat)
        size = int(np.prod(self.input_shape))
        if int(np.prod(X.shape[1:])) != size:
            raise ValueError(
                f"{name} has {int(np.prod(X.shape[1:]))} values per image, but the model takes images of shape "
                f"{self.input_shape} ({size} values)."
            )
        X = X.reshape((len(X),) + self.input_shape).astype(np.float32, copy=False)
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{name} contains NaN or infinite values.")
        return X

    def to_pixels(self, images):
        """Model-space images -> pixel space ``(n, h, w, c)``, through the steps' ``inverse_transform``.

        Returns the images unchanged when there are no steps, and None when a
        step cannot be inverted.
        """
        images = np.asarray(images, dtype=np.float32)
        if not self.pre_steps:
            return images.copy()
        if not self.has_pixel_space:
            return None
        flat = images.reshape(len(images), -1)
        for step in reversed(self.pre_steps):
            flat = step.inverse_transform(flat)
        flat = np.asarray(flat, dtype=np.float32)
        if flat.shape[1] == images[0].size:
            return flat.reshape(images.shape)
        return flat


def _model_inputs(model):
    try:
        inputs = list(model.inputs)
    except (AttributeError, ValueError) as exc:
        raise ValueError(
            "target is a Keras model without defined inputs (a Sequential model that was never built); "
            "start it with keras.Input(shape) or call model.build((None, height, width, channels))."
        ) from exc
    if not inputs:
        raise ValueError("target is a Keras model without defined inputs; start it with keras.Input(shape).")
    return inputs


def _map_shape(shape):
    if len(shape) == 3:
        return tuple(int(s) for s in shape)
    if len(shape) == 1:
        return (1, 1, int(shape[0]))
    if len(shape) == 2:
        return (1, int(shape[0]), int(shape[1]))
    raise ValueError(f"cannot show an output of shape {shape} as maps (height, width, maps).")


def resolve_target(target):
    """A :class:`Target` for a fitted KerasCNNClassifier, a Pipeline ending in one, or a keras.Model.

    Parameters
    ----------
    target : KerasCNNClassifier, sklearn Pipeline or keras.Model
        A fitted estimator exposes its network as ``model_``; in a Pipeline the
        steps before the last one turn raw images into the network's input.

    Returns
    -------
    Target

    Raises
    ------
    ValueError
        If ``target`` is none of these, is not fitted, or its model has no
        defined input.

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3)])
    >>> resolve_target(model).layer_shape("conv1")
    (6, 6, 2)
    >>> resolve_target("model")
    Traceback (most recent call last):
    ...
    ValueError: target must be a fitted KerasCNNClassifier, a Pipeline ending in one, or a keras.Model; got str.
    """
    if isinstance(target, Target):
        return target
    steps = getattr(target, "steps", None)
    pre_steps = []
    estimator = target
    if isinstance(steps, list) and steps:
        pre_steps = [step for _, step in steps[:-1] if step is not None and step != "passthrough"]
        estimator = steps[-1][1]
    if hasattr(estimator, "model_") or (hasattr(estimator, "get_params") and hasattr(estimator, "fit")):
        model = getattr(estimator, "model_", None)
        if model is None:
            raise ValueError(
                f"target's {type(estimator).__name__} is not fitted (it has no model_); call fit first."
            )
        return Target(model, pre_steps, getattr(estimator, "classes_", None))
    if hasattr(target, "layers") and hasattr(target, "get_weights"):
        keras, _ = import_keras()
        if isinstance(target, keras.Model):
            return Target(target)
    raise ValueError(
        "target must be a fitted KerasCNNClassifier, a Pipeline ending in one, or a keras.Model; "
        f"got {type(target).__name__}."
    )
