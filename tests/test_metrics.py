import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from skcnn.metrics import classification_table, misclassified


def test_table_agrees_with_sklearn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, 200))
    t = classification_table(y_true, y_pred)
    np.testing.assert_allclose(t.precision, precision_score(y_true, y_pred, average=None))
    np.testing.assert_allclose(t.recall, recall_score(y_true, y_pred, average=None))
    np.testing.assert_allclose(t.f1, f1_score(y_true, y_pred, average=None))
    np.testing.assert_allclose(t.accuracy, t.tp / t.an)
    assert (t.tp + t.fn == t.an).all() and t.an.sum() == 200
    assert t.overall_accuracy == pytest.approx(np.mean(y_true == y_pred))
    assert "overall accuracy" in str(t) and len(str(t).splitlines()) == 6
    assert t.to_frame().shape == (4, 8)
    assert set(t.as_dict()[0]) == {"precision", "recall", "f1", "accuracy", "tp", "fp", "fn", "an"}


def test_class_never_predicted_has_zero_precision():
    t = classification_table([0, 1, 1], [0, 0, 0])
    assert t.precision.tolist() == [pytest.approx(1 / 3), 0.0] and t.f1[1] == 0.0


def test_misclassified_indices():
    m = misclassified(["4", "4", "9", "1", "4"], ["4", "9", "4", "4", "4"], label="4")
    assert m.tp.tolist() == [0, 4] and m.fp.tolist() == [2, 3] and m.fn.tolist() == [1]


@pytest.mark.parametrize("y_true, y_pred, match", [([0, 1], [0], "inconsistent"), ([], [], "empty")])
def test_bad_input(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        classification_table(y_true, y_pred)


def test_results_print_short():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 10, 5000)
    y_pred = np.where(rng.random(5000) < 0.9, y_true, (y_true + 1) % 10)
    table = classification_table(y_true, y_pred)
    text = repr(table)
    assert len(text.splitlines()) == 1 and len(text) <= 100
    worst = int(np.argmin(f1_score(y_true, y_pred, average=None)))
    assert f"lowest_f1=({worst}, " in text and f"overall_accuracy={np.mean(y_true == y_pred):.4g}" in text
    m = misclassified(y_true, y_pred, label=3)
    assert repr(m) == f"Misclassified(tp=int64 {m.tp.shape}, fp=int64 {m.fp.shape}, fn=int64 {m.fn.shape})"
    tp, fp, fn = m  # still a tuple
    assert len(tp) + len(fn) == np.sum(y_true == 3)


def test_confusions_are_the_off_diagonal_of_the_confusion_matrix_most_frequent_first():
    from sklearn.metrics import confusion_matrix

    from skcnn.metrics import confusions

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 4, 200))
    m = confusion_matrix(y_true, y_pred, labels=range(4))
    want = sorted(((a, b, int(m[a, b])) for a in range(4) for b in range(4) if a != b and m[a, b]),
                  key=lambda t: (-t[2], t[0], t[1]))
    assert confusions(y_true, y_pred) == want
    assert confusions(["4", "9"], ["9", "9"]) == [("4", "9", 1)] and confusions([1, 2], [1, 2]) == []
