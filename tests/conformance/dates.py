"""Date checks: RFC 822 for RSS, RFC 3339 for Atom, and the W3C's plausible range."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_tz

from lxml import etree

from .common import display_name, text_of
from .report import Report, location, quoted

# RFC 2822 with the RSS allowance folded in: the strict form the validator calls valid.
RFC2822_RE = re.compile(
    r"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d\d? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d\d\d\d \d\d:\d\d(:\d\d)? ([+-]?\d\d[03]0|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|Z)$"
)
# Plain RFC 822 (two-digit years, military zones, free spacing): parseable, but the
# validator warns that it is "problematical".
RFC822_RE = re.compile(
    r"((mon|tue|wed|thu|fri|sat|sun)\s*,\s*)?\d\d?\s+"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+\d\d(\d\d)?\s+\d\d:\d\d(:\d\d)?\s+"
    r"([+-]\d\d\d\d|ut|gmt|est|edt|cst|cdt|mst|mdt|pst|pdt|[a-ik-z])?$"
)
RFC3339_RE = re.compile(
    r"^(\d\d\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-](\d\d):(\d\d))$"
)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Dates before this, or more than a few minutes ahead of now, are the W3C's ImplausibleDate.
PLAUSIBLE_SINCE = datetime(1990, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=10)


def check_rfc822(element: etree._Element, report: Report) -> None:
    where = location(element)
    name = display_name(element)
    value = text_of(element).strip()
    if not RFC2822_RE.match(value):
        uncommented = value
        previous = None
        while previous != uncommented:
            previous, uncommented = uncommented, re.sub(r"\([^(]*?\)", " ", uncommented)
        if RFC822_RE.match(uncommented.strip().lower()):
            report.warning(
                where,
                f"problematical RFC 822 date-time value {quoted(value)}; write it like "
                '"Wed, 19 Jun 2024 14:30:00 +0900" (W3C ProblematicalRFC822Date)',
            )
        else:
            report.error(
                where,
                f'{name} must be an RFC-822 date-time such as "Wed, 19 Jun 2024 14:30:00 +0900", '
                f"not {quoted(value)} (W3C InvalidRFC2822Date)",
            )
        return
    parts = parsedate_tz(value)
    if parts is None:
        report.error(where, f"{name} does not parse as a date: {quoted(value)}")
        return
    year, month, day, hour, minute, second = parts[:6]
    try:
        calendar_day = date(year, month, day)
    except ValueError as exc:
        report.error(where, f"{name} is not a real date: {quoted(value)} ({exc})")
        return
    if hour > 23 or minute > 59 or second > 60:
        report.error(where, f"{name} has an impossible time of day: {quoted(value)}")
        return
    if "," in value and DAY_NAMES[calendar_day.weekday()] != value[:3]:
        expected = DAY_NAMES[calendar_day.weekday()]
        report.error(
            where,
            f"incorrect day of week in {quoted(value)}: that date is a {expected} "
            "(W3C IncorrectDOW)",
        )
        return
    offset = timedelta(seconds=parts[9] or 0)
    moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC) - offset
    _check_plausible(element, value, moment, report)


def check_rfc3339(element: etree._Element, report: Report) -> None:
    where = location(element)
    name = display_name(element)
    raw = text_of(element)
    value = raw.strip()
    if raw != value:
        report.error(
            where,
            f"white space is not allowed around {name} (W3C UnexpectedWhitespace, RFC 4287 3)",
        )
    match = RFC3339_RE.match(value)
    if match is None:
        report.error(
            where,
            f"{name} must be an RFC-3339 date-time with an explicit offset, such as "
            f'"2024-06-19T14:30:00+09:00", not {quoted(value)} (W3C InvalidRFC3339Date)',
        )
        return
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        offset = timedelta(0)
        if match.group(8) != "Z":
            offset_hours, offset_minutes = int(match.group(9)), int(match.group(10))
            if offset_hours > 23 or offset_minutes > 59:
                raise ValueError("offset out of range")
            offset = timedelta(hours=offset_hours, minutes=offset_minutes)
            if match.group(8).startswith("-"):
                offset = -offset
        # RFC 3339 admits a leap second; datetime does not, and a second either way cannot
        # change whether a date is plausible.
        local = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
        if second > 60:
            raise ValueError("second out of range")
    except ValueError as exc:
        report.error(
            where,
            f"{name} is not a real date-time: {quoted(value)} ({exc}) (W3C InvalidRFC3339Date)",
        )
        return
    _check_plausible(element, value, local - offset, report)


def _check_plausible(element: etree._Element, value: str, moment: datetime, report: Report) -> None:
    if moment < PLAUSIBLE_SINCE or moment > report.now + CLOCK_SKEW:
        report.warning(
            location(element),
            f"implausible date {quoted(value)}: before 1990 or in the future (W3C ImplausibleDate)",
        )
