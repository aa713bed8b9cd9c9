"""The workload confinement's path rules (pure functions; the hook itself is exercised by the
pod isolation tests through real pods)."""

from __future__ import annotations

from pathlib import Path

from podid_lab.kubelet.confine import Policy


def test_reads_follow_roots_minus_denied_plus_exceptions(tmp_path: Path) -> None:
    home = tmp_path / "root" / "home"
    (home / "ca").mkdir(parents=True)
    (home / "keys").mkdir()
    (tmp_path / "elsewhere").mkdir()
    policy = Policy([str(tmp_path / "root")], [str(home)], [str(home / "ca" / "ca.pem")])
    assert policy.readable(str(tmp_path / "root" / "lib.py"))
    assert not policy.readable(str(home / "keys" / "admin-key"))
    assert not policy.readable(str(home))
    assert policy.readable(str(home / "ca" / "ca.pem"))
    assert not policy.readable(str(home / "ca" / "ca-key.pem"))
    assert not policy.readable(str(tmp_path / "elsewhere" / "x"))
    # A prefix is not a parent: /root-other is not below /root.
    assert not policy.readable(str(tmp_path / "root-other"))


def test_links_and_dots_are_resolved_before_the_rules(tmp_path: Path) -> None:
    allowed, secret = tmp_path / "allowed", tmp_path / "secret"
    allowed.mkdir()
    secret.mkdir()
    (allowed / "link").symlink_to(secret)
    policy = Policy([str(allowed)], [], [])
    assert not policy.readable(str(allowed / "link" / "key"))
    assert not policy.readable(str(allowed / ".." / "secret" / "key"))
