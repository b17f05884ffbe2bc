"""axe-core scans of the reader's pages, in the light and the dark color scheme."""

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
PAGES = {
    "home": "/",
    "post": "post",
    "category": "category",
    "archives": "/archive/",
    "not-found": "/posts/no-such-post",
}


@pytest.fixture(scope="module")
def axe():
    return Axe()


def describe(violations):
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violations(open_page, live_site, axe, name, scheme):
    page = open_page(color_scheme=scheme)
    path = live_site.resolve(PAGES[name])
    response = page.goto(live_site(path))
    assert response.status == (404 if name == "not-found" else 200)
    violations = axe.run(page).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe found on {path} ({scheme}):\n{describe(blocking)}"
