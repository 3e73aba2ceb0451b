"""Team mode: reviewers with generated passwords (hashes only), roles, and no open app beyond this machine."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from annotator import accounts
from annotator.cli import app
from annotator.store import Store, StoreError


def test_a_generated_password_signs_in_and_nothing_else_does(tmp_path) -> None:
    with Store(tmp_path / "t.db") as store:
        assert not accounts.team_mode(store)
        password = accounts.add(store, " maria ", "adjudicator")
        assert accounts.team_mode(store) and len(password) >= 16
        assert accounts.verify(store, "maria", password) == "adjudicator"
        assert accounts.verify(store, "maria", password + "x") is None
        assert accounts.verify(store, "nobody", password) is None
        assert password not in store.reviewer("maria")["password_hash"]
        again = accounts.add(store, "maria", "annotator")  # a reset: the old password stops working
        assert accounts.verify(store, "maria", password) is None and accounts.verify(store, "maria", again) == "annotator"
        with pytest.raises(StoreError, match="unknown role"):
            accounts.add(store, "bob", "boss")


def test_the_app_refuses_other_addresses_without_a_reviewer_list(tmp_path) -> None:
    db = tmp_path / "t.db"
    refused = CliRunner().invoke(app, ["app", "--address", "0.0.0.0", "--db", str(db)])
    assert refused.exit_code == 1 and "no reviewer list" in refused.output
    added = CliRunner().invoke(app, ["reviewer", "add", "ann", "--db", str(db)])
    assert added.exit_code == 0 and "ann (annotator): password " in added.output
    listed = CliRunner().invoke(app, ["reviewer", "list", "--db", str(db)])
    assert "ann" in listed.output and "password" not in listed.output
    with Store(db) as store:
        accounts.check_address(store, "0.0.0.0")  # with a list, reviewers must sign in: allowed


def test_a_session_token_signs_its_reviewer_in_until_it_expires_or_the_password_is_reset(tmp_path) -> None:
    with Store(tmp_path / "t.db") as store:
        accounts.add(store, "maria", "adjudicator")
        accounts.add(store, "bob")
        token = accounts.session_token(store, "maria", now=1_000_000)
        assert accounts.from_token(store, token, now=1_000_000 + 3600) == ("maria", "adjudicator")
        assert accounts.from_token(store, token, now=1_000_000 + accounts.SESSION_HOURS * 3600 + 1) is None  # expired
        encoded, expires, signature = token.split(".")
        bob = accounts.session_token(store, "bob", now=1_000_000).split(".")[0]
        for forged in (f"{bob}.{expires}.{signature}", f"{encoded}.{int(expires) + 10**6}.{signature}",
                       f"{encoded}.{expires}.{'0' * len(signature)}", "", "a.b", "!!.1.x", token + "x"):
            assert accounts.from_token(store, forged, now=1_000_000) is None, forged
        accounts.add(store, "maria", "adjudicator")  # a password reset ends her sessions
        assert accounts.from_token(store, token, now=1_000_000) is None
        with pytest.raises(StoreError, match="no reviewer"):
            accounts.session_token(store, "nobody")
