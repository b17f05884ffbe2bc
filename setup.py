"""Build settings pyproject.toml cannot state: every package under blog/, and the top-level
templates/, static/ and migrations/ carried inside it as blog/templates ... (blog/__init__.py
looks there when it runs from a wheel, beside the package when it runs from a checkout)."""

from setuptools import find_namespace_packages, find_packages, setup

DATA_FOLDERS = ("templates", "static", "migrations")


def data_packages(folder: str) -> list[str]:
    """Return blog.<folder> and its subfolders as packages: setuptools' way to ship a tree."""
    subfolders = find_namespace_packages(where=folder, exclude=["__pycache__", "*.__pycache__"])
    return [f"blog.{folder}"] + [f"blog.{folder}.{sub}" for sub in subfolders]


DATA_PACKAGES = [package for folder in DATA_FOLDERS for package in data_packages(folder)]

setup(
    # Found, not listed: a subpackage added later is in the wheel without a change here.
    packages=find_packages(include=["blog", "blog.*"]) + DATA_PACKAGES,
    package_dir={f"blog.{folder}": folder for folder in DATA_FOLDERS},
    # Every file, so that a new kind (a font, a script) needs no entry here.
    package_data={package: ["*"] for package in DATA_PACKAGES},
    exclude_package_data={"": ["*.pyc"]},
)
