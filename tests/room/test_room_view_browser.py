"""The instructor's room view in Debian's Chromium: signs in through the hub's login form and
sees three learners at three steps (one finished, with an exercise passed), with the last ✗ one
of them saw. Screenshot in test-artifacts/room/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser.test_learner_path import ARTIFACTS, CHROMIUM_ARGS, _chromium_or_skip

from .conftest import Room
from .test_room import EXPECTED_CURRENT

pytestmark = pytest.mark.slow

SHOTS = ARTIFACTS.parent / "room"


def test_the_instructor_sees_three_learners_at_three_steps(
    room_at_steps: Room, tmp_path: Path
) -> None:
    chromium = _chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    room = room_at_steps
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 700})
            page.set_default_timeout(60_000)
            page.goto(f"{room.settings.url}/services/podid-room/")
            page.fill("input[name=username]", room.settings.instructor)
            page.fill("input[name=password]", room.roster[room.settings.instructor])
            page.click("[type=submit]")
            table = page.locator("#room")
            for name, current in zip(room.settings.learners, EXPECTED_CURRENT, strict=True):
                row = table.locator(f"tr[data-learner='{name}']")
                if current:
                    expect(row.locator("td.current")).to_have_attribute("data-step", current)
                    expect(row.locator("td.done")).to_have_count(int(current[:2]))
                else:  # finished: every step ✓, one troubleshooting exercise passed
                    expect(row.locator("td.current")).to_have_count(0)
                    expect(row.locator("td.done")).to_have_count(7)
                    expect(row.locator("td.exercises")).to_have_text("1")
            second = table.locator(f"tr[data-learner='{room.settings.learners[1]}']")
            expect(second.locator("td.failure")).to_contain_text("✗")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "room-view.png"), full_page=True)
        finally:
            browser.close()
    shutil.rmtree(tmp_path, ignore_errors=True)
