"""Demo section: the CNN dreams on scikit-learn's flower photo (reference 003)."""

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
    text = "\n".join(lines)
    print("\n== Dreams (conv3, whole layer) ==\n" + text)
    return Section("Dreams of the CNN on a flower photo", text, images)
