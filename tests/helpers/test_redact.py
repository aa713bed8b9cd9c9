from pathlib import Path

import pytest
from IPython.lib.pretty import pretty

from podid_helpers.redact import Secret, display_path, mask_secret


def test_path_under_home_is_shown_with_a_tilde(home: Path) -> None:
    assert display_path(home / ".podid" / "settings.json") == "~/.podid/settings.json"


def test_tilde_path_stays_a_tilde_path() -> None:
    assert display_path("~/.podid/settings.json") == "~/.podid/settings.json"


def test_home_itself_is_a_tilde(home: Path) -> None:
    assert display_path(home) == "~"


def test_path_outside_home_is_unchanged() -> None:
    assert display_path("/etc/podid/settings.json") == "/etc/podid/settings.json"


def test_sibling_folder_sharing_the_home_prefix_is_not_home(home: Path) -> None:
    sibling = home.parent / (home.name + "2") / "x.json"

    assert display_path(sibling) == str(sibling)


def test_root_home_does_not_turn_every_path_into_a_tilde(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", "/")

    assert display_path("/tmp/x.json") == "/tmp/x.json"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "(not set)"),
        ("", "(not set)"),
        ("short-secret", "****"),
        ("Abc8Q~averylongclientsecretvalue0123456789", "Abc****"),
    ],
)
def test_mask_secret(value: str | None, shown: str) -> None:
    assert mask_secret(value) == shown


def test_secret_repr_is_masked_but_value_is_usable() -> None:
    secret = Secret("Abc8Q~averylongclientsecretvalue0123456789")

    assert repr(secret) == "Secret('Abc****')"
    assert secret == "Abc8Q~averylongclientsecretvalue0123456789"
    assert isinstance(secret, str)


def test_ipython_displays_a_secret_masked() -> None:
    secret = Secret("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln")

    assert pretty(secret) == "Secret('eyJ****')"
    assert pretty({"token": secret}) == "{'token': Secret('eyJ****')}"
