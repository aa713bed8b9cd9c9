"""Sphinx settings for `make site`: the notebooks as static HTML, with their stored outputs.

tools/build_site.py stages the sources next to this file's settings and runs Sphinx; nothing
here may load from the network, at build time or when the page is read.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

project = "podid tutorial"
author = "the podid tutorial's authors"
extensions = ["myst_nb", "mermaid_blocks"]
exclude_patterns = ["_build"]

# The stored outputs are what the site shows; the notebooks are never run here.
nb_execution_mode = "off"
# myst-nb would load require.js and the widget manager from a CDN; the outputs hold no widgets.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}
nb_merge_streams = True
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = project
html_static_path = ["_static"]
# Vendored from npm by `make site` (tools/vendor); mermaid.min.js works from file:// too.
html_js_files = ["mermaid.min.js", "mermaid-init.js"]
html_theme_options = {"description": "AKS pod identity, offline", "show_powered_by": False}
html_show_sourcelink = False
html_show_copyright = False
html_copy_source = False
