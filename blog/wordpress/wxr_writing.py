"""Writing WXR: the pieces of an export file, as WordPress's exporter writes them.

Every text goes in CDATA (wxr_cdata()), dates as WordPress writes them, an <item>'s elements
in WordPress's order. blog.wordpress.export and blog.wordpress.export_site put them together.
"""

import re
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from blog.dates import to_local
from blog.wordpress.wxr import NO_DATE

# Characters XML 1.0 forbids even in CDATA: a file holding one would not parse at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SITE_PATH = re.compile(r'\b(src|href)="/(?!/)')


def cdata(text: str) -> str:
    """Wrap text in CDATA as WordPress's wxr_cdata() does, "]]>" split across two sections."""
    return "<![CDATA[" + _NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def xml_text(text: str) -> str:
    return escape(_NOT_XML.sub("", text), {'"': "&quot;"})


def wxr_date(value: datetime | None, zone: ZoneInfo | None = None) -> str:
    """Return a stored (naive UTC) time as WordPress writes dates, in the zone if given."""
    if value is None:
        return NO_DATE
    return (to_local(value, zone) if zone else value).strftime("%Y-%m-%d %H:%M:%S")


def rss_date(value: datetime) -> str:
    return format_datetime(value.replace(tzinfo=UTC, microsecond=0))


def element(name: str, value: str, indent: str = "\t\t") -> str:
    return f"{indent}<{name}>{value}</{name}>\n"


def item(fields: dict[str, str], terms: list[str], meta: dict[str, str], comments="") -> str:
    """Return one <item>, its elements in WordPress's order; the values are XML already.

    comments: its <wp:comment> elements, written last as WordPress does.
    """
    lines = [element(name, value) for name, value in fields.items()]
    lines = [line.replace("<guid>", '<guid isPermaLink="false">') for line in lines]
    lines += [f"\t\t{term}\n" for term in terms]
    for key, value in meta.items():
        lines.append(
            "\t\t<wp:postmeta>\n"
            + element("wp:meta_key", cdata(key))
            + element("wp:meta_value", cdata(value))
            + "\t\t</wp:postmeta>\n"
        )
    return "\t<item>\n" + "".join(lines) + comments + "\t</item>\n"


def fields(title, link, guid, dated, creator, content, excerpt, wp_id, gmt, modified, zone):
    return {
        "title": cdata(title),
        "link": xml_text(link),
        "pubDate": rss_date(dated),
        "dc:creator": cdata(creator),
        "guid": xml_text(guid),
        "description": "",
        "content:encoded": cdata(content),
        "excerpt:encoded": cdata(excerpt),
        "wp:post_id": str(wp_id),
        "wp:post_date": cdata(wxr_date(dated, zone)),
        "wp:post_date_gmt": cdata(wxr_date(gmt)),
        "wp:post_modified": cdata(wxr_date(modified, zone)),
        "wp:post_modified_gmt": cdata(wxr_date(modified)),
        "wp:comment_status": cdata("closed"),
        "wp:ping_status": cdata("closed"),
    }


def tail(slug: str, status: str, post_type: str, sticky: bool = False) -> dict[str, str]:
    return {
        "wp:post_name": cdata(slug),
        "wp:status": cdata(status),
        "wp:post_parent": "0",
        "wp:menu_order": "0",
        "wp:post_type": cdata(post_type),
        "wp:post_password": cdata(""),
        "wp:is_sticky": "1" if sticky else "0",
    }
