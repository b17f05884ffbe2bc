"""Arbitrary text in every form field, query parameter and path segment: never a 500, and
never a half-written record.

Hypothesis sends any Unicode (control characters, NUL, RTL marks, combining marks, very long
strings; never lone surrogates, which no browser can send) to every form of the editor and of
signing in, and to every GET route, public and editor. After each request the database is
read back whole: SQLite's own integrity and foreign-key checks (on SQLite), the rules that hold
between columns (the stored HTML is the source rendered, a revision is older than its post,
the search index holds exactly the published posts, every image row has its files ...). A
request that was refused must have changed nothing at all.
"""

import re
from collections import Counter
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import String, inspect, select, text

from blog import accounts
from blog.extensions import db
from blog.media import variant_files
from blog.models import Category, Media, OldSlug, Post, Revision, Setting, Tag, User, utcnow
from blog.render import FORMATS, derive_excerpt, render_body, search_text, word_count
from tests.helpers import PASSWORD, csrf_token

# Hypothesis keeps the app (and its database) of one test for all of that test's examples:
# the state a long editing session builds up is part of what is being tested.
FUZZ = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Forms that hash a password (scrypt, a quarter of a second each) get fewer examples.
FUZZ_HASHING = settings(FUZZ, max_examples=30)
# Reading a page is cheap: the routes get more.
FUZZ_ROUTES = settings(FUZZ, max_examples=150)
EXAMPLES = Counter()  # requests sent, by form or route
ACCEPTED = Counter()  # of which the site accepted (saved, or showed the page)

SQLITE_INT = 2**63


def fits_sqlite(value: str) -> bool:
    """Tell whether a text is no integer, or one SQLite can store.

    Larger ones reach SQLite from some editor routes and fail there: the known bug marked in
    test_ids_past_sqlite_integers_are_not_found. Leaving them out here lets the fuzzing look
    for anything else.
    """
    try:
        return abs(int(value)) < SQLITE_INT
    except ValueError:
        return True


# Every code point a browser can send, lone surrogates excepted.
ANY_CHAR = st.characters(blacklist_categories=("Cs",))
ODD_TEXTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n\r\n",
    "\t\x0b\x0c",
    "\x1c\x1d\x1e\x1f\x85",  # whitespace to str.split(), not to a browser
    "\x7f\x80\x9f",
    "\u00a0\u2007\u202f",
    "\u2028\u2029",
    "\ufeffBOM",
    "\ufffe\uffff",
    "\U0010ffff",
    "\u202eevil\u202c\u200e\u200f",
    "مرحبا بالعالم",
    "שלום עולם",
    "a\u0301\u0302\u0303\u0304" * 40,
    "\u0301" * 300,
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\ufdfa" * 30,  # NFKC makes 18 characters of each
    "\u0130" * 200,  # lower() makes two characters of each
    "ß" * 200,
    "\ufb01\u2167\u2460\uff10\u0663\U0001d7d7",
    ",",
    " , ,, ",
    "-",
    "_",
    ".",
    "..",
    "/",
    "../../etc/passwd",
    "\\",
    "%",
    "%00",
    "?#&=+",
    "'\"`",
    "<",
    "</textarea><script>alert(1)</script>",
    "{{ 7*7 }}",
    "-1",
    "0",
    "\u00b2",  # a digit to str.isdigit(), not to int()
    "\u2460",
    "\u00bd",
    "\u216b",
    "00",
    "1_000",
    " 7 ",
    "1e3",
    "0x10",
    "NaN",
    "inf",
    "Etc/GMT+5",
    "Factory",
    "localtime",
    "posixrules",
    "right/UTC",
    "2026-01-01T00:00",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2026-02-30T25:61",
    "a" * 301,
    "a" * 1001,
    "x" * 2001,
]
texts = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.text(ANY_CHAR, max_size=600),
    st.sampled_from(ODD_TEXTS),
    # Very long: one repeated unit, since Hypothesis is slow to build long random texts.
    st.builds(
        lambda unit, n: unit * n,
        st.sampled_from(["a", "é", "\u0301", "\ufdfa", " ", ",", "<a>", "\x00", "w, ", "\n"]),
        st.integers(100, 20_000),
    ),
).filter(fits_sqlite)
# Odd text that a form will take: something besides whitespace, within the usual limits.
words = st.one_of(
    st.text(ANY_CHAR, min_size=1, max_size=40),
    st.sampled_from([t for t in ODD_TEXTS if t.strip() and len(t) <= 100]),
).filter(lambda t: bool(t.strip()))
# Texts that int() and str.isdigit() read differently, or that are numbers only just.
ODD_NUMBERS = ["\u00b2", "\u2460", "\u0663", "\U0001d7d7", "9" * 5000, "-1", " 7 ", "+3", "1_0"]
numbers = st.one_of(
    st.integers(-SQLITE_INT + 1, SQLITE_INT - 1).map(str), st.sampled_from(ODD_NUMBERS), texts
)


def usually(usual, anything=texts):
    """Five times in six a value the form takes, else anything: a form has many fields, and
    the code that saves runs only when every one of them passes."""
    if not isinstance(usual, st.SearchStrategy):
        usual = st.sampled_from(usual)
    # Shrinks towards the usual value: a failure is reported with as few odd fields as it can.
    return st.tuples(st.integers(0, 5), usual, anything).map(
        lambda drawn: drawn[2] if drawn[0] == 5 else drawn[1]
    )


# Database checks -----------------------------------------------------------------------

SNAPSHOT_TABLES = [
    "users",
    "sign_in_tokens",
    "categories",
    "tags",
    "media",
    "posts",
    "post_tags",
    "revisions",
    "settings",
    "old_slugs",
]


def snapshot(app) -> dict:
    """Return every row of every table but the sign-in log (which refusals do write)."""
    with app.app_context():
        return {
            table: db.session.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")).all()
            for table in SNAPSHOT_TABLES
        }


def _string_lengths(row) -> list[str]:
    """Name every String column whose value is longer than its declared length.

    SQLite ignores the lengths, PostgreSQL enforces them: a value past one is a 500 there.
    """
    problems = []
    for column in inspect(type(row)).columns:
        if isinstance(column.type, String) and column.type.length:
            value = getattr(row, column.key)
            if value is not None and len(value) > column.type.length:
                problems.append(f"{type(row).__name__}.{column.key} of {len(value)} characters")
    return problems


def check_database(app, before: dict | None = None, unchanged: bool = False) -> dict:
    """Read the whole database back and fail on any half-written or inconsistent record.

    Posts that changed since `before` are rendered again and compared with what is stored.
    """
    after = snapshot(app)
    if unchanged:
        assert after == before, "a refused request changed the database"
    changed_posts = set()
    if before is not None:
        changed_posts = {row[0] for row in set(after["posts"]) - set(before["posts"])}
    with app.app_context():
        session = db.session
        sqlite = db.engine.dialect.name == "sqlite"
        if sqlite:
            # PostgreSQL enforces its foreign keys on every write; SQLite only when asked.
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert session.execute(text("PRAGMA foreign_key_check")).all() == []
        problems = []
        posts = session.scalars(select(Post)).all()
        for post in posts:
            problems += _string_lengths(post)
            where = f"post {post.id}"
            if post.body_format not in FORMATS:
                problems.append(f"{where}: body format {post.body_format!r}")
            if post.status not in ("draft", "published", "trash"):
                problems.append(f"{where}: status {post.status!r}")
            if post.status == "published" and post.published_at is None:
                problems.append(f"{where}: published without a date")
            if not post.title.strip() or post.title != post.title.strip():
                problems.append(f"{where}: title {post.title!r}")
            if not re.fullmatch(r"[\w-]+", post.slug):
                problems.append(f"{where}: slug {post.slug!r}")
            if post.version < 1:
                problems.append(f"{where}: version {post.version}")
            if bool(post.image_id) != bool(post.image_alt.strip()):
                problems.append(f"{where}: image {post.image_id} with alt {post.image_alt!r}")
            if post.body_source and not post.body_html.strip() and post.word_count:
                problems.append(f"{where}: source without HTML")
            if post.id in changed_posts:
                html = render_body(post.body_source, post.body_format)
                if post.body_html != html:
                    problems.append(f"{where}: stored HTML is not its source rendered")
                if post.search_text != search_text(html) or post.word_count != word_count(html):
                    problems.append(f"{where}: search text or word count out of step")
                if not post.custom_excerpt and post.excerpt != derive_excerpt(html):
                    problems.append(f"{where}: derived excerpt out of step")
        versions = {post.id: post.version for post in posts}
        for revision in session.scalars(select(Revision)):
            problems += _string_lengths(revision)
            if revision.version >= versions[revision.post_id]:
                problems.append(f"revision {revision.id} not older than its post")
        revision_keys = session.execute(select(Revision.post_id, Revision.version)).all()
        if len(revision_keys) != len(set(revision_keys)):
            problems.append("two revisions of one post with the same version")
        for model in (Category, Tag):
            for row in session.scalars(select(model)):
                problems += _string_lengths(row)
                if not row.name or row.name != " ".join(row.name.split()) or not row.slug:
                    problems.append(f"{model.__name__} {row.id}: name {row.name!r}")
        own_slugs = {
            "category": dict(session.execute(select(Category.id, Category.slug)).all()),
            "tag": dict(session.execute(select(Tag.id, Tag.slug)).all()),
        }
        for old in session.scalars(select(OldSlug)):
            problems += _string_lengths(old)
            targets = {"post": old.post_id, "category": old.category_id, "tag": old.tag_id}
            named = [kind for kind, target in targets.items() if target is not None]
            if named != [old.kind]:
                problems.append(f"old slug {old.id}: kind {old.kind!r} but names {named}")
            # A post may be back at an old slug while a draft; a category or tag never.
            elif old.kind in own_slugs and own_slugs[old.kind][targets[old.kind]] == old.slug:
                problems.append(f"old slug {old.id}: {old.slug!r} is its {old.kind}'s own")
        for user in session.scalars(select(User)):
            problems += _string_lengths(user)
            if not user.display_name.strip() or not user.username:
                problems.append(f"user {user.id}: {user.username!r} {user.display_name!r}")
        stored = dict(session.execute(select(Setting.key, Setting.value)).all())
        if stored:
            ZoneInfo(stored["timezone"])
            assert 1 <= int(stored["posts_per_page"]) <= 50
            assert stored["title"].strip()
        folder = Path(app.config["MEDIA_FOLDER"])
        expected_files = set()
        for item in session.scalars(select(Media)):
            problems += _string_lengths(item)
            expected_files |= {item.filename, *variant_files(item)}
        on_disk = {p.name for p in folder.iterdir()} if folder.exists() else set()
        if on_disk != expected_files:
            problems.append(f"media files {on_disk ^ expected_files} without rows or missing")
        if sqlite:
            # The search index (FTS5, kept by triggers) holds exactly the published posts.
            indexed = set(session.scalars(text("SELECT id FROM posts_search_docsize")))
            published = {post.id for post in posts if post.status == "published"}
            if indexed != published:
                problems.append(f"search index holds {indexed ^ published} wrongly")
    assert not problems, problems
    return after


def request_ok(response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code)
    if response.status_code in (301, 302, 303, 307, 308):
        # Never away from the site, whatever was typed into next= or a path.
        target = urlsplit(response.location)
        assert target.netloc in ("", "localhost"), (what, response.location)
        assert not response.location.startswith(("//", "/\\")), (what, response.location)


# Fixtures --------------------------------------------------------------------------------


@pytest.fixture
def desk(app, signed_in, content):
    """A signed-in editor on a site with a post, a category, a tag and an earlier version."""
    slug = content.post("Existing post", tags=["Existing tag"], category="Existing category")
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        post.slug, post.version = "existing-post", 2
        db.session.add(
            Revision(
                post_id=post.id,
                version=1,
                title="Earlier",
                body_format="markdown",
                body_source="Earlier text",
                saved_at=utcnow(),
            )
        )
        db.session.add(Category(name="Second category", slug="second-category"))
        db.session.commit()
    check_database(app)
    return signed_in


def token(client) -> str:
    return csrf_token(client, "/editor/")


def ids(app, model) -> list[str]:
    with app.app_context():
        return [str(i) for i in db.session.scalars(select(model.id))]


def submit(app, client, url: str, data: dict, what: str, files=None):
    """Post a form like a browser and check the database after it, whatever the answer."""
    before = snapshot(app)
    if files:
        response = client.post(url, data={**data, **files}, content_type="multipart/form-data")
    else:
        response = client.post(url, data=data)
    request_ok(response, what)
    # Anything but a redirect is a refusal (or a preview), and must have written nothing.
    check_database(app, before, unchanged=response.status_code != 302)
    EXAMPLES[what] += 1
    ACCEPTED[what] += response.status_code == 302 or what == "post preview"
    return response


@pytest.fixture(scope="module", autouse=True)
def report(request):
    """Print how many examples each form and route got."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter and capture and EXAMPLES:
        lines = ", ".join(
            f"{name} {n} ({ACCEPTED[name]} accepted)" for name, n in sorted(EXAMPLES.items())
        )
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nFuzz examples: {sum(EXAMPLES.values())} in all: {lines}")


# Forms -----------------------------------------------------------------------------------


def within(limit: int):
    """Odd text that fits a field of this many characters, usually; else anything."""
    fitting = st.one_of(
        st.text(ANY_CHAR, max_size=min(limit, 200)),
        st.sampled_from([t for t in ODD_TEXTS if len(t) <= limit]),
    )
    return usually(fitting)


post_form = st.fixed_dictionaries(
    {
        "title": usually(words),
        "body": texts,
        "body_format": usually(["markdown", "html"]),
        "category": usually(["1", "2"], numbers),
        "status": usually(["draft", "publish", "publish", "schedule"]),
        "publish_at": usually(["2030-01-01T09:30", "2001-01-01T00:00:00", ""]),
    },
    optional={
        "slug": within(200),
        "excerpt": within(1000),
        "tags": within(1000),
        "image_id": usually(["0"], numbers),
        "image_alt": within(300),
        "seo_title": within(300),
        "seo_description": within(500),
        "version": numbers,
        "post_id": numbers,
    },
)


PLAIN_POST = {
    "title": "T",
    "body": "",
    "body_format": "markdown",
    "category": "1",
    "status": "draft",
    "publish_at": "",
}


@FUZZ
@given(
    fields=post_form,
    target=st.sampled_from(["new", "edit", "edit", "preview"]),
    random_version=usually([None], numbers),
)
# Once 500s, found by this test: "²" is a digit to str.isdigit(), which the form checked, but
# no number to int(), which the view called; nor is "", which the check let through.
@example(fields=PLAIN_POST, target="edit", random_version="\u00b2")
@example(fields=PLAIN_POST, target="edit", random_version="")
def test_post_form(app, desk, fields, target, random_version):
    """Write, edit and preview posts with anything in any field."""
    fields = dict(fields)
    if target == "edit":
        post_id = ids(app, Post)[0]
        with app.app_context():
            version = db.session.get(Post, int(post_id)).version
        url = f"/editor/posts/{post_id}"
        # Mostly the version the form would hold, so that saves go through.
        fields["version"] = str(version) if random_version is None else random_version
    else:
        url = "/editor/posts/new" if target == "new" else "/editor/preview"
    response = submit(app, desk, url, {"csrf_token": token(desk), **fields}, f"post {target}")
    if target == "preview":
        # A preview saves nothing, whatever it is sent.
        assert response.status_code in (200, 404), response.status_code


@FUZZ
@given(
    name=usually(words),
    slug=usually([""], within(80)),
    description=within(2000),
    action=st.sampled_from(["add", "add", "edit", "delete"]),
    move_to=usually(["1", "2"], numbers),
)
def test_category_forms(app, desk, name, slug, description, action, move_to):
    """Add, rename, describe and delete categories with anything in any field."""
    category_id = ids(app, Category)[-1]
    fields = {"csrf_token": token(desk), "name": name, "slug": slug, "description": description}
    url = {
        "add": "/editor/categories/",
        "edit": f"/editor/categories/{category_id}",
        "delete": f"/editor/categories/{category_id}/delete",
    }[action]
    if action == "delete":
        fields = {"csrf_token": fields["csrf_token"], "move_to": move_to}
    submit(app, desk, url, fields, f"category {action}")


@FUZZ
@given(
    name=usually(words),
    slug=usually([""], within(80)),
    action=st.sampled_from(["add", "add", "edit", "delete"]),
)
def test_tag_forms(app, desk, name, slug, action):
    """Add, rename and delete tags with anything in any field."""
    tag_ids = ids(app, Tag)
    assume(tag_ids or action == "add")
    url = {
        "add": "/editor/tags/",
        "edit": f"/editor/tags/{tag_ids[-1] if tag_ids else 0}",
        "delete": f"/editor/tags/{tag_ids[-1] if tag_ids else 0}/delete",
    }[action]
    fields = {"csrf_token": token(desk), "name": name, "slug": slug}
    submit(app, desk, url, fields, f"tag {action}")


@FUZZ
@given(
    title=usually(words),
    tagline=within(300),
    timezone=usually(["UTC", "Europe/Paris", "America/St_Johns", "Asia/Kathmandu"]),
    posts_per_page=usually(["10", "1", "50", " 7 ", "\u0663"], numbers),
)
def test_settings_form(app, desk, title, tagline, timezone, posts_per_page):
    """Change the site's settings to anything; every page must still render after."""
    fields = {
        "csrf_token": token(desk),
        "title": title,
        "tagline": tagline,
        "timezone": timezone,
        "posts_per_page": posts_per_page,
    }
    submit(app, desk, "/editor/settings", fields, "settings")
    for url in ("/", "/archive/", "/feed.atom", "/editor/"):
        request_ok(desk.get(url), url)


# The editor's password as it is now: the form may change it.
PASSWORDS = [PASSWORD]


@pytest.fixture
def password_log():
    PASSWORDS[:] = [PASSWORD]
    yield PASSWORDS
    PASSWORDS[:] = [PASSWORD]


@FUZZ_HASHING
@given(
    display_name=usually(words),
    bio=within(2000),
    current=usually(["<the password>"]),
    new=usually(st.text(ANY_CHAR, min_size=8, max_size=60)),
    confirm_same=st.booleans(),
    confirm=texts,
)
def test_profile_and_password_forms(
    app, desk, password_log, display_name, bio, current, new, confirm_same, confirm
):
    """Change the name, bio and password to anything."""
    fields = {"csrf_token": token(desk), "display_name": display_name, "bio": bio}
    submit(app, desk, "/editor/profile", fields, "profile")
    request_ok(desk.get("/author/editor"), "author page")
    password = {
        "csrf_token": token(desk),
        "current_password": PASSWORDS[-1] if current == "<the password>" else current,
        "new_password": new,
        "confirm": new if confirm_same else confirm,
    }
    response = submit(app, desk, "/editor/profile/password", password, "password")
    if response.status_code == 302:
        PASSWORDS.append(new)
        # The session that changed it stays signed in.
        assert desk.get("/editor/").status_code == 200


@FUZZ_HASHING
@given(
    username=usually(["editor"]),
    password=usually([PASSWORD]),
    next_url=usually(["/editor/settings", "//evil.example", "/\\evil.example", "https://x"]),
)
def test_sign_in_form(app, client, editor, username, password, next_url):
    """Sign in with anything; a success goes only to a page of this site."""
    fields = {
        "csrf_token": csrf_token(client, "/auth/sign-in"),
        "username": username,
        "password": password,
        "next": next_url,
    }
    with app.app_context():
        # The throttle would answer every attempt after the first few with a 429.
        db.session.execute(text("DELETE FROM sign_in_attempts"))
        db.session.commit()
    response = submit(app, client, "/auth/sign-in", fields, "sign-in")
    if response.status_code == 302:
        client.post("/auth/sign-out", data={"csrf_token": token(client)})


@FUZZ_HASHING
@given(
    username=usually(words),
    display_name=usually(words),
    password=usually(["a long enough password"]),
    confirm_same=st.booleans(),
    bad_token=usually([None]),
)
def test_first_run_form(app, client, username, display_name, password, confirm_same, bad_token):
    """Choose the editor's name and password from the one-time link, with anything."""
    with app.app_context():
        user = accounts.ensure_editor_account()
        link_token = accounts.issue_sign_in_token(user)
        db.session.commit()
    url = f"/auth/welcome/{quote(bad_token, safe='') if bad_token else link_token}"
    page = client.get(url)
    request_ok(page, "welcome page")
    if page.status_code != 200:
        assert page.status_code in (404, 410), page.status_code
        return
    fields = {
        "csrf_token": csrf_token(client, url),
        "username": username,
        "display_name": display_name,
        "password": password,
        "confirm": password if confirm_same else "",
    }
    submit(app, client, url, fields, "first-run")


def png(width=8, height=6) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


@FUZZ
@given(
    name=usually(words),
    data=st.one_of(
        st.just(png()),
        st.just(png()),
        st.binary(max_size=200),
        st.just(b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        st.just(png()[:40]),
    ),
    where=st.sampled_from(["library", "post form"]),
)
def test_upload_names_and_contents(app, desk, name, data, where):
    """Upload anything under any name, from the media page and from the post form."""
    if where == "library":
        fields = {"csrf_token": token(desk)}
        files = {"images": [(BytesIO(data), name)]}
        submit(app, desk, "/editor/media/", fields, "upload (library)", files)
    else:
        fields = {
            "csrf_token": token(desk),
            "title": "With an image",
            "body_format": "markdown",
            "body": "Text.",
            "category": "1",
            "status": "draft",
            "image_id": "0",
            "image_alt": "A picture",
            "version": "0",
        }
        submit(
            app,
            desk,
            "/editor/posts/new",
            fields,
            "upload (post form)",
            {"image": (BytesIO(data), name)},
        )
    request_ok(desk.get("/editor/media/"), "media page")


# Routes ----------------------------------------------------------------------------------

PUBLIC_ROUTES = [
    "/",
    "/posts/{}",
    "/category/{}",
    "/tag/{}",
    "/author/{}",
    "/archive/",
    "/archive/{}/{}/",
    "/search",
    "/feed.{}",
    "/category/{}/feed.{}",
    "/tag/{}/feed.{}",
    "/category/{}/feed/",
    "/media/{}",
    "/sitemap.xml",
    "/sitemap-{}.xml",
    "/robots.txt",
    "/auth/sign-in",
    "/{}",
    "/static/{}",
]
EDITOR_ROUTES = [
    "/editor/",
    "/editor/posts/new",
    "/editor/posts/{}",
    "/editor/posts/{}/preview",
    "/editor/posts/{}/revisions",
    "/editor/posts/{}/revisions/{}",
    "/editor/posts/{}/revisions/{}/restore",
    "/editor/posts/{}/trash",
    "/editor/posts/{}/untrash",
    "/editor/posts/{}/delete",
    "/editor/categories/",
    "/editor/categories/{}",
    "/editor/categories/{}/delete",
    "/editor/tags/",
    "/editor/tags/{}",
    "/editor/tags/{}/delete",
    "/editor/media/",
    "/editor/media/{}/delete",
    "/editor/settings",
    "/editor/profile",
]
PARAMETERS = ["page", "q", "status", "category", "next", "fmt", "id", "per_page"]
KNOWN = ["existing-post", "existing-category", "existing-tag", "editor", "2026", "1", "atom"]


def segment():
    return st.one_of(st.sampled_from(KNOWN), texts.filter(bool)).map(lambda s: quote(s, safe=""))


query = st.dictionaries(usually(PARAMETERS, texts.filter(bool)), numbers, max_size=4)


def fill(route: str, segments: list[str]) -> str:
    return route.format(*segments[: route.count("{}")])


@FUZZ_ROUTES
@given(
    route=st.sampled_from(PUBLIC_ROUTES),
    segments=st.lists(segment(), min_size=3, max_size=3),
    params=query,
    method=st.sampled_from(["GET", "HEAD"]),
)
def test_public_routes(app, desk, route, segments, params, method):
    """Ask for any public page, with anything in its path and query string."""
    url = fill(route, segments)
    reader = app.test_client()
    response = reader.open(url, method=method, query_string=params)
    request_ok(response, f"{method} {url}")
    EXAMPLES["public routes"] += 1
    ACCEPTED["public routes"] += response.status_code < 400


# What readers type into the search box: words, quotes, operators, FTS5 syntax.
SEARCH_SYNTAX = ['"', '"a b"', "a*", "-a", "a OR b", "NEAR(a b)", "a:b", "^a", "(a", "*", "AND"]


@FUZZ
@given(
    q=st.one_of(texts, st.lists(st.sampled_from(SEARCH_SYNTAX) | words, max_size=8).map(" ".join)),
    page=usually(["1", "2"], numbers),
)
def test_search_queries(app, desk, q, page):
    """Search for anything: the reader's text never reaches the database as syntax."""
    response = app.test_client().get("/search", query_string={"q": q, "page": page})
    request_ok(response, f"search {q!r}")
    EXAMPLES["search"] += 1
    ACCEPTED["search"] += response.status_code == 200


@FUZZ_ROUTES
@given(
    route=st.sampled_from(EDITOR_ROUTES),
    segments=st.lists(
        st.one_of(st.sampled_from(["1", "2", "3", "0"]), numbers.map(lambda s: quote(s, safe=""))),
        min_size=2,
        max_size=2,
    ),
    params=query,
    method=st.sampled_from(["GET", "POST"]),
    form=st.dictionaries(usually(["move_to", "name", "title"]), texts, max_size=3),
)
def test_editor_routes(app, desk, route, segments, params, method, form):
    """Open or press any editor page, with anything in its path, query string and form."""
    url = fill(route, segments)
    if method == "GET":
        response = desk.get(url, query_string=params)
        request_ok(response, f"GET {url}")
        EXAMPLES["editor GETs"] += 1
        ACCEPTED["editor GETs"] += response.status_code < 400
    else:
        submit(app, desk, url, {"csrf_token": token(desk), **form}, "editor POSTs")


# Numbers past what the database holds -------------------------------------------------

PAST_SQLITE = str(SQLITE_INT * 10)


@pytest.mark.parametrize(
    "url, form",
    [
        (f"/editor/posts/{PAST_SQLITE}", None),
        (f"/editor/categories/{PAST_SQLITE}", None),
        (f"/editor/tags/{PAST_SQLITE}", None),
        (f"/editor/media/{PAST_SQLITE}/delete", None),
        (f"/editor/?category={PAST_SQLITE}", None),
        (f"/editor/?page={PAST_SQLITE}", None),
        (f"/editor/tags/?page={PAST_SQLITE}", None),
        (f"/editor/media/?page={PAST_SQLITE}", None),
        ("/editor/preview", {"title": "t", "body_format": "markdown", "post_id": PAST_SQLITE}),
    ],
)
def test_ids_past_database_integers_are_not_found_or_ignored(app, signed_in, url, form):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    if form is None:
        response = signed_in.get(url)
    else:
        form["csrf_token"] = csrf_token(signed_in, "/editor/posts/new")
        response = signed_in.post(url, data=form)
    # A path id that no column can hold is no page; a query number is ignored (default).
    assert response.status_code == (404 if "?" not in url and form is None else 200)
