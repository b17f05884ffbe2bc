"""The blog: an app factory and the small steps it is made of."""

import functools
import os
import secrets
from datetime import UTC
from pathlib import Path

from flask import Flask, Request, abort, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.sansio.utils import get_current_url
from werkzeug.utils import cached_property

from blog import accounts, cache, cli, errors, hosts, security, storage, templating
from blog.auth.views import bp as auth_bp
from blog.auth.views import register_session_rules
from blog.editor import bp as editor_bp
from blog.extensions import csrf, db, login_manager, migrate
from blog.posts import listings
from blog.public import files
from blog.public.views import bp as public_bp
from blog.urls import SmallIntConverter

PACKAGE = Path(__file__).resolve().parent
# templates/, static/ and migrations/ lie beside the package in a checkout (make run, the
# tests, pip install -e .) and inside it once installed from a wheel (setup.py puts them there).
INSTALLED = (PACKAGE / "templates").is_dir()
ROOT = PACKAGE if INSTALLED else PACKAGE.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app: defaults, instance/config.py, BLOG_* env, test mapping."""
    app = Flask(
        __name__,
        # BLOG_INSTANCE_PATH lets a benchmark or a second site keep its data elsewhere.
        instance_path=os.environ.get("BLOG_INSTANCE_PATH") or default_instance_path(),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.request_class = BlogRequest
    app.session_interface = BlogSessionInterface()
    app.before_request(_no_nul_in_paths)
    configure(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def default_instance_path() -> str | None:
    """Return the checkout's instance/, or None: Flask's <venv>/var/blog-instance when installed.

    Never inside site-packages, and not the current folder either: a command run from
    another folder (a backup from cron) must find the same site the server uses.
    """
    return None if INSTALLED else str(ROOT / "instance")


class BlogRequest(Request):
    """A request whose form fields and query arguments hold no NUL characters.

    PostgreSQL text cannot hold NUL (psycopg refuses the query: a 500) while SQLite stores it;
    no one means to type one, so it is dropped at the door and both databases see one text.
    """

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"], self.parameter_storage_class)

    @cached_property
    def args(self):
        return _without_nul(super().args, self.parameter_storage_class)

    @cached_property
    def root_url(self) -> str:
        # Every page's canonical URL starts here: Werkzeug's IRI decoding of the same few
        # hosts need not run again for each request.
        return _root_url(self.scheme, self.host, self.root_path)


_root_url = functools.lru_cache(maxsize=64)(get_current_url)


class BlogSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with no signer built for a reader who has no cookie."""

    def open_session(self, app, request):
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if session or session.modified:
            return super().save_session(app, session, response)
        # Empty and never emptied: no cookie to set or delete, so all Flask would do is the
        # Vary below, after looking up seven cookie settings.
        if not session.accessed:
            return
        if response.headers.getlist("Vary"):
            response.vary.add("Cookie")
        else:
            # What vary.add() writes, without parsing the absent header into a set first.
            response.headers.add("Vary", "Cookie")


def _no_nul_in_paths():
    # No page's address holds a NUL; refused here, it never reaches a query as a slug.
    if "\x00" in request.path:
        abort(404)


def _without_nul(values, storage_class):
    pairs = list(values.items(multi=True))
    if not any("\x00" in key or "\x00" in value for key, value in pairs):
        return values
    return storage_class([(k.replace("\x00", ""), v.replace("\x00", "")) for k, v in pairs])


def configure(app: Flask, test_config: dict | None) -> None:
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{Path(app.instance_path) / 'blog.sqlite'}",
        # The public root (https://news.example, or https://example.org/blog under a mount
        # prefix) for absolute URLs in feeds, sitemaps and metadata; blank: the request's.
        BASE_URL="",
        # Rendered public pages kept in each worker's memory (BLOG_PAGE_CACHE=false: off).
        PAGE_CACHE=True,
        # Static URLs carry their content hash (?v=...), so they may be kept for a year.
        SEND_FILE_MAX_AGE_DEFAULT=365 * 24 * 3600,
        PAGE_CACHE_ENTRIES=2000,
        # How the page caches of several workers agree that content changed: "file" (a stamp
        # in instance/, one machine) or "database" (PostgreSQL: several machines).
        CONTENT_STAMP="file",
        # The folder of pg_dump, pg_restore and psql for flask backup and restore on
        # PostgreSQL, when PATH's are missing or older than the server.
        PG_BIN=None,
        SITE_TITLE="My Blog",
        SITE_TAGLINE="News and stories",
        TIMEZONE="UTC",
        POSTS_PER_PAGE=10,
        # The editor's session: idle and absolute lifetimes, a cookie scripts cannot read.
        SESSION_IDLE_MINUTES=120,
        SESSION_ABSOLUTE_HOURS=12,
        PERMANENT_SESSION_LIFETIME=120 * 60,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Set BLOG_SESSION_COOKIE_SECURE=true when the site is served over HTTPS, and
        # BLOG_TRUSTED_PROXIES=1 behind one reverse proxy (nginx) that sets X-Forwarded-*.
        SESSION_COOKIE_SECURE=False,
        TRUSTED_PROXIES=0,
        # BLOG_TRUSTED_HOSTS='["news.example"]' refuses requests for any other Host; so does
        # BASE_URL's host under make serve, which sets SERVE_ADDRESS (the address it binds,
        # the one host it answers when neither is set). See blog/hosts.py.
        TRUSTED_HOSTS=None,
        SERVE_ADDRESS="",
        # A form token lives as long as the longest session, so a long writing spell keeps it.
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        # Bodies up to 2 MB are checked by the form (the text comes back with the error);
        # past these limits the request is refused before it is read.
        MAX_FORM_MEMORY_SIZE=8 * 1024 * 1024,
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
        MAX_UPLOAD_BYTES=16 * 1024 * 1024,
        # Media in an S3-compatible bucket instead of MEDIA_FOLDER (blog/storage.py): its name,
        # and the server's URL unless it is AWS's (MinIO, Ceph, R2). Credentials: AWS_* env.
        S3_BUCKET="",
        S3_ENDPOINT_URL="",
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("BLOG")
    else:
        app.config.from_mapping(test_config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", app.config["DATABASE_URL"])
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A database server may have restarted since a pooled connection was last used;
        # a SQLite file has no connection to lose, and the ping cost every request ~20 µs.
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("pool_pre_ping", True)
    app.config.setdefault("MEDIA_FOLDER", str(Path(app.instance_path) / "media"))
    app.config.setdefault("PAGE_CACHE_STAMP", str(Path(app.instance_path) / "content.stamp"))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))


def instance_secret_key(instance: Path) -> str:
    """Return the site's secret key, generating it on first start (never in the repository)."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Give every SQLite connection WAL, enforced foreign keys and a patient busy timeout."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_write_lock_first(connection) -> None:
    """Let a request that may write (POST ...) hold SQLite's write lock from its first query.

    The driver otherwise begins a transaction only at the first INSERT or UPDATE, after the
    view has read: two tabs saving one post both pass the version check, and the second
    silently overwrites the first (or fails with a 500). BEGIN IMMEDIATE makes the check and
    the save one step; other writers wait for busy_timeout, readers never wait under WAL.
    """
    if connection.dialect.name != "sqlite" or not has_request_context():
        return
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    # Flask-WTF's own check finds the view and its exemptions on every request, GETs
    # included, before it looks at the method: ours looks at the method first.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(_csrf_on_writes)
    cache.watch_sessions()
    app.extensions["media_storage"] = storage.from_config(app.config)
    # Always in place; PAGE_CACHE switches it on and off (a test can flip it).
    stamp = app.extensions["content_stamp"] = cache.stamp_source(app.config)
    app.wsgi_app = cache.PageCacheMiddleware(
        app.wsgi_app,
        app.config,
        stamp,
        clock=lambda: listings.utcnow().replace(tzinfo=UTC).timestamp(),
    )
    # Outside the cache, so that a forged Host is refused before it can fill it.
    hosts.guard(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.user_loader(accounts.load_session_user)


def _csrf_on_writes():
    # Flask-WTF's check (protect) for the methods it guards; GET, HEAD and OPTIONS pass.
    config = current_app.config
    if request.method in config["WTF_CSRF_METHODS"] and config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)


def register_blueprints(app: Flask) -> None:
    # Before any rule is added: every <int:...> in the app is bounded.
    app.url_map.converters["int"] = SmallIntConverter
    app.register_blueprint(public_bp)
    # Static text goes out gzipped, compressed once per file version (blog/public/files.py).
    app.view_functions["static"] = files.static_file
    app.register_blueprint(auth_bp)
    app.register_blueprint(editor_bp)
    register_session_rules(app)
    templating.register(app)


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)
    security.register(app)


def register_commands(app: Flask) -> None:
    cli.register(app)
