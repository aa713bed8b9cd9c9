"""progress(): milestones read from live state, and what to run next."""

from __future__ import annotations

from typing import Any

import podid_helpers as ph

from .flow import run_through


def test_progress_follows_the_live_state(session: Any) -> None:
    fresh = ph.progress(session)
    assert not any(item.done for item in fresh.items)
    assert fresh.next_notebook == "01-prepare-subscription"
    assert fresh.text().splitlines()[-1] == "next: 01-prepare-subscription"
    run_through(session, ph.assign_vm_contributor)
    later = ph.progress(session)
    done = [item.milestone for item in later.items if item.done]
    assert len(done) == 7
    assert later.next_notebook == "05-pod-identity"
    assert "<code>05-pod-identity</code>" in later._repr_html_()
    # Not a diary: removing the identity behind the helpers' back shows at once.
    s = session.settings
    session.msi.user_assigned_identities.delete(s.resource_group, s.identity_name)
    assert ph.progress(session).next_notebook == "04-identity-and-role"
    ph.clean_up(session)
    after = ph.progress(session)
    assert [i.done for i in after.items][1:] == [False] * 8
    assert after.next_notebook == "02-create-cluster"
