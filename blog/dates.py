"""Moving between stored UTC and the site's time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# The years a post may be dated: every date in them has a month page in the archive (which
# answers 1970 to 9998) and converts between time zones (year 1 or 9999 may not). Earlier or
# later is a slip of the keyboard (0001, 2206), not a news date; a century ahead is plenty.
EARLIEST_YEAR = 1970


def archive_date(year: int, month: int = 1) -> bool:
    """Tell whether a year (and month) can have an archive page: none before EARLIEST_YEAR."""
    return EARLIEST_YEAR <= year <= 9998 and 1 <= month <= 12


def latest_year() -> int:
    return datetime.now(UTC).year + 100


def in_post_years(value: datetime) -> bool:
    """Tell whether a post may be dated value (see EARLIEST_YEAR)."""
    return EARLIEST_YEAR <= value.year <= latest_year()


def to_local(value: datetime, zone: ZoneInfo) -> datetime:
    """Return a stored (naive UTC) time in the given zone."""
    return value.replace(tzinfo=UTC).astimezone(zone)


MONTHS = (
    None,
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def local_dates(value: datetime, zone: ZoneInfo) -> tuple[str, str]:
    """Return a stored time in the zone as <time> wants it: (datetime attribute, text).

    The text reads "November 25, 2026", in English whatever the server's locale (and
    cheaper than strftime, which a listing calls once per post).
    """
    local = value.replace(tzinfo=UTC).astimezone(zone)
    return local.isoformat(timespec="minutes"), f"{MONTHS[local.month]} {local.day}, {local.year}"


def to_utc(value: datetime, zone: ZoneInfo) -> datetime:
    """Return a naive local time in the zone as naive UTC, the way it is stored."""
    return value.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def month_range(year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the stored-time bounds [start, end) of a calendar month in the zone."""
    start = datetime(year, month, 1)
    end = datetime(year + month // 12, month % 12 + 1, 1)
    return to_utc(start, zone), to_utc(end, zone)


def utc_offset_minutes(zone: ZoneInfo) -> int:
    offset = datetime.now(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0
