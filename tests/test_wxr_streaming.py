"""WordPress import of a large export: the file is streamed, progress shows, results unchanged.

Issue 18 item 9: a 68.8 MB export took 264 MB as one tree. bench/wxr_import.py measures time
and peak RSS at 10 and 50 MB; here tracemalloc shows that memory does not follow the file.
"""

import gc
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from blog.extensions import db
from blog.models import Comment, Post
from blog.wordpress.wxr import read_wxr

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
FIXTURE = DATA / "wordpress-export.xml"
MB = 1_000_000
HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Spam Gazette</title><wp:wxr_version>1.2</wp:wxr_version>
"""


def write_export(path: Path, posts: int, spam: int = 30, start: int = 1000) -> Path:
    """Write posts with 2 KB bodies, each under `spam` spam comments of about 500 bytes.

    A blog that kept its spam: the file is large, the import (posts only) quick.
    """
    spam_text = "Cheap pills, great offer, click here. " * 13
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        for wp_id in range(start, start + posts):
            comments = "".join(
                f"<wp:comment><wp:comment_id>{number}</wp:comment_id>"
                f"<wp:comment_author>Bot {number}</wp:comment_author>"
                f"<wp:comment_content>{spam_text}</wp:comment_content>"
                "<wp:comment_approved>spam</wp:comment_approved></wp:comment>"
                for number in range(1, spam + 1)
            )
            out.write(
                f"<item><title>Post {wp_id}</title><wp:post_id>{wp_id}</wp:post_id>"
                "<wp:post_type>post</wp:post_type><wp:status>publish</wp:status>"
                "<wp:post_date_gmt>2020-01-01 10:00:00</wp:post_date_gmt>"
                f"<content:encoded><![CDATA[{f'Words of post {wp_id}. ' * 100}]]>"
                f"</content:encoded>{comments}</item>\n"
            )
        out.write("</channel>\n</rss>\n")
    return path


def import_wxr(app, path, *options):
    return app.test_cli_runner().invoke(args=["import-wxr", str(path), *options])


def traced_peak(work) -> int:
    """Return the most memory Python held at once while work() ran, above what it held before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        work()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


# Memory: flat in the file's size. Built as one tree, each of these files takes more than
# twice its size; streamed, under a megabyte or two whatever the size.


def test_reading_a_large_export_holds_one_item_at_a_time(tmp_path):
    path = write_export(tmp_path / "export.xml", posts=300)
    assert path.stat().st_size > 6 * MB

    wxr = None

    def read():
        nonlocal wxr
        wxr = read_wxr(path)

    assert traced_peak(read) < 2 * MB
    assert wxr.kinds["post"] == 300


def test_importing_a_large_export_takes_memory_flat_in_its_size(app, tmp_path):
    # The modules and caches an import loads are loaded first: only the file counts.
    assert import_wxr(app, FIXTURE).exit_code == 0
    assert import_wxr(app, write_export(tmp_path / "warm.xml", posts=20, start=100)).exit_code == 0
    path = write_export(tmp_path / "export.xml", posts=600)
    results = []

    peak = traced_peak(lambda: results.append(import_wxr(app, path)))

    assert results[0].exit_code == 0, results[0].output
    assert "Imported 600 posts, 0 pages and 0 images." in results[0].output
    assert "Left out 18000 comments (18000 spam)." in results[0].output
    # About 1 MB when run alone. tracemalloc counts every thread and process-wide cache: late
    # in a whole PostgreSQL run, half this file once measured 4.8 MB. As one tree (before
    # the import streamed), this 13.7 MB file took 25.3 MB.
    assert peak < 8 * MB, f"{peak / MB:.1f} MB for a {path.stat().st_size / MB:.1f} MB file"


def test_the_session_keeps_no_post_it_wrote(app, tmp_path, monkeypatch):
    # One transaction, flushed post by post: rows wait in the database, not in the session.
    from blog.wordpress import importing

    path = write_export(tmp_path / "export.xml", posts=200, spam=0)
    alive = []
    real = importing._remember_old_addresses

    def counting(item, post):
        real(item, post)
        if item.wp_id % 50 == 0:
            gc.collect()
            alive.append(sum(isinstance(thing, Post) for thing in gc.get_objects()))

    monkeypatch.setattr(importing, "_remember_old_addresses", counting)

    assert import_wxr(app, path).exit_code == 0
    assert len(alive) == 4 and max(alive) <= 2, alive


# Results: the same as when the whole file was one tree (these summaries and counts are the
# ones the import gave before it streamed).

SUMMARIES = {
    "theme-preview.xml": [
        "Imported 7 posts, 0 pages and 0 images.",
        "Imported 2 comments: shown under their posts, read-only.",
        "Still loading from another site (wpdotorg.files.wordpress.com): 1 image in posts. "
        "Import into an empty site with --media-dir pointing at a copy of wp-content/uploads "
        "to bring them here.",
    ],
    "block-test-data.xml": [
        "Imported 61 posts, 1 page and 0 images.",
        "Authors themedemos, themereviewer: their posts are the editor's (editor).",
        "Skipped 1 item of type wp_navigation.",
        "Left out 9 attachments: --media-dir names the folder that holds WordPress's "
        "wp-content/uploads.",
        "The slug footnotes was taken: the post is at footnotes-2.",
        "Imported 2 comments: shown under their posts, read-only.",
        "Still loading from another site (wpthemetestdata.files.wordpress.com): 158 images "
        "in posts. Import into an empty site with --media-dir pointing at a copy of "
        "wp-content/uploads to bring them here.",
        "Shortcodes this blog shows as text stay in 1 post: shortcode",
        "Shortcodes left as text: [gallery] 1.",
    ],
}
TABLES = (
    "posts pages menu_items comments categories tags post_tags old_slugs wordpress_addresses "
    "featured_posts"
).split()
COUNTS = {
    "theme-preview.xml": [7, 0, 0, 2, 1, 0, 0, 0, 0, 0],
    "block-test-data.xml": [61, 1, 0, 2, 7, 4, 30, 2, 7, 0],
}


@pytest.mark.parametrize("name", SUMMARIES)
def test_wordpress_s_own_exports_import_as_before(app, name):
    # tests/data/block-test-data.xml is /work/shared/wxr/64-block-test-data.xml, unchanged.
    result = import_wxr(app, DATA / name)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == SUMMARIES[name]
    with app.app_context():
        counts = [db.session.scalar(text(f"SELECT count(*) FROM {table}")) for table in TABLES]
    assert dict(zip(TABLES, counts, strict=True)) == dict(zip(TABLES, COUNTS[name], strict=True))
    # A second import adds nothing.
    again = import_wxr(app, DATA / name)
    with app.app_context():
        assert [db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES] == counts
    assert "posts this site imported before" in again.output


# Refusals: the whole file is checked before anything is written.


def post_and_comment_counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Post)),
            db.session.scalar(select(func.count()).select_from(Comment)),
        )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t[:-30], "is not well-formed XML"),
        (
            lambda t: t.replace(
                "2020-01-01 10:00:00</wp:post_date_gmt>", "soon</wp:post_date_gmt>"
            ),
            "Item 200 ('Post 1199') has a bad date 'soon'.",
        ),
    ],
)
def test_a_fault_at_the_end_of_a_large_file_changes_nothing(app, tmp_path, edit, message):
    path = write_export(tmp_path / "export.xml", posts=200, spam=1)
    written = path.read_text(encoding="utf-8")
    last = written.rindex("2020-01-01 10:00:00</wp:post_date_gmt>")
    path.write_text(written[:last] + edit(written[last:]), encoding="utf-8")
    before = post_and_comment_counts(app)

    result = import_wxr(app, path)

    assert result.exit_code == 1
    assert message in result.output
    assert "Nothing was changed." in result.output
    assert post_and_comment_counts(app) == before


# Progress: a bar on a terminal, one line in a pipe or a log.


def test_progress_in_a_pipe_is_one_line_on_stderr(app, tmp_path):
    path = write_export(tmp_path / "export.xml", posts=50, spam=0)

    result = import_wxr(app, path)

    assert result.exit_code == 0, result.output
    # Alembic's log lines aside (the schema is checked first), the bar's label alone.
    assert [line for line in result.stderr.splitlines() if "alembic" not in line] == ["Importing"]
    assert result.stdout.splitlines() == ["Imported 50 posts, 0 pages and 0 images."]


def test_progress_on_a_terminal_is_a_bar(tmp_path):
    path = write_export(tmp_path / "export.xml", posts=20, spam=0)
    terminal, stderr = os.openpty()
    env = {**os.environ, "BLOG_INSTANCE_PATH": str(tmp_path / "instance"), "TERM": "xterm"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "flask", "--app", "app", "import-wxr", str(path)]
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr) as run:
        os.close(stderr)
        drawn = b""
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the terminal closed with the command
                break
            if not chunk:
                break
            drawn += chunk
        summary = run.stdout.read().decode()
    os.close(terminal)

    assert run.returncode == 0, drawn
    assert summary.splitlines() == ["Imported 20 posts, 0 pages and 0 images."]
    bar = drawn.decode()
    assert "Importing  [" in bar and "100%" in bar
    assert bar.count("\r") > 5  # drawn again as it goes, in place
