"""Files sent as stored: uploads under /media/, and the site's static text, gzipped once.

Both answer ranges the way RFC 9110 (14.2) says: a Range header that is not a valid single
byte range is ignored (the whole file, 200), a valid one past the end gets a 416 that says
the file's length (Content-Range: bytes */LENGTH). Werkzeug answers both with a 416, and the
error page that replaces it loses its Content-Range.
"""

import gzip
import os
import re
import threading

from flask import current_app, request, send_from_directory
from werkzeug.exceptions import NotFound, RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.security import safe_join
from werkzeug.utils import send_file
from werkzeug.wrappers import Response

from blog.storage import LocalFolder, media_storage

# Valid, yet refused by Werkzeug's parser: a last-bytes range of length zero, which no file
# can satisfy.
_EMPTY_SUFFIX = re.compile(r"bytes=[ \t]*-0+[ \t]*", re.IGNORECASE)


def conditional(response: Response, length: int) -> Response:
    """Answer If-* and Range headers for a file response of this many bytes."""
    environ = request.environ
    header = environ.get("HTTP_RANGE")
    if header is not None:
        parsed = parse_range_header(header)
        if _EMPTY_SUFFIX.fullmatch(header):
            return not_satisfiable(response, length)
        if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
            # Invalid, another unit, or several ranges (which this site does not send as
            # multipart): ignored, as HTTP allows, and the whole file is the answer.
            environ = {k: v for k, v in environ.items() if k != "HTTP_RANGE"}
    try:
        return response.make_conditional(environ, accept_ranges=True, complete_length=length)
    except RequestedRangeNotSatisfiable:
        return not_satisfiable(response, length)


def not_satisfiable(response: Response, length: int) -> Response:
    """Return a 416 for a file of this length, in place of response (closed)."""
    response.close()
    return Response(
        "Range Not Satisfiable\n",
        416,
        {"Content-Range": f"bytes */{length}", "Accept-Ranges": "bytes"},
        content_type="text/plain; charset=utf-8",
    )


def send_file_from(folder: str, filename: str, **options) -> Response:
    """send_from_directory, with this module's answer to If-* and Range headers."""
    response = send_from_directory(folder, filename, conditional=False, **options)
    return conditional(response, response.content_length or 0)


_CONDITIONS = ("Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since")


def send_media_file(filename: str, **options) -> Response:
    """Send a media file from the folder or the bucket, with the same headers either way."""
    store = media_storage()
    if isinstance(store, LocalFolder):
        # From the folder the server may hand the file to the kernel (sendfile).
        return send_file_from(str(store.folder), filename, **options)
    # A plain GET sends it all (no 304, no 206): its bytes come with its headers.
    whole = request.method == "GET" and not any(h in request.headers for h in _CONDITIONS)
    try:
        stored = store.open(filename, whole=whole)
    except FileNotFoundError:
        raise NotFound() from None
    # Werkzeug's file wrapper, not the server's: it seeks, so a Range fetches only its bytes.
    environ = {k: v for k, v in request.environ.items() if k != "wsgi.file_wrapper"}
    response = send_file(
        stored.stream,
        environ,
        download_name=filename,
        conditional=False,
        etag=stored.etag,
        last_modified=stored.modified,
        response_class=current_app.response_class,
        **options,
    )
    response.content_length = stored.size
    return conditional(response, stored.size)


# Static files that are text: compressed, they are a quarter of their size or less.
TEXT_SUFFIXES = frozenset({".css", ".js", ".mjs", ".svg", ".txt", ".json", ".xml", ".map"})
# path -> ((mtime_ns, size), gzipped bytes or None when gzip would not make it smaller)
_gzipped: dict[str, tuple[tuple[int, int], bytes | None]] = {}
_lock = threading.Lock()


def gzipped(path: str) -> bytes | None:
    """Return the file's gzip form, compressed once per version (mtime and size) it has."""
    stat = os.stat(path)
    version = (stat.st_mtime_ns, stat.st_size)
    found = _gzipped.get(path)
    if found is not None and found[0] == version:
        return found[1]
    with open(path, "rb") as f:
        data = f.read()
    # mtime=0: the same bytes in every worker and after every restart.
    body = gzip.compress(data, 9, mtime=0)
    if len(body) >= len(data):
        body = None
    with _lock:
        _gzipped[path] = (version, body)
    return body


def static_file(filename: str) -> Response:
    """Send a static file; text gzip-compressed to a browser that accepts it."""
    folder = current_app.static_folder
    response = send_from_directory(
        folder, filename, conditional=False, max_age=current_app.get_send_file_max_age(filename)
    )
    if os.path.splitext(filename)[1].lower() not in TEXT_SUFFIXES:
        return conditional(response, response.content_length or 0)
    # Caches must keep the two forms apart, whichever this one is.
    response.vary.add("Accept-Encoding")
    body = None
    if request.accept_encodings["gzip"] > 0:
        # send_from_directory found it there: the join is safe and the file exists.
        body = gzipped(safe_join(folder, filename))
    if body is None:
        return conditional(response, response.content_length or 0)
    response.close()
    headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
    zipped = Response(body, headers=headers)
    zipped.headers["Content-Encoding"] = "gzip"
    # Another representation, so another validator (RFC 9110 8.8.3): a cache or a Range
    # request must never mix bytes of the two.
    etag, weak = response.get_etag()
    zipped.set_etag(f"{etag}-gzip", weak)
    return conditional(zipped, len(body))
