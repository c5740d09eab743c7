"""BLAS threads for skcnn's own NumPy work, limited while it runs and given back after.

The NumPy estimators multiply small matrices (a batch of 500 rows by a layer
of 70 units). OpenBLAS splits such a product over all its threads, and each
thread that finishes early spins while it waits for the others; when other
processes hold the cores, the spinning threads take turns with them and an
epoch of the MLP ran ten times slower on a busy two-core machine (327 ms
against 30 ms on one thread). One thread is also the fastest for these sizes
on an idle machine.

:func:`limit_blas_threads` decorates the estimators' public methods: while
one runs, BLAS uses at most :func:`blas_threads` threads, and afterwards --
also after an error or a ``KeyboardInterrupt`` -- every BLAS library has the
number of threads it had before. Only the outermost call changes anything;
nested calls (``score`` calling ``predict``, a fit inside a fit) run under
it. OpenBLAS has one pool for the whole process, and threadpoolctl lets one
Python thread at a time change it: while one thread's call holds the limit,
calls from other threads run under it and change nothing (once it ends, they
run with the user's settings).

The user chooses with the environment variable ``SKCNN_BLAS_THREADS``, read
at every outermost call: unset or empty means 1; ``N`` means at most ``N``
(skcnn never raises a limit that is lower already, e.g. one set with
:func:`threadpoolctl.threadpool_limits` or in a joblib worker); ``0`` leaves
BLAS alone.

Examples
--------
>>> import numpy as np
>>> from threadpoolctl import threadpool_info
>>> @limit_blas_threads
... def gram(X):
...     return X.T @ X
>>> before = [lib["num_threads"] for lib in threadpool_info()]
>>> gram(np.ones((50, 3))).shape
(3, 3)
>>> [lib["num_threads"] for lib in threadpool_info()] == before
True
"""

from __future__ import annotations

import functools
import os
import threading

from threadpoolctl import ThreadpoolController

__all__ = ["ENV_VAR", "DEFAULT_THREADS", "blas_threads", "blas_limit", "limit_blas_threads"]

ENV_VAR = "SKCNN_BLAS_THREADS"
DEFAULT_THREADS = 1

_lock = threading.Lock()
# the thread whose outermost call holds the limit, its depth of nested calls, the limiter, the controller
_state = {"owner": None, "depth": 0, "limiter": None, "controller": None}


def blas_threads():
    """The most BLAS threads skcnn's NumPy work may use, or None to leave BLAS alone.

    Read from the environment variable ``SKCNN_BLAS_THREADS`` (see the module's
    docstring); 1 when it is unset or empty.

    Examples
    --------
    >>> import os
    >>> os.environ.get("SKCNN_BLAS_THREADS") is None and blas_threads() == 1
    True
    """
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_THREADS
    try:
        n = int(raw)
    except ValueError:
        n = -1
    if n < 0:
        raise ValueError(
            f"The environment variable {ENV_VAR} must be an integer >= 0 (the most BLAS threads skcnn "
            f"uses; 0 leaves them as they are), got {raw!r}. Set it to 1, for instance, or unset it."
        )
    return n or None


def _controller():
    """One threadpoolctl controller of the BLAS libraries, found once (a scan costs milliseconds)."""
    if _state["controller"] is None:
        _state["controller"] = ThreadpoolController().select(user_api="blas")
    return _state["controller"]


def _enter():
    me = threading.get_ident()
    with _lock:
        if _state["owner"] == me:
            _state["depth"] += 1
        elif _state["owner"] is None:
            limiter = None
            n = blas_threads()
            if n is not None:
                controller = _controller()
                over = {lib["filepath"]: n for lib in controller.info() if lib["num_threads"] > n}
                if over:
                    limiter = controller.limit(limits=over)
                    limiter.__enter__()
            _state.update(owner=me, depth=1, limiter=limiter)
        # else: another thread holds the limit; this call runs under it and changes nothing


def _leave():
    with _lock:
        if _state["owner"] != threading.get_ident():
            return
        _state["depth"] -= 1
        if _state["depth"] == 0:
            limiter = _state["limiter"]
            _state.update(owner=None, limiter=None)
            if limiter is not None:
                limiter.__exit__(None, None, None)


class blas_limit:
    """Context manager: at most :func:`blas_threads` BLAS threads inside, the user's settings after.

    Examples
    --------
    >>> import os
    >>> from threadpoolctl import threadpool_info, threadpool_limits
    >>> blas = lambda: {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    >>> with threadpool_limits(2, "blas"):
    ...     with blas_limit():
    ...         inside = blas()
    ...     after = blas()
    >>> inside, after
    ({1}, {2})
    """

    __slots__ = ()

    def __enter__(self):
        _enter()
        return self

    def __exit__(self, exc_type, exc, tb):
        _leave()
        return False


def limit_blas_threads(method):
    """Decorator: run ``method`` inside :class:`blas_limit`.

    Examples
    --------
    >>> class Model:
    ...     @limit_blas_threads
    ...     def fit(self, X):
    ...         '''Fit.'''
    ...         return self
    >>> Model.fit.__doc__, Model.fit.__name__
    ('Fit.', 'fit')
    """

    @functools.wraps(method)
    def limited(*args, **kwargs):
        _enter()
        try:
            return method(*args, **kwargs)
        finally:
            _leave()

    return limited
