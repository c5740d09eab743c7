"""What an inspector looks into: a fitted estimator, a Pipeline ending in one, or a keras.Model.

:func:`resolve_model` turns any of these into a :class:`InspectedModel`: the Keras
model, its layers under their Keras names and the aliases ``conv1``,
``pool1``, ``conv2``, ..., the way from raw images into model space (the
Pipeline's preceding steps, then a reshape) and, where the steps can be
inverted, the way back from model space to pixel space for display.

Any Keras 3 image model works: Sequential or functional, with 1, 3 or more
channels, square or not, and with nested sub-models (transfer learning:
``Rescaling -> MobileNetV2 -> Dense``), whose layers are named by a path
such as ``"mobilenetv2_1.00_96/block_3_expand"`` (a layer's bare name works
too where it is unique). Where the layers up to the one inspected are
convolutional, images larger than the model's input go through as well.

Sub-models are built from ``model.inputs`` and layer outputs, never from
``model.input``, which a Sequential model that was never called does not have
in Keras 3. A layer inside a nested model is reached by calling the nested
model's own sub-model on the tensor that feeds the nested model.

The resolved model also carries the device the inspectors compute on
(:attr:`InspectedModel.device`: the estimator's ``device``, or the inspector's
``device=`` for a bare model); every inspector runs its TensorFlow calls
inside ``with model.device_scope():``.
"""

from __future__ import annotations

import copy

import numpy as np

from ..._validation import is_int
# the one place Keras is imported, on first use
from ..._keras import check_device, device_name, import_keras, named_device_scope

__all__ = ["InspectedModel", "resolve_model", "device_name", "inference_copy", "import_keras", "split_activation"]

_MAX_LISTED = 40  # layers named in an error message

_CONV_TYPES = ("Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose")
_POOL_TYPES = ("MaxPooling2D", "AveragePooling2D", "MaxPooling1D", "AveragePooling1D")


class InspectedModel:
    """A Keras model seen through the steps that feed it.

    Built by :func:`resolve_model`; inspectors keep one and users rarely
    make one themselves.

    Parameters
    ----------
    model : keras.Model
        The network: Sequential, functional or subclassed (built or called
        once), nested sub-models allowed.
    pre_steps : list of sklearn transformers, optional
        Fitted steps that turn raw samples into the network's input (the
        Pipeline's steps before the classifier).
    classes : array-like, optional
        Class labels of the classifier's outputs.
    device : {"auto", "cpu", "gpu"} or str, optional
        Where the inspectors compute: ``"auto"`` (None) takes the first GPU
        if the backend sees one, else the CPU; a device name such as
        ``"gpu:1"`` (or TensorFlow's ``"/GPU:1"``) is used as given.
    output : str or int, optional
        The output to explain, for a model with several (see
        :func:`resolve_model`).
    input_range : (float, float), optional
        ``(low, high)`` of the values the network takes (see
        :func:`resolve_model`).

    Attributes
    ----------
    model : keras.Model
        The functional graph inspected: the network itself, or for a
        subclassed network ``input -> network -> outputs``.
    network : keras.Model
        The network as given.
    output_names : list of str
        One name per output (the layer that gives it).
    output : int or None
        The chosen output's position, if one was chosen.
    input_range : (float, float) or None
    input_shape : tuple
        ``(height, width, channels)`` of one model input; height and width
        are None for a model that takes images of any size.
    layers : list of keras.layers.Layer
        Every layer, input layers excluded; the layers of a nested model
        follow the nested model itself.
    paths : list of str
        The name of each layer in :attr:`layers`: its Keras name, after the
        names of the nested models that hold it (``"base/block_3_expand"``).
    aliases : dict of str -> int
        ``conv1``, ``pool1``, ... -> index into ``layers``.
    classes_ : ndarray or None
    device : str or None
        The device as requested (see :func:`device_name`).

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c"),
    ...                           keras.layers.MaxPooling2D(name="p")])
    >>> resolved = resolve_model(model)
    >>> resolved.input_shape, sorted(resolved.aliases)
    ((8, 8, 1), ['conv1', 'pool1'])
    >>> resolved.layer_index("pool1"), resolved.layer_name(0)
    (1, 'c')

    A nested model's layers are named by a path:

    >>> inner = keras.Sequential([keras.Input((8, 6, 3)), keras.layers.Conv2D(2, 3, name="c")], name="inner")
    >>> outer = keras.Sequential([keras.Input((8, 6, 3)), keras.layers.Rescaling(0.5, name="r"), inner])
    >>> resolved = resolve_model(outer)
    >>> resolved.paths, resolved.layer_shape("inner/c"), resolved.layer_name("conv1")
    (['r', 'inner', 'inner/c'], (6, 4, 2), 'inner/c')
    """

    def __init__(self, model, pre_steps=None, classes=None, *, device=None, output=None, input_range=None):
        self.model = model
        self.pre_steps = list(pre_steps or [])
        self.classes_ = None if classes is None else np.asarray(classes)
        self.device = check_device(device)
        keras = import_keras()
        self.network = model
        if isinstance(model, keras.Model) and _is_subclassed(model):
            model = _functional_wrapper(keras, model)
            self.model = model
        inputs = _model_inputs(model)
        if len(inputs) != 1:
            raise ValueError(f"model must be a model with exactly one input; this one has {len(inputs)}.")
        self.input_tensor = inputs[0]
        shape = tuple(inputs[0].shape[1:])
        if len(shape) == 2:
            shape = shape + (1,)
        if len(shape) != 3 or shape[2] is None:
            raise ValueError(
                f"model must take images (height, width, channels) with a fixed number of channels; its input "
                f"shape is {tuple(inputs[0].shape)}."
            )
        self.input_shape = tuple(None if s is None else int(s) for s in shape)
        self.input_range = check_input_range(input_range)
        self.layers, self.paths, self._parents = [], [], []
        self._collect(keras, model, "", None)
        self._by_path = {path: index for index, path in enumerate(self.paths)}
        self.aliases = {}
        counts = {"conv": 0, "pool": 0}
        for index, layer in enumerate(self.layers):
            kind = type(layer).__name__
            prefix = "conv" if kind in _CONV_TYPES else "pool" if kind in _POOL_TYPES else None
            if prefix:
                counts[prefix] += 1
                self.aliases.setdefault(f"{prefix}{counts[prefix]}", index)
        self._submodels = {}
        self._tensors = {}
        self._device_name = None
        self.output_names = _output_names(model)
        self.output = None if output is None else self._output_position(output)

    def _collect(self, keras, model, prefix, parent):
        for layer in model.layers:
            if type(layer).__name__ == "InputLayer":
                continue
            index = len(self.layers)
            self.layers.append(layer)
            self.paths.append(prefix + layer.name)
            self._parents.append(parent)
            if isinstance(layer, keras.Model):
                self._collect(keras, layer, f"{prefix}{layer.name}/", index)

    # ------------------------------------------------------------------ device
    def device_scope(self):
        """A context (``keras.device``) in which the inspectors run their backend calls.

        Examples
        --------
        >>> import keras
        >>> resolved = resolve_model(keras.Sequential([keras.Input((4, 4, 1)), keras.layers.ReLU()]), device="cpu")
        >>> with resolved.device_scope():
        ...     pass
        """
        if self._device_name is None:
            self._device_name = device_name(self.device)
        return named_device_scope(self._device_name)

    # ------------------------------------------------------------------ layers
    def layer_index(self, layer):
        """Index into :attr:`layers` of a layer given by path, Keras name, alias, index or object.

        Raises
        ------
        ValueError
            If no such layer exists (the message lists the names that do), or
            a bare Keras name is used by layers of several nested models.
        """
        if is_int(layer):
            n = len(self.layers)
            if not -n <= layer < n:
                raise ValueError(f"layer index {layer} is out of range for a model with {n} layers.")
            return int(layer) % n
        if isinstance(layer, str):
            if layer in self._by_path:
                return self._by_path[layer]
            matches = [i for i, candidate in enumerate(self.layers) if candidate.name == layer]
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise ValueError(f"layer {layer!r} names several layers ({', '.join(self.paths[i] for i in matches)}); "
                                 "give its path.")
            if layer in self.aliases:
                return self.aliases[layer]
        else:
            for index, candidate in enumerate(self.layers):
                if candidate is layer:
                    return index
        names = [f"{i}: {p}" for i, p in enumerate(self.paths)]
        if len(names) > _MAX_LISTED:
            names = names[:_MAX_LISTED] + [f"... ({len(names) - _MAX_LISTED} more, see InspectedModel.paths)"]
        aliases = sorted(set(self.aliases) - set(self.paths))
        raise ValueError(
            f"layer must be a Keras layer name or path, an index or an alias like 'conv1'; got {layer!r}. "
            f"Layers: {', '.join(names)}" + (f"; aliases: {', '.join(aliases)}." if aliases else ".")
        )

    def layer_name(self, layer):
        """The path of a layer given in any accepted form (its Keras name unless it sits in a nested model)."""
        return self.paths[self.layer_index(layer)]

    def display_name(self, layer):
        """The alias of a layer (``conv2``) if it has one, else its path."""
        index = self.layer_index(layer)
        for alias, i in self.aliases.items():
            if i == index:
                return alias
        return self.paths[index]

    def layer_shape(self, layer):
        """``(height, width, maps)`` of a layer's output; flat outputs count as ``(1, 1, units)``.

        Height and width are None where they depend on the image size.
        """
        return _map_shape(tuple(self._tensor(self.layer_index(layer)).shape[1:]))

    def conv_layers(self):
        """Paths of the convolution layers, in order."""
        return [self.paths[i] for a, i in sorted(self.aliases.items(), key=lambda t: t[1]) if a.startswith("conv")]

    def _tensor(self, index, inputs_of=False):
        """The symbolic output (or input) of ``layers[index]`` in the graph that starts at the model's input."""
        key = (index, inputs_of)
        if key not in self._tensors:
            layer, parent = self.layers[index], self._parents[index]
            if parent is None:
                self._tensors[key] = _node_tensor(layer, _model_inputs(self.model), inputs_of)
            else:
                keras = import_keras()
                nested = self.layers[parent]
                if _is_subclassed(nested):
                    raise ValueError(
                        f"layer {self.paths[index]!r} sits inside the subclassed model {nested.name!r}, whose inner "
                        "tensors Keras does not expose. Inspect the model's output, or expose the layer: build the "
                        "network functionally (keras.Model(inputs, outputs)), or return the layer's output from "
                        "call() as one more output.")
                graph_inputs = _model_inputs(nested)
                inner = keras.Model(graph_inputs[0] if len(graph_inputs) == 1 else graph_inputs,
                                    _node_tensor(layer, graph_inputs, inputs_of))
                inner.input_spec = None
                self._tensors[key] = inner(self._tensor(parent, inputs_of=True))
        return self._tensors[key]

    def submodel(self, layers, *, inputs_of=False):
        """A keras.Model from the network's input to the given layers' outputs (or inputs); cached.

        The sub-model checks no input shape, so that images larger than the
        model's input pass wherever its layers allow them (convolutions and
        poolings do; a Flatten before a Dense does not).
        """
        keras = import_keras()
        indices = tuple(self.layer_index(layer) for layer in layers)
        key = (indices, inputs_of)
        if key not in self._submodels:
            model = keras.Model(self.input_tensor, [self._tensor(i, inputs_of) for i in indices])
            model.input_spec = None
            self._submodels[key] = model
        return self._submodels[key]

    # ---------------------------------------------------------------- outputs
    def _output_position(self, output):
        names = self.output_names
        if is_int(output) and -len(names) <= output < len(names):
            return int(output) % len(names)
        if isinstance(output, str) and output in names:
            return names.index(output)
        raise ValueError(f"output must be the name or index of one of the model's outputs ({self._outputs_text()}); "
                         f"got {output!r}.")

    def _outputs_text(self):
        return ", ".join(f"{i}: {name!r} {tuple(t.shape[1:])}"
                         for i, (name, t) in enumerate(zip(self.output_names, self.model.outputs)))

    @property
    def output_index(self):
        """Position of the explained output among ``model.outputs``.

        The one output of a single-output model; for a model with several
        outputs, the one chosen with ``output=`` (a ValueError that lists them
        when none was chosen: the runtime never picks one silently).
        """
        if self.output is not None:
            return self.output
        if len(self.output_names) == 1:
            return 0
        raise ValueError(f"model has {len(self.output_names)} outputs ({self._outputs_text()}); choose the one to "
                         "explain with output= (its name or index).")

    @property
    def output_layer(self):
        """Index into :attr:`layers` of the layer whose output is the explained output."""
        tensor = self.model.outputs[self.output_index]
        return self.layer_index(tensor._keras_history[0])

    @property
    def output_shape(self):
        """Shape of one sample of the explained output, e.g. ``(n_classes,)``."""
        return tuple(None if s is None else int(s) for s in self.model.outputs[self.output_index].shape[1:])

    # ------------------------------------------------------------ input range
    @property
    def input_scale(self):
        """Width of the input range (``high - low``), the unit of steps and start amplitudes; 1 without a range."""
        return 1.0 if self.input_range is None else float(self.input_range[1] - self.input_range[0])

    def image_shape(self, image_shape=None):
        """``(height, width, channels)`` of the images an inspector makes.

        The model's own input shape, or ``image_shape`` (``(height, width)``
        or ``(height, width, channels)``) where given; a model that takes
        images of any size needs ``image_shape``.
        """
        channels = self.input_shape[2]
        if image_shape is None:
            if None in self.input_shape[:2]:
                raise ValueError(f"image_shape is required for a model whose input size is unknown "
                                 f"{(None, None, channels)}: give image_shape=(height, width).")
            return self.input_shape
        shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else ()
        if (len(shape) not in (2, 3) or not all(is_int(v) and v > 0 for v in shape)
                or (len(shape) == 3 and shape[2] != channels)):
            raise ValueError(f"image_shape must be (height, width) or (height, width, {channels}) with positive "
                             f"integers; got {image_shape!r}.")
        return (int(shape[0]), int(shape[1]), channels)

    # ---------------------------------------------------------------- images
    @property
    def has_pixel_space(self):
        """True when model-space images can be mapped back to pixel space (every step inverts)."""
        return all(hasattr(step, "inverse_transform") for step in self.pre_steps)

    def to_model(self, X, *, name="X", any_size=False):
        """Raw samples (flat, ``(n, h, w)`` or ``(n, h, w, c)``) -> float32 model inputs ``(n, h, w, c)``.

        With ``any_size=True`` (and no preprocessing steps), or for a model
        that takes any size, images ``(n, h, w, c)`` keep their own height and
        width.
        """
        X = np.asarray(X)
        if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
            raise ValueError(f"{name} must be a numeric array of images, got dtype {X.dtype}.")
        if X.ndim not in (2, 3, 4):
            raise ValueError(
                f"{name} must be flat (n, pixels), (n, height, width) or (n, height, width, channels); got shape "
                f"{X.shape}."
            )
        if len(X) == 0:
            raise ValueError(f"{name} must hold at least one image; got an empty array.")
        height, width, channels = self.input_shape
        fixed = height is not None and width is not None
        own_size = (X.ndim == 4 and X.shape[3] == channels) or (X.ndim == 3 and channels == 1)
        if (any_size or not fixed) and not self.pre_steps and own_size:
            X = X.reshape(X.shape[:3] + (channels,)).astype(np.float32, copy=False)
        elif not fixed:
            raise ValueError(f"{name} must be images of shape (n, height, width, {channels}) for this model, which "
                             f"takes any size; got shape {X.shape}.")
        else:
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


def inference_copy(model, dtype="float32"):
    """A copy of a functional ``model`` for inference-mode gradients: batch norms folded, in ``dtype``.

    Every ``BatchNormalization`` that follows a ``Conv2D`` (and is that
    convolution's only use) is folded into it: in inference mode it is an
    affine map per channel, so the convolution's kernel and bias absorb it
    exactly (up to rounding), and neither the normalization nor, in a mixed
    precision, its casts to float32 and back are computed any more. With
    ``dtype="bfloat16"`` the copy computes in ``mixed_bfloat16`` (float32
    weights). The copy shares no state with ``model``; nested models are kept
    as they are.

    Parameters
    ----------
    model : keras.Model
        A functional model (e.g. from :meth:`InspectedModel.submodel`).
    dtype : {"float32", "bfloat16"}, default="float32"

    Returns
    -------
    keras.Model
        Same inputs and outputs as ``model`` (in inference mode).

    Examples
    --------
    >>> import numpy as np, keras
    >>> inputs = keras.Input((6, 6, 2))
    >>> x = keras.layers.Conv2D(3, 3, use_bias=False, name="c")(inputs)
    >>> model = keras.Model(inputs, keras.layers.BatchNormalization(name="bn")(x))
    >>> model.get_layer("bn").set_weights([np.full(3, 2.0), np.ones(3), np.zeros(3), np.full(3, 4.0)])
    >>> copy = inference_copy(model)
    >>> [type(layer).__name__ for layer in copy.layers[1:]]
    ['Conv2D', '_Folded']
    >>> x = np.random.default_rng(0).normal(size=(2, 6, 6, 2)).astype("float32")
    >>> bool(np.allclose(copy(x), model(x, training=False), atol=1e-5))
    True
    """
    keras = import_keras()
    if dtype not in ("float32", "bfloat16"):
        raise ValueError(f"dtype must be 'float32' or 'bfloat16'; got {dtype!r}.")
    policy = "float32" if dtype == "float32" else f"mixed_{dtype}"
    folded = {}  # conv name -> (kernel, bias); the batch norms that vanish
    vanish = set()
    for layer in model.layers:
        if type(layer).__name__ != "BatchNormalization" or len(layer._inbound_nodes) != 1:
            continue
        conv = layer.input._keras_history[0]
        if (type(conv).__name__ != "Conv2D" or len(conv._outbound_nodes) != 1 or conv.name in folded
                or layer.axis not in (-1, 3) or conv.get_config().get("data_format") != "channels_last"):
            continue
        variance = np.asarray(layer.moving_variance, dtype=np.float64)
        factor = 1.0 / np.sqrt(variance + layer.epsilon)
        if layer.gamma is not None:
            factor = factor * np.asarray(layer.gamma, dtype=np.float64)
        kernel = np.asarray(conv.kernel, dtype=np.float64) * factor
        bias = np.asarray(conv.bias, dtype=np.float64) if conv.use_bias else np.zeros_like(factor)
        bias = (bias - np.asarray(layer.moving_mean, dtype=np.float64)) * factor
        if layer.beta is not None:
            bias = bias + np.asarray(layer.beta, dtype=np.float64)
        folded[conv.name] = (kernel.astype(np.float32), bias.astype(np.float32))
        vanish.add(layer.name)

    def clone(layer):
        if isinstance(layer, keras.Model):
            return layer
        if layer.name in vanish:
            return _folded_layer(keras)(name=layer.name, dtype=policy)
        config = layer.get_config()
        if layer.name in folded:
            config["use_bias"] = True
        if "dtype" in config:
            config["dtype"] = policy
        return type(layer).from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    originals = {layer.name: layer for layer in model.layers}
    for layer in copy.layers:
        if isinstance(layer, keras.Model) or layer.name in vanish or layer.name not in originals:
            continue
        if layer.name in folded:
            layer.set_weights(list(folded[layer.name]))
        elif layer.weights:
            layer.set_weights(originals[layer.name].get_weights())
    copy.input_spec = None
    return copy


_FOLDED = []


def _folded_layer(keras):
    """The layer that stands where a folded batch norm was: it passes its input through."""
    if not _FOLDED:
        class _Folded(keras.layers.Layer):
            def call(self, inputs, mask=None, training=None):
                return inputs

        _FOLDED.append(_Folded)
    return _FOLDED[0]


def _node_tensor(layer, graph_inputs, inputs_of):
    """The layer's output (or input) tensor in the graph that starts at ``graph_inputs``.

    A layer called in several graphs (a shared base model) has one node per
    call; the node whose tensors hang off ``graph_inputs`` is the one meant.
    """
    attribute = "input_tensors" if inputs_of else "output_tensors"
    nodes = list(getattr(layer, "_inbound_nodes", []))
    candidates = []
    for node in nodes:
        tensors = list(getattr(node, attribute))
        candidates.append(tensors[0] if len(tensors) == 1 else tensors)
    if len(candidates) == 1:
        return candidates[0]
    keras = import_keras()
    for tensor in candidates:
        try:
            keras.Model(graph_inputs, tensor)
        except Exception:  # noqa: BLE001 - a node of another graph: not connected to these inputs
            continue
        return tensor
    return layer.input if inputs_of else layer.output


def split_activation(layer):
    """``(linear, activation)`` callables for a layer with an activation function, or None.

    ``linear(x)`` is the layer's output before its activation (the layer
    called with a linear activation for the time of the call), so that an
    inspector can climb a dead ReLU's input or explain a logit behind a
    softmax; a layer that is only an activation gives the identity.

    Examples
    --------
    >>> import numpy as np, keras
    >>> dense = keras.layers.Dense(2, activation="relu", kernel_initializer="ones", bias_initializer="zeros")
    >>> linear, activation = split_activation(dense)
    >>> x = np.full((1, 3), -1.0, "float32")
    >>> keras.ops.convert_to_numpy(linear(x)).tolist(), keras.ops.convert_to_numpy(dense(x)).tolist()
    ([[-3.0, -3.0]], [[0.0, 0.0]])
    >>> split_activation(keras.layers.Dense(2)) is None
    True
    """
    keras = import_keras()
    kind = type(layer).__name__
    if kind in ("Activation", "ReLU", "LeakyReLU", "ELU", "PReLU"):
        return (lambda x: x), layer
    activation = getattr(layer, "activation", None)
    if activation is None or activation is keras.activations.linear or not callable(activation):
        return None

    def linear(x):
        saved = layer.activation
        layer.activation = keras.activations.linear
        try:
            return layer(x)
        finally:
            layer.activation = saved

    return linear, activation


def check_input_range(input_range, name="input_range"):
    """``(low, high)`` as two finite floats with ``low < high``, or None; else a ValueError naming ``name``."""
    if input_range is None:
        return None
    try:
        low, high = (float(v) for v in input_range)
    except (TypeError, ValueError):
        low = high = None
    if low is None or not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{name} must be None or (low, high) with finite low < high; got {input_range!r}.")
    return (low, high)


def _is_subclassed(model):
    """True for a keras.Model written as a subclass (its graph is not known before it is called)."""
    return type(model).__name__ != "Sequential" and not _has_inputs(model)


def _has_inputs(model):
    try:
        return bool(list(model.inputs))
    except (AttributeError, ValueError):
        return False


def _functional_wrapper(keras, model):
    """``input -> model -> outputs`` as a functional model, for a subclassed model that was built or called."""
    shapes = list((getattr(model, "_build_shapes_dict", None) or {}).values())
    if not model.built or len(shapes) != 1 or not isinstance(shapes[0], (tuple, list)):
        raise ValueError(f"model is a subclassed Keras model ({type(model).__name__}) whose input shape is not "
                         "known; call it once on a batch of images (model(x)) or call "
                         "model.build((None, height, width, channels)) before inspecting it.")
    inputs = keras.Input(tuple(shapes[0])[1:])
    return keras.Model(inputs, model(inputs), name=f"{model.name}_graph")


def _output_names(model):
    """One name per ``model.outputs``: the producing layer's name, with ``:k`` where a layer gives several."""
    names = [t._keras_history[0].name for t in model.outputs]
    return [f"{name}:{t._keras_history[2]}" if names.count(name) > 1 else name
            for name, t in zip(names, model.outputs)]


def _model_inputs(model):
    try:
        inputs = list(model.inputs)
    except (AttributeError, ValueError) as exc:
        raise ValueError(
            "model is a Keras model without defined inputs (a Sequential model that was never built); "
            "start it with keras.Input(shape) or call model.build((None, height, width, channels))."
        ) from exc
    if not inputs:
        raise ValueError("model is a Keras model without defined inputs; start it with keras.Input(shape).")
    return inputs


def _map_shape(shape):
    shape = tuple(None if s is None else int(s) for s in shape)
    if len(shape) == 3:
        return shape
    if len(shape) == 1:
        return (1, 1) + shape
    if len(shape) == 2:
        return (1,) + shape
    raise ValueError(f"cannot show an output of shape {shape} as maps (height, width, maps).")


def resolve_model(model, *, device=None, output=None, input_range=None):
    """A :class:`InspectedModel` for a fitted KerasCNNClassifier, a Pipeline ending in one, or a keras.Model.

    Parameters
    ----------
    model : KerasCNNClassifier, sklearn Pipeline, keras.Model or InspectedModel
        A fitted estimator exposes its network as ``model_``; in a Pipeline the
        steps before the last one turn raw images into the network's input.
        Any Keras 3 image model works (see :class:`InspectedModel`).
    device : {"auto", "cpu", "gpu"} or str, optional
        Where the inspectors compute. None: the estimator's own ``device``,
        or ``"auto"`` for a bare model (see :func:`device_name`).
    output : str or int, optional
        Which output to explain, for a model with several (the name of the
        layer that gives it, or its position in ``model.outputs``). A model
        with several outputs and no ``output`` gets a ValueError listing them
        wherever an output is needed.
    input_range : (float, float), optional
        ``(low, high)`` of the values the network takes. The images the
        inspectors make stay inside it, and their steps and start amplitudes
        are measured in its units. None: the estimator's ``input_range_``
        (the training data's range, after a Pipeline's steps); for a bare
        ``keras.Model``, no range: images are not clipped and steps are in
        the input's own units.

    Returns
    -------
    InspectedModel

    Raises
    ------
    ValueError
        If ``model`` is none of these, is not fitted, or its model has no
        defined input.

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3)])
    >>> resolve_model(model).layer_shape("conv1")
    (6, 6, 2)
    >>> resolve_model("model")
    Traceback (most recent call last):
    ...
    ValueError: model must be a fitted KerasCNNClassifier, a Pipeline ending in one, or a keras.Model; got str.
    """
    if isinstance(model, InspectedModel):
        if device is None and output is None and input_range is None:
            return model
        moved = copy.copy(model)
        if device is not None:
            moved.device, moved._device_name = device, None
        if output is not None:
            moved.output = moved._output_position(output)
        if input_range is not None:
            moved.input_range = check_input_range(input_range)
        return moved
    steps = getattr(model, "steps", None)
    pre_steps = []
    estimator = model
    if isinstance(steps, list) and steps:
        pre_steps = [step for _, step in steps[:-1] if step is not None and step != "passthrough"]
        estimator = steps[-1][1]
    if hasattr(estimator, "model_") or (hasattr(estimator, "get_params") and hasattr(estimator, "fit")):
        network = getattr(estimator, "model_", None)
        if network is None:
            raise ValueError(
                f"model's {type(estimator).__name__} is not fitted (it has no model_); call fit first."
            )
        if device is None:
            device = getattr(estimator, "device", None)
        if input_range is None:
            input_range = getattr(estimator, "input_range_", None)
        return InspectedModel(network, pre_steps, getattr(estimator, "classes_", None), device=device, output=output,
                              input_range=input_range)
    if hasattr(model, "layers") and hasattr(model, "get_weights"):
        keras = import_keras()
        if isinstance(model, keras.Model):
            return InspectedModel(model, device=device, output=output, input_range=input_range)
    raise ValueError(
        "model must be a fitted KerasCNNClassifier, a Pipeline ending in one, or a keras.Model; "
        f"got {type(model).__name__}."
    )
