"""Every writer stores what render.body_fields makes of a post's source: one rule, one place.

The editor's save, a restored revision, the first run, the demo, `import`, `import-wxr` and
`rerender` each write body_html, search_text, word_count and the excerpt; whichever wrote a
post, those fields are what body_fields gives for its stored source and custom excerpt.
"""

import shutil

from sqlalchemy import select, update

from blog.extensions import db
from blog.models import Post, Revision
from blog.render import body_fields
from tests.conftest import make_app
from tests.helpers import csrf_token, post_form_data
from tests.test_transfer import export, import_
from tests.test_wxr import FIXTURE

MARKDOWN = """# A heading

A *first* paragraph with a [link](https://example.org) & an ampersand.

| City | Rain |
|---|---|
| Bergen | 2,250 mm |

```
print("code")
```

> A quote to close.
"""
HTML = (
    "<h1>Title</h1><p>An <em>HTML</em> body<script>alert(1)</script> with a table:</p>"
    "<table><tr><td>one</td><td>two</td></tr></table><ul><li>item one</li><li>item two</li></ul>"
)
FIELDS = ("body_html", "search_text", "word_count", "excerpt", "custom_excerpt")


def check_every_post(app) -> int:
    """Assert the rule for every stored post; return how many posts were checked."""
    with app.app_context():
        posts = db.session.scalars(select(Post)).all()
        for post in posts:
            given = post.excerpt if post.custom_excerpt else ""
            expected = body_fields(post.body_source, post.body_format, given).as_dict()
            stored = {name: getattr(post, name) for name in FIELDS}
            assert stored == expected, post.title
        return len(posts)


def save(client, category_id, url="/editor/posts/new", **fields):
    data = post_form_data(client, url, category_id, **fields)
    data["status"] = "publish"
    response = client.post(url, data=data)
    assert response.status_code == 302, response.text
    return response


def test_editor_saves_and_a_restored_revision(app, signed_in, category_id):
    first = save(signed_in, category_id, title="Markdown", body=MARKDOWN).location
    save(signed_in, category_id, title="HTML", body=HTML, body_format="html")
    save(signed_in, category_id, title="Own excerpt", body=MARKDOWN, excerpt="  Typed.  ")
    save(signed_in, category_id, first, title="Markdown", body="Changed.")
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.title == "Markdown"))
        revision = db.session.scalar(select(Revision.id).where(Revision.post_id == post_id))
    revisions = f"/editor/posts/{post_id}/revisions"
    token = csrf_token(signed_in, revisions)
    signed_in.post(f"{revisions}/{revision}/restore", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Post, post_id).body_source == MARKDOWN
    assert check_every_post(app) == 3


def test_first_run_demo_and_wordpress_import(app, runner):
    for args in (["setup"], ["demo", "--posts", "20"], ["import-wxr", str(FIXTURE)]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    assert check_every_post(app) > 21


def test_import_and_rerender_make_the_fields_again(
    app, runner, content, migrated_database, tmp_path
):
    content.post("Markdown", body=MARKDOWN)
    content.post("Second", body="Short *body*.")
    with app.app_context():
        # Stale fields, as an archive from an older release (or a forged one) would hold.
        db.session.execute(
            update(Post).values(body_html="<p>old</p>", search_text="old", word_count=1)
        )
        db.session.execute(update(Post).where(Post.title == "Second").values(excerpt="stale"))
        db.session.commit()
    archive = tmp_path / "site.zip"
    assert export(app, archive).exit_code == 0

    (tmp_path / "other").mkdir()
    shutil.copyfile(migrated_database, tmp_path / "other" / "blog.sqlite")
    other = make_app(tmp_path / "other")
    result = import_(other, archive)
    assert result.exit_code == 0, result.output
    assert check_every_post(other) == 2
    with other.app_context():
        db.engine.dispose()

    result = runner.invoke(args=["rerender"])
    assert result.exit_code == 0, result.output
    assert check_every_post(app) == 2
