"""The time zone a WordPress site wrote its dates in, read from its export.

WordPress writes each date twice: post_date in the site's time zone and post_date_gmt in UTC.
An export may name the zone (<wp:timezone_string>); otherwise the offsets between the two
dates tell it: the first zone that gives every item's offset (daylight saving time included)
is the site's, common zones tried first. A site whose offsets fit no zone gets none.
"""

from array import array
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

if TYPE_CHECKING:  # wxr.py keeps a DateOffsets: only the type checker reads this
    from blog.wordpress.wxr import Wxr

# Tried first, so that a site in Berlin is "Europe/Berlin" rather than "Africa/Ceuta".
COMMON = (
    "Europe/London Europe/Berlin Europe/Paris Europe/Madrid Europe/Rome Europe/Amsterdam "
    "Europe/Zurich Europe/Vienna Europe/Stockholm Europe/Warsaw Europe/Athens Europe/Helsinki "
    "Europe/Kyiv Europe/Istanbul Europe/Moscow Europe/Lisbon Europe/Dublin "
    "America/New_York America/Chicago America/Denver America/Phoenix America/Los_Angeles "
    "America/Anchorage America/Toronto America/Vancouver America/Mexico_City "
    "America/Sao_Paulo America/Argentina/Buenos_Aires America/Bogota America/Lima "
    "Pacific/Honolulu Asia/Tokyo Asia/Seoul Asia/Shanghai Asia/Hong_Kong Asia/Singapore "
    "Asia/Kolkata Asia/Dubai Asia/Jakarta Asia/Bangkok Asia/Manila Asia/Karachi Asia/Tehran "
    "Asia/Jerusalem Africa/Cairo Africa/Johannesburg Africa/Lagos Africa/Nairobi "
    "Australia/Sydney Australia/Melbourne Australia/Brisbane Australia/Perth "
    "Australia/Adelaide Pacific/Auckland"
).split()
SAMPLE = 200  # items compared: enough to see both sides of daylight saving time
EPOCH = datetime(1970, 1, 1)
SECOND = timedelta(seconds=1)


class DateOffsets:
    """Each dated item's local date and its offset from UTC, in 16 bytes an item."""

    def __init__(self):
        self._local = array("q")  # seconds since EPOCH, the local date as if it were UTC
        self._offset = array("q")  # seconds

    def add(self, local: datetime, gmt: datetime) -> None:
        self._local.append((local - EPOCH) // SECOND)
        self._offset.append((local - gmt) // SECOND)

    def sample(self, size: int) -> list[tuple[datetime, timedelta]]:
        """Return (local date, offset) of every nth item, n such that about size remain."""
        step = len(self._local) // size if len(self._local) > size else 1
        return [
            (EPOCH + local * SECOND, offset * SECOND)
            for local, offset in zip(self._local[::step], self._offset[::step], strict=True)
        ]


def export_zone(wxr: "Wxr") -> str | None:
    """Return the IANA name of the time zone the export's dates were written in, if known.

    None for a site in UTC (nothing to change) or one whose offsets fit no zone.
    """
    if wxr.timezone:
        try:
            ZoneInfo(wxr.timezone)
            return wxr.timezone
        except (ValueError, ZoneInfoNotFoundError):
            pass
    pairs = wxr.offsets.sample(SAMPLE)
    if not pairs or all(offset == timedelta(0) for _, offset in pairs):
        return None
    others = sorted(
        name
        for name in available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix", "right"))
    )
    for name in dict.fromkeys([*COMMON, *others]):
        if _fits(name, pairs):
            return name
    offsets = {offset for _, offset in pairs}
    if len(offsets) == 1:
        # One offset all year in no named zone's history: a fixed one, in whole hours.
        hours, rest = divmod(offsets.pop(), timedelta(hours=1))
        if not rest and -12 <= hours <= 14:
            return "UTC" if not hours else f"Etc/GMT{-hours:+d}"
    return None


def _fits(name: str, pairs: list[tuple[datetime, timedelta]]) -> bool:
    try:
        zone = ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return False
    return all(local.replace(tzinfo=zone).utcoffset() == offset for local, offset in pairs)
