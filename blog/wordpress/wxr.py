"""WordPress's export format, WXR (WordPress eXtended RSS): its namespaces, and reading a file.

Reading accepts versions 1.0 to 1.2 in every spelling WordPress has written (the wp namespace
names the version, over http or https) and checks what an import needs;
blog.wordpress.importing maps the result into this blog, blog.wordpress.export writes one.
A file is read as a stream (blog.wordpress.parsing): read_wxr checks every item and keeps the
channel, Wxr.items() reads the items again one at a time, so that an import of a large export
takes no more memory than one of a small export.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from blog.dates import EARLIEST_YEAR, in_post_years, latest_year
from blog.wordpress.parsing import WxrError, WxrFile
from blog.wordpress.zone import DateOffsets

CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
# What the wp namespace may be (the excerpt one adds "excerpt/"): WordPress writes http, some
# of its own files (the Theme Unit Test data) say https, and WordPress's importer reads
# whatever URI a file binds to the prefix wp.
WORDPRESS_NAMESPACE = r"https?://wordpress\.org/export/1\.[0-2]/"
NO_DATE = "0000-00-00 00:00:00"
WXR_VERSION = "1.2"
NAMESPACES = {
    "excerpt": f"http://wordpress.org/export/{WXR_VERSION}/excerpt/",
    "content": CONTENT,
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": DC,
    "wp": f"http://wordpress.org/export/{WXR_VERSION}/",
}
Progress = Callable[[int], object]


@dataclass
class ReaderComment:
    """One <wp:comment> as the file has it; blog.wordpress.comments decides what is kept."""

    wp_id: int
    parent: int  # the comment it replies to, 0 for none
    kind: str  # as _comment_kind says: "approved", "held", "spam" or "pings"
    author: str
    author_url: str
    date_gmt: datetime | None
    date_local: datetime | None
    content: str  # HTML, as WordPress keeps it


@dataclass
class Item:
    """One <item>: a post, page, attachment or anything else WordPress exports."""

    wp_id: int | None  # None when the file gives none (WordPress writes none in some files)
    post_type: str
    title: str
    slug: str
    status: str
    content: str
    excerpt: str
    date_gmt: datetime | None
    date_local: datetime | None
    modified_gmt: datetime | None
    categories: list[tuple[str, str]]  # (nicename, name), in the file's order
    tags: list[tuple[str, str]]
    meta: dict[str, str]
    attachment_url: str
    parent: int = 0
    password: str = ""  # set: WordPress shows the post only to readers who know it
    sticky: bool = False  # <wp:is_sticky>1: pinned to the top of the home page
    link: str = ""  # its address on the WordPress site (<link>)
    formats: list[tuple[str, str]] = field(default_factory=list)  # post_format (nicename, name)
    comments: Counter = field(default_factory=Counter)  # "approved", "held", "spam", "pings"
    reader_comments: list[ReaderComment] = field(default_factory=list)
    menu_order: int = 0  # <wp:menu_order>: a menu item's place in its menu
    menus: list[str] = field(default_factory=list)  # a menu item's nav_menu nicenames


@dataclass
class Wxr:
    """A checked WXR file: its channel, and what its items hold in brief; items() reads them."""

    path: Path
    version: str
    authors: list[str]
    categories: dict[str, tuple[str, str]]  # nicename -> (name, description)
    tags: dict[str, str]  # slug -> name
    wp: str  # "{uri}" of the file's wp namespace, and of its excerpt one
    excerpt: str
    category_ids: dict[str, int] = field(default_factory=dict)  # nicename -> term id
    category_parents: dict[str, str] = field(default_factory=dict)  # nicename -> parent's
    timezone: str = ""  # <wp:timezone_string>, which some exports carry
    menus: dict[str, str] = field(default_factory=dict)  # nav_menu nicename -> name, in order
    base_url: str = ""  # <wp:base_site_url>: links to the old site in menus lead here
    kinds: Counter = field(default_factory=Counter)  # post_type -> items
    unnumbered: bool = False  # some item has no <wp:post_id>
    offsets: DateOffsets = field(default_factory=DateOffsets)
    menu_items: list[Item] = field(default_factory=list)  # few, and read in one go

    def items(self, *kinds: str) -> Iterator[Item]:
        """Read the file's items (of these post types) again, one at a time."""
        for number, element in enumerate(WxrFile(self.path), 1):
            if not kinds or _post_type(element, self.wp) in kinds:
                yield _item(element, number, self.wp, self.excerpt)

    def steps(self, pages: str, with_media: bool) -> int:
        """How many steps an import takes: one per post (page) and one per attachment."""
        kinds = {"post"} | ({"page"} if pages != "skip" else set())
        kinds |= {"attachment"} if with_media else set()
        return sum(self.kinds[kind] for kind in kinds)


def read_wxr(path: Path) -> Wxr:
    """Check a WXR file and read its channel; raise WxrError saying what is wrong with a bad one.

    Two readings: the first checks the XML and keeps the channel without its items, the
    second checks every item and notes what an import needs to know before it starts.
    """
    reading = WxrFile(path)
    for _ in reading:
        pass  # the items are read once the namespaces are known
    root = reading.root
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise WxrError(f"{path} is not a WordPress export: no <rss><channel>.")
    wp = _wordpress_namespace(reading.namespaces, channel)
    if not wp:
        declared = reading.namespaces.get("wp")
        found = f"its xmlns:wp is {declared!r}" if declared else "it declares no xmlns:wp"
        raise WxrError(
            f"{path} is not a WordPress export 1.0 to 1.2: {found}, "
            "where WordPress writes http://wordpress.org/export/1.2/."
        )
    version = channel.find(f"{wp}wxr_version")
    if version is None or not re.fullmatch(r"1\.[0-2]", (version.text or "").strip()):
        raise WxrError(f"{path} has no WXR version 1.0 to 1.2 (<wp:wxr_version>).")
    excerpt = _wordpress_namespace(reading.namespaces, channel, "excerpt") or wp[:-1] + "excerpt/}"

    def text(element, name: str) -> str:
        return _text(element, name, wp)

    wxr = Wxr(
        path,
        version.text.strip(),
        [text(a, f"{wp}author_login") for a in channel.iter(f"{wp}author")],
        {
            text(c, f"{wp}category_nicename"): (
                text(c, f"{wp}cat_name"),
                text(c, f"{wp}category_description"),
            )
            for c in channel.iter(f"{wp}category")
        },
        {text(t, f"{wp}tag_slug"): text(t, f"{wp}tag_name") for t in channel.iter(f"{wp}tag")},
        wp,
        excerpt,
        category_ids={
            text(c, f"{wp}category_nicename"): _number(text(c, f"{wp}term_id"))
            for c in channel.iter(f"{wp}category")
            if _number(text(c, f"{wp}term_id"))
        },
        category_parents={
            text(c, f"{wp}category_nicename"): text(c, f"{wp}category_parent").strip()
            for c in channel.iter(f"{wp}category")
            if text(c, f"{wp}category_parent").strip()
        },
        timezone=text(channel, f"{wp}timezone_string").strip(),
        menus={
            text(t, f"{wp}term_slug"): text(t, f"{wp}term_name")
            for t in channel.iter(f"{wp}term")
            if text(t, f"{wp}term_taxonomy").strip() == "nav_menu"
        },
        base_url=text(channel, f"{wp}base_site_url").strip(),
    )
    for item in wxr.items():
        wxr.kinds[item.post_type] += 1
        wxr.unnumbered |= item.wp_id is None
        if item.date_local is not None and item.date_gmt is not None:
            wxr.offsets.add(item.date_local, item.date_gmt)
        if item.post_type == "nav_menu_item":
            wxr.menu_items.append(item)
    return wxr


def _text(element, name: str, wp: str, required: str = "") -> str:
    found = element.find(name)
    if found is None and required:
        raise WxrError(f"{required} has no <{name.replace(wp, 'wp:')}>.")
    return (found.text or "") if found is not None else ""


def _post_type(element, wp: str) -> str:
    return (element.findtext(f"{wp}post_type") or "").strip()


def _item(element, number: int, wp: str, excerpt: str) -> Item:
    def text(name: str, required: str = "") -> str:
        return _text(element, name, wp, required)

    where = f"Item {number} ({text('title')!r})"
    post_id = text(f"{wp}post_id").strip()
    if post_id and not post_id.isdigit():
        raise WxrError(f"{where} has a bad <wp:post_id> {post_id!r}.")
    terms = [
        (c.get("domain"), c.get("nicename") or "", c.text or "") for c in element.iter("category")
    ]
    return Item(
        wp_id=int(post_id) if post_id else None,
        post_type=text(f"{wp}post_type", where).strip(),
        title=text("title"),
        slug=text(f"{wp}post_name").strip(),
        status=text(f"{wp}status").strip(),
        content=text(f"{{{CONTENT}}}encoded"),
        excerpt=text(f"{excerpt}encoded"),
        date_gmt=_date(text(f"{wp}post_date_gmt"), where),
        date_local=_date(text(f"{wp}post_date"), where),
        modified_gmt=_date(text(f"{wp}post_modified_gmt"), where),
        categories=[(n, name) for d, n, name in terms if d == "category"],
        tags=[(n, name) for d, n, name in terms if d == "post_tag"],
        meta={
            _text(m, f"{wp}meta_key", wp): _text(m, f"{wp}meta_value", wp)
            for m in element.iter(f"{wp}postmeta")
        },
        attachment_url=text(f"{wp}attachment_url").strip(),
        parent=_number(text(f"{wp}post_parent")),
        password=text(f"{wp}post_password"),
        sticky=text(f"{wp}is_sticky").strip() == "1",
        link=text("link").strip(),
        formats=[(n, name) for d, n, name in terms if d == "post_format"],
        comments=Counter(_comment_kind(c, wp) for c in element.iter(f"{wp}comment")),
        reader_comments=[_reader_comment(c, wp, where) for c in element.iter(f"{wp}comment")],
        menu_order=_number(text(f"{wp}menu_order")),
        menus=[n for d, n, _ in terms if d == "nav_menu"],
    )


def _comment_kind(comment, wp: str) -> str:
    """Return what a <wp:comment> is: an approved comment, one held back, spam or a ping."""
    kind = (comment.findtext(f"{wp}comment_type") or "").strip()
    if kind in ("pingback", "trackback"):
        return "pings"
    approved = (comment.findtext(f"{wp}comment_approved") or "").strip()
    return {"1": "approved", "spam": "spam"}.get(approved, "held")


def _reader_comment(comment, wp: str, where: str) -> ReaderComment:
    def text(name: str) -> str:
        return comment.findtext(f"{wp}{name}") or ""

    # A date out of this blog's range is no reason to refuse the whole file: undated.
    def date(name: str) -> datetime | None:
        try:
            return _date(text(name), where)
        except WxrError:
            return None

    return ReaderComment(
        wp_id=_number(text("comment_id")),
        parent=_number(text("comment_parent")),
        kind=_comment_kind(comment, wp),
        author=text("comment_author"),
        author_url=text("comment_author_url").strip(),
        date_gmt=date("comment_date_gmt"),
        date_local=date("comment_date"),
        content=text("comment_content"),
    )


def _wordpress_namespace(declared: dict[str, str], channel, kind: str = "") -> str:
    """Return "{uri}" of the file's wp namespace (or its excerpt namespace), "" if none.

    The prefix's declaration comes first, as in WordPress's importer; else any declared
    WordPress URI, else the namespace <wxr_version> is in.
    """
    pattern = WORDPRESS_NAMESPACE + (f"{kind}/" if kind else "")
    uris = [declared.get(kind or "wp", ""), *declared.values()]
    if not kind:
        uris += [e.tag[1:].partition("}")[0] for e in channel if e.tag.endswith("}wxr_version")]
    return next(("{" + uri + "}" for uri in uris if re.fullmatch(pattern, uri)), "")


def _number(value: str) -> int:
    value = value.strip()
    return int(value) if value.isdigit() else 0


def _date(value: str, where: str) -> datetime | None:
    value = value.strip()
    if not value or value == NO_DATE:
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise WxrError(f"{where} has a bad date {value!r}.") from None
    if not in_post_years(parsed):
        raise WxrError(
            f"{where} is dated {value!r}: this blog dates posts from {EARLIEST_YEAR} to "
            f"{latest_year()}. Correct the date in WordPress (or in the file) and import again."
        )
    return parsed
