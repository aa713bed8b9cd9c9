"""Progress display: nothing reaches stored outputs in headless runs."""

from __future__ import annotations

from typing import Any

import podid_helpers as ph
from podid_helpers.live import LiveStatus, poll_delays, wait_until


def test_headless_status_prints_nothing(monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setenv("PODID_HEADLESS", "1")
    with LiveStatus("waiting") as live:
        live.show("Creating")
    assert capsys.readouterr() == ("", "")


def test_without_a_notebook_or_terminal_nothing_is_written(monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setenv("PODID_HEADLESS", "0")
    ok, state = wait_until("x", iter([(False, "a"), (True, "b")]).__next__, timeout=5, interval=0)
    assert (ok, state) == (True, "b")
    assert capsys.readouterr() == ("", "")


def test_wait_until_gives_up_with_the_last_state(monkeypatch: Any) -> None:
    monkeypatch.setenv("PODID_HEADLESS", "1")
    assert wait_until("x", lambda: (False, "Registering"), timeout=0.1, interval=0.02) == (
        False,
        "Registering",
    )


def test_a_whole_step_leaves_only_its_result(session: Any, capsys: Any) -> None:
    ph.create_resource_group(session)
    result = ph.create_cluster(session)
    assert capsys.readouterr() == ("", "")
    assert result.text().startswith("✓ created cluster")


class _Handle:
    def __init__(self, shown: list[str], first: dict[str, str]) -> None:
        self.shown = shown
        shown.append(first["text/plain"])

    def update(self, obj: dict[str, str], **kwargs: Any) -> None:
        self.shown.append(obj["text/plain"])


def test_in_jupyterlab_one_display_is_updated_then_emptied(monkeypatch: Any) -> None:
    import IPython.display

    from podid_helpers import live

    shown: list[str] = []
    monkeypatch.setenv("PODID_HEADLESS", "0")
    monkeypatch.setattr(live, "_ipython_kernel", lambda: True)
    monkeypatch.setattr(
        IPython.display, "display", lambda obj, **kwargs: _Handle(shown, obj), raising=True
    )
    with LiveStatus("creating cluster aks") as status:
        status.show("Creating")
        status.show("Creating")
    assert shown[0].startswith("⏳ creating cluster aks — Creating (")
    assert shown[-1] == ""
    assert len(shown) == 3


def test_checks_start_quick_and_slow_down_to_the_interval() -> None:
    delays = poll_delays(1.0)
    assert [next(delays) for _ in range(7)] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_an_interval_below_the_first_recheck_is_kept() -> None:
    delays = poll_delays(0.02)
    assert [next(delays) for _ in range(3)] == [0.02, 0.02, 0.02]
