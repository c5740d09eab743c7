"""Every Python block of the README and the user guide runs as written, in a fresh script.

What a reader would do: paste a page's Python blocks, in order, into a new
file and run it. Each page becomes one script (later blocks use the names of
earlier ones); a block with an ``if __name__ == "__main__":`` guard is a whole
script of its own (a Dask cluster's worker processes import the main module
again, so such a block must not share a file with the rest of the page). The
script runs with this Python in an empty temporary folder, with
``MPLBACKEND=Agg`` and a quiet TensorFlow; it must exit with 0, print no
traceback, and close quietly (no ``distributed`` warning or error).

Which blocks are Python: a fenced block opened with ```` ```python ```` in
Markdown; in reStructuredText a ``.. code-block:: python`` (or ``python3``,
``pycon``), a doctest block (``>>>``), and a literal ``::`` block whose text
compiles as Python (Sphinx's default highlighting treats such a block as
Python). A block that cannot run here says so right before it, visibly in the
source: ``.. skip-test: <why>`` in reStructuredText, ``<!-- skip-test: <why> -->``
in Markdown. Each skipped block is a skipped case of ``test_docs_code_runs_as_written``, its
reason in the summary.

Blocks that train keep their data small where they say so in a comment; the
whole file runs in a few minutes on two cores. ``python tests/test_docs_code.py``
prints every script and the blocks it runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "docs/index.rst", "docs/install.rst", "docs/quick_start.rst",
         *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "user_guide").glob("*.rst"))]
TIMEOUT = 900  # seconds for one script: generous, the test machine may be shared and slow

_SKIP_RST = re.compile(r"^\.\.\s+skip-test:\s*(.*\S)\s*$")
_SKIP_MD = re.compile(r"^<!--\s*skip-test:\s*(.*?)\s*-->\s*$")
_RST_PYTHON = {"python", "python3", "py", "pycon", "ipython"}
# what a close that is not quiet prints (for example "distributed.nanny - WARNING - Worker process
# still alive after 4.0 seconds, killing")
_NOISE = re.compile(r"^.*distributed\.[\w.]+ - (WARNING|ERROR|CRITICAL) - .*$", re.MULTILINE)


@dataclass
class Block:
    """One Python block: where it is, its code, and why it is skipped (None: it runs)."""

    page: str
    line: int  # 1-based line of the block's first code line in the page
    code: str
    skip: str | None = None

    @property
    def standalone(self):
        return re.search(r"^if __name__ == [\"']__main__[\"']\s*:", self.code, re.MULTILINE) is not None

    def __str__(self):
        return f"{self.page}:{self.line}"


@dataclass
class Script:
    """Blocks of one page run as one file, in order."""

    id: str
    blocks: list = field(default_factory=list)

    def source(self):
        """The script's text and, per script line, the (page, line) it came from."""
        lines, where = [], []
        for block in self.blocks:
            for k, text in enumerate(block.code.splitlines()):
                lines.append(text)
                where.append((block.page, block.line + k))
            lines.append("")
            where.append((block.page, None))
        return "\n".join(lines) + "\n", where


def _markdown_blocks(page, text):
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = re.match(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)", lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, lang = opening.groups()
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        if lang.lower() in ("python", "py", "python3"):
            code = textwrap.dedent("\n".join(line[len(indent):] for line in lines[i + 1:j]))
            skip = _SKIP_MD.match(_previous_text_line(lines, i))
            blocks.append(Block(page, i + 2, code, skip.group(1) if skip else None))
        i = j + 1
    return blocks


def _previous_text_line(lines, i):
    k = i - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    return lines[k].strip() if k >= 0 else ""


def _indented_body(lines, start, min_indent):
    """The lines from ``start`` indented deeper than ``min_indent`` (blank lines inside kept)."""
    j = start
    while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > min_indent):
        j += 1
    while j > start and not lines[j - 1].strip():
        j -= 1
    return j


def _indent(line):
    return len(line) - len(line.lstrip())


def _rst_blocks(page, text):
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        line = lines[i]
        directive = re.match(r"^(\s*)\.\.\s+(code-block|code|sourcecode)::\s*(\S*)", line)
        literal = not directive and line.rstrip().endswith("::") and not line.lstrip().startswith("..")
        doctest = line.lstrip().startswith(">>>") and not _previous_text_line(lines, i).endswith("::")
        if directive or literal:
            base = _indent(line)
            j = i + 1
            while j < len(lines) and lines[j].strip() and _indent(lines[j]) > base and \
                    lines[j].lstrip().startswith(":"):  # the directive's options
                j += 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            end = _indented_body(lines, j, base)
            code = textwrap.dedent("\n".join(lines[j:end]))
            is_python = (directive.group(3).lower() in _RST_PYTHON) if directive else _compiles(code)
            if is_python and code.strip():
                if code.lstrip().startswith(">>>"):
                    code = _doctest_source(code)
                skip = _SKIP_RST.match(_previous_text_line(lines, i))
                blocks.append(Block(page, j + 1, code, skip.group(1) if skip else None))
            i = max(end, i + 1)
        elif doctest:
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            skip = _SKIP_RST.match(_previous_text_line(lines, i))
            blocks.append(Block(page, i + 1, _doctest_source("\n".join(lines[i:end])),
                                skip.group(1) if skip else None))
            i = end
        else:
            i += 1
    return blocks


def _doctest_source(text):
    """The code of a doctest block: its ``>>>`` and ``...`` lines, prompts removed (outputs dropped)."""
    code = []
    for line in textwrap.dedent(text).splitlines():
        if line.startswith((">>> ", "... ")) or line in (">>>", "..."):
            code.append(line[4:])
    return "\n".join(code)


def _compiles(code):
    try:
        compile(code, "<block>", "exec")
    except SyntaxError:
        return False
    return True


def blocks_of(page):
    """The Python blocks of one page (a path relative to the repository root), in order."""
    text = (ROOT / page).read_text(encoding="utf-8")
    return _markdown_blocks(page, text) if page.endswith(".md") else _rst_blocks(page, text)


def scripts():
    """Every script this file runs: per page, the blocks in order; a ``__main__`` block alone."""
    found = []
    for page in PAGES:
        shared = Script(page)
        for block in blocks_of(page):
            if block.skip is not None:
                continue
            if block.standalone:
                found.append(Script(f"{page}:{block.line}", [block]))
            else:
                shared.blocks.append(block)
        if shared.blocks:
            found.append(shared)
    return found


def skipped():
    return [block for page in PAGES for block in blocks_of(page) if block.skip is not None]


def _params():
    # a script whose code is another's, character for character (the README shows the user guide's Dask
    # recipe), runs once: the second is a skipped case that names the first
    runs, first = [], {}
    for s in scripts():
        twin = first.setdefault(s.source()[0], s.id)
        marks = () if twin == s.id else pytest.mark.skip(reason=f"{s.id}: the same code as {twin}, which runs")
        runs.append(pytest.param(s, id=s.id, marks=marks))
    # a skipped block shows in the summary (-ra) with its reason
    skips = [pytest.param(Script(str(b), [b]), id=str(b), marks=pytest.mark.skip(reason=f"{b}: {b.skip}"))
             for b in skipped()]
    return runs + skips


def _where(stderr, script_name, where):
    """The page lines of the script lines a traceback names (for a readable failure)."""
    places = []
    for match in re.finditer(rf'File ".*{re.escape(script_name)}", line (\d+)', stderr):
        k = int(match.group(1)) - 1
        if 0 <= k < len(where) and where[k][1] is not None:
            places.append("{}:{}".format(*where[k]))
    return places


@pytest.mark.slow
@pytest.mark.parametrize("script", _params())
def test_docs_code_runs_as_written(script, tmp_path):
    source, where = script.source()
    name = "docs_block.py"
    (tmp_path / name).write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update(MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2", PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)  # the installed skcnn, as a reader has it
    result = subprocess.run([sys.executable, name], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=TIMEOUT)
    shown = f"blocks {[str(b) for b in script.blocks]}\n--- stdout\n{result.stdout[-3000:]}\n" \
            f"--- stderr\n{result.stderr[-6000:]}"
    failing = _where(result.stderr, name, where)
    assert result.returncode == 0, f"exit code {result.returncode}, at {failing}\n{shown}"
    assert "Traceback" not in result.stderr, f"a traceback, at {failing}\n{shown}"
    noise = _NOISE.search(result.stderr)
    assert noise is None, f"the close is not quiet: {noise and noise.group(0)!r}\n{shown}"


def test_every_page_is_found_and_read():
    # the pages exist, and the parser finds the blocks a reader sees: guards against a parser that
    # silently finds nothing (and so tests nothing)
    assert all((ROOT / page).is_file() for page in PAGES)
    found = {page: len(blocks_of(page)) for page in PAGES}
    rst_sources = "".join((ROOT / p).read_text(encoding="utf-8") for p in PAGES if p.endswith(".rst"))
    md = (ROOT / "README.md").read_text(encoding="utf-8")
    assert found["README.md"] == md.count("```python")
    directives = len(re.findall(r"^\s*\.\. code-block::\s*python\s*$", rst_sources, re.MULTILINE))
    assert sum(n for page, n in found.items() if page.endswith(".rst")) >= directives > 0


def test_the_parser_reads_each_kind_of_block(tmp_path):
    rst = textwrap.dedent('''\
        Title
        =====

        .. code-block:: python
           :caption: one

           a = 1

           b = a + 1

        Shell, not Python::

           pip install "skcnn[distributed]"

        Python in a literal block::

           c = b * 2

        .. skip-test: needs the internet

        .. code-block:: python

           download()

        .. code-block:: bash

           ls

        >>> d = c + 1
        >>> d
        5
        ''')
    blocks = _rst_blocks("p.rst", rst)
    assert [(b.line, b.code, b.skip) for b in blocks] == [
        (7, "a = 1\n\nb = a + 1", None), (17, "c = b * 2", None), (23, "download()", "needs the internet"),
        (29, "d = c + 1\nd", None)]
    md = "x\n\n<!-- skip-test: a shell block -->\n```python\nprint(1)\n```\n\n```bash\nls\n```\n" \
         "```python\nif __name__ == \"__main__\":\n    main()\n```\n"
    blocks = _markdown_blocks("p.md", md)
    assert [(b.line, b.code, b.skip, b.standalone) for b in blocks] == [
        (5, "print(1)", "a shell block", False), (12, 'if __name__ == "__main__":\n    main()', None, True)]


if __name__ == "__main__":
    for param in _params():
        s = param.values[0]
        print(f"{s.id}: {', '.join(str(b) for b in s.blocks)}", *(m.kwargs["reason"] for m in param.marks))
    for b in skipped():
        print(f"skipped {b}: {b.skip}")
