"""Demo section: inside the CNN: maps of every conv layer for a digit, class signatures, OIPs of conv3 maps."""

from __future__ import annotations

import time

import numpy as np

from ._context import Section


def run(ctx) -> Section:
    from .. import plotting
    from ..inspect import ActivationInspector, OIPInspector

    cnn = ctx.shared.get("cnn")
    if cnn is None:
        raise ValueError("the inspect section needs the CNN section to run first (it trains the network).")
    _, X_test, _, y_test = ctx.mnist_split()
    X_test = np.asarray(X_test, dtype=np.float32)
    inspector = ActivationInspector(cnn)
    images, lines = [], []

    # All maps of every convolution for one "4".
    four = int(np.flatnonzero(y_test == 4)[0])
    layers = inspector.model_.conv_layers()
    acts = inspector.activations(X_test[[four]], layers=layers)
    for name in layers:
        a = acts[name][0]
        ctx.log(f"inspect: the {a.shape[2]} maps of {name} for a 4")
        fig = plotting.plot_maps(a, image=X_test[four], title=f'All {a.shape[2]} maps of {name} for a "4"')
        images.append((ctx.save(fig, f"inspect_maps_{name}.png"),
                       f"{name}: {a.shape[2]} maps of {a.shape[0]}x{a.shape[1]} points for one test digit."))

    # Three "4"s next to a "1" and a "2" on the last convolution.
    last = layers[-1]
    chosen = np.concatenate([np.flatnonzero(y_test == 4)[:3], np.flatnonzero(y_test == 1)[:1],
                             np.flatnonzero(y_test == 2)[:1]])
    compare = inspector.activations(X_test[chosen], layers=last)[last]
    # all 64 maps of 3x3 points side by side cannot be read at page size: the dozen that tell the 4s apart best,
    # with the most points active in all three 4s and silent in the 1 and the 2
    shared = np.all(compare[:3] > 0, axis=0)
    only_fours = shared & np.all(compare[3:] <= 0, axis=0)
    n_only, n_shared = only_fours.sum(axis=(0, 1)), shared.sum(axis=(0, 1))
    ranked = np.lexsort((-compare[:3].mean(axis=(0, 1, 2)), -n_shared, -n_only))[:12]
    fig = plotting.plot_maps_compare(compare, labels=["4", "4", "4", "1", "2"], images=X_test[chosen],
                                     common_of=[0, 1, 2], maps=ranked, size=1.0)
    images.append((ctx.save(fig, f"inspect_compare_{last}.png"),
                   f"{len(ranked)} of the {compare.shape[-1]} maps of {last} for three 4s, a 1 and a 2 (one row "
                   f"each): those with the most points active in all three 4s and silent in the 1 and the 2, most "
                   f"first; red dots: points active in all three 4s ({int(shared.sum())} in all "
                   f"{compare.shape[-1]} maps, {int(only_fours.sum())} of them silent in the 1 and the 2)."))
    lines.append(f"{last} maps shown (points active in all three 4s and silent in the 1 and the 2 / active in all "
                 "three 4s): " + ", ".join(f"{k} ({int(n_only[k])}/{int(n_shared[k])})" for k in ranked))

    # What each class leaves silent, and what separates a 4 from a 9.
    ctx.log(f"inspect: class signatures of {last} on {len(y_test)} test digits")
    signature = inspector.class_signature(X_test, y_test, last)
    images.append((ctx.save(plotting.plot_class_signature(signature), f"inspect_signature_{last}.png"),
                   f"Mean activation and active fraction of every {last} map per class; x: silent for the class."))
    for label in signature.classes:
        silent = signature.silent[label]
        lines.append(f"class {label}: {len(silent)} silent {last} maps {silent.tolist()}")
    contrast = signature.contrast(4, 9, frequent=0.5, rare=0.2)
    lines.append(f"4 vs 9: maps separating them most (mean 4 - mean 9): "
                 + ", ".join(f"{m} ({contrast.map_difference[m]:+.2f})" for m in contrast.ranking[:6]))
    lines.append(f"4 vs 9: points (row, col, map) active in most 4s, in few 9s: {contrast.points_only_a[:12].tolist()}"
                 f"; the reverse: {contrast.points_only_b[:12].tolist()}")

    # OIPs of a dozen maps of the last convolution, from random starts and from the precursor.
    maps = np.arange(min(12, signature.mean_maps.shape[1]))
    steps = 60 if ctx.quick else 300
    oips = OIPInspector(cnn)
    start = time.perf_counter()
    plain = oips.oip_layer(last, maps=maps, steps=steps, learning_rate=0.02, random_state=ctx.random_state)
    ctx.log(f"inspect: OIPs of {len(maps)} {last} maps from multiscale starts ({time.perf_counter() - start:.1f} s)")
    images.append((ctx.save(plotting.plot_oips(plain, n_cols=6, title=f"OIPs of {last} maps (multiscale starts)"),
                            f"inspect_oips_{last}.png"),
                   f"Input patterns that drive {len(maps)} maps of {last} hardest ({steps} ascent steps from "
                   "random fluctuations on four length scales; pixel space, contrast enhanced)."))
    n_candidates = 64 if ctx.quick else 512
    start = time.perf_counter()
    pre = oips.oip_layer(last, maps=maps, steps=steps, learning_rate=0.02, start="precursor",
                         start_options={"n_candidates": n_candidates}, random_state=ctx.random_state)
    seconds = time.perf_counter() - start
    ctx.log(f"inspect: OIPs of {len(maps)} {last} maps from the precursor ({seconds:.1f} s)")
    images.append((ctx.save(plotting.plot_oips(pre, n_cols=6, title=f"OIPs of {last} maps (precursor starts)"),
                            f"inspect_oips_precursor_{last}.png"),
                   f"The same maps from the precursor: {n_candidates} coarse 3x3 patterns screened for 10 steps per "
                   f"map, the best 8 optimized {steps} steps ({seconds:.1f} s)."))
    lines.append(f"OIPs of {last} maps {maps.tolist()}: multiscale {len(maps) - len(plain.dead)} live "
                 f"(mean activation {plain.activations.mean():.2f}), precursor {len(maps) - len(pre.dead)} live "
                 f"(mean activation {pre.activations.mean():.2f})")
    lines.extend(_readable(ctx, oips, cnn, last, maps, steps, plain, signature, images))
    text = "\n".join(lines)
    print("\n== Inside the CNN ==\n" + text)
    return Section("Inside the CNN: maps, class signatures, OIPs", text, images)


def _readable(ctx, oips, cnn, layer, maps, steps, plain, signature, images):
    """Pixel OIPs next to FFT + transforms OIPs of the same maps, and renders of the class patterns (FCPs)."""
    from .. import plotting
    from ..inspect.objectives import direction
    from ..inspect.images import enhance_contrast, high_frequency_share
    from ..inspect.oip import robustness

    start = time.perf_counter()
    smooth = oips.oip_layer(layer, maps=maps, steps=steps, learning_rate=0.02, random_state=ctx.random_state,
                            param="fft", transforms="standard")
    judge = oips.engine(layer, regularized=False)
    figures = {name: (high_frequency_share(r.images).mean(), robustness(judge, r.images, maps=maps,
                                                                    random_state=ctx.random_state).mean())
               for name, r in (("pixel", plain), ("fft", smooth))}
    both = np.concatenate([plain.images_pixels, smooth.images_pixels])
    fig = plotting.plot_oips(both, maps=np.concatenate([maps, maps]),
                             activations=np.concatenate([plain.activations, smooth.activations]), n_cols=len(maps),
                             title=f"OIPs of {layer}: pixels (top) and FFT + transforms (bottom)")
    images.append((ctx.save(fig, f"inspect_oips_readable_{layer}.png"),
                   f"The same {len(maps)} maps, starts and {steps} steps: climbing pixels (top) against climbing the "
                   "1/frequency-scaled spectrum through random shifts, zooms and rotations (bottom)."))
    shown = signature.classes
    fcps = oips.render([direction(layer, signature, label=label) for label in shown], steps=steps,
                       random_state=ctx.random_state)
    fig = plotting.plot_digits(enhance_contrast(fcps.images_pixels), labels=shown, cmap="gray",
                               n_cols=min(5, len(shown)), size=1.3,
                               title=f"Inputs that drive each class's {layer} pattern (FCP), all {len(shown)} classes")
    images.append((ctx.save(fig, f"inspect_fcp_renders_{layer}.png"),
                   f"direction('{layer}', signature, label=k): the input that raises the {layer} points active in "
                   "class k's digits and lowers the others, rendered with FFT + transforms."))
    ctx.log(f"inspect: readable OIPs and FCP renders ({time.perf_counter() - start:.1f} s)")
    (hf_p, kept_p), (hf_f, kept_f) = figures["pixel"], figures["fft"]
    return [f"FCP renders of {layer} for classes {', '.join(str(k) for k in shown)}",
            f"OIPs of {layer}, pixel vs FFT + transforms: high-frequency share {hf_p:.3f} vs {hf_f:.3f}; activation "
            f"kept over 20 shifted/zoomed/rotated copies {kept_p:.2f} vs {kept_f:.2f}"]
