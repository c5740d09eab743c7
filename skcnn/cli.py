"""The ``skcnn`` command.

``skcnn demo --out DIR`` runs the report: every section listed in
:data:`skcnn._demo.SECTIONS` trains or inspects its model on the embedded data,
prints its numbers and writes its pictures; ``DIR/index.html`` shows them all.

Examples
--------
>>> from skcnn.cli import build_parser
>>> build_parser().parse_args(["demo", "--quick"]).quick
True
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skcnn`` command."""
    parser = argparse.ArgumentParser(prog="skcnn", description="scikit-learn compatible neural networks on "
                                     "handwritten digits, and tools to look inside them.")
    parser.add_argument("--version", action="version", version=f"skcnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="train the models on the embedded MNIST subset and write an HTML report",
                          description="Train the models on the embedded MNIST subset, print their scores and "
                          "write DIR/index.html with the pictures.")
    demo.add_argument("--out", type=Path, default=Path("skcnn-demo"), metavar="DIR",
                      help="folder for index.html and the pictures (default: ./skcnn-demo)")
    demo.add_argument("--epochs", type=int, default=None, metavar="N", help="CNN training epochs (default: 5)")
    demo.add_argument("--quick", action="store_true", help="a small, fast version (for tests)")
    demo.add_argument("--sections", default=None, metavar="A,B",
                      help="run only these sections (comma separated); default: all")
    demo.add_argument("--random-state", type=int, default=0, metavar="SEED")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    sub.add_parser("plugins", help="list the registered plugins of every registry")
    return parser


def run_demo(out, *, quick=False, epochs=None, sections=None, random_state=0, verbose=1):
    """Run the demo sections and write ``out/index.html``; return its path.

    Parameters
    ----------
    out : path-like
    quick : bool
    epochs : int, optional
    sections : list of str, optional
        Names from :data:`skcnn._demo.SECTIONS` (default: all, in order).
    random_state : int
    verbose : int

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg")
    from ._demo import SECTIONS
    from ._demo._context import DemoContext
    from ._demo._report import render_html, write_atomic

    names = list(SECTIONS) if sections is None else list(sections)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise ValueError(f"Unknown demo section(s) {unknown}; available: {', '.join(SECTIONS)}.")
    if epochs is not None and epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs}.")
    ctx = DemoContext(out=Path(out), quick=quick, epochs=epochs, random_state=random_state, verbose=verbose)
    ctx.out.mkdir(parents=True, exist_ok=True)
    done = []
    for name in names:
        start = time.perf_counter()
        section = importlib.import_module(f"skcnn._demo.{name}").run(ctx)
        section.seconds = time.perf_counter() - start
        done.append(section)
        # rewrite the page after every section, so a long run shows what it has so far
        write_atomic(ctx.out / "index.html", render_html(done, version=__version__))
    ctx.log(f"report written to {ctx.out / 'index.html'}")
    return ctx.out / "index.html"


def main(argv=None) -> int:
    """Entry point of the ``skcnn`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        try:
            page = run_demo(args.out, quick=args.quick, epochs=args.epochs, random_state=args.random_state,
                            sections=args.sections.split(",") if args.sections else None,
                            verbose=0 if args.quiet else 1)
        except ValueError as exc:
            parser.error(str(exc))
        print(f"\nReport: {page.resolve()}")
        return 0
    if args.command == "plugins":
        from . import plugins

        for kind, registry in plugins.registries.items():
            print(f"{kind}: {', '.join(registry.names()) or '(none)'}")
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
