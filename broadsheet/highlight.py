"""Code highlighting of fenced code with Pygments, for both Markdown engines.

Imported only when a body holds a fenced block with a language: a site without one never loads Pygments. The
output carries CSS classes (the theme's stylesheet colours them, in light and dark), never inline styles, and no
JavaScript; a language Pygments does not know is left plain, as the engine writes it.
"""

from __future__ import annotations

import functools
import re
from typing import Any

# (Pygments ships no type hints.)
from pygments import highlight as _highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

# An info string's first word is the language; writers of other tools add options after a comma or a brace
# (```rust,ignore, ```toml=, ```python{1,3}).
_LANGUAGE = re.compile(r"[^\s,{=]+")
_FORMATTER = HtmlFormatter(nowrap=True)


def language(info: str) -> str:
    """The language named by a fence's info string ('' for none)."""
    found = _LANGUAGE.match(info.strip())
    return found.group() if found else ""


@functools.lru_cache(maxsize=128)
def _lexer(name: str) -> Any:
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None


def highlight(code: str, info: str) -> str | None:
    """A fenced block as highlighted HTML, `<pre class="highlight"><code class="language-NAME">…</code></pre>`;
    None where the info string names no language Pygments knows."""
    name = language(info)
    lexer = _lexer(name.lower()) if name else None
    if lexer is None:
        return None
    spans: str = _highlight(code, lexer, _FORMATTER)
    escaped = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return f'<pre class="highlight"><code class="language-{escaped}">{spans}</code></pre>'
