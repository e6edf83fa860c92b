"""Reading dates as writers of Jekyll, Hugo and Zola sites write them: one parser, the same on every Python."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Zone abbreviations read as fixed offsets, as Ruby's Time.parse (Jekyll) reads them. Ambiguous ones (IST: India,
# Ireland or Israel; CST in China) are left out: an error asks for an offset instead.
ZONE_ABBREVIATIONS: dict[str, int] = {  # minutes east of UTC
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    "AKST": -540, "AKDT": -480, "HST": -600, "AST": -240, "ADT": -180, "NST": -210, "NDT": -150,
    "BST": 60, "WEST": 60, "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120, "EEST": 180,
    "MSK": 180, "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "AWST": 480, "ACST": 570, "ACDT": 630,
    "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}

# YYYY-MM-DD (months and days of one digit too), then optionally a time after 'T' or spaces, then optionally a zone:
# Z, an offset (+01:00, +0100, +01) or a name (an abbreviation above, or an IANA zone such as Europe/Berlin).
_WHEN = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"(?:\s*(?:([+-])(\d{2}):?(\d{2})?|([A-Za-z][A-Za-z0-9_+/-]*)))?")
_MONTHS = {name: number for number, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
_WORDS = re.compile(r"(?:[A-Za-z]+,?\s+)?(?:([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
                    r"|(\d{1,2})(?:st|nd|rd|th)?\.?\s+([A-Za-z]+)\.?,?\s+(\d{4}))(.*)")
_SLASHED = re.compile(r"(\d{1,4})[/.](\d{1,2})[/.](\d{1,4})(.*)")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_TIME_TAIL = re.compile(r"(?:,?\s*(?:at\s+)?|[Tt])(\d{1,2}:\d{2}(?::\d{2})?)\s*(.*)")


@lru_cache(maxsize=64)
def _zone_named(name: str) -> tzinfo:
    """A zone from an abbreviation of ZONE_ABBREVIATIONS or an IANA name; ValueError if it is neither."""
    minutes = ZONE_ABBREVIATIONS.get(name.upper())
    if minutes is not None:
        return timezone.utc if minutes == 0 else timezone(timedelta(minutes=minutes))
    if "/" in name or name in ("UTC", "Etc"):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ValueError(f"unknown time zone {name!r}")


def parse_when(text: str, zone: tzinfo) -> datetime:
    """A date or date and time as Jekyll and Hugo read them, as an aware datetime; without a zone, in `zone`
    (a date alone is midnight there). ValueError when it is not such a date."""
    found = _WHEN.fullmatch(text.strip())
    if found is None:
        raise ValueError("not a date")
    year, month, day, hour, minute, second, fraction, sign, off_hours, off_minutes, name = found.groups()
    if hour is None and (sign or name):
        raise ValueError("a time zone without a time")
    when = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                    int((fraction or "0")[:6].ljust(6, "0")))
    if sign:
        offset = timedelta(hours=int(off_hours), minutes=int(off_minutes or 0))
        if offset >= timedelta(hours=24):
            raise ValueError("offset out of range")
        return when.replace(tzinfo=timezone(-offset if sign == "-" else offset))
    return when.replace(tzinfo=_zone_named(name) if name else zone)


def iso_form(text: str) -> str | None:
    """What a date written some other way ('September 8, 2014', '8 Sep 2014', '2014/09/08', '25/12/2014',
    RFC 2822 as feeds write it) looks like in ISO 8601, when it can be read one way only; else None."""
    text = " ".join(text.split())
    try:
        day_and_tail = _day_of(text)
        if day_and_tail is None:
            return _rfc2822(text)
        day, tail = day_and_tail
        if not tail:
            return day.isoformat()
        clock = _TIME_TAIL.fullmatch(tail)
        if clock is None:
            return None
        moment = datetime.combine(day, time.fromisoformat(clock.group(1).zfill(5 if clock.group(1).count(":") == 1
                                                                               else 8)))
        if not clock.group(2):
            return moment.isoformat()
        zone = clock.group(2)
        offset = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", zone)
        if offset:
            return moment.isoformat() + f"{offset.group(1)}{offset.group(2)}:{offset.group(3)}"
        _zone_named(zone)
        return f"{moment.isoformat()} {zone}"
    except ValueError:
        return None


def _day_of(text: str) -> tuple[date, str] | None:
    """The day a written date names and the text after it, or None when there is none or it is ambiguous."""
    words = _WORDS.fullmatch(text)
    if words:
        month_name, day_text, year_text = (words.group(1), words.group(2), words.group(3)) if words.group(1) else (
            words.group(5), words.group(4), words.group(6))
        month = _MONTHS.get(month_name.lower())
        if month is None:
            return None
        return date(int(year_text), month, int(day_text)), words.group(7).strip()
    compact = _COMPACT.fullmatch(text)
    if compact:
        return date(*map(int, compact.groups())), ""
    slashed = _SLASHED.fullmatch(text)
    if not slashed:
        return None
    first, second, third, tail = slashed.groups()
    if len(first) == 4:
        return date(int(first), int(second), int(third)), tail.strip()
    if len(third) != 4:
        return None
    a, b = int(first), int(second)
    if a != b and a <= 12 and b <= 12:
        return None  # 03/04/2014: the 3rd of April or the 4th of March
    month, day = (a, b) if b > 12 else (b, a)
    return date(int(third), month, day), tail.strip()


def _rfc2822(text: str) -> str | None:
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.isoformat() if moment.tzinfo else None


_NAMED = re.compile(r"(\d{4})-(\d{2})-(\d{2})-(.+)")


def date_in_name(stem: str) -> tuple[str, str] | None:
    """(the date, the rest) of a file name in Jekyll's and Zola's form, 2014-09-15-rust-1.0 → ('2014-09-15',
    'rust-1.0'); None for any other name."""
    found = _NAMED.fullmatch(stem)
    return (f"{found.group(1)}-{found.group(2)}-{found.group(3)}", found.group(4)) if found else None
