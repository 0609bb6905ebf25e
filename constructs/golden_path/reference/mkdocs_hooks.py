"""mkdocs hooks (mkdocs.yml ``hooks:``) for pages that read the same on GitHub and in the site.

A `|` inside a code span in a table cell must be written `\\|` for GitHub (its tables split
cells before code spans are read); Python-Markdown keeps the backslash in the code. So the
site takes it out again, in code only.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"<code>(.*?)</code>", re.S)


def on_page_content(html: str, **_kwargs) -> str:
    return _CODE.sub(lambda m: "<code>" + m[1].replace("\\|", "|") + "</code>", html)
