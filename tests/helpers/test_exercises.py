"""08-troubleshooting: each exercise's symptom really appears when broken and goes when fixed.

One lab and one learner for the module, caught up to 06 once: every exercise must leave the
lab as it found it, so the next one starts from the same place (and the test checks that).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import podid_helpers as ph
from podid_helpers.exercise_kit import lab_admin
from podid_lab.home import LabHome

from .flow import caught_up_learner

pytestmark = pytest.mark.slow

# A line of each symptom that only the broken state produces.
SYMPTOMS = {
    1: "Status Code = '404'. Response body: no azure identity found for request clientID",
    2: "Status Code = '404'. Response body: no azure identity found for request clientID",
    3: 'StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="AuthorizationFailed"',  # noqa: E501
    4: "Cluster identity has no assignment permission over identity 'resourceId: ",
    5: "Network plugin kubenet is not supported to use with PodIdentity addon.",
    6: "(PodIdentityAddonFeatureFlagNotEnabled) PodIdentity addon is not allowed since feature "
    "'Microsoft.ContainerService/EnablePodIdentityPreview' is not enabled.",
    7: '{"error":"invalid_request","error_description":"Required metadata header not specified"}',
    8: "(PrincipalNotFound) Principal ",
}


@pytest.fixture(scope="module")
def prepared(lab_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A session whose learner has run notebooks 01-06."""
    home = tmp_path_factory.mktemp("learner")
    with caught_up_learner(lab_root, home, "ex", "08-troubleshooting") as session:
        yield session


@pytest.fixture
def session(prepared: Any, lab_root: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The prepared session, with the lab's home where the helpers look for its admin key."""
    monkeypatch.setenv("PODID_LAB_HOME", str(lab_root))
    return prepared


def assert_as_found(session: Any) -> None:
    """The state 06 leaves: demo running with tokens, pod identity Assigned, knobs at rest."""
    for report in (
        ph.check_feature_registered(session),
        ph.check_role_assignment(session),
        ph.check_pod_identity(session),
        ph.check_demo_running(session),
    ):
        assert report.passed, report.text()
    assert lab_admin(session, "GET", "/_lab/health")["knobs"]["replication_delay_seconds"] == 0


@pytest.mark.parametrize("number", sorted(SYMPTOMS))
def test_symptom_when_broken_gone_when_fixed(session: Any, number: int, lab_root: Path) -> None:
    ex = ph.exercise(number)
    ex.break_it(session)
    broken = ex.symptom(session)
    assert broken.seen, broken.text()
    assert SYMPTOMS[number] in broken.text()
    fixed = ex.fix(session)
    report = ex.verify(session)
    assert report.passed, report.text()
    assert report.results[-1].name == "pass recorded"
    if number == 7:  # the broken request stays broken; the fixed one gets a token
        assert "NMI answered HTTP 200" in fixed.text()
        assert fixed.details[-1] == "200"
        assert (
            session.core_v1.list_namespaced_pod(
                session.settings.namespace, field_selector="metadata.name=toolbox"
            ).items
            == []
        )  # verify removed the toolbox pod
    elif number in (5, 8):  # verify removed what the exercise made
        with pytest.raises(ph.PodidError, match="run the break cell"):
            ex.symptom(session)
    else:
        after = ex.symptom(session)
        assert not after.seen and SYMPTOMS[number] not in after.text(), after.text()
    assert_as_found(session)
    # Outputs are stored in the notebook: no port, token or home path may show.
    port = (LabHome(lab_root).imds_port_file).read_text().strip()
    for text in (broken.text(), fixed.text(), report.text()):
        assert f":{port}" not in text and "eyJ" not in text and str(Path.home()) not in text


# What differs between two runs of the same command: klog's time and kubectl's AGE column.
_KLOG_TIME = re.compile(r"\b[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d{6}\b")
_AGE = re.compile(r"(?<=   )\d+[smhd](\d+[smh])?(?=   |$)")


def _aside(lines: list[str]) -> list[str]:
    return [_AGE.sub("AGE", _KLOG_TIME.sub("TIME", line)) for line in lines]


def _kubectl_prints(session: Any, command: str, home: Path) -> list[str]:
    """What a terminal shows for ``command`` (a stock kubectl, the learner's kubeconfig)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "KUBECONFIG": str(session.kubeconfig_path),
    }
    done = subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=60
    )
    return (done.stdout + done.stderr).splitlines()


@pytest.mark.parametrize("number", (1, 2, 3, 7))
def test_transcripts_are_what_kubectl_prints(session: Any, number: int, tmp_path: Path) -> None:
    ex = ph.exercise(number)
    ex.break_it(session)
    shown = ex.symptom(session)
    kubectl = [s for s in shown.sections if s.command.startswith("kubectl ")]
    assert kubectl, shown.text()
    for section in kubectl:
        printed = _kubectl_prints(session, section.command, tmp_path)
        assert _aside(printed) == _aside(list(section.lines)), section.command
    fixed = ex.fix(session)
    if number == 7:
        command, *lines = fixed.details
        assert _kubectl_prints(session, command.removeprefix("$ "), tmp_path) == lines
    assert ex.verify(session).passed
    assert_as_found(session)


def test_breaking_and_fixing_again_changes_nothing_more(session: Any) -> None:
    ex = ph.exercise(1)
    assert ex.break_it(session).changed
    assert not ex.break_it(session).changed
    assert ex.fix(session).changed
    assert not ex.fix(session).changed
    assert ex.verify(session).passed


def test_a_symptom_that_is_not_there_says_so(session: Any) -> None:
    healthy = ph.exercise(2).symptom(session)  # no pod outside the namespace: nothing to wait for
    assert not healthy.seen
    assert "did not show" in healthy.text()
    assert "<pre" in healthy._repr_html_()


def test_verify_before_fixing_fails_and_records_nothing(session: Any) -> None:
    lab_admin(session, "DELETE", "/_lab/exercises")
    ex = ph.exercise(4)
    ex.break_it(session)
    report = ex.verify(session)
    assert not report.passed
    assert "pass recorded" not in report.text()
    # Until it passes, verify does not name the cause (its checks' names would).
    assert report.title == "exercise 4" and ex.title not in report.text()
    assert "Managed Identity Operator" not in report.text()
    with pytest.raises(ph.CheckFailedError, match="checks of the state still fail"):
        report.raise_if_failed()
    assert lab_admin(session, "GET", "/_lab/exercises") == {"value": []}
    ex.fix(session)
    assert ex.verify(session).passed
    passed = ph.exercises_passed(session)
    assert [r.passed for r in passed.results] == [n == 4 for n in range(1, 9)]


def test_restore_undoes_what_unfinished_exercises_left(session: Any) -> None:
    for number in (2, 5, 6, 8):
        ph.exercise(number).break_it(session)
    restored = ph.restore_exercises(session)
    assert restored.changed
    assert "deleted cluster 'aks-ex-kubenet'" in restored.details
    assert not ph.restore_exercises(session).changed
    assert_as_found(session)


def test_exercises_are_numbered_1_to_12() -> None:
    """1-8 are 08's, 9-12 are 09's (Workload ID); nothing else is an exercise."""
    with pytest.raises(ph.PodidError, match="no exercise 13; they are numbered 1-12"):
        ph.exercise(13)
    assert [e.number for e in ph.EXERCISES] == list(range(1, 9))
    assert [ph.exercise(n).number for n in range(1, 13)] == list(range(1, 13))


@pytest.mark.parametrize("number", sorted(SYMPTOMS))
def test_start_and_report_do_not_name_the_cause(session: Any, number: int) -> None:
    ex = ph.exercise(number)
    started = ex.start(session)
    assert started.text().endswith(ex.reported) and ex.reported
    report = ex.report(session)
    assert report.seen and len(report.sections) == 1 and not report.plain
    assert report.sections[0] == ex.symptom(session).sections[0]
    ex.fix(session)
    assert ex.verify(session).passed
    assert_as_found(session)


# One seed for each cause (mystery_cause is deterministic; the test below proves these).
SEEDS = {1: 2, 2: 6, 3: 1, 4: 3, 5: 5, 6: 7, 7: 0, 8: 9}


def test_every_cause_has_a_seed_and_seeds_are_deterministic() -> None:
    assert {ph.mystery_cause(seed) for seed in SEEDS.values()} == set(SYMPTOMS)
    assert all(ph.mystery_cause(seed) == n for n, seed in SEEDS.items())
    assert [ph.mystery_cause(s) for s in range(50)] == [ph.mystery_cause(s) for s in range(50)]
    assert {ph.mystery_cause(s, "azure") for s in range(50)} == {1, 2, 3, 4, 7}


@pytest.mark.parametrize("number", sorted(SEEDS))
def test_each_mysterys_cause_is_found_and_fixed(session: Any, number: int) -> None:
    m = ph.mystery(session, seed=SEEDS[number])
    ex = ph.exercise(number)
    assert m.cause is ex
    story = repr(m)
    assert f"seed {SEEDS[number]}" in story and ex.reported in story
    assert ex.title not in story and f"exercise {number}" not in story
    shown = m.report(session)
    assert shown.seen and SYMPTOMS[number] in shown.text(), shown.text()
    before = m.verify(session)
    if number != 7:  # 7 breaks nothing: the mistake is in the learner's own request
        assert not before.passed and ex.title not in before.text()
    m.fix(session)
    after = m.verify(session)
    assert after.passed, after.text()
    assert after.title == f"mystery (seed {SEEDS[number]}) was exercise {number}: {ex.title}"
    assert_as_found(session)
