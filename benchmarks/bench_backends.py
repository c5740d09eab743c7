"""skcnn on TensorFlow, JAX and PyTorch: each backend against its bare framework, and against Captum on PyTorch.

One ``.keras`` file, one subprocess per backend. The main process (TensorFlow)
trains the series' CNN (``KerasCNNClassifier`` with its default
architecture, ``--epochs`` epochs on 4,000 of the embedded digits, pixels
scaled to [0, 1], ``random_state=0``) and saves it; later runs load it from
the cache folder (``--cache``). Each backend's subprocess loads the file
with ``keras.saving.load_model`` and times, as the median of ``--repeats``
calls after one warm-up call:

- skcnn: ``AttributionInspector(model)``'s saliency, integrated gradients
  (50 steps, black baseline), Grad-CAM (last convolution) and occlusion
  (default window and stride) on 256 held-out digits; ``OIPInspector(model)
  .oip_layer`` on the last convolution, 16 maps x 100 steps; one octave of a
  dream (``DreamInspector(model).dream`` of a 128x128 grayscale photo on the
  last convolution, ``method="octaves", octaves=1, steps=20``); one epoch of
  ``KerasCNNClassifier(epochs=1)`` on the 4,000 training digits.
- the floor: the bare framework doing the same arithmetic on the same model
  (TensorFlow: a ``tf.function`` with a ``GradientTape``; JAX:
  ``jax.jit`` of ``jax.grad`` over ``model.stateless_call`` with its
  trainable and non-trainable variables; PyTorch: one ``torch.autograd.grad``
  call, the Keras model being a ``torch.nn.Module``). Every method explains
  the predicted class's logit (the last Dense layer before its softmax).
  Grad-CAM differentiates the logit with respect to the last convolution's
  maps, taken from a two-output functional sub-model (on JAX, where only
  arguments are differentiated, from the sub-model after that layer);
  occlusion pushes occluded copies through the network in batches. The
  floor of one CNN epoch is Keras' own ``fit`` of a clone of the network
  (rmsprop, batch 64). OIPs and the dream have no floor here.
- Captum, on PyTorch only, on the same model's layers: ``Saliency``,
  ``IntegratedGradients`` (``n_steps=50``, ``method="riemann_middle"``,
  zero baseline), ``LayerGradCam`` on the last convolution (behind a
  channels-first view: Captum averages a layer's gradients over the axes
  after the second) and ``Occlusion`` (same window and stride, zero fill).

The maps are compared too: the mean over images of the per-image Pearson
correlation of skcnn's maps with the floor's, Captum's and TensorFlow's
skcnn maps. A low correlation means that a timing compares different work.

Goals: skcnn within 1.15x of the floor for saliency and Grad-CAM and within
1.3x for the rest; on PyTorch nothing slower than Captum, integrated
gradients and occlusion faster. A cell that fails prints ``failed`` and
the reason below the table; the other cells still run.

Run::

    python benchmarks/bench_backends.py --quick              # smoke run: fewer images and steps
    python benchmarks/bench_backends.py                      # 5 repeats, every backend installed
    python benchmarks/bench_backends.py --backends torch --env OMP_NUM_THREADS=1

Captum is installed for this benchmark only (``pip install captum``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: no INFO lines in the tables

BACKENDS = ("tensorflow", "jax", "torch")
PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
METHODS = ("saliency", "IG 50", "Grad-CAM", "occlusion", "OIPs", "dream", "CNN epoch")
MAPS = ("saliency", "IG 50", "Grad-CAM", "occlusion")
GOALS = {"saliency": 1.15, "Grad-CAM": 1.15}  # the rest: 1.3


def sizes(args):
    """What each method runs on: the full run or the --quick smoke run."""
    if args.quick:
        return dict(images=32, ig_steps=10, maps=4, oip_steps=20, dream_steps=5, epoch_digits=1000)
    return dict(images=256, ig_steps=50, maps=16, oip_steps=100, dream_steps=20, epoch_digits=4000)


# ------------------------------------------------------------------------------------------------ data
def digits():
    """The embedded digits as (n, 28, 28, 1) images in [0, 1], split 4000/1000 (stratified, seed 0)."""
    from sklearn.model_selection import train_test_split

    from skcnn.datasets import load_mnist

    data = load_mnist()
    X = (data.data / 255.0).reshape(-1, 28, 28, 1).astype(np.float32)
    return train_test_split(X, data.target, test_size=1000, stratify=data.target, random_state=0)


def gray_photo(size=128):
    """The flower photo as a (size, size) grayscale image in [0, 1]."""
    from skcnn.datasets import load_flower

    return (load_flower(size).astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)) / 255.0


def trained_model(epochs, cache):
    """The path of the series CNN's .keras file, trained here on TensorFlow unless already cached."""
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, f"series_cnn_{epochs}_epochs_seed0.keras")
    if os.path.exists(path):
        return path, None
    from skcnn import KerasCNNClassifier

    X_train, X_test, y_train, y_test = digits()
    start = time.perf_counter()
    clf = KerasCNNClassifier(epochs=epochs, image_shape=(28, 28, 1), random_state=0).fit(X_train, y_train)
    seconds = time.perf_counter() - start
    partial = path + ".part.keras"  # written whole, then renamed
    clf.model_.save(partial)
    os.replace(partial, path)
    return path, (seconds, clf.score(X_test, y_test))


# ------------------------------------------------------------------------------------------------ maps
def upsample(coarse, size):
    """Bilinear upsampling of (n, h, w) maps to (n, size, size) with the grids' corners on each other."""
    def weights(n_out, n_in):
        position = np.linspace(0.0, n_in - 1.0, n_out)
        low = np.minimum(np.floor(position).astype(int), max(n_in - 2, 0))
        frac = position - low
        out = np.zeros((n_out, n_in))
        out[np.arange(n_out), low] += 1.0 - frac
        out[np.arange(n_out), np.minimum(low + 1, n_in - 1)] += frac
        return out

    rows, cols = weights(size, coarse.shape[1]), weights(size, coarse.shape[2])
    return rows @ np.asarray(coarse, np.float64) @ cols.T


def occlusion_masks(size, window, stride):
    """(windows, size, size, 1) masks: 1 inside each window, the last window flush with the edge."""
    starts = list(range(0, size - window + 1, stride))
    if starts[-1] != size - window:
        starts.append(size - window)
    masks = np.zeros((len(starts) ** 2, size, size, 1), np.float32)
    for k, (top, left) in enumerate((t, l) for t in starts for l in starts):
        masks[k, top:top + window, left:left + window] = 1.0
    return masks


def pearson(a, b):
    """Mean over images of the per-image Pearson correlation of two stacks of maps."""
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    a, b = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
    norm = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    return float(np.mean(np.where(norm > 0, (a * b).sum(axis=1) / np.where(norm > 0, norm, 1.0), 1.0)))


def in_chunks(fn, x, chunk):
    """``fn`` on consecutive chunks of ``x``, outputs concatenated."""
    return np.concatenate([np.asarray(fn(x[i:i + chunk])) for i in range(0, len(x), chunk)])


# ------------------------------------------------------------------------------------------------ floors
def model_parts(keras, model):
    """The last Dense layer, the last convolution, and the sub-models the floors differentiate."""
    dense = model.layers[-1]
    conv = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)][-1]
    features = keras.Model(model.inputs, dense.input)  # the logit is features @ kernel + bias
    two_outputs = keras.Model(model.inputs, [conv.output, dense.input])
    return dense, conv, features, two_outputs


def tensorflow_floor(keras, model, chunk):
    """The floor on TensorFlow: tf.functions with a GradientTape on the model's sub-models."""
    import tensorflow as tf

    dense, conv, features, two_outputs = model_parts(keras, model)
    kernel, bias = dense.kernel.value, dense.bias.value

    def picked(z):
        return tf.reduce_sum(z * tf.one_hot(tf.argmax(z, axis=1), z.shape[1]), axis=1)

    @tf.function(reduce_retracing=True)
    def saliency(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = picked(features(x, training=False) @ kernel + bias)
        return tf.reduce_max(tf.abs(tape.gradient(score, x)), axis=3)

    @tf.function(reduce_retracing=True)
    def ig(x, alphas):
        n, k = tf.shape(x)[0], tf.shape(alphas)[0]
        targets = tf.argmax(features(x, training=False) @ kernel + bias, axis=1)
        path = tf.reshape(alphas[None, :, None, None, None] * x[:, None], (-1, *x.shape[1:]))
        with tf.GradientTape() as tape:
            tape.watch(path)
            z = features(path, training=False) @ kernel + bias
            score = tf.reduce_sum(z * tf.one_hot(tf.repeat(targets, k), z.shape[1]), axis=1)
        grads = tf.reshape(tape.gradient(score, path), (n, k, *x.shape[1:]))
        return tf.reduce_sum(x * tf.reduce_mean(grads, axis=1), axis=3)

    @tf.function(reduce_retracing=True)
    def gradcam(x):
        with tf.GradientTape() as tape:
            maps, h = two_outputs(x, training=False)
            score = picked(h @ kernel + bias)
        weights = tf.reduce_mean(tape.gradient(score, maps), axis=(1, 2))
        return tf.nn.relu(tf.einsum("nijk,nk->nij", maps, weights))

    @tf.function(reduce_retracing=True)
    def occlusion(x, masks):
        own = features(x, training=False) @ kernel + bias
        targets = tf.argmax(own, axis=1)
        copies = tf.reshape(x[:, None] * (1.0 - masks[None]), (-1, *x.shape[1:]))
        z = tf.reshape(features(copies, training=False) @ kernel + bias, (tf.shape(x)[0], -1, own.shape[1]))
        drop = picked(own)[:, None] - tf.reduce_sum(z * tf.one_hot(targets, own.shape[1])[:, None], axis=2)
        return tf.einsum("np,pij->nij", drop, masks[..., 0])

    return dict(saliency=lambda x: saliency(tf.constant(x)).numpy(),
                ig=lambda x, alphas: in_chunks(lambda part: ig(tf.constant(part), tf.constant(alphas)), x, chunk),
                gradcam=lambda x: gradcam(tf.constant(x)).numpy(),
                occlusion=lambda x, masks: in_chunks(lambda part: occlusion(tf.constant(part), tf.constant(masks)),
                                                     x, chunk))


def jax_floor(keras, model, chunk):
    """The floor on JAX: jax.jit of jax.grad over the sub-models' stateless_call."""
    import jax
    import jax.numpy as jnp

    dense, conv, features, _ = model_parts(keras, model)
    tail = keras.Model(model.inputs, conv.output)
    head_input = keras.Input(conv.output.shape[1:])
    y = head_input
    for layer in model.layers[model.layers.index(conv) + 1:-1]:
        y = layer(y)
    head = keras.Model(head_input, y)  # the same layers from the convolution's maps to the last Dense's input

    def state(sub):
        return ([v.value for v in sub.trainable_variables], [v.value for v in sub.non_trainable_variables])

    params = dict(features=state(features), tail=state(tail), head=state(head),
                  dense=(dense.kernel.value, dense.bias.value))

    def logits(p, sub, name, x):
        h, _ = sub.stateless_call(*p[name], x, training=False)
        return h @ p["dense"][0] + p["dense"][1]

    def picked(z, targets):
        return jnp.sum(z * jax.nn.one_hot(targets, z.shape[1]))

    @jax.jit
    def saliency(p, x):
        def score(x):
            z = logits(p, features, "features", x)
            return picked(z, jnp.argmax(z, axis=1))  # the argmax carries no gradient

        return jnp.max(jnp.abs(jax.grad(score)(x)), axis=3)

    @jax.jit
    def ig(p, x, alphas):
        n, k = x.shape[0], alphas.shape[0]
        targets = jnp.repeat(jnp.argmax(logits(p, features, "features", x), axis=1), k)
        path = (alphas[None, :, None, None, None] * x[:, None]).reshape((n * k, *x.shape[1:]))
        grads = jax.grad(lambda path: picked(logits(p, features, "features", path), targets))(path)
        return jnp.sum(x * grads.reshape((n, k, *x.shape[1:])).mean(axis=1), axis=3)

    @jax.jit
    def gradcam(p, x):
        maps, _ = tail.stateless_call(*p["tail"], x, training=False)
        targets = jnp.argmax(logits(p, head, "head", maps), axis=1)
        grads = jax.grad(lambda maps: picked(logits(p, head, "head", maps), targets))(maps)
        return jax.nn.relu(jnp.einsum("nijk,nk->nij", maps, grads.mean(axis=(1, 2))))

    @jax.jit
    def occlusion(p, x, masks):
        own = logits(p, features, "features", x)
        one_hot = jax.nn.one_hot(jnp.argmax(own, axis=1), own.shape[1])
        copies = (x[:, None] * (1.0 - masks[None])).reshape((-1, *x.shape[1:]))
        z = logits(p, features, "features", copies).reshape((x.shape[0], -1, own.shape[1]))
        drop = jnp.sum(own * one_hot, axis=1)[:, None] - jnp.sum(z * one_hot[:, None], axis=2)
        return jnp.einsum("np,pij->nij", drop, masks[..., 0])

    return dict(saliency=lambda x: np.asarray(saliency(params, x)),
                ig=lambda x, alphas: in_chunks(lambda part: ig(params, part, alphas), x, chunk),
                gradcam=lambda x: np.asarray(gradcam(params, x)),
                occlusion=lambda x, masks: in_chunks(lambda part: occlusion(params, part, masks), x, chunk))


def torch_floor(keras, model, chunk):
    """The floor on PyTorch: one torch.autograd.grad call through the Keras model (a torch.nn.Module)."""
    import torch

    dense, conv, features, two_outputs = model_parts(keras, model)
    kernel, bias = dense.kernel.value, dense.bias.value

    def picked(z, targets):
        return (z * torch.nn.functional.one_hot(targets, z.shape[1])).sum()

    def saliency(x):
        x = torch.as_tensor(x).requires_grad_(True)
        z = features(x, training=False) @ kernel + bias
        (grads,) = torch.autograd.grad(picked(z, z.argmax(dim=1)), x)
        return grads.abs().amax(dim=3).numpy()

    def ig(x, alphas):
        x, alphas = torch.as_tensor(x), torch.as_tensor(alphas)
        n, k = x.shape[0], alphas.shape[0]
        with torch.no_grad():
            targets = (features(x, training=False) @ kernel + bias).argmax(dim=1).repeat_interleave(k)
        path = (alphas[None, :, None, None, None] * x[:, None]).reshape((n * k, *x.shape[1:])).requires_grad_(True)
        (grads,) = torch.autograd.grad(picked(features(path, training=False) @ kernel + bias, targets), path)
        return (x * grads.reshape((n, k, *x.shape[1:])).mean(dim=1)).sum(dim=3).numpy()

    def gradcam(x):
        maps, h = two_outputs(torch.as_tensor(x), training=False)
        z = h @ kernel + bias
        (grads,) = torch.autograd.grad(picked(z, z.argmax(dim=1)), maps)
        return torch.relu(torch.einsum("nijk,nk->nij", maps, grads.mean(dim=(1, 2)))).detach().numpy()

    def occlusion(x, masks):
        x, masks = torch.as_tensor(x), torch.as_tensor(masks)
        with torch.no_grad():
            own = features(x, training=False) @ kernel + bias
            one_hot = torch.nn.functional.one_hot(own.argmax(dim=1), own.shape[1]).to(own.dtype)
            copies = (x[:, None] * (1.0 - masks[None])).reshape((-1, *x.shape[1:]))
            z = (features(copies, training=False) @ kernel + bias).reshape((x.shape[0], -1, own.shape[1]))
            drop = (own * one_hot).sum(dim=1)[:, None] - (z * one_hot[:, None]).sum(dim=2)
            return torch.einsum("np,pij->nij", drop, masks[..., 0]).numpy()

    return dict(saliency=saliency, ig=lambda x, alphas: in_chunks(lambda part: ig(part, alphas), x, chunk),
                gradcam=gradcam, occlusion=lambda x, masks: in_chunks(lambda part: occlusion(part, masks), x, chunk))


def captum_methods(keras, model, ig_steps, chunk, window, stride, per_eval):
    """Captum's Saliency, IntegratedGradients, LayerGradCam and Occlusion on the model's own layers."""
    import torch
    from captum.attr import IntegratedGradients, LayerGradCam, Occlusion, Saliency

    dense, conv, features, two_outputs = model_parts(keras, model)
    kernel, bias = dense.kernel.value, dense.bias.value
    tail = keras.Model(model.inputs, conv.output)
    head_input = keras.Input(conv.output.shape[1:])
    y = head_input
    for layer in model.layers[model.layers.index(conv) + 1:-1]:
        y = layer(y)
    head = keras.Model(head_input, y)

    class ChannelsFirst(torch.nn.Module):
        """The convolution's (n, h, w, maps) as (n, maps, h, w): the layout LayerGradCam averages over."""

        def forward(self, maps):
            return maps.permute(0, 3, 1, 2)

    view = ChannelsFirst()

    def logits(x):
        return features(x, training=False) @ kernel + bias

    def logits_through_view(x):
        return head(view(tail(x, training=False)).permute(0, 2, 3, 1), training=False) @ kernel + bias

    def targets(x):
        with torch.no_grad():
            return logits(x).argmax(dim=1)

    saliency, ig = Saliency(logits), IntegratedGradients(logits)
    gradcam, occlusion = LayerGradCam(logits_through_view, view), Occlusion(logits)

    def run_saliency(x):
        x = torch.as_tensor(x)
        return saliency.attribute(x, target=targets(x), abs=True).amax(dim=3).detach().numpy()

    def run_ig(x, alphas):
        x = torch.as_tensor(x)
        maps = ig.attribute(x, baselines=torch.zeros_like(x), target=targets(x), n_steps=ig_steps,
                            method="riemann_middle", internal_batch_size=chunk * ig_steps)
        return maps.sum(dim=3).detach().numpy()

    def run_gradcam(x):
        x = torch.as_tensor(x)
        return gradcam.attribute(x, target=targets(x), relu_attributions=True)[:, 0].detach().numpy()

    def run_occlusion(x, masks):
        x = torch.as_tensor(x)
        maps = occlusion.attribute(x, sliding_window_shapes=(window, window, 1), strides=(stride, stride, 1),
                                   baselines=0.0, target=targets(x), perturbations_per_eval=per_eval)
        return maps.sum(dim=3).detach().numpy()

    return dict(saliency=run_saliency, ig=run_ig, gradcam=run_gradcam, occlusion=run_occlusion)


# ------------------------------------------------------------------------------------------------ worker
FLOORS = {"tensorflow": tensorflow_floor, "jax": jax_floor, "torch": torch_floor}


def short(exc):
    """``Type: first line of the message``, cut to fit a table's footnote."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    return text if len(text) <= 110 else text[:107] + "..."


def time_sides(sides, repeats, patience):
    """Each side's output, median seconds, timed runs and first-call seconds, or its error.

    After one untimed warm-up (first) call of each side, the sides take
    turns, so that all of them see the same machine load; a method stops
    repeating once its timed calls took ``patience`` seconds.
    """
    results, outputs = {}, {}
    for name, fn in sides.items():
        try:
            start = time.perf_counter()
            outputs[name] = fn()
            results[name] = dict(first=time.perf_counter() - start, times=[])
        except Exception as exc:  # a failing cell is reported, the others still run
            results[name] = dict(error=short(exc), trace=traceback.format_exc(limit=-3))
    spent = 0.0
    for _ in range(repeats):
        for name, fn in sides.items():
            if "error" in results[name]:
                continue
            try:
                start = time.perf_counter()
                outputs[name] = fn()
                results[name]["times"].append(time.perf_counter() - start)
                spent += results[name]["times"][-1]
            except Exception as exc:
                results[name] = dict(error=short(exc), trace=traceback.format_exc(limit=-3))
        if spent > patience:
            break
    for result in results.values():
        if "times" in result:
            result["seconds"] = statistics.median(result["times"])
    return results, outputs


def keras_fit(keras, model, X, y):
    """The floor of one CNN epoch: Keras' own fit of a fresh clone of the network."""
    clone = keras.models.clone_model(model)
    clone.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    clone.fit(X, y, epochs=1, batch_size=64, verbose=0)
    return None


def settings(backend, args):
    """The backend's version and the settings that bear on its CPU speed, after applying the requested ones."""
    out = {}
    if backend == "tensorflow":
        import tensorflow as tf

        out.update(version=tf.__version__, TF_ENABLE_ONEDNN_OPTS=os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(default)"),
                   intra_op_threads=tf.config.threading.get_intra_op_parallelism_threads())
    elif backend == "jax":
        import jax

        out.update(version=jax.__version__, XLA_FLAGS=os.environ.get("XLA_FLAGS", "(none)"),
                   devices=str(jax.devices()))
    else:
        import torch

        if args.torch_threads:
            torch.set_num_threads(args.torch_threads)
        if args.torch_mkldnn != "default":
            torch.backends.mkldnn.enabled = args.torch_mkldnn == "on"
        out.update(version=torch.__version__, threads=torch.get_num_threads(),
                   mkldnn=torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled)
        if importlib.util.find_spec("captum") is not None:
            import captum

            out["captum"] = captum.__version__
    return out


def worker(args):
    """One backend's timings, written as JSON to ``args.out + '.json'`` (skcnn's maps to ``.npz``)."""
    import keras

    from skcnn import KerasCNNClassifier
    from skcnn.inspect import AttributionInspector, DreamInspector, OIPInspector

    warnings.filterwarnings("ignore", message="Input Tensor 0 did not already require gradients")  # Captum's note
    backend = keras.backend.backend()
    report = dict(backend=backend, keras=keras.__version__, settings=settings(backend, args), cells={}, r={})
    model = keras.saving.load_model(args.model)
    X_train, X_test, y_train, y_test = digits()
    size = sizes(args)
    x = X_test[:size["images"]]
    steps = size["ig_steps"]
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)  # the midpoint rule, as skcnn's
    window = max(1, 28 // 7)  # skcnn's defaults: a seventh of the side, half of it
    stride = max(1, window // 2)
    masks = occlusion_masks(28, window, stride)
    coverage = masks[..., 0].sum(axis=0)
    conv = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)][-1]

    inspector = AttributionInspector(model)
    skcnn = {"saliency": lambda: inspector.saliency(x).maps,
             "IG 50": lambda: inspector.integrated_gradients(x, steps=steps).maps,
             "Grad-CAM": lambda: inspector.gradcam(x).maps,
             "occlusion": lambda: inspector.occlusion(x).maps}

    def unavailable(reason):
        def fail(*_):
            raise RuntimeError(reason)
        return dict(saliency=fail, ig=fail, gradcam=fail, occlusion=fail)

    try:
        floor = FLOORS[backend](keras, model, args.chunk)
    except Exception as exc:
        floor = unavailable(short(exc))
    floors = {"saliency": lambda: floor["saliency"](x), "IG 50": lambda: floor["ig"](x, alphas),
              "Grad-CAM": lambda: upsample(floor["gradcam"](x), 28),
              "occlusion": lambda: floor["occlusion"](x, masks) / coverage}
    captums = {}
    if backend == "torch":
        try:
            captum = captum_methods(keras, model, steps, args.chunk, window, stride, args.captum_per_eval)
        except ImportError:
            captum = unavailable("captum is not installed (pip install captum)")
        except Exception as exc:
            captum = unavailable(short(exc))
        captums = {"saliency": lambda: captum["saliency"](x), "IG 50": lambda: captum["ig"](x, alphas),
                   "Grad-CAM": lambda: upsample(captum["gradcam"](x), 28),
                   "occlusion": lambda: captum["occlusion"](x, masks)}

    oip, dream, photo = OIPInspector(model), DreamInspector(model), gray_photo(128)
    X_epoch, y_epoch = X_train[:size["epoch_digits"]], y_train[:size["epoch_digits"]]
    others = {
        "OIPs": {"skcnn": lambda: oip.oip_layer(conv.name, maps=range(size["maps"]), steps=size["oip_steps"],
                                                random_state=0)},
        "dream": {"skcnn": lambda: dream.dream(photo, conv.name, method="octaves", octaves=1,
                                               steps=size["dream_steps"], random_state=0)},
        "CNN epoch": {"skcnn": lambda: KerasCNNClassifier(epochs=1, image_shape=(28, 28, 1), random_state=0)
                      .fit(X_epoch, y_epoch),
                      "floor": lambda: keras_fit(keras, model, X_epoch, y_epoch)},
    }
    saved = {}
    for method in METHODS:
        if method in MAPS:
            sides = {"skcnn": skcnn[method], "floor": floors[method]}
            if method in captums:
                sides["captum"] = captums[method]
        else:
            sides = others[method]
        cells, outputs = time_sides(sides, args.repeats, args.patience)
        report["cells"][method] = cells
        print(f"{backend} {method}: " + ", ".join(
            f"{side} {cell['seconds']:.4g} s" if "seconds" in cell else f"{side} failed: {cell['error']}"
            for side, cell in cells.items()), file=sys.stderr, flush=True)
        if method in MAPS and "skcnn" in outputs:
            saved[method] = np.asarray(outputs["skcnn"], np.float32)
            report["r"][method] = {side: pearson(outputs["skcnn"], out) for side, out in outputs.items()
                                   if side != "skcnn"}
    np.savez(args.out + ".npz", **{k.replace(" ", "_"): v for k, v in saved.items()})
    with open(args.out + ".json", "w") as f:
        json.dump(report, f)


# ------------------------------------------------------------------------------------------------ main
def machine():
    """The CPU's model name and the cores this process sees."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            name = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{name}, {os.cpu_count()} cores"


def run_backend(backend, path, args, folder):
    """One backend's report from its own subprocess (the backend is fixed when Keras is imported)."""
    if importlib.util.find_spec(PACKAGES[backend]) is None:
        return dict(missing=f"{PACKAGES[backend]} is not installed")
    out = os.path.join(folder, backend)
    command = [sys.executable, os.path.abspath(__file__), "--worker", "--model", path, "--out", out,
               "--repeats", str(args.repeats), "--patience", str(args.patience), "--chunk", str(args.chunk),
               "--captum-per-eval", str(args.captum_per_eval), "--torch-threads", str(args.torch_threads),
               "--torch-mkldnn", args.torch_mkldnn] + (["--quick"] if args.quick else [])
    env = dict(os.environ, KERAS_BACKEND=backend)
    env.update(item.split("=", 1) for item in args.env)
    try:
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=None if args.verbose else
                              subprocess.PIPE, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return dict(failed=f"no answer in {args.timeout} s")
    if done.returncode != 0 or not os.path.exists(out + ".json"):
        lines = (done.stderr or "").strip().splitlines()
        return dict(failed=f"exit {done.returncode}: {lines[-1] if lines else ''}"[:110])
    with open(out + ".json") as f:
        report = json.load(f)
    with np.load(out + ".npz") as maps:
        report["maps"] = {name.replace("_", " "): maps[name] for name in maps.files}
    return report


def print_report(reports, trained, args):
    ok = {b: r for b, r in reports.items() if "cells" in r}
    print(f"machine: {machine()}; Python {platform.python_version()}")
    for backend, report in reports.items():
        if "cells" in report:
            extra = ", ".join(f"{k} {v}" for k, v in report["settings"].items() if k != "version")
            print(f"  {backend} {report['settings']['version']} (Keras {report['keras']}): {extra}")
        else:
            print(f"  {backend}: {report.get('missing') or 'failed: ' + report['failed']}")
    size = sizes(args)
    if trained:
        print(f"series CNN trained here on {os.environ['KERAS_BACKEND']}: {args.epochs} epochs in {trained[0]:.1f} s, "
              f"test accuracy {trained[1]:.4f}")
    print(f"{size['images']} test digits; IG {size['ig_steps']} steps; OIPs {size['maps']} maps x "
          f"{size['oip_steps']} steps; dream 128x128, 1 octave x {size['dream_steps']} steps; CNN epoch on "
          f"{size['epoch_digits']} digits. Seconds, median of up to {args.repeats} calls after a warm-up call; "
          f"/floor = skcnn / bare framework, /TF = skcnn / skcnn on TensorFlow, /Captum = skcnn / Captum")

    notes = []

    def seconds(backend, method, side):
        cell = ok.get(backend, {}).get("cells", {}).get(method, {}).get(side)
        if cell is None:
            return None, "-"
        if "error" in cell:
            notes.append(f"[{len(notes) + 1}] {backend} {side} {method}: failed: {cell['error']}")
            return None, f"failed[{len(notes)}]"
        return cell["seconds"], f"{cell['seconds']:.4g}"

    def ratio(a, b):
        return f"{a / b:.2f}" if a is not None and b is not None else "-"

    header = [f"{'':11s}"]
    for backend in ok:
        columns = ["skcnn", "floor", "/floor"] + (["/TF"] if backend != "tensorflow" else []) + (
            ["Captum", "/Captum"] if backend == "torch" else [])
        header.append(" ".join(f"{c:>9s}" for c in columns))
    print("\n" + f"{'':11s}" + " | ".join(f"{b:^{len(h)}s}" for b, h in zip(ok, header[1:])) + " | goals")
    print(f"{'method':11s}" + " | ".join(header[1:]) + " |")
    for method in METHODS:
        goal = f"floor <= {GOALS.get(method, 1.3)}x"
        if method in MAPS:
            goal += "; Captum " + ("< 1x" if method in ("IG 50", "occlusion") else "<= 1x")
        row = []
        tf_time = seconds("tensorflow", method, "skcnn")[0] if "tensorflow" in ok else None
        for backend in ok:
            own, own_text = seconds(backend, method, "skcnn")
            floor, floor_text = seconds(backend, method, "floor")
            cells = [own_text, floor_text, ratio(own, floor)]
            if backend != "tensorflow":
                cells.append(ratio(own, tf_time))
            if backend == "torch":
                captum, captum_text = seconds(backend, method, "captum")
                cells += [captum_text, ratio(own, captum)]
            row.append(" ".join(f"{c:>9s}" for c in cells))
        print(f"{method:11s}" + " | ".join(row) + f" | {goal}")
    for note in notes:
        print(note)

    print("\nmaps: mean per-image Pearson r of skcnn's maps with the floor's, Captum's and TensorFlow's skcnn maps")
    for backend, report in ok.items():
        parts = []
        for method in MAPS:
            r = dict(report["r"].get(method, {}))
            theirs = ok.get("tensorflow", {}).get("maps", {}).get(method)
            if backend != "tensorflow" and theirs is not None and method in report["maps"]:
                r["TF"] = pearson(report["maps"][method], theirs)
            parts.append(f"{method} " + (", ".join(f"{k} {v:.4f}" for k, v in r.items()) or "-"))
        print(f"  {backend:10s} " + "; ".join(parts))
    print("\nfirst (warm-up) call, seconds: tracing / compiling included")
    for backend, report in ok.items():
        print(f"  {backend:10s} " + "; ".join(
            f"{method} " + "/".join(f"{cell['first']:.3g}" for cell in report["cells"][method].values() if "first" in cell)
            for method in METHODS))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per cell after the warm-up (median)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 32 digits, fewer steps, smaller epoch")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the cached series CNN")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "skcnn_bench_backends"))
    parser.add_argument("--chunk", type=int, default=16,
                        help="images per call of the floors' (and Captum's) IG and occlusion")
    parser.add_argument("--captum-per-eval", type=int, default=8, help="Captum Occlusion's perturbations_per_eval")
    parser.add_argument("--patience", type=float, default=120.0,
                        help="stop repeating a method once its timed calls took this many seconds")
    parser.add_argument("--torch-threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    parser.add_argument("--torch-mkldnn", choices=("default", "on", "off"), default="default")
    parser.add_argument("--env", nargs="*", default=[], metavar="KEY=VALUE",
                        help="environment of the backends' subprocesses (XLA_FLAGS, TF_ENABLE_ONEDNN_OPTS, ...)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per backend's subprocess")
    parser.add_argument("--verbose", action="store_true", help="show the subprocesses' progress")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick and "--repeats" not in (argv if argv is not None else sys.argv):
        args.repeats = 2
    if args.worker:
        worker(args)
        return
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    path, trained = trained_model(args.epochs, args.cache)
    with tempfile.TemporaryDirectory() as folder:
        reports = {backend: run_backend(backend, path, args, folder) for backend in args.backends}
        print_report(reports, trained, args)


if __name__ == "__main__":
    main()
