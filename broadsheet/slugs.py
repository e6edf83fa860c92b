"""Turning names from content into safe URL segments."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote

MAX_SLUG_LENGTH = 80

# Letters that Unicode decomposition does not reduce to ASCII.
_TRANSLITERATION = str.maketrans({
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i",
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia", "є": "ie",
    "і": "i", "ї": "i", "ґ": "g",
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_HYPHENS = re.compile(r"-{2,}")
MAX_SLUG_BYTES = 200  # a Unicode slug's letters take 2 to 4 bytes each: its file name stays within 255


@lru_cache(maxsize=1 << 16)  # tags and authors are slugified for every article that names them
def slugify(text: str) -> str:
    """Lowercase ASCII letters, digits and single hyphens, where transliteration leaves any (Latin, Cyrillic and Greek
    text); else the letters and digits of the text's own script (Japanese, Chinese, Arabic, Hindi...: 東京で選挙),
    as Hugo and Zola keep them; '' when the text holds no letter or digit at all."""
    ascii_text = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLITERATION))
    ascii_text = ascii_text.translate(_TRANSLITERATION).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_text).strip("-")
    if not slug and not text.isascii():
        return _unicode_slug(text)
    if len(slug) > MAX_SLUG_LENGTH:
        slug = slug[:MAX_SLUG_LENGTH].rsplit("-", 1)[0] or slug[:MAX_SLUG_LENGTH]
    return slug


def _unicode_slug(text: str) -> str:
    # Letters, marks (the vowel signs of Devanagari and Thai, Arabic's harakat) and digits of any script are kept;
    # anything else separates words.
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" else "-" for c in unicodedata.normalize("NFC", text.lower()))
    slug = _HYPHENS.sub("-", kept).strip("-")
    if len(slug) > MAX_SLUG_LENGTH or len(slug.encode()) > MAX_SLUG_BYTES:
        cut = slug[:MAX_SLUG_LENGTH]
        while len(cut.encode()) > MAX_SLUG_BYTES:
            cut = cut[:-1]
        slug = (cut.rsplit("-", 1)[0] if "-" in cut else cut).strip("-")
        # (a combining mark left without its letter at the cut would start nothing: NFC keeps them together)
    return slug


def quote_path(path: str) -> str:
    """A path of the site as it is written in links, sitemaps and feeds: percent-encoded where it holds Unicode
    (a slug such as 東京 is published as a folder of that name, and linked as %E6%9D%B1%E4%BA%AC)."""
    return path if path.isascii() else quote(path, safe="/:@!$&'()*+,;=-._~%")


NO_SLUG_HINT = "give it a name with at least one letter or digit"


# Device names Windows refuses as a file or folder name, in any letter case and with any extension (nul.txt): a
# clone of a published branch holding one fails on Windows.
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"{port}{n}" for port in ("COM", "LPT") for n in range(10))})
WINDOWS_HINT = "Windows cannot hold a file or folder named CON, PRN, AUX, NUL, COM0-9 or LPT0-9, with any extension"


def is_reserved_on_windows(name: str) -> bool:
    """Whether Windows refuses a file or folder of this name (one segment of a path): CON, nul.txt, Com1.html."""
    return name.partition(".")[0].rstrip(" ").upper() in WINDOWS_RESERVED


# Besides those names, what Windows refuses in a name: these characters (a backslash is its separator), and a dot or
# space at the end (which it drops, so that two names become one).
_WINDOWS_REFUSES = re.compile(r'[<>:"|?*\\]|[. ]$')
WINDOWS_PATH_HINT = WINDOWS_HINT + ', nor a name holding < > : " | ? * \\ or ending in a dot or a space'


def windows_refused_segment(path: str) -> str | None:
    """The first segment of a /-separated path that Windows refuses as a name: a reserved one (see
    is_reserved_on_windows), or one holding a character it refuses or ending in a dot or space."""
    return next((part for part in path.split("/") if is_reserved_on_windows(part) or _WINDOWS_REFUSES.search(part)),
                None)
