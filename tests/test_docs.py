"""Every command documents itself with an example, and the README lists every command and data format."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from annotator.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(typer.main.get_command(app).commands)


def test_there_are_commands():
    assert {"import", "export", "import-labels", "stats", "train", "evaluate", "explain", "score", "app"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_with_example(name: str):
    command = typer.main.get_command(app).commands[name]
    assert command.help and "Example: annotator " + name in command.help


@pytest.mark.parametrize("name", COMMANDS)
def test_readme_lists_command(name: str):
    assert f"annotator {name}" in README


@pytest.mark.parametrize("heading", ["Article record", "Label record", "Label scheme", "Source registry", "Scored output"])
def test_readme_documents_formats(heading: str):
    assert heading in README
