"""Media in an S3-compatible bucket (BLOG_S3_BUCKET), against a real S3 server (conftest).

Every test gets a bucket of its own on the server s3_endpoint names; what the site stored is
checked with a boto3 client of the test's, as another program would see the bucket.
"""

import re
import uuid
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

import pytest
from jinja2.filters import do_filesizeformat
from PIL import Image
from sqlalchemy import event, select

from blog.extensions import db
from blog.media import variant_files
from blog.models import Media, Post
from tests.conftest import make_app
from tests.helpers import csrf_token, post_form_data


class Bucket(NamedTuple):
    name: str
    client: object


@pytest.fixture
def bucket(s3):
    """An empty bucket of its own for the test (conftest's s3: the AWS_* variables are set)."""
    name = f"blog-test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return Bucket(name, s3)


@pytest.fixture
def app_config(bucket, s3_endpoint):
    """Every app of this module keeps its media in the test's bucket."""
    return {"S3_BUCKET": bucket.name, "S3_ENDPOINT_URL": s3_endpoint}


@pytest.fixture(autouse=True)
def closed_storage(app):
    """Close the site's S3 client after the test, as a worker's end would.

    moto closes each connection; a server that keeps them open (MinIO, through
    BLOG_TEST_S3_ENDPOINT_URL) would leave the sockets to the garbage collector: a warning.
    """
    yield
    store = app.extensions["media_storage"]
    if "client" in vars(store):
        store.client.close()


def keys(bucket: Bucket) -> set[str]:
    listing = bucket.client.list_objects_v2(Bucket=bucket.name)
    return {item["Key"] for item in listing.get("Contents", [])}


def object_bytes(bucket: Bucket, key: str) -> bytes:
    with bucket.client.get_object(Bucket=bucket.name, Key=key)["Body"] as body:
        return body.read()


def folder_files(app) -> set[str]:
    folder = Path(app.config["MEDIA_FOLDER"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def jpeg(width=2000, height=1000) -> bytes:
    ramp = Image.linear_gradient("L").resize((width, height))
    out = BytesIO()
    Image.merge("RGB", (ramp, ramp.rotate(90), ramp)).save(out, "JPEG", quality=90)
    return out.getvalue()


def upload(client, *files) -> None:
    """Upload (name, bytes) pairs through the media library's form."""
    response = client.post(
        "/editor/media/",
        data={
            "csrf_token": csrf_token(client, "/editor/media/"),
            "images": [(BytesIO(data), name) for name, data in files],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text


def fetch(client, url: str, **headers):
    """GET url and read the whole answer, then close it, as a server does once it is sent."""
    response = client.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def all_media(app) -> list[Media]:
    with app.app_context():
        rows = list(db.session.scalars(select(Media).order_by(Media.id)))
        db.session.expunge_all()
        return rows


def files_of(item: Media) -> set[str]:
    return {item.filename, *variant_files(item)}


def test_an_upload_and_its_copies_go_to_the_bucket_not_the_folder(app, signed_in, bucket):
    upload(signed_in, ("wide.jpg", jpeg()))
    [item] = all_media(app)
    assert len(files_of(item)) == 4  # the original, 480, 960 and 1600 wide
    assert keys(bucket) == files_of(item)
    assert folder_files(app) == set()
    head = bucket.client.head_object(Bucket=bucket.name, Key=item.filename)
    assert head["ContentType"] == "image/jpeg"
    with Image.open(BytesIO(object_bytes(bucket, variant_files(item)[0]))) as copy:
        assert copy.size == (480, 240)
    # The library reads each original's size from the bucket.
    size = do_filesizeformat(head["ContentLength"])
    assert f"image/jpeg · {size}" in signed_in.get("/editor/media/").text


def test_a_bucket_file_is_served_with_the_headers_of_a_local_one(app, tmp_path, signed_in, bucket):
    upload(signed_in, ("wide.jpg", jpeg()))
    [item] = all_media(app)
    url = f"/media/{item.filename}"
    data = object_bytes(bucket, item.filename)
    from_bucket = fetch(app.test_client(), url)  # a reader's, not the editor's
    assert from_bucket.status_code == 200
    assert from_bucket.data == data
    # The same bytes in the folder of a site without a bucket (same database).
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / item.filename).write_bytes(data)
    local = make_app(tmp_path)
    from_folder = fetch(local.test_client(), url)
    assert from_folder.data == data
    assert sorted(from_bucket.headers.keys()) == sorted(from_folder.headers.keys())
    for name in (
        "Content-Type",
        "Content-Length",
        "Content-Disposition",
        "Cache-Control",
        "Accept-Ranges",
        "X-Content-Type-Options",
        "Content-Security-Policy",
    ):
        assert from_bucket.headers[name] == from_folder.headers[name], name
    assert "immutable" in from_bucket.headers["Cache-Control"]
    with local.app_context():
        db.engine.dispose()


def test_a_bucket_file_answers_validators_and_ranges(app, signed_in, client, bucket):
    upload(signed_in, ("wide.jpg", jpeg()))
    [item] = all_media(app)
    url = f"/media/{item.filename}"
    data = object_bytes(bucket, item.filename)
    whole = fetch(client, url)
    etag, modified = whole.headers["ETag"], whole.headers["Last-Modified"]
    assert fetch(client, url, **{"If-None-Match": etag}).status_code == 304
    assert fetch(client, url, **{"If-Modified-Since": modified}).status_code == 304
    part = fetch(client, url, Range="bytes=100-199")
    assert part.status_code == 206
    assert part.data == data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert fetch(client, url, Range="bytes=-10").data == data[-10:]
    # If-Range with another validator: the whole file, not a piece of another version.
    stale = fetch(client, url, Range="bytes=0-9", **{"If-Range": '"another"'})
    assert stale.status_code == 200 and stale.data == data
    past = fetch(client, url, Range=f"bytes={len(data)}-")
    assert past.status_code == 416
    assert past.headers["Content-Range"] == f"bytes */{len(data)}"
    assert fetch(client, f"/media/{'ab' * 12}.jpg").status_code == 404


def test_a_file_costs_one_request_to_the_bucket_and_a_range_only_its_bytes(app, signed_in, client):
    upload(signed_in, ("wide.jpg", jpeg()))
    [item] = all_media(app)
    url = f"/media/{item.filename}"
    calls = []

    def note(params, model, **kwargs):
        calls.append((model.name, params["headers"].get("Range")))

    events = app.extensions["media_storage"].client.meta.events
    events.register("before-call.s3", note)

    def asked(**headers):
        calls.clear()
        response = fetch(client, url, **headers)
        return response, list(calls)

    whole, seen = asked()
    assert whole.status_code == 200 and seen == [("GetObject", None)]
    etag = whole.headers["ETag"]
    assert asked(**{"If-None-Match": etag})[1] == [("HeadObject", None)]
    part, seen = asked(Range="bytes=5000-5099")
    assert part.status_code == 206
    assert seen == [("HeadObject", None), ("GetObject", "bytes=5000-")]
    calls.clear()
    assert client.head(url).status_code == 200 and calls == [("HeadObject", None)]
    events.unregister("before-call.s3", note)


def test_a_post_page_shows_a_bucket_image_with_its_copies(app, signed_in, client, category_id):
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Harbour storm",
        body="The boats came in.", status="publish", image_alt="Boats at the quay",
    )  # fmt: skip
    data["image"] = (BytesIO(jpeg()), "quay.jpg")
    response = signed_in.post("/editor/posts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.text[:2000]
    [item] = all_media(app)
    with app.app_context():
        slug = db.session.scalar(select(Post.slug).filter_by(title="Harbour storm"))
    page = client.get(f"/posts/{slug}").text
    tag = re.search(r'<img [^>]*alt="Boats at the quay"[^>]*>', page).group(0)
    shown = set(re.findall(r"/media/([0-9a-f]{24}(?:-\d+)?\.jpg)", tag))
    assert shown == files_of(item)
    for name in shown:
        assert fetch(client, f"/media/{name}").status_code == 200


def test_deleting_an_image_removes_its_objects(app, signed_in, bucket):
    upload(signed_in, ("wide.jpg", jpeg()), ("other.jpg", jpeg(600, 400)))
    wide, other = all_media(app)
    url = f"/editor/media/{wide.id}/delete"
    response = signed_in.post(url, data={"csrf_token": csrf_token(signed_in, url)})
    assert response.status_code == 302
    assert keys(bucket) == files_of(other)
    assert fetch(signed_in, f"/media/{wide.filename}").status_code == 404


def test_a_save_that_rolls_back_leaves_no_object(app, signed_in, category_id, bucket):
    def fail(mapper, connection, target):
        raise RuntimeError("the database refused the post")

    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Never saved", image_alt="A quay"
    )
    data["image"] = (BytesIO(jpeg()), "quay.jpg")
    # The image is stored and flushed first; then the post's INSERT fails.
    event.listen(Post, "before_insert", fail)
    try:
        with pytest.raises(RuntimeError, match="refused the post"):
            signed_in.post("/editor/posts/new", data=data, content_type="multipart/form-data")
    finally:
        event.remove(Post, "before_insert", fail)
    assert all_media(app) == []
    assert keys(bucket) == set()


def test_an_upload_the_bucket_refuses_stores_nothing(app, signed_in, bucket):
    bucket.client.delete_bucket(Bucket=bucket.name)  # gone: every write fails
    response = signed_in.post(
        "/editor/media/",
        data={
            "csrf_token": csrf_token(signed_in, "/editor/media/"),
            "images": [(BytesIO(jpeg(600, 400)), "a.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "could not be stored" in response.text
    assert all_media(app) == []


def test_media_migrate_moves_the_files_both_ways(app, tmp_path, signed_in, client, bucket):
    upload(signed_in, ("wide.jpg", jpeg()), ("small.jpg", jpeg(300, 200)))
    files = set().union(*map(files_of, all_media(app)))
    stored = {name: object_bytes(bucket, name) for name in files}
    runner = app.test_cli_runner()
    local = make_app(tmp_path)  # the same site without a bucket: media in its folder

    result = runner.invoke(args=["media", "migrate", "--to", "local"])
    assert result.exit_code == 0, result.output
    assert f"Moved 5 of 5 files from s3://{bucket.name}" in result.output
    assert keys(bucket) == set()
    assert folder_files(app) == files
    for name, data in stored.items():
        assert fetch(local.test_client(), f"/media/{name}").data == data

    # Run again: nothing left to move, nothing lost.
    result = runner.invoke(args=["media", "migrate", "--to", "local"])
    assert result.exit_code == 0 and "Moved 0 of 5 files" in result.output

    result = runner.invoke(args=["media", "migrate", "--to", "s3"])
    assert result.exit_code == 0, result.output
    assert folder_files(app) == set()
    assert keys(bucket) == files
    for name, data in stored.items():
        assert fetch(client, f"/media/{name}").data == data
    head = bucket.client.head_object(Bucket=bucket.name, Key=min(files))
    assert head["ContentType"] == "image/jpeg"
    with local.app_context():
        db.engine.dispose()


def test_media_migrate_names_the_files_it_cannot_find(app, signed_in, bucket):
    upload(signed_in, ("wide.jpg", jpeg()))
    [item] = all_media(app)
    bucket.client.delete_object(Bucket=bucket.name, Key=item.filename)
    result = app.test_cli_runner().invoke(args=["media", "migrate", "--to", "local"])
    assert result.exit_code == 1
    assert "Moved 3 of 4 files" in result.output
    assert f"1 files are in neither place: {item.filename}" in result.output
    assert folder_files(app) == set(variant_files(item))


def test_export_and_import_read_and_write_the_bucket(app, tmp_path, signed_in, bucket):
    upload(signed_in, ("wide.jpg", jpeg()))
    [item] = all_media(app)
    archive = tmp_path / "site.zip"
    result = app.test_cli_runner().invoke(args=["export", str(archive)])
    assert result.exit_code == 0, result.output
    # Into an empty site whose bucket is empty too: the import refills it.
    for name in files_of(item):
        bucket.client.delete_object(Bucket=bucket.name, Key=name)
    result = app.test_cli_runner().invoke(args=["import", "--force", str(archive)])
    assert result.exit_code == 0, result.output
    assert keys(bucket) == files_of(item)
    assert fetch(signed_in, f"/media/{item.filename}").status_code == 200


def test_a_wordpress_import_stores_its_images_in_the_bucket(app, tmp_path, client, bucket):
    folder = tmp_path / "uploads" / "2024" / "05"
    folder.mkdir(parents=True)
    Image.new("RGB", (64, 48), (10, 80, 160)).save(folder / "harbour.jpg", "JPEG")
    fixture = Path(__file__).parent / "data" / "wordpress-export.xml"
    result = app.test_cli_runner().invoke(
        args=["import-wxr", str(fixture), "--media-dir", str(tmp_path / "uploads")]
    )
    assert result.exit_code == 0, result.output
    [item] = all_media(app)
    assert keys(bucket) == files_of(item)
    assert folder_files(app) == set()
    assert fetch(client, f"/media/{item.filename}").status_code == 200
