"""One training history for every estimator that learns in epochs.

The neuron, the MLP and the CNN each keep a :class:`History` as ``history_``:
one record (a dict) per epoch, with the same keys wherever the idea is the
same, so one learning-curve plot serves all three. The idea follows skorch's
history (a list of per-epoch dicts you can slice by row and by key); the code
is skcnn's own.
"""

from __future__ import annotations

import numbers

__all__ = ["History", "HISTORY_KEYS"]

#: Keys an estimator records where it has the value, in display order.
HISTORY_KEYS = ("epoch", "loss", "val_loss", "val_score", "learning_rate", "dur")


class History:
    """Per-epoch record of a fit: a sequence of dicts, one per epoch.

    Rows hold ``epoch`` (1-based, counted on across warm starts and
    ``partial_fit`` calls), ``loss`` (the training loss the estimator
    minimizes, penalties included), and where the estimator has them
    ``val_loss`` and ``val_score`` (on held-out data), ``learning_rate`` (the
    step size used in that epoch) and ``dur`` (seconds the epoch took).

    Index it like a list of rows or like a table:

    - ``history[i]`` is row ``i`` (a dict), ``history[a:b]`` a ``History``;
    - ``history["loss"]`` (or ``history[:, "loss"]``) is the column, a list;
    - ``history[i, "loss"]`` is one value;
    - ``history[:, ("loss", "val_loss")]`` is a list of tuples.

    A key missing from a row that is asked for raises ``KeyError`` naming
    the key and the keys the history has.

    Examples
    --------
    >>> from skcnn import History
    >>> h = History()
    >>> h.new_epoch(loss=0.9, learning_rate=0.1)
    >>> h.new_epoch(loss=0.5, learning_rate=0.1)
    >>> h["loss"]
    [0.9, 0.5]
    >>> h[-1, "epoch"], len(h)
    (2, 2)
    >>> h
    History(2 epochs; keys epoch, loss, learning_rate; last: loss=0.5, learning_rate=0.1)
    """

    def __init__(self, rows=None):
        self.rows = [dict(row) for row in (rows or [])]

    # -------------------------------------------------------------- writing
    def new_epoch(self, **values):
        """Append a row for the next epoch, with ``epoch`` numbered on from the last row."""
        epoch = self.rows[-1]["epoch"] + 1 if self.rows else 1
        self.rows.append({"epoch": epoch, **values})

    def record(self, key, value):
        """Set ``key`` in the last row (the epoch being recorded)."""
        if not self.rows:
            raise IndexError("History.record needs a row: call new_epoch first.")
        self.rows[-1][key] = value

    def truncate(self, n_epochs):
        """Keep the first ``n_epochs`` rows (e.g. after early stopping restores an earlier epoch)."""
        del self.rows[n_epochs:]

    # -------------------------------------------------------------- reading
    def keys(self):
        """The keys found in any row, in :data:`HISTORY_KEYS` order, then others as met."""
        seen = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row))
        known = [k for k in HISTORY_KEYS if k in seen]
        return known + [k for k in seen if k not in HISTORY_KEYS]

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __bool__(self):
        return bool(self.rows)

    def __eq__(self, other):
        return isinstance(other, History) and self.rows == other.rows

    def _value(self, row, key):
        if isinstance(key, tuple):
            return tuple(self._value(row, k) for k in key)
        try:
            return row[key]
        except KeyError:
            raise KeyError(f"epoch {row.get('epoch')} has no {key!r}; this history has "
                           f"{', '.join(self.keys()) or 'no keys'}.") from None

    def __getitem__(self, item):
        if isinstance(item, str):
            item = (slice(None), item)
        if isinstance(item, tuple):
            if len(item) != 2:
                raise IndexError("index a History as history[rows] or history[rows, key].")
            rows, key = item
            if isinstance(rows, slice):
                return [self._value(row, key) for row in self.rows[rows]]
            return self._value(self.rows[rows], key)
        if isinstance(item, slice):
            return History(self.rows[item])
        if isinstance(item, numbers.Integral):
            return self.rows[item]
        raise TypeError(f"History indices are ints, slices, keys or (rows, key); got {item!r}.")

    def __repr__(self):
        n = len(self.rows)
        if not n:
            return "History(no epochs)"
        last = ", ".join(f"{k}={_short(v)}" for k, v in self.rows[-1].items() if k != "epoch")
        return (f"History({n} epoch{'s' if n != 1 else ''}; keys {', '.join(self.keys())}"
                + (f"; last: {last})" if last else ")"))


def _short(value):
    return f"{value:.4g}" if isinstance(value, float) else repr(value)
