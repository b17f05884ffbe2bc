"""Helpers the tests share: CSRF tokens from real forms, signing in."""

import re

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, url: str) -> str:
    """Return the CSRF token of the form on the page at url, as a browser would see it."""
    page = client.get(url)
    match = _TOKEN.search(page.text)
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1) or match.group(2)


_VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


def post_form_data(client, url: str, category_id: int, **fields) -> dict:
    """Return the post form at url as a browser submits it: defaults, token, version, fields."""
    data = {
        "csrf_token": csrf_token(client, url),
        "title": "A title",
        "slug": "",
        "body_format": "markdown",
        "body": "Some *text*.",
        "excerpt": "",
        "category": str(category_id),
        "tags": "",
        "image_id": "0",
        "image_alt": "",
        "status": "draft",
        "publish_at": "",
        "version": "0",
    }
    if not url.endswith("/new"):
        data["version"] = _VERSION.search(client.get(url).text).group(1)
    data.update({k: str(v) for k, v in fields.items()})
    return data


class Auth:
    def __init__(self, client):
        self.client = client

    def sign_in(self, username="editor", password=PASSWORD, next=""):
        token = csrf_token(self.client, "/auth/sign-in")
        return self.client.post(
            "/auth/sign-in",
            data={"csrf_token": token, "username": username, "password": password, "next": next},
        )

    def sign_out(self):
        token = csrf_token(self.client, "/editor/")
        return self.client.post("/auth/sign-out", data={"csrf_token": token})
