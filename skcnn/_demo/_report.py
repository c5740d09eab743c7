"""Writes the demo's ``index.html``: one block per section, pictures inline, written atomically."""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
section { border-top: 1px solid #ddd; padding-top: 0.5em; margin-top: 1.5em; }
pre { background: #f6f6f6; padding: 0.8em; font-size: 0.85em; white-space: pre-wrap; overflow-wrap: anywhere; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; max-width: 560px; }
"""


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole or not at all."""
    from .._io import atomic_write

    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def render_html(sections, *, title="skcnn demo", version="") -> str:
    """The page for a list of :class:`~skcnn._demo._context.Section`."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">skcnn {html.escape(version)}, '
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}</p>",
    ]
    for s in sections:
        parts.append(f"<section><h2>{html.escape(s.title)}</h2>")
        parts.append(f'<p class="meta">{s.seconds:.1f} s</p>')
        if s.text:
            parts.append(f"<pre>{html.escape(s.text)}</pre>")
        for name, caption in s.images:
            parts.append(
                f'<figure><a href="{html.escape(name)}" title="full size"><img src="{html.escape(name)}" '
                f'alt="{html.escape(caption)}"></a><figcaption>{html.escape(caption)}</figcaption></figure>'
            )
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
