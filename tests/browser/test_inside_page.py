"""The owner's "inside" page in Debian's Chromium, driven by Playwright, over HTTPS that the
browser trusts because the lab's CA is in its certificate store (no certificate error ignored).

The timeline must move while the demo pod runs, a hostile name must show as text, the page must
work from the keyboard at 1280x720; a screenshot lands in test-artifacts/browser/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.lab.test_events import podid_lab
from tests.lab.test_jupyter_route import TOKEN, jupyter_server
from tests.lab.test_pod_identity import NS, POD_IDENTITY, World, apply_demo, delete_pod, world
from tools.notebook_lab import ROOT

from .test_learner_path import CHROMIUM_ARGS, _chromium_or_skip

__all__ = ["world"]  # the lab with the article's state up to its section 9
pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts" / "browser"
HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">'


def _trusting_home(root: Path, ca: Path) -> Path:
    """A HOME whose NSS store (Chromium's on Linux) trusts the lab's CA for TLS servers."""
    certutil = shutil.which("certutil")
    if certutil is None:
        pytest.skip("certutil is missing; install it with `sudo apt-get install libnss3-tools`")
    nssdb = root / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([certutil, "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run(
        [certutil, "-d", f"sql:{nssdb}", "-A", "-n", "podid-lab", "-t", "C,,", "-i", str(ca)],
        check=True,
    )
    return root


@pytest.fixture(scope="module")
def browser_page(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A Chromium page at 1280x720 whose certificate store trusts the lab's CA."""
    chromium = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    home = _trusting_home(tmp_path_factory.mktemp("chromium-home"), world.az.home.ca_cert)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(home / "profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            env={"HOME": str(home)},
            viewport={"width": 1280, "height": 720},
        )
        try:
            page = context.pages[0]
            page.set_default_timeout(30_000)
            yield page
        finally:
            context.close()


def test_the_timeline_moves_while_the_demo_runs(
    browser_page,
    world: World,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    info = world.az.info
    # A client ID is free text in a token request: the refusal's event carries it verbatim.
    requests.post(
        f"{info['authority_host']}/{info['tenant_id']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": HOSTILE,
            "client_secret": "x",
            "scope": "https://management.azure.com/.default",
        },
        verify=info["ca_bundle"],
        timeout=10,
    )
    page.goto(podid_lab(world.az.home, "ui", "--url").stdout.strip())
    expect(page.locator("#status")).to_contain_text("live")
    hostile = page.locator("#events li", has_text="<script>window.pwned=1</script>")
    expect(hostile).to_have_count(1)
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("#events img, #events script").count() == 0

    apply_demo(world, tmp_path, name="watched")
    demo = page.locator("#events li", has_text="/watched asks for")
    expect(demo.first).to_be_visible(timeout=30_000)
    expect(page.locator("#events li .ok", has_text="issued").first).to_be_visible()
    expect(
        page.locator("#events li", has_text="allowed by Virtual Machine Contributor").first
    ).to_be_visible(timeout=30_000)

    # Filter to NMI, then from the keyboard choose the newest event and draw its journey.
    page.locator("#filters select[name=kind]").select_option("nmi")
    page.locator("#filters select[name=outcome]").focus()
    page.keyboard.press("Tab")
    for _ in range(6):
        if page.evaluate("() => document.activeElement.closest('#events') !== null"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    journey = page.locator("#journey")
    expect(journey).to_contain_text(f"binding {POD_IDENTITY}-binding")
    expect(journey).to_contain_text("allowed by Virtual Machine Contributor")
    expect(page.locator("#claims td", has_text="/userAssignedIdentities/")).to_have_count(1)
    expect(page.locator("#clusters")).to_contain_text(f"{NS}/watched")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inside-page.png"))
    delete_pod(world, "watched")


def test_the_page_through_jupyter_for_a_browser_in_the_room(
    browser_page,  # type: ignore[no-untyped-def]
    world: World,
    tmp_path: Path,
) -> None:
    """Through the learner's Jupyter server: its login, then the page, its files and its live
    feed at relative links under `<jupyter>/podid/`."""
    from playwright.sync_api import expect

    page = browser_page
    with jupyter_server(world.az.home, tmp_path) as base:
        page.goto(f"{base}/podid/ui/")
        expect(page).to_have_url(re.compile(r"/login"))  # Jupyter's login first
        page.goto(f"{base}/podid/ui/?token={TOKEN}")
        expect(page.locator("#status")).to_contain_text("live")
        apply_demo(world, tmp_path, name="roomview")
        expect(page.locator("#events li", has_text="/roomview asks for").first).to_be_visible(
            timeout=30_000
        )
        expect(page.locator("#clusters")).to_contain_text(f"{NS}/roomview")
        page.screenshot(path=str(ARTIFACTS / "inside-page-through-jupyter.png"))
        delete_pod(world, "roomview")


def test_the_page_speaks_japanese_when_asked(browser_page, world: World) -> None:  # type: ignore[no-untyped-def]
    """`?lang=ja`, or a browser whose first language is Japanese, gives Japanese labels; the
    events keep the lab's English lines; `?lang=en` and other browsers keep English."""
    from playwright.sync_api import expect

    page = browser_page
    page.goto(podid_lab(world.az.home, "ui", "--url").stdout.strip())
    expect(page.locator("#status")).to_contain_text("live")
    address = page.url.split("?")[0]
    page.goto(f"{address}?lang=ja")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#timeline-title")).to_have_text("タイムライン")
    expect(page.locator("#status")).to_contain_text("ライブ · イベント")
    expect(page.locator("#filters label").first).to_contain_text("種類")
    expect(page.locator("#filters select[name=kind] option").first).to_have_text("すべて")
    expect(page.locator("#claims th").first).to_have_text("クレーム")
    expect(page.locator("#events li").first).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inside-page-ja.png"))
    page.goto(f"{address}?lang=en")
    expect(page.locator("#timeline-title")).to_have_text("Timeline")

    japanese_browser = page.context.new_page()
    try:
        japanese_browser.add_init_script(
            "Object.defineProperty(navigator, 'languages', {get: () => ['ja-JP', 'en-US']})"
        )
        japanese_browser.goto(address)
        expect(japanese_browser.locator("#journey-title")).to_have_text("トークンの道筋")
        japanese_browser.goto(f"{address}?lang=en")
        expect(japanese_browser.locator("#journey-title")).to_have_text("A token's journey")
    finally:
        japanese_browser.close()
