"""deploy/*.service and *.timer: systemd accepts them, and their commands are this checkout's.

The files are checked as shipped, with the checkout's folder (/srv/blog) and its virtualenv
replaced by this one's; systemd-analyze verify reads them as systemd would (CI installs it).
"""

import configparser
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent
UNITS = ("blog.service", "blog-backup.service", "blog-backup.timer")
ANALYZE = shutil.which("systemd-analyze")


def unit_text(name: str, folder: Path) -> str:
    """Return a unit as shipped, pointed at this checkout and a settings file in folder."""
    text = (ROOT / "deploy" / name).read_text()
    for shipped, here in {
        "/srv/blog/.venv": str(VENV),
        "/srv/blog/backups": str(folder / "backups"),
        "/srv/blog": str(ROOT),
        "/etc/blog/blog.env": str(folder / "blog.env"),
    }.items():
        text = text.replace(shipped, here)
    return text


def parsed(name: str, folder: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string(unit_text(name, folder))
    return parser


@pytest.mark.skipif(
    ANALYZE is None and os.environ.get("CI") != "true", reason="systemd-analyze is not installed"
)
def test_systemd_accepts_the_units(tmp_path):
    (tmp_path / "blog.env").write_text("BLOG_BASE_URL=https://news.example\n")
    for name in UNITS:
        (tmp_path / name).write_text(unit_text(name, tmp_path))

    result = subprocess.run(
        [ANALYZE or "systemd-analyze", "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
    )

    # verify only warns about an unknown key or a bad value: any word from it is a failure.
    assert result.returncode == 0 and not result.stdout + result.stderr, result.stderr


def test_gunicorn_runs_as_make_serve_does(tmp_path):
    service = parsed("blog.service", tmp_path)["Service"]
    command = shlex.split(service["ExecStart"].replace("\\\n", " "))
    assert Path(command[0]) == VENV / "bin" / "gunicorn"
    assert command[-1] == "app:app" and (ROOT / "app.py").is_file()
    assert "--no-control-socket" in command
    bind = command[command.index("--bind") + 1]
    assert f"BLOG_SERVE_ADDRESS={bind}" in service["Environment"].split()
    # A killed master's workers go with it (README, "Deployment with systemd").
    assert service["KillMode"] == "mixed"
    assert Path(shlex.split(service["ExecStartPre"])[0]) == VENV / "bin" / "flask"


def test_the_timer_starts_the_backup_service_which_makes_a_backup(tmp_path):
    assert parsed("blog-backup.timer", tmp_path)["Timer"]["Unit"] == "blog-backup.service"
    service = parsed("blog-backup.service", tmp_path)["Service"]
    # systemd turns %% into %: the shell then sees date's format.
    command = shlex.split(service["ExecStart"].replace("%%", "%"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOG_")}
    env["BLOG_INSTANCE_PATH"] = str(tmp_path / "instance")
    subprocess.run(
        [VENV / "bin" / "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr
    (backup,) = (tmp_path / "backups").glob("blog-*.tar.gz")
    with tarfile.open(backup) as archive:
        assert "manifest.json" in archive.getnames()
    prune = shlex.split(service["ExecStartPost"])
    assert subprocess.run(prune, capture_output=True).returncode == 0
    assert backup.exists()  # new: kept
