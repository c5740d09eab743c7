"""Demo section: the CNN dreams on scikit-learn's flower photo (reference 003), and so does an RGB InceptionV3."""

from __future__ import annotations

import numpy as np

from ._context import Section


def run(ctx) -> Section:
    from .. import plotting
    from ..datasets import load_flower
    from ..inspect import DreamInspector

    cnn = ctx.shared.get("cnn")
    if cnn is None:
        raise ValueError("the dream section needs the CNN section to run first (it trains the network).")
    size = 140 if ctx.quick else 560
    steps = 5 if ctx.quick else 20
    photo = load_flower(size)
    inspector = DreamInspector(cnn)
    lines, images = [], []
    for method in ("rescale", "octaves", "tiles"):
        ctx.log(f"dream: {method} on the {size}x{size} flower")
        import time

        start = time.perf_counter()
        result = inspector.dream(photo, "conv3", method=method, loops=4, octaves=4, steps=steps,
                                 random_state=ctx.random_state)
        seconds = time.perf_counter() - start
        change = np.abs(result.image.astype(float) - photo).mean()
        lines.append(f"{method:8s} {seconds:6.1f} s   mean |change| {change:5.1f} of 255   "
                     f"layer objective per loop: {', '.join(f'{s:.2f}' for s in result.scores)}")
        stages = result.small if method == "rescale" else result.intermediates[:-1]
        names = (["original"] + [f"28x28 after loop {k + 1}" for k in range(len(stages))] + ["dream"]
                 if method == "rescale" else None)
        fig = plotting.plot_dream(photo, result.image, intermediates=stages, titles=names, size=2.6,
                                  title=f'"{method}": the whole conv3 layer dreams on the flower')
        images.append((ctx.save(fig, f"dream_{method}.png"),
                       f"Method '{method}': {seconds:.1f} s, {steps} steps per loop/level."))
    lines.append(_inception_dream(ctx, images))
    text = "\n".join(lines)
    print("\n== Dreams (conv3, whole layer; InceptionV3) ==\n" + text)
    return Section("Dreams of the CNN on a flower photo", text, images)


def _inception_dream(ctx, images):
    """A random-weight InceptionV3 (no download) dreams on the RGB flower: its own colours, the whole image."""
    import time

    import keras

    from .. import plotting
    from ..datasets import load_flower
    from ..inspect import DreamInspector

    start = time.perf_counter()
    keras.utils.set_random_seed(ctx.random_state)
    network = keras.applications.InceptionV3(weights=None, include_top=False)
    size, octaves, steps, layers = (128, 2, 2, ["mixed2"]) if ctx.quick else (160, 3, 4, ["mixed3", "mixed5"])
    photo = load_flower(size)
    ctx.log(f"dream: random-weight InceptionV3, {' + '.join(layers)}, on the {size}x{size} RGB flower")
    inspector = DreamInspector(network, preprocess=lambda x: x / 127.5 - 1.0, deprocess=lambda x: (x + 1.0) * 127.5)
    result = inspector.dream(photo, layers, method="octaves", octaves=octaves, steps=steps, learning_rate=0.015,
                             random_state=ctx.random_state)
    seconds = time.perf_counter() - start
    gains = ", ".join(f"{h[0]:.3f} -> {h[-1]:.3f}" for h in result.objective_history)
    fig = plotting.plot_dream(photo, result.image, intermediates=result.intermediates[:-1], size=2.6,
                              title=f"InceptionV3 (random weights), {' + '.join(layers)}: octaves on the RGB flower")
    images.append((ctx.save(fig, "dream_inception.png"),
                   f"A random-weight InceptionV3 dreams on the whole RGB image ({octaves} octaves of {steps} steps, "
                   f"tiled gradients with a random roll): {seconds:.1f} s with building the network."))
    return (f"InceptionV3 {seconds:5.1f} s   {' + '.join(layers)}, objective per octave (start -> end): {gains}")
