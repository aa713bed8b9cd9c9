"""Where each learner stands: notebooks folded from milestones, current step, stuck timing."""

from __future__ import annotations

from podid_room.standing import Standing, notebook_steps

MILESTONES = [
    {"notebook": "00-introduction", "milestone": "settings saved", "done": True},
    {"notebook": "02-create-cluster", "milestone": "resource group exists", "done": True},
    {"notebook": "02-create-cluster", "milestone": "cluster Succeeded", "done": False},
    {"notebook": "03-enable-pod-identity", "milestone": "enabled", "done": False},
]


def reading(done_up_to: int, failure: str | None = None) -> dict[str, object]:
    steps = [dict(m, done=i < done_up_to) for i, m in enumerate(MILESTONES)]
    return {
        "steps": steps,
        "exercises": [{"exercise": "1", "title": "t"}],
        "lastFailure": {"message": failure, "at": 0} if failure else None,
    }


def test_a_notebook_is_done_only_when_all_its_milestones_are() -> None:
    assert notebook_steps(MILESTONES) == {
        "00-introduction": True,
        "02-create-cluster": False,
        "03-enable-pod-identity": False,
    }


def test_stuck_after_the_same_step_for_long_enough_while_the_server_runs() -> None:
    standing = Standing(stuck_after_s=600)
    first = standing.update("ann", "running", reading(1), now=1000)
    assert (first.current, first.since, first.stuck) == ("02-create-cluster", 1000, False)
    later = standing.update("ann", "running", reading(2, "✗ cluster"), now=1599)
    assert (later.current, later.stuck, later.last_failure) == (
        "02-create-cluster",
        False,
        "✗ cluster",
    )
    assert standing.update("ann", "running", reading(2), now=1600).stuck
    # Away (server stopped): not stuck, and what was last known stays on the row.
    away = standing.update("ann", "stopped", None, now=1700)
    assert (away.current, away.stuck, away.exercises) == ("02-create-cluster", False, 1)
    # Moving on restarts the clock.
    moved = standing.update("ann", "running", reading(3), now=1800)
    assert (moved.current, moved.since, moved.stuck) == ("03-enable-pod-identity", 1800, False)


def test_done_learners_are_never_stuck_and_columns_keep_their_order() -> None:
    standing = Standing(stuck_after_s=0)
    row = standing.update("bo", "running", reading(4), now=5)
    assert (row.current, row.since, row.stuck) == (None, None, False)
    assert standing.columns == ["00-introduction", "02-create-cluster", "03-enable-pod-identity"]
    nothing = standing.update("cy", "stopped", None, now=5)
    assert (nothing.steps, nothing.current, nothing.stuck) == ({}, None, False)
