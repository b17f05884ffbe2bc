"""Error pages in the site's look; a visitor never sees a stack trace."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, SecurityError

from blog.extensions import db


def register(app: Flask) -> None:
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

    @app.errorhandler(500)
    def internal_error(error):
        """Roll back whatever was half-done and apologise, without details."""
        db.session.rollback()
        return render_template("errors/500.html"), 500
