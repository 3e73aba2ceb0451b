"""Where annotator looks: working files in the project folder, the labels folder it uses, the shipped data."""

from __future__ import annotations

import shutil

from annotator import config, scheme, sources


def test_working_files_belong_to_the_current_folder_and_labels_fall_back_to_the_shipped(tmp_path, monkeypatch) -> None:
    for name in ("ANNOTATOR_DB", "ANNOTATOR_MODEL", "ANNOTATOR_LABELS", "ANNOTATOR_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert config.default_db() == tmp_path / "labels" / "annotations.db"
    assert config.default_model() == tmp_path / "models" / "model.skops"
    assert config.labels_dir() == config.shipped_labels_dir()
    assert (config.shipped_labels_dir() / "scheme.toml").is_file() and list(config.seeds_dir().glob("*.txt"))

    (tmp_path / "labels").mkdir()  # a store folder alone does not replace the shipped scheme
    assert config.labels_dir() == config.shipped_labels_dir()


def test_a_project_with_its_own_scheme_uses_it(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ANNOTATOR_LABELS", raising=False)
    own = tmp_path / "project" / "labels"
    own.mkdir(parents=True)
    shutil.copy(config.shipped_labels_dir() / "sources.csv", own / "sources.csv")
    (own / "scheme.toml").write_text(
        (config.shipped_labels_dir() / "scheme.toml").read_text(encoding="utf-8").replace("Independent", "Own reporting"),
        encoding="utf-8",
    )
    monkeypatch.setenv("ANNOTATOR_PROJECT", str(tmp_path / "project"))
    monkeypatch.chdir(tmp_path)
    assert config.labels_dir() == own and config.default_db() == own / "annotations.db"
    assert "Own reporting fact" in [label.name for label in scheme.load_scheme().labels]
    assert sources.load_registry().lookup(outlet="RT").kind == "state_media"


def test_the_app_command_passes_the_checkout_s_streamlit_settings() -> None:
    """`annotator app` passes on the command line what .streamlit/config.toml sets for a checkout, so an installed
    tool run from any folder gets them too (no usage statistics, no file watcher, no garbage collection per key)."""
    import tomllib
    from pathlib import Path

    from annotator.cli import STREAMLIT_OPTIONS

    checkout = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    flat = {f"{section}.{name}": str(value).lower() for section, values in checkout.items()
            for name, value in values.items() if f"{section}.{name}" not in ("server.address", "browser.serverAddress")}
    assert flat == STREAMLIT_OPTIONS
    assert STREAMLIT_OPTIONS["runner.postScriptGC"] == "false"
