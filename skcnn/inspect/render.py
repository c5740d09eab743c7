"""Render any objective: the images that maximize it, climbed from faint multiscale noise.

:meth:`~skcnn.inspect.OIPInspector.render` runs here; :class:`RenderResult`
is what it returns. The images start in units of the model's input range
(faint noise around the range's middle) and the engine keeps them inside the
range.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._repr import ShortReprMixin
from .._validation import check_number
from .images import from_range_units
from .objectives import as_objectives
from .starts import multiscale_start

__all__ = ["RenderResult"]


def render_objectives(inspector, objective, *, steps, learning_rate, param, decorrelate, transforms, amplitude,
                      random_state, image_shape, output):
    """The body of :meth:`~skcnn.inspect.OIPInspector.render` (parameters as there)."""
    begin = time.perf_counter()
    steps, learning_rate, _ = inspector._check_common(steps, learning_rate, None)
    amplitude = check_number(amplitude, "amplitude", strict=True)
    objectives = as_objectives(objective)
    resolved = inspector._sized(image_shape, output)
    shape = resolved.input_shape
    if decorrelate == "auto":
        decorrelate = shape[2] == 3
    rng = np.random.default_rng(random_state)
    starts = multiscale_start(range(len(objectives)), 1, shape, rng, amplitude=amplitude)[:, 0]
    starts = from_range_units(starts, resolved.input_range)
    engine = inspector._engine_for(resolved, None, param=param, decorrelate=decorrelate, transforms=transforms)
    result = engine.run(starts, objective=objectives, steps=steps, learning_rate=learning_rate,
                        random_state=int(rng.integers(2**31 - 1)), verbose=inspector.verbose, description="render")
    return RenderResult(objectives=[repr(o) for o in objectives], images=result.images,
                        images_pixels=resolved.to_pixels(result.images), activations=result.scores,
                        objective_history=result.objective_history, seconds=time.perf_counter() - begin)


@dataclass(repr=False)
class RenderResult(ShortReprMixin):
    """What :meth:`OIPInspector.render` returns.

    Attributes
    ----------
    objectives : list of str
        The objectives, one per image.
    images : ndarray of shape (n, h, w, c)
        Model space.
    images_pixels : ndarray or None
        Pixel space (through a Pipeline's inverse steps).
    activations : ndarray of shape (n,)
        Each image's objective at the end.
    objective_history : ndarray of shape (steps, n)
    seconds : float

    Examples
    --------
    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(
    ...     2, 3, activation="relu", name="c1", kernel_initializer=keras.initializers.GlorotUniform(0))])
    >>> from skcnn.inspect import OIPInspector
    >>> from skcnn.inspect.objectives import channel
    >>> result = OIPInspector(model).render([channel("c1", 0), channel("c1", 1)], steps=5, random_state=0)
    >>> len(result.objectives), result.images.shape, result.objective_history.shape
    (2, (2, 8, 8, 1), (5, 2))
    """

    objectives: list
    images: np.ndarray
    images_pixels: np.ndarray | None
    activations: np.ndarray
    objective_history: np.ndarray
    seconds: float = 0.0
