"""Inside the lab: NMI's first decisions beside the demo, and the claims compared, on a real lab."""

from __future__ import annotations

from typing import Any

import pytest

import podid_helpers as ph

from .flow import run_through, wait_for_azure_identity


def test_claims_of_the_learners_service_principal(session: Any) -> None:
    table = ph.token_claims(session, "service principal")
    rows = dict((r[0], r[1]) for r in table.rows)
    assert rows["aud"] == "https://management.azure.com"
    assert rows["appid"] == session.sign_in.client_id
    assert rows["xms_mirid"] == "—"  # an application, not a managed identity
    assert rows["lifetime (exp − iat)"].endswith(" s")
    assert "eyJ" not in table.text() and "eyJ" not in table._repr_html_()


def test_unknown_token_kind_is_refused(session: Any) -> None:
    with pytest.raises(ph.PodidError, match="token kinds are"):
        ph.token_claims(session, "certificate")


def test_first_decisions_and_pod_identity_claims(session: Any) -> None:
    run_through(session, ph.add_pod_identity)
    wait_for_azure_identity(session)
    ph.deploy_demo(session)
    s = session.settings
    decisions = ph.nmi_first_decisions(session)
    demo, wrong = decisions.rows
    assert demo == (
        "demo",
        s.pod_identity_name,
        "200 issued",
        f"{s.pod_identity_name}-binding → {s.pod_identity_name}",
    )
    assert wrong[0] == "demo-wrong-label" and wrong[1] == s.identity_name
    assert wrong[2] == "404 refused"
    assert wrong[3].startswith("no azure identity found for request clientID ")
    assert "<td" in decisions._repr_html_() and "demo-wrong-label" in decisions.text()
    again = ph.nmi_first_decisions(session)  # re-running shows the same firsts
    assert again.rows == decisions.rows

    claims = dict(
        (r[0], r[1:]) for r in ph.token_claims(session, "service principal", "pod identity").rows
    )
    assert claims["xms_mirid"][1].endswith(f"/userAssignedIdentities/{s.identity_name}")
    assert claims["oid"][0] != claims["oid"][1]
    wi = ph.token_claims(session, "Workload ID").rows
    assert all(cell == "no token yet" for _, cell in wi)


def test_inside_page_link_names_no_host_or_port(
    session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = ph.inside_page_link(session)
    assert link.href == "/podid/ui/"
    assert 'href="/podid/ui/"' in link._repr_html_() and "127.0.0.1" not in link.text()
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/learner-1/")
    assert ph.inside_page_link(session).href == "/user/learner-1/podid/ui/"
