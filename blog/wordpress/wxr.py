"""WordPress's export format, WXR (WordPress eXtended RSS): its namespaces, and reading a file.

Reading accepts versions 1.0 to 1.2 in every spelling WordPress has written (the wp namespace
names the version, over http or https) and checks what an import needs;
blog.wordpress.importing maps the result into this blog, blog.wordpress.export writes one.
"""

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from blog.dates import EARLIEST_YEAR, in_post_years, latest_year

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


class WxrError(Exception):
    """A WXR file that cannot be imported; the message says why."""


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


@dataclass
class Wxr:
    version: str
    authors: list[str]
    categories: dict[str, tuple[str, str]]  # nicename -> (name, description)
    tags: dict[str, str]  # slug -> name
    items: list[Item]
    category_ids: dict[str, int] = field(default_factory=dict)  # nicename -> term id
    category_parents: dict[str, str] = field(default_factory=dict)  # nicename -> parent's
    timezone: str = ""  # <wp:timezone_string>, which some exports carry

    def steps(self, pages: str, with_media: bool) -> int:
        """How many steps an import takes: one per post (page) and one per attachment."""
        kinds = {"post"} | ({"page"} if pages == "import" else set())
        kinds |= {"attachment"} if with_media else set()
        return sum(item.post_type in kinds for item in self.items)


class _Builder(ET.TreeBuilder):
    """Builds the tree, refuses a DOCTYPE, and keeps the namespaces the file declares."""

    def __init__(self):
        super().__init__()
        self.namespaces: dict[str, str] = {}  # prefix -> URI, the first declaration of each

    def start_ns(self, prefix, uri):
        self.namespaces.setdefault(prefix, uri)

    def doctype(self, name, pubid, system):
        # WordPress never writes one; entity declarations are how XML files attack parsers.
        raise WxrError("The file declares a DOCTYPE, which a WordPress export never does.")


def read_wxr(path: Path) -> Wxr:
    """Parse and check a WXR file; raise WxrError saying what is wrong with a bad one."""
    builder = _Builder()
    try:
        root = ET.parse(path, parser=ET.XMLParser(target=builder)).getroot()
    except ET.ParseError as error:
        raise WxrError(f"{path} is not well-formed XML ({error}); is it complete?") from None
    except OSError as error:
        raise WxrError(f"Could not read {path} ({error.strerror}).") from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise WxrError(f"{path} is not a WordPress export: no <rss><channel>.")
    wp = _wordpress_namespace(builder.namespaces, channel)
    if not wp:
        declared = builder.namespaces.get("wp")
        found = f"its xmlns:wp is {declared!r}" if declared else "it declares no xmlns:wp"
        raise WxrError(
            f"{path} is not a WordPress export 1.0 to 1.2: {found}, "
            "where WordPress writes http://wordpress.org/export/1.2/."
        )
    version = channel.find(f"{wp}wxr_version")
    if version is None or not re.fullmatch(r"1\.[0-2]", (version.text or "").strip()):
        raise WxrError(f"{path} has no WXR version 1.0 to 1.2 (<wp:wxr_version>).")
    excerpt = _wordpress_namespace(builder.namespaces, channel, "excerpt") or wp[:-1] + "excerpt/}"

    def text(element, name: str, required: str = "") -> str:
        found = element.find(name)
        if found is None and required:
            raise WxrError(f"{required} has no <{name.replace(wp, 'wp:')}>.")
        return (found.text or "") if found is not None else ""

    categories = {
        text(c, f"{wp}category_nicename"): (
            text(c, f"{wp}cat_name"),
            text(c, f"{wp}category_description"),
        )
        for c in channel.iter(f"{wp}category")
    }
    category_ids = {
        text(c, f"{wp}category_nicename"): _number(text(c, f"{wp}term_id"))
        for c in channel.iter(f"{wp}category")
        if _number(text(c, f"{wp}term_id"))
    }
    category_parents = {
        text(c, f"{wp}category_nicename"): text(c, f"{wp}category_parent").strip()
        for c in channel.iter(f"{wp}category")
        if text(c, f"{wp}category_parent").strip()
    }
    tags = {text(t, f"{wp}tag_slug"): text(t, f"{wp}tag_name") for t in channel.iter(f"{wp}tag")}
    authors = [text(a, f"{wp}author_login") for a in channel.iter(f"{wp}author")]
    items = []
    for number, element in enumerate(channel.iter("item"), 1):
        where = f"Item {number} ({text(element, 'title')!r})"
        post_id = text(element, f"{wp}post_id").strip()
        if post_id and not post_id.isdigit():
            raise WxrError(f"{where} has a bad <wp:post_id> {post_id!r}.")
        terms = [
            (c.get("domain"), c.get("nicename") or "", c.text or "")
            for c in element.iter("category")
        ]
        items.append(
            Item(
                wp_id=int(post_id) if post_id else None,
                post_type=text(element, f"{wp}post_type", where).strip(),
                title=text(element, "title"),
                slug=text(element, f"{wp}post_name").strip(),
                status=text(element, f"{wp}status").strip(),
                content=text(element, f"{{{CONTENT}}}encoded"),
                excerpt=text(element, f"{excerpt}encoded"),
                date_gmt=_date(text(element, f"{wp}post_date_gmt"), where),
                date_local=_date(text(element, f"{wp}post_date"), where),
                modified_gmt=_date(text(element, f"{wp}post_modified_gmt"), where),
                categories=[(n, name) for d, n, name in terms if d == "category"],
                tags=[(n, name) for d, n, name in terms if d == "post_tag"],
                meta={
                    text(m, f"{wp}meta_key"): text(m, f"{wp}meta_value")
                    for m in element.iter(f"{wp}postmeta")
                },
                attachment_url=text(element, f"{wp}attachment_url").strip(),
                parent=_number(text(element, f"{wp}post_parent")),
                password=text(element, f"{wp}post_password"),
                sticky=text(element, f"{wp}is_sticky").strip() == "1",
                link=text(element, "link").strip(),
                formats=[(n, name) for d, n, name in terms if d == "post_format"],
                comments=Counter(_comment_kind(c, wp) for c in element.iter(f"{wp}comment")),
                reader_comments=[
                    _reader_comment(c, wp, where) for c in element.iter(f"{wp}comment")
                ],
            )
        )
    return Wxr(
        version.text.strip(),
        authors,
        categories,
        tags,
        items,
        category_ids,
        category_parents,
        text(channel, f"{wp}timezone_string").strip(),
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
