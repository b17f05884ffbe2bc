"""Response headers that make the browser an ally: CSP, framing, sniffing, referrers, HSTS."""

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style anywhere: templates load /static files only. Images, audio and
# video may come from the site or any https host (post bodies can embed them).
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https:; "
    "media-src 'self' https:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors {ancestors}"
)
PUBLIC_CSP = _CSP.format(ancestors="'self'")
PRIVATE_CSP = _CSP.format(ancestors="'none'")


def _is_private() -> bool:
    return request.path.startswith(("/editor", "/auth"))


def _security_headers(private: bool, secure: bool) -> tuple[tuple[str, str], ...]:
    headers = (
        ("Content-Security-Policy", PRIVATE_CSP if private else PUBLIC_CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY" if private else "SAMEORIGIN"),
        ("Referrer-Policy", "same-origin" if private else "strict-origin-when-cross-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    )
    if secure:
        headers += (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)
    return headers


# Every response gets one of these four lists: built once, not per response.
SECURITY_HEADERS = {
    (private, secure): _security_headers(private, secure)
    for private in (False, True)
    for secure in (False, True)
}


def set_security_headers(response):
    """Add each security header the view has not set itself (media sets a stricter CSP)."""
    # The names once: werkzeug's setdefault raises and catches an exception for each header
    # that is absent, which costs more than this whole loop.
    present = {name.lower() for name, _ in response.headers}
    wanted = SECURITY_HEADERS[_is_private(), request.is_secure]
    response.headers.extend([(n, v) for n, v in wanted if n.lower() not in present])
    if "date" in present:
        # Werkzeug's conditional responses date themselves, and gunicorn (like every HTTP
        # server) adds its own Date: two, where HTTP allows one. The server's is the one.
        del response.headers["Date"]
    return response


def register(app: Flask) -> None:
    app.after_request(set_security_headers)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind nginx or another proxy: believe its X-Forwarded-* headers, and only its.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
