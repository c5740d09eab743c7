"""ActivationInspector: what every layer and map of a CNN outputs for given images.

The series follows digits through the convolutional layers: all maps of a
layer for one "4", three "4"s next to a "1" and a "2" with the points active
in all of them, and what the maps of one class have (or lack) compared to
another. :meth:`ActivationInspector.activations` gives the raw numbers,
:meth:`ActivationInspector.class_signature` the per-class summary; the
pictures are in :mod:`skcnn.plotting` (``plot_maps``, ``plot_maps_compare``,
``plot_class_signature``).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from .._repr import ShortReprMixin
from .._validation import check_int
from ._core.batch import batch_bounds
from ._core.model import resolve_model
from ._core.probe import Probe

__all__ = ["ActivationInspector", "ClassSignature", "ClassContrast"]


@dataclass(repr=False)
class ClassContrast(ShortReprMixin):
    """What separates class ``a`` from class ``b`` at one layer.

    Attributes
    ----------
    a, b : object
        The two class labels.
    map_difference : ndarray of shape (maps,)
        Mean activation of each map for ``a`` minus that for ``b``.
    point_difference : ndarray of shape (h, w, maps)
        The same per point.
    only_a : ndarray of int
        Maps active in at least ``frequent`` of the ``a`` images but in at
        most ``rare`` of the ``b`` images (what ``a`` has and ``b`` lacks).
    only_b : ndarray of int
        The reverse.
    points_only_a, points_only_b : ndarray of shape (k, 3)
        ``(row, col, map)`` of the points with the same property, point by
        point (on deep layers most maps fire for every digit somewhere; which
        of their points fire tells the classes apart).
    ranking : ndarray of int
        Maps ordered by how strongly they separate the classes
        (``|map_difference|``, largest first).

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
    ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> from skcnn.inspect import ActivationInspector
    >>> X, y = np.random.default_rng(0).normal(size=(40, 8, 8)), np.repeat([0, 1], 20)
    >>> contrast = ActivationInspector(model).class_signature(X, y, "c1").contrast(0, 1)
    >>> contrast.a, contrast.b, contrast.map_difference.shape
    (0, 1, (2,))
    """

    a: object
    b: object
    map_difference: np.ndarray
    point_difference: np.ndarray
    only_a: np.ndarray
    only_b: np.ndarray
    points_only_a: np.ndarray
    points_only_b: np.ndarray
    ranking: np.ndarray


@dataclass(repr=False)
class ClassSignature(ShortReprMixin):
    """Per-class summary of one layer's activations.

    Attributes
    ----------
    layer : str
        Keras name of the layer.
    classes : ndarray
        Class labels, in the order of the arrays' first axis.
    counts : ndarray of shape (n_classes,)
        Images per class.
    mean_points : ndarray of shape (n_classes, h, w, maps)
        Mean activation per class, map and point.
    mean_maps : ndarray of shape (n_classes, maps)
        Mean activation per class and map (over images and points).
    active_fraction : ndarray of shape (n_classes, maps)
        Fraction of the class's images in which the map has at least one point
        above ``threshold``.
    point_active_fraction : ndarray of shape (n_classes, h, w, maps)
        Fraction of the class's images in which each point is above ``threshold``.
    silent : dict of label -> ndarray of int
        Maps that stay at or below ``threshold`` at every point of every image
        of the class.
    threshold : float
        Activation above which a point counts as active.

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
    ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> from skcnn.inspect import ActivationInspector
    >>> X, y = np.random.default_rng(0).normal(size=(40, 8, 8)), np.repeat([0, 1], 20)
    >>> signature = ActivationInspector(model).class_signature(X, y, "c1")
    >>> signature.classes.tolist(), signature.mean_maps.shape
    ([0, 1], (2, 2))
    """

    layer: str
    classes: np.ndarray
    counts: np.ndarray
    mean_points: np.ndarray
    mean_maps: np.ndarray
    active_fraction: np.ndarray
    point_active_fraction: np.ndarray | None = None
    silent: dict = field(default_factory=dict)
    threshold: float = 0.0

    def _row(self, label):
        matches = np.flatnonzero(self.classes == label)
        if len(matches) == 0:
            raise ValueError(f"class {label!r} is not among the classes {self.classes.tolist()}.")
        return int(matches[0])

    def contrast(self, a, b, *, frequent=0.5, rare=0.1):
        """What class ``a`` has that class ``b`` lacks, and the reverse.

        Parameters
        ----------
        a, b : label
            Two of :attr:`classes`.
        frequent : float, default=0.5
            A map "belongs" to a class when it is active in at least this
            fraction of the class's images.
        rare : float, default=0.1
            ... and "is missing" from the other class when it is active in at
            most this fraction of that class's images.

        Returns
        -------
        ClassContrast

        Examples
        --------
        >>> import numpy as np
        >>> fractions = np.array([[1.0, 0.0], [0.0, 1.0]])
        >>> sig = ClassSignature("c", np.array([4, 9]), np.array([3, 3]), np.zeros((2, 1, 1, 2)),
        ...                      np.array([[1.0, 0.0], [0.0, 2.0]]), fractions, fractions.reshape(2, 1, 1, 2))
        >>> c = sig.contrast(4, 9)
        >>> c.only_a.tolist(), c.only_b.tolist(), c.points_only_a.tolist(), c.ranking.tolist()
        ([0], [1], [[0, 0, 0]], [1, 0])
        """
        for name, value in (("frequent", frequent), ("rare", rare)):
            if not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a fraction in [0, 1], got {value!r}.")
        ia, ib = self._row(a), self._row(b)
        diff = self.mean_maps[ia] - self.mean_maps[ib]
        fa, fb = self.active_fraction[ia], self.active_fraction[ib]
        if self.point_active_fraction is None:
            points_a = points_b = np.zeros((0, 3), dtype=int)
        else:
            pa, pb = self.point_active_fraction[ia], self.point_active_fraction[ib]
            points_a = np.argwhere((pa >= frequent) & (pb <= rare))
            points_b = np.argwhere((pb >= frequent) & (pa <= rare))
        return ClassContrast(
            a=a, b=b, map_difference=diff, point_difference=self.mean_points[ia] - self.mean_points[ib],
            only_a=np.flatnonzero((fa >= frequent) & (fb <= rare)),
            only_b=np.flatnonzero((fb >= frequent) & (fa <= rare)),
            points_only_a=points_a, points_only_b=points_b,
            ranking=np.argsort(-np.abs(diff), kind="stable"),
        )


def _map_array(out):
    """A layer's output as maps ``(n, h, w, maps)``; flat outputs as ``(n, 1, 1, units)``."""
    if out.ndim == 2:
        return out[:, None, None, :]
    if out.ndim == 3:
        return out[:, None, :, :]
    if out.ndim != 4:
        raise ValueError(f"cannot show an output of shape {out.shape[1:]} as maps (height, width, maps).")
    return out


class ActivationInspector:
    """Activations of a CNN's layers and maps for given images.

    Parameters
    ----------
    model : KerasCNNClassifier, Pipeline or keras.Model
        A fitted classifier, a Pipeline ending in one (raw images pass
        through its preceding steps), or any Keras image model: Sequential
        or functional, any number of channels, nested models (their layers
        named by a path such as ``"base/block_3_expand"``).
    batch_size : int, default=256
        Images per forward pass.
    device : {"auto", "cpu", "gpu"} or str, optional
        Where to compute; default: the estimator's ``device``, or ``"auto"``
        for a bare model.

    Attributes
    ----------
    model_ : InspectedModel
        The resolved model with its layers and pre-processing.

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)),
    ...                           keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
    ...                           keras.layers.MaxPooling2D(name="p1")])
    >>> inspector = ActivationInspector(model)
    >>> acts = inspector.activations(np.zeros((5, 64)))
    >>> {name: a.shape for name, a in acts.items()}
    {'c1': (5, 6, 6, 4), 'p1': (5, 3, 3, 4)}
    >>> inspector.activations(np.zeros((2, 8, 8)), layers="conv1")["conv1"].shape
    (2, 6, 6, 4)
    """

    def __init__(self, model, *, batch_size=256, device=None):
        self.batch_size = check_int(batch_size, "batch_size")
        self.device = device
        self.model_ = resolve_model(model, device=device)
        self._probe = Probe(self.model_)

    def _layer_keys(self, layers):
        resolved = self.model_
        if layers is None:
            chosen = [i for i, layer in enumerate(resolved.layers) if len(layer.output.shape) == 4]
            if not chosen:
                raise ValueError("the model has no layer with maps (outputs of shape (n, h, w, maps)); "
                                 "pass layers= explicitly.")
            return [(resolved.paths[i], i) for i in chosen]
        if isinstance(layers, (str, numbers.Integral)) or not hasattr(layers, "__iter__"):
            layers = [layers]
        keys = []
        for layer in layers:
            index = resolved.layer_index(layer)
            keys.append((layer if isinstance(layer, str) else resolved.paths[index], index))
        if not keys:
            raise ValueError("layers must name at least one layer (or be None for all layers with maps).")
        return keys

    def _batches(self, images, indices, batch_size):
        """``(start, [maps of each layer])`` for each batch of ``images``, through one compiled forward pass."""
        size = tuple(images.shape[1:3])
        own = size == tuple(self.model_.input_shape[:2])
        run = self._probe.forward(indices, size=None if own else (None, None))
        for start, stop in batch_bounds(len(images), batch_size):
            try:
                outs = run(images[start:stop])
            except Exception as exc:  # noqa: BLE001 - the backend's own error for a size the layers refuse
                if own:
                    raise
                raise ValueError(f"the model cannot take images of {size[0]}x{size[1]} up to these layers (it was "
                                 f"built for {self.model_.input_shape[:2]}; only convolutional parts take other "
                                 f"sizes).") from exc
            yield start, [_map_array(out) for out in outs]

    def activations(self, X, layers=None, *, batch_size=None):
        """Outputs of the given layers for images ``X``.

        Parameters
        ----------
        X : array-like
            Raw images: flat ``(n, pixels)``, ``(n, h, w)`` or ``(n, h, w, c)``,
            as the target was trained on (a Pipeline's steps are applied).
            Without preprocessing steps, images ``(n, h, w, c)`` larger than
            the model's input go through layers that allow it (convolutions
            and poolings), giving larger maps.
        layers : str, int or list of them, optional
            Keras names or paths (``"base/block_3_expand"`` in a nested model),
            indices or aliases (``"conv1"``, ``"pool1"``, ...).
            Default: every layer whose output has maps.
        batch_size : int, optional
            Overrides the inspector's ``batch_size``.

        Returns
        -------
        dict of str -> ndarray of shape (n, h, w, maps)
            Keyed by the names as given (Keras names for the default); flat
            outputs (dense layers) come as ``(n, 1, 1, units)``.
        """
        batch_size = check_int(self.batch_size if batch_size is None else batch_size, "batch_size")
        keys = self._layer_keys(layers)
        images = self.model_.to_model(X, any_size=True)
        indices = [i for _, i in keys]
        result = None
        for start, outs in self._batches(images, indices, batch_size):
            if result is None:
                result = [np.empty((len(images),) + out.shape[1:], dtype=np.float32) for out in outs]
            for buffer, out in zip(result, outs):
                buffer[start:start + len(out)] = out
        return {key: buffer for (key, _), buffer in zip(keys, result)}

    def class_signature(self, X, y, layer, *, threshold=0.0, batch_size=None):
        """Per-class mean activations, active fractions and silent maps of one layer.

        Parameters
        ----------
        X : array-like
            Raw images (see :meth:`activations`).
        y : array-like of shape (n,)
            Class labels of the images.
        layer : str or int
            The layer.
        threshold : float, default=0.0
            A point counts as active above this value.
        batch_size : int, optional

        Returns
        -------
        ClassSignature

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
        ...     2, 3, activation="relu", kernel_initializer="ones", bias_initializer="zeros")])
        >>> X = np.concatenate([np.ones((3, 64)), -np.ones((3, 64))])
        >>> sig = ActivationInspector(model).class_signature(X, [0, 0, 0, 1, 1, 1], "conv1")
        >>> sig.silent[1].tolist(), sig.active_fraction.tolist()
        ([0, 1], [[1.0, 1.0], [0.0, 0.0]])
        """
        batch_size = check_int(self.batch_size if batch_size is None else batch_size, "batch_size")
        if not isinstance(threshold, numbers.Real) or not np.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, got {threshold!r}.")
        images = self.model_.to_model(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(images):
            raise ValueError(f"y must be one label per image: shape ({len(images)},); got {y.shape}.")
        index = self.model_.layer_index(layer)
        classes, codes = np.unique(y, return_inverse=True)
        sums = None
        for start, (out,) in self._batches(images, [index], batch_size):
            out = out.astype(np.float64)
            if sums is None:
                h, w, m = out.shape[1:]
                sums = np.zeros((len(classes), h, w, m))
                active = np.zeros((len(classes), m))
                active_points = np.zeros((len(classes), h, w, m))
                peak = np.full((len(classes), m), -np.inf)
            code = codes[start:start + len(out)]
            np.add.at(sums, code, out)
            np.add.at(active_points, code, out > threshold)
            top = out.max(axis=(1, 2))
            np.add.at(active, code, top > threshold)
            np.maximum.at(peak, code, top)
        counts = np.bincount(codes, minlength=len(classes))
        mean_points = sums / counts[:, None, None, None]
        return ClassSignature(
            layer=self.model_.paths[index], classes=classes, counts=counts,
            mean_points=mean_points.astype(np.float32), mean_maps=mean_points.mean(axis=(1, 2)).astype(np.float32),
            active_fraction=active / counts[:, None],
            point_active_fraction=(active_points / counts[:, None, None, None]).astype(np.float32),
            silent={label: np.flatnonzero(peak[k] <= threshold) for k, label in enumerate(classes)},
            threshold=float(threshold),
        )

    def common_points(self, X, layer, *, threshold=0.0):
        """Points active (above ``threshold``) in every one of the images ``X``.

        Returns
        -------
        ndarray of bool, shape (h, w, maps)

        Examples
        --------
        >>> import numpy as np, keras
        >>> model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.ReLU(name="r")])
        >>> X = np.array([[1.0] * 8 + [0.0] * 8, [1.0] * 4 + [0.0] * 12])
        >>> ActivationInspector(model).common_points(X, "r")[..., 0].sum(axis=1).tolist()
        [4, 0, 0, 0]
        """
        acts = next(iter(self.activations(X, [layer]).values()))
        return np.all(acts > threshold, axis=0)
