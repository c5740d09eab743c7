"""KerasCNNClassifier(distribution=...) on a CPU split into two logical devices (in a fresh process).

TensorFlow fixes its devices when it starts, so the split and the fits run in
a subprocess; the test reads what that process printed as JSON.
"""

import json
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


@pytest.fixture(scope="module")
def two_devices():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


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
