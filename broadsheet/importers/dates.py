"""Dates as other generators accept them, read for an import (the new site gets them in ISO 8601)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

# Abbreviations Jekyll and Hugo sites write after a time, with their offsets from UTC in hours.
ZONE_ABBREVIATIONS = {"UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
                      "PST": -8, "PDT": -7, "CET": 1, "CEST": 2, "BST": 1, "IST": 5.5, "JST": 9}
_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
                   r"\s*(Z|[+-]\d{2}(?::?\d{2})?|[A-Za-z]{1,5})?\s*")


def read_date(value: Any) -> datetime | date | None:
    """A front matter date (a YAML date, or text like `2016-03-21 12:00:00 -0500`, `2016-9-6`, `… EDT`), naive when
    it names no offset; None when it cannot be read."""
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str):
        return None
    match = _DATE.fullmatch(value)
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        if hour is None:
            return date(int(year), int(month), int(day))
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    if zone is None:
        return moment
    if zone.upper() in ZONE_ABBREVIATIONS:
        return moment.replace(tzinfo=timezone(timedelta(hours=ZONE_ABBREVIATIONS[zone.upper()])))
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        return moment.replace(tzinfo=timezone(-offset if zone[0] == "-" else offset))
    return None
