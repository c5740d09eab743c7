"""History (the shared per-epoch record) and the short repr of result objects."""

import pickle
from dataclasses import dataclass

import numpy as np
import pytest

from skcnn import History
from skcnn._repr import ShortReprMixin


def _history():
    h = History()
    h.new_epoch(loss=1.0, val_loss=1.5, learning_rate=0.1, dur=0.2)
    h.new_epoch(loss=0.5, val_loss=1.0, learning_rate=0.05, dur=0.3)
    h.new_epoch(loss=0.25, learning_rate=0.025, dur=0.1)
    return h


def test_rows_columns_and_values():
    h = _history()
    assert len(h) == 3 and bool(h) and not History()
    assert [row["epoch"] for row in h] == [1, 2, 3]
    assert h["loss"] == h[:, "loss"] == [1.0, 0.5, 0.25]
    assert h[1, "learning_rate"] == 0.05
    assert h[-1] == {"epoch": 3, "loss": 0.25, "learning_rate": 0.025, "dur": 0.1}
    assert h[:2, ("loss", "val_loss")] == [(1.0, 1.5), (0.5, 1.0)]
    assert isinstance(h[1:], History) and h[1:]["epoch"] == [2, 3]
    assert h.keys() == ["epoch", "loss", "val_loss", "learning_rate", "dur"]


def test_missing_key_names_key_and_known_keys():
    with pytest.raises(KeyError, match=r"epoch 3 has no 'val_loss'.*epoch, loss, val_loss"):
        _history()["val_loss"]
    with pytest.raises(TypeError, match="History indices"):
        _history()[1.5]
    with pytest.raises(IndexError, match="new_epoch"):
        History().record("loss", 1.0)


def test_epochs_count_on_and_truncate_and_record():
    h = _history()
    h.truncate(1)
    h.new_epoch(loss=0.7)
    h.record("val_score", 0.9)
    assert h["epoch"] == [1, 2] and h[-1, "val_score"] == 0.9
    assert pickle.loads(pickle.dumps(h)) == h
    assert h != History(h.rows[:1])


def test_history_repr_is_one_line():
    text = repr(_history())
    assert text.startswith("History(3 epochs; keys epoch, loss, val_loss, learning_rate, dur; last: loss=0.25")
    assert "\n" not in text and repr(History()) == "History(no epochs)"


@dataclass(repr=False)
class _Result(ShortReprMixin):
    layer: str
    images: np.ndarray
    maps: np.ndarray
    scores: dict
    seconds: float


def test_short_repr_summarizes_arrays_and_wraps():
    r = _Result("c3", np.zeros((64, 8, 8, 1), "float32"), np.arange(3), {"a": 1}, 2.0 / 3)
    assert repr(r) == ("_Result(layer='c3', images=float32 (64, 8, 8, 1), maps=[0 1 2], "
                       "scores=dict of 1, seconds=0.6667)")
    r.layer = "x" * 60
    lines = repr(r).splitlines()
    assert lines[0] == "_Result(" and lines[-1] == ")" and len(lines) == 7
    assert all(len(line) < 100 for line in lines)


def test_every_public_result_class_prints_short():
    # each result a user meets: a few lines, never an array printed in full
    from dataclasses import is_dataclass

    import skcnn.inspect as inspect_
    from skcnn import metrics, neuron

    classes = [neuron.CostSurface] + [getattr(inspect_, name) for name in inspect_.__all__]
    classes += [getattr(metrics, name) for name in metrics.__all__]
    results = [c for c in classes if isinstance(c, type) and is_dataclass(c)]
    assert neuron.CostSurface in results and len(results) >= 5
    for cls in results:
        # a dataclass left with repr=True writes its own __repr__ over the mixin's
        assert cls.__repr__ is ShortReprMixin.__repr__, f"{cls.__name__} prints every array in full"
