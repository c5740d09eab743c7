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
import ast
import importlib
import importlib.util
import os
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from . import __version__

EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 2, 1, 130


class DemoUsageError(ValueError):
    """Options of ``skcnn demo`` that cannot work: the command ends with one line and status 2."""


def section_summaries():
    """``{name: one-line description}`` of every demo section, read without importing them.

    Examples
    --------
    >>> section_summaries()["neuron"]
    "the series' single neuron on the two clusters."
    """
    from ._demo import SECTIONS

    summaries = {}
    for name in SECTIONS:
        module = sys.modules.get(f"skcnn._demo.{name}")
        if module is not None:
            doc = module.__doc__ or ""
        else:
            spec = importlib.util.find_spec(f"skcnn._demo.{name}")
            doc = ast.get_docstring(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))) or ""
        first = doc.strip().splitlines()[0] if doc.strip() else ""
        summaries[name] = first.removeprefix("Demo section:").strip()
    return summaries


def _sections_epilog():
    lines = ["sections, run in this order (--sections picks some):"]
    for name, summary in section_summaries().items():
        lines.append(textwrap.fill(summary, width=100, initial_indent=f"  {name:<12}",
                                   subsequent_indent=" " * 14))
    lines += ["", "exit status: 0 done, 1 the report could not be written (disk full, ...),",
              "2 wrong options (checked before any work, --out included: it must be a folder",
              "that can be created and written to), 130 interrupted (Ctrl-C; no report is written)."]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skcnn`` command."""
    parser = argparse.ArgumentParser(prog="skcnn", description="scikit-learn compatible neural networks on "
                                     "handwritten digits, and tools to look inside them.")
    parser.add_argument("--version", action="version", version=f"skcnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="train the models on the embedded MNIST subset and write an HTML report",
                          description="Train the models on the embedded MNIST subset, print their scores and "
                          "write DIR/index.html with the pictures. The report appears whole at the end of "
                          "the run, or not at all.",
                          epilog=_sections_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_argument("--out", default="skcnn-demo", metavar="DIR",
                      help="folder for index.html and the pictures, created if missing; files of an earlier "
                      "report there are replaced (default: ./skcnn-demo)")
    demo.add_argument("--epochs", type=int, default=None, metavar="N",
                      help="training epochs of the CNN, a positive integer (default: 5, or 1 with --quick)")
    demo.add_argument("--quick", action="store_true",
                      help="a small, fast version: fewer digits, epochs and iterations (what the tests run)")
    demo.add_argument("--sections", default=None, metavar="A,B",
                      help="run only these sections, comma separated (names below); default: all")
    demo.add_argument("--random-state", type=int, default=0, metavar="SEED",
                      help="seed of every model and data split, for a reproducible report (default: 0)")
    demo.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    sub.add_parser("plugins", help="list the registered plugins of every registry")
    return parser


def _prepare_out(out):
    """Create the report folder and a staging folder inside it; return both.

    Raises DemoUsageError when ``out`` is empty, an existing file, or a folder
    that cannot be created or written to: the run stops before any work.
    """
    if isinstance(out, (str, bytes)) and not out:
        raise DemoUsageError("--out must name a folder for the report, got an empty string; "
                             "pass --out DIR (default: ./skcnn-demo).")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DemoUsageError(f"--out must be a folder, but {out} is an existing file.")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        try:
            staging = Path(tempfile.mkdtemp(dir=out, prefix=".tmp-run-"))
        except BaseException:
            if created:
                out.rmdir()
            raise
    except ValueError as exc:  # e.g. a NUL character in the name
        raise DemoUsageError(f"--out is not a valid folder name ({exc}): {str(out)!r}") from None
    except OSError as exc:
        raise DemoUsageError(f"--out {out} cannot be used: {exc.strerror or exc}; "
                             "pass a folder you can write to.") from None
    return out, staging, created


def _publish(staging, out):
    """Move the finished report from ``staging`` into ``out``, ``index.html`` last."""
    files = sorted(staging.iterdir(), key=lambda p: p.name == "index.html")
    for path in files:
        os.replace(path, out / path.name)
    staging.rmdir()


def run_demo(out, *, quick=False, epochs=None, sections=None, random_state=0, verbose=1):
    """Run the demo sections and write ``out/index.html``; return its path.

    Every picture and the page are written to a staging folder inside
    ``out`` and moved into ``out`` when all sections are done, so an error or
    an interrupt leaves no partial report (and an earlier one untouched).

    Parameters
    ----------
    out : path-like
        Folder of the report; created if missing.
    quick : bool
        A small, fast version.
    epochs : int, optional
        Training epochs of the CNN.
    sections : list of str, optional
        Names from :data:`skcnn._demo.SECTIONS` (default: all, in order).
    random_state : int
    verbose : int

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DemoUsageError
        A ValueError, for an unknown section, a non-positive ``epochs`` or an
        ``out`` that is empty, an existing file, or a folder that cannot be
        created or written to; raised before any section runs.
    OSError
        When the report cannot be written.
    """
    from ._demo import SECTIONS

    names = list(SECTIONS) if sections is None else list(sections)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise DemoUsageError(f"Unknown demo section(s) {unknown}; available: {', '.join(SECTIONS)}.")
    if epochs is not None and epochs < 1:
        raise DemoUsageError(f"epochs must be a positive integer, got {epochs}.")
    out, staging, created = _prepare_out(out)
    try:
        import matplotlib

        matplotlib.use("Agg")
        from ._demo._context import DemoContext
        from ._demo._report import render_html, write_atomic

        ctx = DemoContext(out=staging, quick=quick, epochs=epochs, random_state=random_state, verbose=verbose)
        done = []
        for name in names:
            start = time.perf_counter()
            section = importlib.import_module(f"skcnn._demo.{name}").run(ctx)
            section.seconds = time.perf_counter() - start
            done.append(section)
        write_atomic(staging / "index.html", render_html(done, version=__version__))
        _publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    ctx.log(f"report written to {out / 'index.html'}")
    return out / "index.html"


def _describe(exc):
    """One line for an OSError: what failed and on which path."""
    if exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return exc.strerror or str(exc)


def _parser_of(parser, argv, command, token):
    """The parser whose usage fits an unknown ``token``: the subcommand's when it follows the subcommand."""
    if command is None or command not in argv or token not in argv[argv.index(command) + 1:]:
        return parser
    return parser._subparsers._group_actions[0].choices[command]


def main(argv=None) -> int:
    """Entry point of the ``skcnn`` console script; returns the exit status.

    A user error ends with one line on stderr and status 2 (wrong options) or
    1 (the report could not be written); Ctrl-C ends with status 130. No
    traceback either way.
    """
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args, extra = parser.parse_known_args(argv)
    if extra:
        _parser_of(parser, argv, args.command, extra[0]).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "demo":
        try:
            page = run_demo(args.out, quick=args.quick, epochs=args.epochs, random_state=args.random_state,
                            sections=args.sections.split(",") if args.sections else None,
                            verbose=0 if args.quiet else 1)
        except KeyboardInterrupt:
            print("\nskcnn: interrupted; no report written.", file=sys.stderr)
            return EXIT_INTERRUPTED
        except DemoUsageError as exc:
            print(f"skcnn demo: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except OSError as exc:
            print(f"skcnn demo: error: {_describe(exc)}; no report written to {args.out}.", file=sys.stderr)
            return EXIT_FAILED
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
