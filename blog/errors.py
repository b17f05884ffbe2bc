"""Error pages in the site's look; a visitor never sees a stack trace.

A failure on the server (a full disk, a database out of reach, a bug) is answered here, in one
place: an editor's POST gets its form back as typed with the reason (the view's page named by
keeps_form, else a page listing the text that was sent), a reader gets a page that needs no
database (503 and Retry-After while it is unreachable), and the log one line per burst.
"""

import contextlib
import re
from collections.abc import Callable

from flask import Flask, current_app, g, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, SecurityError

from blog import failures
from blog.extensions import db, treat_as_anonymous
from blog.failures import Failure

# A page that shows an editor form as it was sent, with failure.reason: its HTML, or None
# when it cannot be shown after this failure (the plain page is shown instead).
FormPage = Callable[[Failure], str | None]
_form_pages: dict[str, FormPage] = {}
# Fields never shown back: the form's token, passwords and their confirmation.
SECRET = re.compile(r"password|confirm|token|secret", re.IGNORECASE)


def keeps_form(*endpoints: str) -> Callable[[FormPage], FormPage]:
    """Register the page that shows these endpoints' form as typed when a POST fails."""

    def register_page(page: FormPage) -> FormPage:
        for endpoint in endpoints:
            _form_pages[endpoint] = page
        return page

    return register_page


def typed_fields() -> list[tuple[str, str]]:
    """Return the text fields an editor POST carried, to be copied: no token, no password."""
    try:
        fields = list(request.form.items(multi=True))
    except Exception:  # the body itself could not be read (a full disk under a large upload)
        return []
    return [(name, value) for name, value in fields if value.strip() and not SECRET.search(name)]


def _is_editor_post() -> bool:
    return request.method == "POST" and (request.blueprint or "").startswith("editor")


def _settle(failure: Failure) -> None:
    """Undo the half-done transaction; after an outage, leave the database alone."""
    # A rollback on a lost connection can fail too: the session starts afresh either way.
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    if not failure.database_ok:
        # The layout reads neither the settings nor the menu (templating.site_context), and
        # Flask-Login's template variable does not load the account from the database.
        g.database_down = True
        if "_login_user" not in g:
            treat_as_anonymous()


def _headers(failure: Failure) -> dict[str, str]:
    headers = {"Cache-Control": "no-store"}
    if failure.retry_after:
        headers["Retry-After"] = str(failure.retry_after)
    return headers


def failure_response(failure: Failure, log: failures.BurstLog):
    """Answer a failed request: an editor's form as typed, or a page that needs no database."""
    _settle(failure)
    if _is_editor_post():
        page = _form_pages.get(request.endpoint)
        html = None
        try:
            html = page(failure) if page is not None else None
        except Exception as error:  # the plain page below still gives the text back
            page_failure = failures.classify(error)
            if page_failure is failures.UNEXPECTED and _propagates():
                raise
            _settle(page_failure)
            log.record(f"form page of {request.endpoint}", failures.describe(error), error)
        if html is not None:
            return html, failure.status, _headers(failure)
        typed = typed_fields()
        message = f"{failure.reason} {failures.TEXT_KEPT if typed else 'Go back and try again.'}"
        html = render_template("errors/editor_failure.html", message=message, typed=typed)
        return html, failure.status, _headers(failure)
    return (
        render_template("errors/failure.html", failure=failure),
        failure.status,
        _headers(failure),
    )


def register(app: Flask) -> None:
    log = failures.BurstLog(app.logger)
    app.extensions["failure_log"] = log

    @app.teardown_request
    def summarise_failures(error):
        # A burst that has gone quiet is summarised by the next request, whatever it is.
        log.flush()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Render a known HTTP error (404, 405, 413 ...) as a page of the site."""
        if isinstance(error, SecurityError):
            # An untrusted Host: no page of ours can be built for it, so say it plainly.
            return (
                "Bad request: this site does not answer to that host name.",
                400,
                {"Content-Type": "text/plain; charset=utf-8"},
            )
        return render_template("errors/error.html", error=error), error.code

    @app.errorhandler(Exception)
    def server_failure(error: Exception):
        """Answer a failure on the server plainly; log one line for a burst of them."""
        failure = failures.classify(error)
        if failure.kind is failures.FailureKind.UNEXPECTED:
            if _propagates():
                raise error  # tests and the debugger see the bug itself
            key = f"{failure.kind} in {request.endpoint}: {type(error).__name__}"
            line = f"{failure.kind} (500): {failures.describe(error)}"
            # A bug's first occurrence keeps its traceback: it is needed to fix it.
            log.record(key, f"{line} [{request.method} {request.path}]", error)
        else:
            line = f"{failure.kind} ({failure.status}): {failures.describe(error)}"
            log.record(failure.kind, f"{line} [{request.method} {request.path}]")
        return failure_response(failure, log)

    @app.errorhandler(500)
    def internal_error(error):
        """Roll back whatever was half-done and apologise, without details."""
        cause = getattr(error, "original_exception", None)
        failure = failures.classify(cause) if cause else failures.UNEXPECTED
        return failure_response(failure, log)


def _propagates() -> bool:
    # Flask's own rule for letting an unhandled exception through (handle_exception).
    propagate = current_app.config["PROPAGATE_EXCEPTIONS"]
    return propagate if propagate is not None else current_app.testing or current_app.debug
