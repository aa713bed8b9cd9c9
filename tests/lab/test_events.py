"""What the lab records inside: the article's flow plus a wrong-label pod, as `podid-lab events`
prints it; no token, secret or key in any event; only the owner may look."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from podid_lab.home import LabHome
from podid_lab.server import start, stop

from .test_lifecycle import cli
from .test_pod_identity import (
    GROUP,
    NS,
    POD_IDENTITY,
    World,
    apply_demo,
    delete_pod,
    pod_log,
    world,
)

__all__ = ["world"]  # the module's lab, with the article's state up to its section 9
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+")


def podid_lab(home: LabHome, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `podid-lab` command against the lab at `home`; it must succeed."""
    done = cli(home, *args)
    assert done.returncode == 0, done.stderr
    return done


def events_json(home: LabHome) -> tuple[str, list[dict[str, Any]]]:
    """`podid-lab events --json`: its raw text and its events."""
    out = podid_lab(home, "events", "--json").stdout
    return out, [json.loads(line) for line in out.splitlines()]


def first(events: list[dict[str, Any]], **wanted: Any) -> dict[str, Any]:
    """The first event whose fields equal `wanted`."""
    found = [e for e in events if all(e.get(k) == v for k, v in wanted.items())]
    assert found, f"no event with {wanted}; kinds seen: {sorted({e['kind'] for e in events})}"
    return found[0]


def run_flow(w: World, tmp: Path) -> list[str]:
    """The demo pod, a wrong-label pod and a pod whose resource group is out of its role's scope,
    each until its log shows the outcome; returns the pods' IMDS endpoints (each holds the
    pod's NMI secret)."""
    apply_demo(w, tmp)
    pod_log(w, "demo", NS, "successfully made GET on instance metadata")
    apply_demo(w, tmp, name="wrong-label", label="not-the-selector")
    pod_log(w, "wrong-label", NS, "main.go:87")
    apply_demo(w, tmp, name="wrong-rg", resource_group=GROUP)
    pod_log(w, "wrong-rg", NS, "failed list all vm")
    pods = ("demo", "wrong-label", "wrong-rg")
    endpoints = [w.endpoint(name) for name in pods]
    for name in pods:
        delete_pod(w, name)
    return endpoints


def test_the_flow_leaves_its_events_and_no_secret(world: World, tmp_path: Path) -> None:
    home = world.az.home
    endpoints = run_flow(world, tmp_path)
    raw, events = events_json(home)
    assert {e["kind"] for e in events} >= {"entra", "nmi", "arm"}
    assert all(e["outcome"] for e in events)

    ok = first(events, kind="nmi", pod="demo", status=200)
    assert (ok["namespace"], ok["selector"], ok["identity"]) == (NS, POD_IDENTITY, POD_IDENTITY)
    assert ok["binding"] == f"{POD_IDENTITY}-binding"
    assert ok["claims"]["oid"] == world.identity.principal_id
    assert ok["claims"]["xms_mirid"].lower() == world.identity.id.lower()

    refused = first(events, kind="nmi", pod="wrong-label", status=404)
    assert refused["outcome"] == "refused"
    assert refused["selector"] == "not-the-selector"
    assert refused["reason"].startswith("no azure identity found for request clientID")
    assert refused["claims"] == {} and refused["identity"] == ""

    learner = first(events, kind="entra", grant="client_credentials", status=200)
    assert learner["client_id"] == world.az.info["client_id"]
    imds = first(events, kind="entra", grant="managed identity (IMDS)")
    assert imds["oid"] == world.identity.principal_id
    # The demo asks as go-autorest does, for the resource with its trailing slash.
    assert imds["audience"] == "https://management.azure.com/"

    allowed = first(
        events,
        kind="arm",
        oid=world.identity.principal_id,
        outcome="allowed",
        role="Virtual Machine Contributor",
    )
    assert allowed["action"] == "Microsoft.Compute/virtualMachines/read"
    assert allowed["scope"].lower().endswith(f"/resourcegroups/{world.node_group.lower()}")
    assert "/providers/Microsoft.Authorization/roleAssignments/" in allowed["assignment"]
    failed = first(
        events, kind="arm", oid=world.identity.principal_id, outcome="AuthorizationFailed"
    )
    assert (failed["status"], failed["action"]) == (403, "Microsoft.Compute/virtualMachines/read")
    assert failed["scope"].lower().endswith(f"/resourcegroups/{GROUP}")
    assert failed["assignment"] == ""

    # No token, secret or key, in any form, anywhere in the events.
    assert not JWT.search(raw)
    for secret in (
        home.learner_secret(),
        home.admin_key(),
        home.nmi_key_file.read_text().strip(),
        *(endpoint.rsplit("/", 1)[-1] for endpoint in endpoints),  # each pod's NMI secret
        home.signing_key.read_text().splitlines()[1],
        *(
            line.split()[-1]
            for line in world.kubeconfig.read_text().splitlines()
            if "token:" in line
        ),
    ):
        assert secret not in raw

    text = podid_lab(home, "events").stdout
    assert "nmi" in text and "-> 404 no azure identity found" in text


def test_only_the_owner_sees_inside(world: World) -> None:
    home, info = world.az.home, world.az.info
    base, verify = info["arm_endpoint"], info["ca_bundle"]
    for path in ("/_lab/events", "/_lab/events/stream", "/_lab/events/clusters", "/_lab/ui/"):
        answer = requests.get(f"{base}{path}", verify=verify, timeout=10)
        assert answer.status_code == 401, path
        assert answer.json()["error"]["code"] == "OwnerOnly"
        forged = requests.get(
            f"{base}{path}", cookies={"podid_lab_ui": "guess"}, verify=verify, timeout=10
        )
        assert forged.status_code == 401, path
    assert requests.post(f"{base}/_lab/ui/link", verify=verify, timeout=10).status_code == 401

    link = podid_lab(home, "ui", "--url").stdout.strip()
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/_lab/ui/signin\?code=[\w-]+", link)
    browser = requests.Session()
    page = browser.get(link, verify=verify, timeout=10)
    assert page.status_code == 200 and page.url.endswith("/_lab/ui/")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert browser.get(f"{base}/_lab/events", verify=verify, timeout=10).status_code == 200
    assert requests.get(link, verify=verify, timeout=10).status_code == 401  # spent


def test_clusters_view_says_which_pod_may_use_which_identity(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="viewed")
    apply_demo(world, tmp_path, name="unbound", label="nobody")
    key = {"x-podid-lab-key": world.az.home.admin_key()}
    info = world.az.info
    view = requests.get(
        f"{info['arm_endpoint']}/_lab/events/clusters",
        headers=key,
        verify=info["ca_bundle"],
        timeout=10,
    ).json()["value"]
    pods = {p["name"]: p for c in view for p in c["pods"]}
    assert pods["viewed"]["mayUse"] == [f"pod identity {POD_IDENTITY}"]
    assert pods["unbound"]["mayUse"] == []
    bindings = [b for c in view for b in c["bindings"]]
    assert {
        "namespace": NS,
        "name": f"{POD_IDENTITY}-binding",
        "selector": POD_IDENTITY,
        "identity": POD_IDENTITY,
    } in bindings
    for name in ("viewed", "unbound"):
        delete_pod(world, name)


def test_reset_clears_the_events(world: World) -> None:
    home = world.az.home
    assert events_json(home)[1]
    podid_lab(home, "reset")
    assert events_json(home)[1] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another local user")
def test_another_local_user_cannot_open_the_page() -> None:
    """User `nobody` on the same host: no admin key to read, and every route refuses it."""
    root = Path(tempfile.mkdtemp(prefix="podid-owner-"))
    home = LabHome(root)
    start(home, port=0)
    try:
        port = int(home.port_file.read_text())
        as_nobody = ["runuser", "-u", "nobody", "--"]
        key = subprocess.run(
            [*as_nobody, "cat", str(home.admin_key_file)], capture_output=True, text=True
        )
        assert key.returncode != 0 and "Permission denied" in key.stderr
        link = podid_lab(home, "ui", "--url").stdout.strip()  # the owner's, unspent
        for method, path in (
            ("GET", "/_lab/ui/"),
            ("GET", "/_lab/events"),
            ("GET", "/_lab/events/stream"),
            ("POST", "/_lab/ui/link"),
        ):
            code = subprocess.run(
                [
                    *as_nobody,
                    "curl",
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-X",
                    method,
                    "--insecure",  # the lab's home, its CA included, is closed to others
                    f"https://127.0.0.1:{port}{path}",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout
            assert code == "401", (method, path, code)
        assert link.startswith(f"https://127.0.0.1:{port}/_lab/ui/signin?code=")
    finally:
        stop(home)
        shutil.rmtree(root, ignore_errors=True)


def test_follow_prints_new_events_as_they_happen(world: World) -> None:
    home, info = world.az.home, world.az.info
    env = {**os.environ, "PODID_LAB_HOME": str(home.root)}
    follower = subprocess.Popen(
        [sys.executable, "-m", "podid_lab", "events", "--json", "--follow"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        requests.post(  # a refused sign-in, after the follower started
            f"{info['authority_host']}/{info['tenant_id']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "followed-client",
                "scope": "https://management.azure.com/.default",
            },
            verify=info["ca_bundle"],
            timeout=10,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(x) for x in follower.stdout or []], daemon=True
        ).start()
        deadline, seen = time.monotonic() + 20, None
        while seen is None and time.monotonic() < deadline:
            try:
                event = json.loads(lines.get(timeout=1.0))
            except queue.Empty:
                continue
            seen = event if event.get("client_id") == "followed-client" else None
        assert seen is not None, "the follower did not print the new event within 20 s"
        assert (seen["kind"], seen["outcome"]) == ("entra", "AADSTS700016")
    finally:
        follower.terminate()
        follower.wait(timeout=10)
