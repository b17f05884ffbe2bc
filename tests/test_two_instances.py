"""Two `make serve` instances over one PostgreSQL behave as one site (issue 19).

Each has an instance folder of its own; they share BLOG_DATABASE_URL, BLOG_SECRET_KEY and
BLOG_CONTENT_STAMP=database. What one writes, the other shows on its next request, though
its workers had the page in memory; an editor signed in on one is signed in on the other.
Their media are in one bucket (BLOG_S3_BUCKET, a real S3 server: tests/conftest.py's
s3_endpoint): an upload through one is shown by the other.
"""

import io
import shutil
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import ExitStack
from http.cookiejar import CookieJar
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import select

from blog import accounts
from blog.extensions import db
from blog.models import Category, Media
from tests.conftest import make_app, postgres
from tests.helpers import PASSWORD, csrf_token, post_form_data
from tests.test_s3_media import bucket  # noqa: F401 (a fixture)
from tests.test_serve import make_serve

pytestmark = [
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
    pytest.mark.skipif(postgres is None, reason="PostgreSQL only: instances share its database"),
]
SECRET_KEY = "one key for every instance, from the environment"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None  # a 302 is an answer to look at, as a test client gives it


class Browser:
    """A browser: one cookie jar for every instance (a cookie is for a host, not a port)."""

    def __init__(self):
        self.jar = CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.jar)
        self.opener = urllib.request.build_opener(cookies, _NoRedirects)

    def _open(self, request) -> SimpleNamespace:
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            content = response.read()
            return SimpleNamespace(
                status_code=response.status,
                location=response.headers.get("Location"),
                content=content,
                text=content.decode(errors="replace"),
            )

    def get(self, url: str) -> SimpleNamespace:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, data: dict) -> SimpleNamespace:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(url, data=body, method="POST"))

    def upload(self, url: str, data: dict, name: str, filename: str, content: bytes):
        """POST a form with one file, as multipart/form-data."""
        boundary = uuid.uuid4().hex
        field = '--{}\r\nContent-Disposition: form-data; name="{}"\r\n\r\n{}\r\n'
        parts = [field.format(boundary, key, value).encode() for key, value in data.items()]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'.encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(url, data=b"".join(parts), method="POST")
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        return self._open(request)


@pytest.fixture
def database(tmp_path, migrated_database):
    """The shared database, with an editor's password and a category to write in."""
    url = postgres.for_folder(tmp_path)
    app = make_app(tmp_path, DATABASE_URL=url)
    with app.app_context():
        editor = accounts.ensure_editor_account()
        accounts.set_password(editor, PASSWORD)
        category = Category(name="World News", slug="world-news")
        db.session.add(category)
        db.session.commit()
        category_id = category.id
        db.session.remove()
        db.engine.dispose()
    yield url, category_id
    postgres.drop_folder(tmp_path)


def test_two_instances_are_one_site(tmp_path, database, bucket, s3_endpoint):  # noqa: F811
    url, category_id = database
    settings = {
        "BLOG_DATABASE_URL": url,
        "BLOG_SECRET_KEY": SECRET_KEY,
        "BLOG_CONTENT_STAMP": "database",
        "BLOG_S3_BUCKET": bucket.name,
        "BLOG_S3_ENDPOINT_URL": s3_endpoint,
    }
    with ExitStack() as stack:
        # One after the other: each runs flask setup (migrations, welcome post) first.
        a, _ = stack.enter_context(make_serve(tmp_path / "a", **settings))
        b, _ = stack.enter_context(make_serve(tmp_path / "b", **settings))
        reader, editor = Browser(), Browser()
        for _ in range(3):  # every worker of B has its home page in memory (or soon will)
            assert "Published through A" not in reader.get(b + "/").text

        token = csrf_token(editor, a + "/auth/sign-in")
        signed_in = editor.post(
            a + "/auth/sign-in",
            {"csrf_token": token, "username": "editor", "password": PASSWORD, "next": ""},
        )
        assert signed_in.status_code == 302, signed_in.text
        data = post_form_data(
            editor, a + "/editor/posts/new", category_id, title="Published through A"
        )
        data["status"] = "publish"
        saved = editor.post(a + "/editor/posts/new", data)
        assert saved.status_code == 302, saved.text
        edit = saved.location

        # B's next request: no wait, no retry.
        assert "Published through A" in reader.get(b + "/").text

        for _ in range(3):
            assert "Published through A" in reader.get(a + "/").text  # A's memory too
        # The session signed in on A is good on B: same key, same sessions table.
        dashboard = editor.get(b + "/editor/")
        assert dashboard.status_code == 200, dashboard.location
        data = post_form_data(editor, b + edit, category_id, title="Published through A")
        data["status"] = "draft"
        assert editor.post(b + edit, data).status_code == 302

        assert "Published through A" not in reader.get(a + "/").text

        # An upload through A is shown by B: one bucket.
        picture = io.BytesIO()
        Image.new("RGB", (64, 48), "teal").save(picture, "PNG")
        form = {"csrf_token": csrf_token(editor, a + "/editor/media/")}
        sent = editor.upload(a + "/editor/media/", form, "images", "teal.png", picture.getvalue())
        assert sent.status_code == 302, sent.text
        with make_app(tmp_path, DATABASE_URL=url).app_context():
            stored = db.session.scalar(select(Media.filename))
            db.session.remove()
            db.engine.dispose()
        assert stored
        served = reader.get(f"{b}/media/{stored}")
        assert served.status_code == 200 and served.content.startswith(b"\x89PNG")
        assert {
            item["Key"] for item in bucket.client.list_objects_v2(Bucket=bucket.name)["Contents"]
        } >= {stored}
    # BLOG_SECRET_KEY set: no instance generated a key of its own.
    assert not (tmp_path / "a" / "secret_key").exists()
    assert not (tmp_path / "b" / "secret_key").exists()
