"""YAML for front matter and site.yaml: the safe loader only, no aliases, bounded nesting, every failure a `path:line` problem."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

import yaml

from broadsheet.errors import Problem, SiteError
from broadsheet.xmltext import NOT_XML

# Front matter is a handful of keys; anything deeper is a mistake or an attack (libyaml's composer
# recurses in C and crashes the interpreter on ~100,000 nested brackets).
MAX_DEPTH = 20
_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# What YAML's messages mean for a writer, keyed by a fragment of the message.
_YAML_HINTS = (
    ("mapping values are not allowed", "quote the value: a ': ' inside it starts a new key"),
    ("could not find expected ':'", "each line is 'key: value'; quote values that contain ':' or '#'"),
    ("found undefined alias", "'*' starts an alias in YAML: quote the value"),
    ("did not find expected key", "check the indentation, or quote a value that starts with '[', '{' or '\"'"),
    ("found unknown escape character", "in double quotes a backslash starts an escape: use single quotes"),
    ("expected <block end>", "check the indentation, or quote a value that starts with a special character"),
    ("while scanning an anchor", "'&' starts an anchor in YAML: quote the value"),
    ("found character '@'", "'@' and '`' cannot start a value: quote it"),
    ("found character '`'", "'@' and '`' cannot start a value: quote it"),
    ("while scanning a tag", "'!' starts a tag in YAML: quote the value"),
)


class FrontMatterLoader(_SafeLoader):  # type: ignore[misc]
    """The safe loader, refusing duplicate keys (YAML says keys are unique) and leaving dates as text.

    Dates stay strings so that the field reader parses them, and an impossible date (2024-02-30) is reported
    as that field's problem on its own line rather than as a YAML failure of the whole front matter.
    """

    yaml_implicit_resolvers = {  # noqa: RUF012 (PyYAML's class-level table)
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """An explicit `!!timestamp`: a bad one is reported at its line."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date ({error})", node.start_mark) from None


FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", FrontMatterLoader.construct_yaml_timestamp)


def _scan(path: str, front: str, first_line: int) -> None:
    """Refuse anchors, aliases and deep nesting before anything is built from the text (events only, no recursion)."""
    loader = _SafeLoader(front)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line + first_line if event.start_mark else first_line
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise SiteError(Problem(path, line, "YAML anchors and aliases ('&name', '*name') are not allowed",
                                    "quote a value that starts with '&' or '*'"))
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise SiteError(Problem(path, line, f"the YAML nests deeper than {MAX_DEPTH} levels"))
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


def _yaml_problem(path: str, source: str, error: yaml.YAMLError, first_line: int, what: str) -> Problem:
    """A loader error as a problem at its line in the file (marks count from the line after the opening '---')."""
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark else first_line
        text = " ".join(part for part in (error.context, error.problem) if part) or str(error)
    elif isinstance(error, yaml.reader.ReaderError):
        line = source.count("\n", 0, error.position) + first_line
        text = f"character U+{error.character:04X} is not allowed" if isinstance(error.character, int) else error.reason
    else:
        line, text = first_line, str(error)
    text = " ".join(text.split())
    if "maximum nesting depth" in text:  # PyYAML >= 6.0.4 stops deep flow nesting itself, before _scan counts it
        return Problem(path, line, f"invalid {what}: the YAML nests deeper than {MAX_DEPTH} levels")
    hint = next((hint for fragment, hint in _YAML_HINTS if fragment in text), "")
    lines = source.split("\n")
    if 0 <= line - first_line < len(lines) and "\t" in lines[line - first_line]:
        hint = "indent with spaces, not tabs"
    return Problem(path, line, f"invalid {what}: {text}", hint)


# Every collection opens with one of these characters; a text with few of them cannot nest deep enough to
# trouble the parser, so its depth is checked on what it loads to (and scanned only when too deep, for the line).
_OPENERS = re.compile(r"[\[{:?-]")
_FEW_OPENERS = 200


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def non_xml_character(value: Any) -> str | None:
    """The first character XML does not allow in a loaded YAML value (its keys and items too), or None."""
    if isinstance(value, str):
        found = NOT_XML.search(value)
        return found.group() if found else None
    if isinstance(value, dict):
        return next(filter(None, map(non_xml_character, (*value.keys(), *value.values()))), None)
    if isinstance(value, list):
        return next(filter(None, map(non_xml_character, value)), None)
    return None


def non_xml_problems(path: str, data: dict[Any, Any], text: str, lines: dict[str, int]) -> list[Problem]:
    """A problem at its key's line for each value of a mapping loaded from `text` that holds a character XML does
    not allow (the site's feeds and sitemaps could not be read)."""
    if "\\" not in text:  # YAML's reader refuses them written as they are: only a double-quoted escape makes one
        return []
    problems = []
    for key, value in data.items():
        found = non_xml_character(key) or non_xml_character(value)
        if found:
            problems.append(Problem(path, lines.get(str(key), 1), f"{str(key)!r} holds the character "
                                    f"U+{ord(found):04X}, which XML (feeds, sitemaps) does not allow",
                                    "remove the escape that makes it, such as \\v, \\f or \\x01"))
    return problems


def load_yaml_mapping(path: str, text: str, first_line: int = 1, what: str = "YAML") -> dict[Any, Any]:
    """Parse YAML with the safe loader into a mapping (empty for empty text); every failure is a SiteError
    at its line, counting the text's first line as `first_line`."""
    try:
        # Anchors and aliases need '&' and '*': without them, and with few openers, the event scan is skipped.
        scanned = "&" in text or "*" in text or len(_OPENERS.findall(text)) > _FEW_OPENERS
        if scanned:
            _scan(path, text, first_line)
        data = yaml.load(text, Loader=FrontMatterLoader)
        if not scanned and _depth(data) > MAX_DEPTH:
            _scan(path, text, first_line)  # raises, naming the line
    except yaml.YAMLError as error:
        raise SiteError(_yaml_problem(path, text, error, first_line, what)) from None
    except (ValueError, RecursionError, TypeError, OverflowError, MemoryError) as error:
        message = " ".join(f"{type(error).__name__}: {error}".split())
        raise SiteError(Problem(path, first_line, f"invalid {what}: {message}")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SiteError(Problem(path, first_line, f"{what} must be a mapping of key: value",
                                "write one 'key: value' per line"))
    return data


def load_front_matter(path: str, front: str, first_line: int = 2) -> dict[Any, Any]:
    """Parse YAML front matter (the lines after the opening '---', which is line `first_line` - 1)."""
    return load_yaml_mapping(path, front, first_line=first_line, what="front matter")


_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")


def load_toml_front_matter(path: str, front: str, first_line: int = 2) -> dict[Any, Any]:
    """Parse TOML front matter (the lines between '+++' lines): every failure a problem at its line. Its dates are
    read as dates, as TOML defines them."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover (Python 3.10)
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    try:
        data: dict[Any, Any] = tomllib.loads(front)
        return data
    except tomllib.TOMLDecodeError as error:
        text = str(error)
        found = _TOML_AT.search(text)
        line = first_line + int(found.group(1)) - 1 if found else first_line
        if "Cannot overwrite" in text and not found:  # a key written twice: tomllib names no line, the second one's
            seen: set[str] = set()
            for number, written in enumerate(front.split("\n"), start=first_line):
                key = _TOML_KEY_LINE.match(written)
                if written.lstrip().startswith("["):
                    break
                if key and key.group(1) in seen:
                    line = number
                    break
                if key:
                    seen.add(key.group(1))
        message = _TOML_AT.sub("", text).strip() or "cannot be read"
        hint = "quote text values: title = \"A headline\"" if "Invalid value" in message else ""
        raise SiteError(Problem(path, line, f"invalid TOML front matter: {message}", hint)) from None
    except RecursionError:
        raise SiteError(Problem(path, first_line, "invalid TOML front matter: it nests deeper than Python "
                                "can read")) from None


_KEY_LINE = re.compile(r"([^\s:#\-][^:]*?)\s*:(?:\s|$)")
_TOML_KEY_LINE = re.compile(r"\s*([A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')\s*=")


def key_lines(front: str, first_line: int = 2, toml: bool = False) -> dict[str, int]:
    """File line of each top-level key of front matter (by default the opening '---' is line 1)."""
    lines: dict[str, int] = {}
    pattern = _TOML_KEY_LINE if toml else _KEY_LINE
    for number, line in enumerate(front.split("\n"), start=first_line):
        if toml and line.lstrip().startswith("["):
            break  # a table: the keys below it are not top-level
        match = pattern.match(line)
        if match:
            lines.setdefault(match.group(1).strip("'\""), number)
    return lines


def value_text(front: str, line: int, first_line: int = 2) -> str:
    """The value as written on a front matter line, for hints ('no', not False)."""
    lines = front.split("\n")
    text = lines[line - first_line] if first_line <= line < len(lines) + first_line else ""
    return text.split(":", 1)[1].split(" #", 1)[0].strip() if ":" in text else ""


def near_misses(path: str, keys: Iterable[Any], known: Iterable[str], lines: dict[str, int]) -> list[Problem]:
    """Warnings for unknown keys that look like typos of known ones (`sumary`, `tittle`)."""
    known = list(known)
    warnings = []
    for key in keys:
        if not isinstance(key, str) or key in known:
            continue
        close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.8)
        if close:
            warnings.append(Problem(path, lines.get(key, 1), f"unknown key '{key}' is kept as a custom field",
                                    f"did you mean '{close[0]}'?", warning=True))
    return warnings
