"""Response headers that make the browser an ally: CSP, framing, sniffing, referrers, HSTS."""

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style anywhere: templates load /static files only. Images may come
# from the site or any https host (post bodies can embed them).
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors {ancestors}"
)
PUBLIC_CSP = _CSP.format(ancestors="'self'")
PRIVATE_CSP = _CSP.format(ancestors="'none'")


def _is_private() -> bool:
    return request.path.startswith(("/editor", "/auth"))


def set_security_headers(response):
    private = _is_private()
    headers = response.headers
    headers.setdefault("Content-Security-Policy", PRIVATE_CSP if private else PUBLIC_CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY" if private else "SAMEORIGIN")
    headers.setdefault(
        "Referrer-Policy", "same-origin" if private else "strict-origin-when-cross-origin"
    )
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault(
        "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    )
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def register(app: Flask) -> None:
    app.after_request(set_security_headers)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind nginx or another proxy: believe its X-Forwarded-* headers, and only its.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
