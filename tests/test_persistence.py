"""Safe persistence with skops: every estimator and a Pipeline round-trip, and tampered files fail.

skops stores an object tree, not pickled code: loading one runs only types the
caller trusts. A fitted skcnn estimator needs only skcnn's own classes beyond
the types skops trusts by default; the CNN's network travels as ``.keras``
archive bytes that Keras loads with ``safe_mode=True``.
"""

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

sio = pytest.importorskip("skops.io")
from skops.io.exceptions import UntrustedTypesFoundException  # noqa: E402

from skcnn import ClusterDistanceTransformer, KerasCNNClassifier, MLPScratchClassifier, SingleNeuronClassifier  # noqa: E402


@pytest.fixture(scope="module")
def digits(mnist_5k):
    X = mnist_5k.data[:400] / 255.0
    return X[:300], mnist_5k.target[:300], X[300:]


def _neuron(X, y):
    return SingleNeuronClassifier(max_iter=30, random_state=0).fit(X[:, 200:202], (y > 4).astype(int))


def _mlp(X, y):
    return MLPScratchClassifier(hidden_layer_sizes=(12,), max_iter=5, random_state=0).fit(X, y)


def _clusters(X, y):
    return ClusterDistanceTransformer(n_clusters=6, random_state=0).fit(X)


def _pipeline(X, y):
    return make_pipeline(StandardScaler(), ClusterDistanceTransformer(n_clusters=8, random_state=0),
                         MLPScratchClassifier(hidden_layer_sizes=(10,), max_iter=5, random_state=0)).fit(X, y)


def _cnn(X, y):
    return KerasCNNClassifier(image_shape=(28, 28, 1), conv_filters=(4, 8, 8), dense_units=(16,), epochs=1, batch_size=64,
                              random_state=0).fit(X, y)


FACTORIES = [
    pytest.param(_neuron, id="neuron"),
    pytest.param(_mlp, id="mlp"),
    pytest.param(_clusters, id="clusters"),
    pytest.param(_pipeline, id="pipeline"),
    pytest.param(_cnn, id="cnn", marks=pytest.mark.slow),
]


def _outputs(estimator, X):
    """Everything the fitted estimator computes from X, by method name."""
    if hasattr(estimator, "predict_proba"):
        X_in = X[:, 200:202] if isinstance(estimator, SingleNeuronClassifier) else X
        return {"predict": estimator.predict(X_in), "predict_proba": estimator.predict_proba(X_in)}
    return {"transform": estimator.transform(X)}


def _foreign_types(names):
    return [name for name in names if not name.startswith("skcnn.")]


@pytest.mark.backend
@pytest.mark.parametrize("factory", FACTORIES)
def test_skops_round_trip_is_bit_identical(factory, digits, tmp_path):
    X, y, X_new = digits
    estimator = factory(X, y)
    path = tmp_path / "model.skops"
    sio.dump(estimator, path)
    untrusted = sio.get_untrusted_types(file=path)
    # only skcnn's own classes need the user's trust; everything else is a type skops trusts already
    assert untrusted and _foreign_types(untrusted) == [], untrusted
    loaded = sio.load(path, trusted=untrusted)
    assert type(loaded) is type(estimator)
    before, after = _outputs(estimator, X_new), _outputs(loaded, X_new)
    assert before.keys() == after.keys()
    for name in before:
        assert_array_equal(after[name], before[name], err_msg=name)
    assert loaded.get_params(deep=False).keys() == estimator.get_params(deep=False).keys()


def test_load_without_trust_is_refused(digits, tmp_path):
    X, y, _ = digits
    path = tmp_path / "model.skops"
    sio.dump(_mlp(X, y), path)
    with pytest.raises(UntrustedTypesFoundException, match="skcnn.mlp.MLPScratchClassifier"):
        sio.load(path)


SAVED_BEFORE = Path(__file__).parent / "data" / "mlp_float32_default.skops"


def test_mlp_saved_when_float32_was_the_default_loads_predicts_and_continues():
    # written by skcnn at commit 1eea58d, when dtype="float32" was the default: {"model": an MLP (4,) fitted on
    # 30 float64 rows of 5 features for 5 epochs, "X": 8 of the rows, "proba" and "predict": its answers then}
    saved = sio.load(SAVED_BEFORE, trusted=sio.get_untrusted_types(file=SAVED_BEFORE))
    clf, X = saved["model"], saved["X"]
    assert X.dtype == np.float64 and clf.get_params()["dtype"] == "float32"
    assert clf.dtype_ == saved["proba"].dtype == np.float32
    assert_array_equal(clf.predict_proba(X), saved["proba"])
    assert_array_equal(clf.predict(X), saved["predict"])
    assert all(np.shares_memory(w, clf._theta) for w in clf.coefs_ + clf.intercepts_)
    clf.set_params(warm_start=True, max_iter=2).fit(X, saved["predict"])  # float64 input, still float32
    assert clf.dtype_ == clf.coefs_[0].dtype == np.float32 and len(clf.history_) == 7


def _tamper(path, old, new):
    """Rewrite the type name ``old`` as ``new`` in the schema of a skops file."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    schema = members["schema.json"].decode()
    assert old in schema
    members["schema.json"] = schema.replace(old, new).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    json.loads(members["schema.json"])  # still a well-formed file


def test_tampered_file_with_an_unknown_type_is_refused(digits, tmp_path):
    X, y, _ = digits
    path = tmp_path / "model.skops"
    sio.dump(_clusters(X, y), path)
    trusted = sio.get_untrusted_types(file=path)  # what the user reviewed on the clean file
    _tamper(path, '"__class__": "StandardScaler"', '"__class__": "Popen"')
    _tamper(path, '"__module__": "sklearn.preprocessing._data"', '"__module__": "subprocess"')
    assert "subprocess.Popen" in sio.get_untrusted_types(file=path)
    with pytest.raises(UntrustedTypesFoundException, match="subprocess.Popen"):
        sio.load(path, trusted=trusted)


@pytest.mark.slow
def test_cnn_with_a_lambda_layer_is_refused(digits, tmp_path):
    """A CNN file whose network holds Python code (a Lambda layer): Keras' safe mode refuses it."""
    from skcnn._keras import import_keras

    keras = import_keras()
    X, y, _ = digits
    cnn = _cnn(X, y)
    inputs = keras.Input((28, 28, 1))
    hidden = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(hidden))
    cnn.model_ = keras.Model(inputs, outputs)  # what an attacker would put in the file
    path = tmp_path / "evil.skops"
    sio.dump(cnn, path)
    with pytest.raises(ValueError, match="(?i)lambda|safe"):
        sio.load(path, trusted=sio.get_untrusted_types(file=path))
