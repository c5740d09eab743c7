"""What every demo section gets: output folder, options, logging, figure saving, shared data."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Section:
    """One part of the report: a title, preformatted text, and ``(filename, caption)`` pictures."""

    title: str
    text: str = ""
    images: list = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class DemoContext:
    """Options and helpers passed to each section's ``run(ctx)``.

    ``shared`` carries results between sections (e.g. the fitted CNN for the inspectors).
    """

    out: Path
    quick: bool = False
    epochs: int | None = None
    random_state: int = 0
    verbose: int = 1
    shared: dict = field(default_factory=dict)
    _start: float = field(default_factory=time.perf_counter)

    def log(self, message: str) -> None:
        """Print a progress line with the elapsed time."""
        if self.verbose:
            print(f"[{time.perf_counter() - self._start:6.1f}s] {message}", file=sys.stderr, flush=True)

    def save(self, fig, name: str) -> str:
        """Write ``fig`` as ``out/name`` (atomically) and return ``name`` for the page."""
        from ..plotting import save_figure

        save_figure(fig, self.out / name)
        return name

    def mnist_split(self):
        """The embedded MNIST subset, split 4000/1000 (stratified, random_state=0); cached.

        With ``quick`` the training part is cut to 1000 and the test part to 300 digits.
        """
        if "mnist_split" not in self.shared:
            from sklearn.model_selection import train_test_split

            from ..datasets import load_mnist

            digits = load_mnist()
            split = train_test_split(digits.data, digits.target, test_size=1000, stratify=digits.target,
                                     random_state=0)
            if self.quick:
                X_train, X_test, y_train, y_test = split
                split = [X_train[:1000], X_test[:300], y_train[:1000], y_test[:300]]
            self.shared["mnist_split"] = split
        return self.shared["mnist_split"]
