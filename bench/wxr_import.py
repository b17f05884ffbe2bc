"""Time `flask import-wxr` on generated WordPress exports of growing size (issue 18, item 9).

For each size it writes a WXR file of that many posts (bodies of about 5 KB in the classic
editor's markup, a category and three tags each, a few comments, one attachment in five),
imports it into a fresh temporary instance (SQLite, BLOG_INSTANCE_PATH) in a subprocess, and
prints the file's size, the seconds (wall clock and CPU: on a shared machine the CPU time
varies less), posts per second and the child's peak RSS. Peak RSS should stay flat as the
file grows: the import streams the file.

    python bench/wxr_import.py               # 1,300 and 6,500 posts (about 10 and 50 MB)
    python bench/wxr_import.py 500 1000      # any sizes
"""

import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_300, 6_500)
WORDS = (
    "the council voted on tuesday to expand the harbour programme to three more districts "
    "officials said the decision followed months of consultation with residents while critics "
    "argue the timetable is too ambitious and the budget thin as housing prices rose again"
).split()
HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Bench Gazette</title><link>https://old.example.com</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://old.example.com</wp:base_site_url>
<wp:author><wp:author_login><![CDATA[admin]]></wp:author_login></wp:author>
"""


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def body(rng: random.Random, image: str | None) -> str:
    """Return about 5 KB of a post as WordPress keeps it: paragraphs apart, some markup."""
    paragraphs = []
    while sum(map(len, paragraphs)) < 5_000:
        words = rng.choices(WORDS, k=rng.randint(40, 90))
        n = rng.randrange(len(words))
        words[n] = f'<a href="https://example.org/{words[n]}/{rng.randint(1, 999)}">{words[n]}</a>'
        words[rng.randrange(len(words))] = f"<strong>{rng.choice(WORDS)}</strong>"
        paragraphs.append(" ".join(words).capitalize() + ".")
    if image:
        paragraphs.insert(1, f'<img class="size-large" src="{image}" alt="A view" />')
    if rng.random() < 0.2:
        paragraphs.insert(2, "<!--more-->")
    return "\n\n".join(paragraphs)


def comment(rng: random.Random, number: int, when: datetime, kind: str) -> str:
    approved = {"spam": "spam", "held": "0"}.get(kind, "1")
    text = " ".join(rng.choices(WORDS, k=rng.randint(10, 40)))
    return (
        f"<wp:comment><wp:comment_id>{number}</wp:comment_id>"
        f"<wp:comment_author>{cdata(f'Reader {number}')}</wp:comment_author>"
        f"<wp:comment_author_url>https://reader{number}.example</wp:comment_author_url>"
        f"<wp:comment_date_gmt>{when:%Y-%m-%d %H:%M:%S}</wp:comment_date_gmt>"
        f"<wp:comment_content>{cdata(text)}</wp:comment_content>"
        f"<wp:comment_approved>{approved}</wp:comment_approved>"
        "<wp:comment_type>comment</wp:comment_type><wp:comment_parent>0</wp:comment_parent>"
        "</wp:comment>\n"
    )


def item(wp_id: int, kind: str, title: str, when: datetime, content: str, extra: str) -> str:
    local = when + timedelta(hours=1)
    return (
        f"<item><title>{escape(title)}</title>"
        f"<link>https://old.example.com/{when:%Y/%m}/{kind}-{wp_id}/</link>"
        f"<dc:creator>{cdata('admin')}</dc:creator>"
        f"<content:encoded>{cdata(content)}</content:encoded>"
        f"<excerpt:encoded>{cdata('')}</excerpt:encoded>"
        f"<wp:post_id>{wp_id}</wp:post_id>"
        f"<wp:post_date>{local:%Y-%m-%d %H:%M:%S}</wp:post_date>"
        f"<wp:post_date_gmt>{when:%Y-%m-%d %H:%M:%S}</wp:post_date_gmt>"
        f"<wp:post_name>{kind}-{wp_id}</wp:post_name><wp:status>publish</wp:status>"
        f"<wp:post_parent>0</wp:post_parent><wp:post_type>{kind}</wp:post_type>"
        f"{extra}</item>\n"
    )


def write_export(path: Path, posts: int) -> None:
    """Write a WXR file of `posts` posts, their terms, comments and attachments."""
    rng = random.Random(posts)
    categories = [f"section-{n}" for n in range(20)]
    tags = [f"topic-{n}" for n in range(200)]
    start = datetime(2015, 1, 1)
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        for n, slug in enumerate(categories, 1):
            parent = categories[0] if n > 10 else ""
            out.write(
                f"<wp:category><wp:term_id>{n}</wp:term_id>"
                f"<wp:category_nicename>{slug}</wp:category_nicename>"
                f"<wp:category_parent>{parent}</wp:category_parent>"
                f"<wp:cat_name>{cdata(slug.replace('-', ' ').title())}</wp:cat_name>"
                "</wp:category>\n"
            )
        for slug in tags:
            out.write(
                f"<wp:tag><wp:tag_slug>{slug}</wp:tag_slug>"
                f"<wp:tag_name>{cdata(slug.replace('-', ' '))}</wp:tag_name></wp:tag>\n"
            )
        comments = 0
        for number in range(1, posts + 1):
            wp_id = number * 2
            when = start + timedelta(hours=7 * number)
            image = None
            if number % 5 == 0:
                image = f"https://old.example.com/wp-content/uploads/{when:%Y/%m}/photo-{wp_id}.jpg"
                meta = (
                    "<wp:postmeta><wp:meta_key>_wp_attached_file</wp:meta_key>"
                    f"<wp:meta_value>{cdata(f'{when:%Y/%m}/photo-{wp_id}.jpg')}</wp:meta_value>"
                    "</wp:postmeta>"
                )
                out.write(
                    item(
                        wp_id + 1,
                        "attachment",
                        f"Photo {wp_id}",
                        when,
                        "",
                        f"<wp:attachment_url>{image}</wp:attachment_url>{meta}",
                    )
                )
            terms = f'<category domain="category" nicename="{rng.choice(categories)}">S</category>'
            for tag in rng.sample(tags, 3):
                terms += f'<category domain="post_tag" nicename="{tag}">{tag}</category>'
            for kind in rng.choices(["approved", "approved", "held", "spam"], k=rng.randint(0, 4)):
                comments += 1
                terms += comment(rng, comments, when + timedelta(hours=1), kind)
            title = " ".join(rng.choices(WORDS, k=6)).capitalize()
            out.write(item(wp_id, "post", title, when, body(rng, image), terms))
        out.write("</channel>\n</rss>\n")


def import_once(path: Path, folder: Path) -> tuple[float, float, int, str]:
    """Import path into a new instance; return seconds, CPU seconds, peak RSS in KB, summary."""
    env = {**os.environ, "BLOG_INSTANCE_PATH": str(folder), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "flask", "--app", "app", "import-wxr", str(path)]
    started = time.perf_counter()
    with open(folder.with_suffix(".out"), "w+") as out:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN keeps the largest of all).
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if child.returncode:
        sys.exit(f"import-wxr failed:\n{output}")
    summary = next((line for line in output.splitlines() if line.startswith("Imported")), "")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, summary


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or SIZES
    columns = ("posts", 7), ("file MB", 8), ("seconds", 8), ("CPU s", 7), ("posts/s", 8)
    print(*(f"{name:>{width}}" for name, width in columns), f"{'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory(prefix="wxr-bench-") as temp:
        for posts in sorted(sizes):
            path = Path(temp) / f"export-{posts}.xml"
            write_export(path, posts)
            seconds, cpu, peak, summary = import_once(path, Path(temp) / f"instance-{posts}")
            size = path.stat().st_size / 1e6
            print(
                f"{posts:>7} {size:>8.1f} {seconds:>8.1f} {cpu:>7.1f} {posts / seconds:>8.0f} "
                f"{peak / 1024:>12.0f}   {summary}",
                flush=True,
            )


if __name__ == "__main__":
    main()
