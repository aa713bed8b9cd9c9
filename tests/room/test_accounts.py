"""Learner names and passwords: checked before anything is created, readable on a handout."""

from __future__ import annotations

import pytest

from podid_room.accounts import AccountError, check_name, generate_password


@pytest.mark.parametrize("name", ["learner01", "pr-teach", "a", "x_1"])
def test_usable_names_pass(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "1abc", "Root", "a b", "../etc", "a" * 32, "-x", "ann;rm"])
def test_unsafe_names_are_refused_with_the_rule(name: str) -> None:
    with pytest.raises(AccountError, match="lowercase letters, digits"):
        check_name(name)


def test_passwords_are_random_and_unambiguous() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(len(p) == 12 and not set(p) & set("01ilo") for p in passwords)
