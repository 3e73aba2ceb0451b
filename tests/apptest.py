"""Helpers for the tests that run the app through Streamlit's AppTest (test_app*.py)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import REPO_DIR

APP = str(REPO_DIR / "app.py")


def start(reviewer: str | None = "ann") -> AppTest:
    """The app, run once, with `reviewer` typed into the sidebar's name field (none: left empty)."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    if reviewer:
        at.sidebar.text_input(key="reviewer_field").input(reviewer).run()
    assert not at.exception, at.exception
    return at
