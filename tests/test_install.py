"""A normal install works: the built wheel, installed in a fresh venv, runs every main command from an unrelated folder.

The fresh venv takes annotator from the wheel alone. Its dependencies come from the test environment through a .pth
line (installing them anew costs about 90 s), and `pip check` proves that the wheel's requirements are met there.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from annotator.serve import free_port, wait_until_up
from annotator.training import SHIPPED_LABEL_FILES
from conftest import REPO_DIR

pytestmark = pytest.mark.slow

ARTICLE = """Ceasefire talks stall

Officials in Kyiv said on Monday that the talks had stalled. Russian state television claimed the West had sabotaged
them. Satellite images reviewed by reporters show new trenches near the front.
"""


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([str(venv / "bin" / "annotator"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)})
    assert done.returncode == 0, f"annotator {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the wheel built from a copy of this checkout (so the build leaves nothing in the repo)."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    for name in ("annotator", "labels", "seeds"):
        shutil.copytree(REPO_DIR / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "annotations.db*", ".*.partial"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_DIR / name, source / name)
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "-w", str(root / "dist"), str(source)], capture_output=True,
                           text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("annotator-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([*pip, "--python", str(venv / "bin" / "python"), "install", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    check = subprocess.run([*pip, "--python", str(venv / "bin" / "python"), "check"], capture_output=True, text=True)
    assert "annotator" not in check.stdout, check.stdout  # every requirement of the wheel is installed
    return venv


def test_the_installed_tool_runs_the_main_commands_from_an_unrelated_folder(installed, tmp_path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "talks.txt").write_text(ARTICLE, encoding="utf-8")
    site = str(installed / "lib")

    paths = dict(line.split(None, 1) for line in run(installed, "paths", cwd=work).stdout.splitlines()
                 if not line.startswith("shipped"))
    assert paths["labels"].startswith(site) and paths["app"].startswith(site)  # shipped inside the package
    assert paths["store"] == str(work / "labels" / "annotations.db")  # working files in the current folder
    assert paths["model"] == str(work / "models" / "model.skops")

    assert "state_media" in run(installed, "source", "rt.com", cwd=work).stdout
    assert "new" in run(installed, "import", "talks.txt", cwd=work).stdout
    # The shipped label files are in the package and readable; training on two of them proves the installed tool
    # trains (the default training on all of them, the suite's longest step, is the session's quickstart).
    shipped = [Path(paths["labels"]) / name for name in SHIPPED_LABEL_FILES]
    assert "official_statement" in run(installed, "stats", *map(str, shipped), cwd=work).stdout
    trained = run(installed, "train", "--folds", "2", "--labels", str(shipped[0]), "--labels", str(shipped[2]),
                  cwd=work).stdout
    assert "macro" in trained.lower() and (work / "models" / "model.skops").is_file()
    run(installed, "score", "talks.txt", "--out", "scores.jsonl", "--html", "report.html", "--jobs", "1", "-q", cwd=work)
    scored = [json.loads(line) for line in (work / "scores.jsonl").read_text().splitlines()]
    assert len(scored) >= 3 and "<html" in (work / "report.html").read_text().lower()
    assert "sentences" in run(installed, "stats", cwd=work).stdout
    assert not list(installed.rglob("annotations.db")) and not list(installed.rglob("model.skops"))


def test_the_installed_app_serves_from_an_unrelated_folder(installed, tmp_path) -> None:
    port = free_port()
    server = subprocess.Popen([str(installed / "bin" / "annotator"), "app", "--port", str(port)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    try:
        try:
            wait_until_up(f"http://127.0.0.1:{port}", server, timeout=30)
        except RuntimeError as error:
            pytest.fail(f"{error}: {server.communicate()}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as answer:
            assert answer.read() == b"ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert b"<!doctype html>" in page.read().lower()
    finally:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors, errors
