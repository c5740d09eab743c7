"""Per-class evaluation, as the series reports it (reference 001, MLP XI).

Examples
--------
>>> from skcnn.metrics import classification_table, misclassified
>>> table = classification_table([0, 0, 1, 1], [0, 1, 1, 1])
>>> table.tp.tolist(), table.fp.tolist(), table.fn.tolist()
([1, 2], [0, 1], [1, 0])
>>> misclassified([0, 0, 1, 1], [0, 1, 1, 1], label=1).fp.tolist()
[1]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from sklearn.metrics import confusion_matrix
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ._repr import ShortReprMixin, summarize

__all__ = ["ClassificationTable", "classification_table", "confusions", "misclassified", "Misclassified"]

_COLUMNS = ("precision", "recall", "f1", "accuracy", "tp", "fp", "fn", "an")


@dataclass(frozen=True, repr=False)
class ClassificationTable(ShortReprMixin):
    """Per-class precision, recall, F1, accuracy (TP/AN), TP, FP, FN and AN.

    ``AN`` is the actual number of samples of the class, so the series'
    per-class accuracy ``TP / AN`` equals the recall. ``str(table)`` prints it;
    ``to_frame()`` gives a pandas DataFrame when pandas is installed; its
    ``repr`` is one line: the sizes, the overall accuracy and the class with the lowest F1.

    Examples
    --------
    >>> classification_table([0, 0, 1, 1, 2], [0, 1, 1, 1, 2])
    ClassificationTable(n_classes=3, n_samples=5, overall_accuracy=0.8, lowest_f1=(0, 0.6667))
    """

    labels: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    accuracy: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    an: np.ndarray

    @property
    def overall_accuracy(self) -> float:
        """Fraction of all samples classified correctly."""
        return float(self.tp.sum() / self.an.sum()) if self.an.sum() else 0.0

    def as_dict(self) -> dict:
        """``{label: {column: value}}``."""
        return {
            lab.item() if hasattr(lab, "item") else lab: {c: getattr(self, c)[i].item() for c in _COLUMNS}
            for i, lab in enumerate(self.labels)
        }

    def to_frame(self):
        """The table as a pandas DataFrame indexed by label (requires pandas)."""
        import pandas as pd

        return pd.DataFrame({c: getattr(self, c) for c in _COLUMNS}, index=pd.Index(self.labels, name="label"))

    def _repr_fields(self):
        worst = int(np.argmin(self.f1))
        lowest = (self.labels[worst].item() if hasattr(self.labels[worst], "item") else self.labels[worst],
                  round(float(self.f1[worst]), 4))
        return [("n_classes", len(self.labels)), ("n_samples", int(self.an.sum())),
                ("overall_accuracy", self.overall_accuracy), ("lowest_f1", lowest)]

    def __str__(self) -> str:
        width = max(5, *(len(str(lab)) for lab in self.labels))
        head = f"{'label':>{width}} {'precision':>9} {'recall':>7} {'f1':>6} {'acc':>6} {'TP':>6} {'FP':>6} {'FN':>6} {'AN':>6}"
        rows = [head]
        for i, lab in enumerate(self.labels):
            rows.append(
                f"{str(lab):>{width}} {self.precision[i]:9.4f} {self.recall[i]:7.4f} {self.f1[i]:6.4f} "
                f"{self.accuracy[i]:6.4f} {self.tp[i]:6d} {self.fp[i]:6d} {self.fn[i]:6d} {self.an[i]:6d}"
            )
        rows.append(f"overall accuracy: {self.overall_accuracy:.4f} ({self.tp.sum()} of {self.an.sum()})")
        return "\n".join(rows)


def _check_pair(y_true, y_pred):
    y_true = column_or_1d(y_true, warn=False)
    y_pred = column_or_1d(y_pred, warn=False)
    check_consistent_length(y_true, y_pred)
    if len(y_true) == 0:
        raise ValueError("y_true and y_pred are empty; expected at least one sample.")
    return y_true, y_pred


def classification_table(y_true, y_pred, labels=None) -> ClassificationTable:
    """Per-class table of precision, recall, F1, accuracy = TP/AN, TP, FP, FN, AN.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    labels : array-like, optional
        Classes to report, in this order (default: all labels seen, sorted).

    Returns
    -------
    ClassificationTable

    Examples
    --------
    >>> t = classification_table(["a", "b", "b"], ["a", "b", "a"])
    >>> t.labels.tolist(), t.precision.tolist(), t.an.tolist()
    (['a', 'b'], [0.5, 1.0], [1, 2])
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    labels = unique_labels(y_true, y_pred) if labels is None else np.asarray(labels)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    tp = np.diag(cm).astype(np.int64)
    an = cm.sum(axis=1).astype(np.int64)
    pn = cm.sum(axis=0).astype(np.int64)
    fp, fn = pn - tp, an - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pn > 0, tp / np.maximum(pn, 1), 0.0)
        recall = np.where(an > 0, tp / np.maximum(an, 1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return ClassificationTable(np.asarray(labels), precision, recall, f1, recall.copy(), tp, fp, fn, an)


class Misclassified(NamedTuple):
    """Indices of the true positives, false positives and false negatives of one class.

    Examples
    --------
    >>> misclassified(list(range(10)) * 30, [0] * 300, label=0)
    Misclassified(tp=int64 (30,), fp=int64 (270,), fn=[])
    """

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray

    def __repr__(self):
        return f"Misclassified(tp={summarize(self.tp)}, fp={summarize(self.fp)}, fn={summarize(self.fn)})"


def misclassified(y_true, y_pred, label) -> Misclassified:
    """Indices of TP, FP and FN for class ``label``.

    FP: predicted ``label`` but something else; FN: a ``label`` predicted as
    something else (the series shows these "4"s to see what went wrong).

    Examples
    --------
    >>> misclassified([4, 4, 9, 4], [4, 9, 4, 4], label=4)
    Misclassified(tp=[0 3], fp=[2], fn=[1])
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    is_true, is_pred = y_true == label, y_pred == label
    return Misclassified(
        np.flatnonzero(is_true & is_pred), np.flatnonzero(~is_true & is_pred), np.flatnonzero(is_true & ~is_pred)
    )


def confusions(y_true, y_pred):
    """The mistakes by kind, ``[(true, predicted, count), ...]``, most frequent first.

    Ties go to the smaller true label, then the smaller prediction, so the
    order does not depend on the order of the samples. Correct predictions
    are not listed.

    Examples
    --------
    >>> confusions([4, 9, 9, 7, 1], [9, 4, 4, 1, 1])
    [(9, 4, 2), (4, 9, 1), (7, 1, 1)]
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    wrong = y_true != y_pred
    pairs, counts = np.unique(np.stack([y_true[wrong], y_pred[wrong]], axis=1), axis=0, return_counts=True)
    order = sorted(range(len(counts)), key=lambda k: (-counts[k], pairs[k][0], pairs[k][1]))
    return [(pairs[k][0].item(), pairs[k][1].item(), int(counts[k])) for k in order]
