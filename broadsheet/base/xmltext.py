"""The characters XML 1.0 does not allow (outside its Char production): no feed reader or sitemap parser accepts a
document holding one, so none may reach the site's feeds and sitemaps."""

from __future__ import annotations

import re

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def code_points(text: str) -> str:
    """The characters of text that XML does not allow, as 'U+000B, U+FFFE'."""
    return ", ".join(f"U+{ord(c):04X}" for c in sorted(set(NOT_XML.findall(text))))
