"""What Dask workers need to run skcnn: grid searches on a cluster through joblib's Dask backend.

skcnn has no scheduler of its own. A ``GridSearchCV`` (or ``cross_validate``,
``scan_clusters``) over any skcnn estimator or Pipeline already runs on
``dask.distributed`` through joblib; nothing in the estimator changes::

    import joblib
    from dask.distributed import Client, LocalCluster
    from skcnn.parallel import closing, worker_env

    if __name__ == "__main__":      # in a script: each worker imports it again
        X, y, search = ...          # the data and the GridSearchCV
        with closing(LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  memory_limit="3GiB", env=worker_env())) as cluster, Client(cluster):
            with joblib.parallel_config(backend="dask", scatter=[X, y]):
                search.fit(X, y)    # every fold of every candidate is a Dask task

The rules behind the recipe:

- **A script starts the cluster under** ``if __name__ == "__main__":``.
  Dask starts each worker as a fresh process that imports the main module
  again; unguarded, every worker would start a cluster of its own
  (``RuntimeError: Nanny failed to start``).
- **The client, the workers and the cluster are closed in a** ``with``
  **block**, before Python exits; :func:`closing` gives each worker time to
  exit (one with TensorFlow loaded can need more than the 4 seconds Dask
  allows before it kills it with a warning). Left to Dask's exit handler, the
  cluster also loses the client's scattered data (an error in the log).

- **One thread per worker process** (``processes=True, threads_per_worker=1``):
  Keras and TensorFlow are not thread-safe, and several fits sharing one
  process would fight over TensorFlow's global state.
- **Thread pools sized before TensorFlow starts.** TensorFlow reads its
  thread settings once, when it starts, and cannot change them afterwards;
  :func:`worker_env` gives them as environment variables, which a worker
  process sees from its first line (``LocalCluster(env=...)``, or the shell
  environment of ``dask worker``). The same holds for OpenMP and BLAS, used by
  NumPy (the MLP) and scikit-learn (KMeans).
- **Memory limits per worker** (``memory_limit=``): a worker that grows past
  it is restarted by its nanny, and its task runs again elsewhere.
- **Data on every worker** (``scatter=[X, y]``): sent once, before the first
  task; a worker that dies then takes no data with it.
- **One GPU per worker**: start each ``dask worker`` with its own
  ``CUDA_VISIBLE_DEVICES`` (``worker_env(gpus=[i])``), or hide the GPUs from
  CPU workers with ``worker_env(gpus=[])``.

On a cluster of several machines, start the workers from a shell::

    env $(python -c "import skcnn.parallel as p; print(p.format_env(p.worker_env()))") \\
        dask worker tcp://scheduler:8786 --nworkers 2 --nthreads 1 --memory-limit 3GiB

Importing this module imports neither Dask nor TensorFlow.

Examples
--------
>>> from skcnn.parallel import worker_env
>>> env = worker_env(intra_threads=2)
>>> env["TF_NUM_INTRAOP_THREADS"], env["TF_NUM_INTEROP_THREADS"], env["OMP_NUM_THREADS"]
('2', '1', '2')
"""

from __future__ import annotations

import contextlib
import os

from ._validation import check_int, check_number, is_int

__all__ = ["worker_env", "format_env", "worker_settings", "closing"]

_TF_THREADS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
# the native thread pools under NumPy, SciPy and scikit-learn
_NATIVE_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                   "NUMEXPR_NUM_THREADS")
_GPUS = "CUDA_VISIBLE_DEVICES"


def worker_env(intra_threads=1, inter_threads=1, *, gpus=None):
    """Environment variables that size a worker process's thread pools (and pick its GPUs).

    TensorFlow fixes its thread pools when it starts, so the settings must be
    in the worker's environment before the first task imports it: pass the
    result as ``LocalCluster(env=...)``, or set it in the shell that starts
    ``dask worker`` (see :func:`format_env`).

    Parameters
    ----------
    intra_threads : int, default=1
        Threads one operation may use: TensorFlow's intra-op pool, and the
        OpenMP/BLAS pools of NumPy and scikit-learn. With one worker process
        per core, 1 avoids oversubscription.
    inter_threads : int, default=1
        Operations TensorFlow may run at once (its inter-op pool).
    gpus : None, int or sequence of int, default=None
        GPUs the worker may see, by index (``CUDA_VISIBLE_DEVICES``). None
        leaves the variable alone; an empty sequence hides every GPU (a
        CPU-only worker); ``[i]`` gives the worker GPU ``i`` only.

    Returns
    -------
    dict of str to str
        Variable name to value, ready for ``LocalCluster(env=env)``.

    Raises
    ------
    ValueError
        If a thread count is not an int >= 1, or a GPU index is negative.
    TypeError
        If ``gpus`` is not None, an int or a sequence of ints.

    See Also
    --------
    format_env : the same variables as a shell ``NAME=value`` line.
    worker_settings : what a running worker actually has (for ``client.run``).

    Examples
    --------
    >>> from skcnn.parallel import worker_env
    >>> env = worker_env()
    >>> env["TF_NUM_INTRAOP_THREADS"], env["OPENBLAS_NUM_THREADS"]
    ('1', '1')
    >>> worker_env(gpus=[1])["CUDA_VISIBLE_DEVICES"]
    '1'
    >>> worker_env(gpus=[])["CUDA_VISIBLE_DEVICES"]
    ''

    With a local cluster (needs ``dask[distributed]``)::

        from dask.distributed import LocalCluster
        cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, env=worker_env())
    """
    intra = str(check_int(intra_threads, "intra_threads"))
    inter = str(check_int(inter_threads, "inter_threads"))
    env = dict.fromkeys(_NATIVE_THREADS, intra)
    env.update(TF_NUM_INTRAOP_THREADS=intra, TF_NUM_INTEROP_THREADS=inter)
    if gpus is not None:
        env[_GPUS] = ",".join(str(i) for i in _gpu_indices(gpus))
    return env


def _gpu_indices(gpus):
    if is_int(gpus):
        gpus = [gpus]
    if isinstance(gpus, (str, bytes)) or not hasattr(gpus, "__iter__"):
        raise TypeError(f"gpus must be None, an int or a sequence of ints, got {gpus!r}.")
    gpus = list(gpus)
    for i in gpus:
        if not is_int(i):
            raise TypeError(f"gpus must be None, an int or a sequence of ints, got {gpus!r}.")
        check_int(i, "gpus (each GPU index)", low=0)
    return [int(i) for i in gpus]


def format_env(env):
    """``env`` as one shell line of ``NAME=value`` pairs, sorted by name.

    For starting workers by hand: ``env $(...) dask worker ...``.

    Parameters
    ----------
    env : mapping of str to str
        Usually the result of :func:`worker_env`.

    Returns
    -------
    str
        The pairs separated by spaces; an empty value is written ``NAME=``.

    Examples
    --------
    >>> from skcnn.parallel import format_env, worker_env
    >>> format_env(worker_env())
    'MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 TF_NUM_INTEROP_THREADS=1 TF_NUM_INTRAOP_THREADS=1 VECLIB_MAXIMUM_THREADS=1'
    """
    return " ".join(f"{name}={env[name]}" for name in sorted(env))


def worker_settings():
    """The process id and the :func:`worker_env` variables of the calling process.

    Run it on every worker to check that the environment reached them:
    ``client.run(worker_settings)`` returns one dict per worker address. Only
    the variables :func:`worker_env` sets are reported (missing ones as None).

    Returns
    -------
    dict
        ``"pid"`` (int) and one entry per variable name.

    Examples
    --------
    >>> from skcnn.parallel import worker_settings
    >>> settings = worker_settings()
    >>> sorted(settings)[:3]
    ['CUDA_VISIBLE_DEVICES', 'MKL_NUM_THREADS', 'NUMEXPR_NUM_THREADS']
    >>> isinstance(settings["pid"], int)
    True
    """
    names = _NATIVE_THREADS + _TF_THREADS + (_GPUS,)
    settings = {name: os.environ.get(name) for name in names}
    settings["pid"] = os.getpid()
    return settings


@contextlib.contextmanager
def closing(cluster, *, timeout=60):
    """Close a local Dask cluster at the end of a ``with`` block, giving its workers time to exit.

    Dask's own close gives each worker process 4 seconds to exit, then kills
    it with a ``distributed.nanny`` warning. A worker that has imported
    TensorFlow can take longer than that to exit on a busy machine (15 s was
    measured on two shared cores). ``closing`` first asks every worker to stop
    and waits up to ``timeout`` seconds for each, then closes the cluster, so
    a finished search closes quietly.

    Use it as the first item of the ``with`` statement, the client after it:
    the client closes first, before the workers that hold its scattered data.

    Parameters
    ----------
    cluster : dask.distributed.LocalCluster or SpecCluster
        The cluster, as created (it is closed on leaving the block, also on an error).
    timeout : float, default=60
        Seconds each worker process is given to exit before it is killed.

    Yields
    ------
    cluster
        The same cluster.

    Raises
    ------
    ValueError
        If ``timeout`` is not a positive number.

    Examples
    --------
    >>> from skcnn.parallel import closing
    >>> with closing(None, timeout=0):  # doctest: +IGNORE_EXCEPTION_DETAIL
    ...     pass
    Traceback (most recent call last):
    ValueError: timeout must be a positive number, got 0.

    In a script (needs ``dask[distributed]``)::

        from dask.distributed import Client, LocalCluster

        if __name__ == "__main__":
            with closing(LocalCluster(n_workers=2, env=worker_env())) as cluster, Client(cluster):
                ...
    """
    timeout = check_number(timeout, "timeout", strict=True)
    try:
        yield cluster
    finally:
        try:
            workers = list(getattr(cluster, "workers", {}).values())
            if workers:
                cluster.sync(_close_all, workers, timeout)
        finally:
            cluster.close()


async def _close_all(workers, timeout):
    import asyncio

    await asyncio.gather(*(worker.close(timeout=timeout) for worker in workers))
