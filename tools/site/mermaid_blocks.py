"""A Sphinx extension: ```mermaid fences become diagrams that the vendored mermaid.js draws."""

from __future__ import annotations

from html import escape
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


def to_diagrams(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace each literal block in the `mermaid` language by a `<pre class="mermaid">`."""
    for block in list(doctree.findall(nodes.literal_block)):
        if block.get("language") == "mermaid":
            html = f'<pre class="mermaid">{escape(block.astext())}</pre>'
            block.replace_self(nodes.raw("", html, format="html"))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the replacement; safe to run in parallel."""
    app.connect("doctree-resolved", to_diagrams)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
