"""Settings for every test and doctest: a non-interactive matplotlib, a quiet TensorFlow, and the doctests of
the runtime's backend modules only where their framework is installed."""

import importlib.util
import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# skcnn/inspect/_core/backends/<name>.py imports <name> at its top: without the package there is nothing to test
collect_ignore = [f"skcnn/inspect/_core/backends/{name}.py" for name in ("tensorflow", "jax", "torch")
                  if importlib.util.find_spec(name) is None]
