"""Settings for every test and doctest: a non-interactive matplotlib and a quiet TensorFlow."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
