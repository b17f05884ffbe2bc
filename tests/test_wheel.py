"""pip install . gives a working site: the wheel holds every package, template, static file
and migration, and the installed copy serves its pages from any folder."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.wheel

# What a checkout holds that is not the site: never copied into the build.
NOT_BUILT = (".git", ".venv", "instance", "build", "dist", "*.egg-info", ".*_cache", ".hypothesis")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel the way pip install . does, from a copy: never in the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_BUILT, "bench", "tests"))
    # What running the site leaves in a checkout stays out of the wheel.
    stray = source / "migrations" / "versions" / "__pycache__"
    stray.mkdir(exist_ok=True)
    (stray / "stray.cpython-311.pyc").write_bytes(b"")
    # pip's isolated build fetches setuptools from the package index, as pip install . does.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", tmp / "dist", source],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = (tmp / "dist").glob("blog-*.whl")
    return built


def site_files(folder: str) -> set[str]:
    """Return the files of a top-level folder as the wheel names them, under blog/."""
    prefix = "blog" if folder == "blog" else f"blog/{folder}"
    names = set()
    for path in (ROOT / folder).rglob("*"):
        relative = path.relative_to(ROOT / folder)
        if "__pycache__" in relative.parts or relative.name.startswith(".") or path.is_dir():
            continue
        names.add(f"{prefix}/{relative.as_posix()}")
    return names


def test_wheel_holds_the_whole_site(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())

    for name in (
        "blog/__init__.py",
        "blog/auth/views.py",
        "blog/editor/posts.py",
        "blog/public/views.py",
        "blog/templates/base.html",
        "blog/templates/public/index.html",
        "blog/static/css/site.css",
        "blog/migrations/env.py",
        "blog/migrations/alembic.ini",
        "blog/migrations/script.py.mako",
        "blog/migrations/versions/67e1dee4ebe0_initial_schema.py",
    ):
        assert name in names
    # Every file of the package and of the three folders, whatever is added later.
    expected = site_files("blog") | site_files("templates") | site_files("static")
    expected |= site_files("migrations")
    assert expected - names == set()
    # Nothing but the package: no top-level templates/ or app.py in site-packages, no caches.
    dist_info = "-".join(wheel.name.split("-")[:2]) + ".dist-info"
    assert {name.split("/")[0] for name in names} == {"blog", dist_info}
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_installed_site_serves_its_pages_from_another_folder(wheel, tmp_path):
    # Unpacked the way pip installs it, into a prefix of its own: Flask places the instance
    # folder of an installed package in <prefix>/var/blog-instance.
    prefix = tmp_path / "prefix"
    site_packages = prefix / "lib" / f"python{sysconfig.get_python_version()}" / "site-packages"
    zipfile.ZipFile(wheel).extractall(site_packages)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {name: value for name, value in os.environ.items() if not name.startswith("BLOG_")}
    # The dependencies come from this virtualenv; the blog only from the unpacked wheel.
    env["PYTHONPATH"] = str(site_packages)

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args], cwd=elsewhere, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    # flask --app blog finds create_app in the package: no app.py is needed.
    assert "one-time link" in run("-m", "flask", "--app", "blog", "setup")
    out = run("-c", SERVE_HOME_PAGE)

    instance = prefix / "var" / "blog-instance"
    assert out.splitlines() == [str(site_packages / "blog"), str(instance), "200", "200"]
    assert (instance / "blog.sqlite").is_file()
    assert (instance / "secret_key").is_file()
    assert list(elsewhere.iterdir()) == []
    assert not (site_packages / "blog" / "instance").exists()


# Run in the installed copy: where it found its files, then the home page and its stylesheet.
SERVE_HOME_PAGE = """
import re
import blog

app = blog.create_app()
print(blog.ROOT)
print(app.instance_path)
client = app.test_client()
home = client.get("/")
print(home.status_code)
stylesheet = re.search(r'<link rel="stylesheet" href="([^"?]+)', home.text).group(1)
print(client.get(stylesheet).status_code)
"""
