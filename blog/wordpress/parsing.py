"""A WXR file read as a stream: its channel's <item>s one at a time, the rest kept as a tree.

An export of ten thousand posts is tens of megabytes; as one tree it took hundreds. Here each
<item> of the channel is handed over when its end tag is read and leaves the tree, so memory
stays flat in the file's size. The parser refuses a DOCTYPE (no entity declarations: no
entity expansion, no external entities) and notes the namespaces the file declares.
"""

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 16  # bytes fed to the parser at a time, as ElementTree.parse does


class WxrError(Exception):
    """A WXR file that cannot be imported; the message says why."""


class WxrFile:
    """One reading of a file: iterate it for the items; then root and namespaces are known."""

    def __init__(self, path: Path):
        self.path = path
        self.root: ET.Element | None = None  # with the channel, its items left out
        self.namespaces: dict[str, str] = {}  # prefix -> URI, the first declaration of each

    def __iter__(self) -> Iterator[ET.Element]:
        builder = _Builder(self.namespaces)
        parser = ET.XMLParser(target=builder)
        try:
            with open(self.path, "rb") as file:
                while chunk := file.read(CHUNK):
                    parser.feed(chunk)
                    yield from builder.take()
            self.root = parser.close()
        except ET.ParseError as error:
            raise WxrError(
                f"{self.path} is not well-formed XML ({error}); is it complete?"
            ) from None
        except OSError as error:
            raise WxrError(f"Could not read {self.path} ({error.strerror}).") from None


class _Builder(ET.TreeBuilder):
    """Builds the tree but gives away each item of the channel, refuses a DOCTYPE."""

    def __init__(self, namespaces: dict[str, str]):
        super().__init__()
        self.namespaces = namespaces
        self.items: list[ET.Element] = []  # ended since the last take()
        self.open: list[ET.Element] = []  # the root first
        self.channel: ET.Element | None = None  # the root's first <channel>

    def take(self) -> list[ET.Element]:
        items, self.items = self.items, []
        return items

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if len(self.open) == 1 and tag == "channel" and self.channel is None:
            self.channel = element
        self.open.append(element)
        return element

    def end(self, tag):
        element = super().end(tag)
        self.open.pop()
        if tag == "item" and self.open and self.open[-1] is self.channel:
            del self.channel[-1]  # the item just ended is the channel's last child
            self.items.append(element)
        return element

    def start_ns(self, prefix, uri):
        self.namespaces.setdefault(prefix, uri)

    def doctype(self, name, pubid, system):
        # WordPress never writes one; entity declarations are how XML files attack parsers.
        raise WxrError("The file declares a DOCTYPE, which a WordPress export never does.")
