"""JupyterLab's Japanese interface (`make language-pack-ja`) loads in the JupyterLab we pin."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest
from japanese_text import kana_kanji_share

PACK = "jupyterlab-language-pack-ja-jp"
LOCALE = "ja_JP"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return dict(json.load(answer))


@pytest.fixture(scope="module")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `jupyter lab` server of the project's venv, on a free port; yields its base URL with
    the token (`…/%s?token=…`)."""
    pytest.importorskip("jupyterlab_language_pack_ja_JP", reason=f"make language-pack-ja ({PACK})")
    home = tmp_path_factory.mktemp("jupyter-home")
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}"]
    command += [f"--IdentityProvider.token={token}", f"--notebook-dir={home}", "--allow-root"]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=home
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get_json(f"{base}/api/status?token={token}")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield f"{base}/%s?token={token}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_jupyter_lab_offers_japanese(jupyter_lab: str) -> None:
    listed = get_json(jupyter_lab % "lab/api/translations/")["data"]
    assert listed[LOCALE]["nativeName"].startswith("日本語")


@pytest.mark.slow
def test_jupyter_lab_serves_its_own_menus_in_japanese(jupyter_lab: str) -> None:
    answer = get_json(jupyter_lab % f"lab/api/translations/{LOCALE}")
    assert answer["message"] == "", answer["message"]
    catalog = answer["data"]["jupyterlab"]
    assert len(catalog) > 1000, "JupyterLab's own catalog is (nearly) empty"
    for english in ("Run All Cells", "Settings"):
        assert kana_kanji_share(catalog[english][0]) > 0.5, (english, catalog[english])


def test_the_pack_is_built_for_the_jupyterlab_major_we_pin() -> None:
    pytest.importorskip("jupyterlab_language_pack_ja_JP", reason=f"make language-pack-ja ({PACK})")
    assert version(PACK).split(".")[0] == version("jupyterlab").split(".")[0] == "4"


@pytest.mark.slow
def test_choosing_japanese_turns_jupyterlabs_menus_japanese(jupyter_lab: str) -> None:
    """What Settings → Language does (it saves the translation setting), then JupyterLab in
    Chromium: its menu bar reads in Japanese."""
    from playwright.sync_api import sync_playwright

    from tests.browser.test_learner_path import CHROMIUM_ARGS, _chromium_or_skip

    chromium = _chromium_or_skip()
    setting = json.dumps({"raw": json.dumps({"locale": LOCALE})}).encode()
    request = urllib.request.Request(
        jupyter_lab % "lab/api/settings/@jupyterlab/translation-extension:plugin",
        data=setting,
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 204
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(jupyter_lab % "lab")
            menus = page.locator(".lm-MenuBar-itemLabel")
            menus.first.wait_for(timeout=60_000)
            labels = menus.all_inner_texts()
        finally:
            browser.close()
    assert {"ファイル", "編集", "設定"} <= set(labels), labels
