"""KerasCNNClassifier(distribution=...) on a CPU split into two logical devices (in a fresh process).

TensorFlow and JAX fix their devices when they start, so the split and the
fits run in a subprocess (on TensorFlow's MirroredStrategy, on JAX's
``keras.distribution.DataParallel`` with XLA's two host devices); the test
reads what that process printed as JSON. PyTorch offers no distribution.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from skcnn import KerasCNNClassifier

SCRIPT = textwrap.dedent("""
    import json, pickle, warnings
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    from joblib import Parallel, delayed
    from sklearn.base import clone
    from skcnn import KerasCNNClassifier
    from skcnn.datasets import load_mnist

    digits = load_mnist()
    X, y = digits.data[:2500] / 255.0, digits.target[:2500]
    X_train, X_test, y_train, y_test = X[:2000], X[2000:], y[:2000], y[2000:]
    params = dict(image_shape=(28, 28, 1), conv_filters=(8, 16), dense_units=(32,), epochs=2, batch_size=64,
                  random_state=0)
    one = KerasCNNClassifier(**params).fit(X_train, y_train)
    two = KerasCNNClassifier(distribution=["CPU:0", "CPU:1"], **params).fit(X_train, y_train)
    strategy = two.model_.distribute_strategy
    restored = pickle.loads(pickle.dumps(two))
    cloned = clone(two)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Parallel(n_jobs=2, backend="threading")(delayed(clone(two).fit)(X_train[:200], y_train[:200])
                                                 for _ in range(1))
    print(json.dumps({
        "devices": sorted(d.name.split("device:")[-1] for d in tf.config.list_logical_devices("CPU")),
        "replicas": strategy.num_replicas_in_sync,
        "strategy": type(strategy).__name__,
        "one": one.score(X_test, y_test),
        "two": two.score(X_test, y_test),
        "restored_equal": bool(np.array_equal(restored.predict_proba(X_test), two.predict_proba(X_test))),
        "cloned_params": cloned.get_params()["distribution"],
        "loss_one": one.history_["loss"],
        "loss_two": two.history_["loss"],
        "warned": [str(w.message) for w in caught if "parallel search" in str(w.message)],
    }))
""")


JAX_SCRIPT = textwrap.dedent("""
    import json, pickle, warnings
    import numpy as np
    import jax
    from joblib import Parallel, delayed
    from sklearn.base import clone
    from skcnn import KerasCNNClassifier

    rng = np.random.default_rng(0)
    X = rng.random((96, 8, 8)).astype("float32")
    y = (X[:, :4].mean(axis=(1, 2)) > 0.5).astype(int)
    params = dict(conv_filters=(4,), dense_units=(8,), epochs=3, batch_size=16, learning_rate=0.01,
                  random_state=0)
    one = KerasCNNClassifier(**params).fit(X, y)
    two = KerasCNNClassifier(distribution="mirrored", **params).fit(X, y)
    kernel = two.model_.get_layer("conv1").kernel.value
    restored = pickle.loads(pickle.dumps(two))
    warm = clone(two).set_params(warm_start=True).fit(X, y)
    warm.fit(X, y)
    errors = []
    for bad in (dict(batch_size=15), dict(validation_fraction=0.11)):  # 95 rows: 84 + 11 held out
        try:
            KerasCNNClassifier(distribution=["cpu:0", "CPU:1"], **{**params, **bad}).fit(X[:95], y[:95])
        except ValueError as exc:
            errors.append(str(exc))
    try:
        KerasCNNClassifier(distribution=["cpu:7"], **params).fit(X, y)
    except ValueError as exc:
        errors.append(str(exc))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Parallel(n_jobs=2, backend="threading")(delayed(clone(two).fit)(X[:32], y[:32]) for _ in range(1))
    print(json.dumps({
        "devices": [str(d) for d in jax.devices()],
        "kernel_devices": len(kernel.sharding.device_set),
        "strategy": type(two.model_._skcnn_distribution).__name__,
        "proba_one": one.predict_proba(X).tolist(),
        "proba_two": two.predict_proba(X).tolist(),
        "loss_one": one.history_["loss"],
        "loss_two": two.history_["loss"],
        "restored_equal": bool(np.array_equal(restored.predict_proba(X), two.predict_proba(X))),
        "warm_epochs": warm.history_["epoch"],
        "warm_devices": len(warm.model_.get_layer("conv1").kernel.value.sharding.device_set),
        "errors": errors,
        "warned": [str(w.message) for w in caught if "parallel search" in str(w.message)],
    }))
""")


def run_script(script, **env):
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def two_devices():
    return run_script(SCRIPT, KERAS_BACKEND="tensorflow")


@pytest.fixture(scope="module")
def two_jax_devices():
    if importlib.util.find_spec("jax") is None:
        pytest.skip("JAX is not installed")
    return run_script(JAX_SCRIPT, KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")


@pytest.mark.slow
def test_mirrored_training_on_two_logical_cpus_matches_one_device(two_devices):
    assert two_devices["devices"] == ["CPU:0", "CPU:1"]
    assert two_devices["strategy"] == "MirroredStrategy" and two_devices["replicas"] == 2
    assert two_devices["one"] > 0.5  # it learned something
    assert abs(two_devices["two"] - two_devices["one"]) <= 0.01
    np.testing.assert_allclose(two_devices["loss_two"], two_devices["loss_one"], rtol=0.05)


@pytest.mark.slow
def test_predict_pickle_and_clone_after_mirrored_training(two_devices):
    assert two_devices["restored_equal"]
    assert two_devices["cloned_params"] == ["CPU:0", "CPU:1"]


@pytest.mark.slow
def test_distribution_in_a_parallel_search_warns(two_devices):
    assert len(two_devices["warned"]) == 1


def test_distribution_is_a_plain_parameter():
    from sklearn.base import clone

    clf = KerasCNNClassifier(distribution=["CPU:0", "CPU:1"])
    assert clone(clf).get_params()["distribution"] == ["CPU:0", "CPU:1"]
    assert "tensorflow" not in repr(clf.get_params())


@pytest.mark.slow
@pytest.mark.backend
def test_data_parallel_training_on_two_jax_cpu_devices_matches_one_device(two_jax_devices):
    assert two_jax_devices["devices"] == ["TFRT_CPU_0", "TFRT_CPU_1"] or len(two_jax_devices["devices"]) == 2
    assert two_jax_devices["strategy"] == "DataParallel" and two_jax_devices["kernel_devices"] == 2
    # the same batches, each split in two halves whose gradients are averaged: the same training
    np.testing.assert_allclose(two_jax_devices["loss_two"], two_jax_devices["loss_one"], rtol=1e-4)
    np.testing.assert_allclose(two_jax_devices["proba_two"], two_jax_devices["proba_one"], atol=1e-4)
    assert two_jax_devices["restored_equal"]


@pytest.mark.slow
@pytest.mark.backend
def test_data_parallel_warm_start_uneven_batches_and_unknown_devices(two_jax_devices):
    assert two_jax_devices["warm_epochs"] == [1, 2, 3, 4, 5, 6] and two_jax_devices["warm_devices"] == 2
    uneven_batch, uneven_validation, unknown = two_jax_devices["errors"]
    assert "batch_size holds 15 rows, the last training batch holds 5 rows" in uneven_batch
    assert "multiple of 2" in uneven_batch and "last validation batch" not in uneven_batch
    assert "but the last validation batch holds 11 rows:" in uneven_validation
    assert "names 'cpu:7', which is not a device JAX sees" in unknown
    assert len(two_jax_devices["warned"]) == 1


@pytest.mark.backend
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")
def test_distribution_on_pytorch_is_a_clear_error():
    script = textwrap.dedent("""
        import numpy as np
        from skcnn import KerasCNNClassifier
        X, y = np.random.default_rng(0).random((8, 6, 6)).astype("float32"), [0, 1] * 4
        try:
            KerasCNNClassifier(conv_filters=(2,), dense_units=(), epochs=1, distribution="mirrored").fit(X, y)
        except ValueError as exc:
            print(exc)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "KERAS_BACKEND": "torch"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("distribution='mirrored' needs the TensorFlow or JAX backend")
