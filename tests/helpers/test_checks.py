import pytest
from hypothesis import given
from hypothesis import strategies as st

from podid_helpers.checks import CheckReport, CheckResult
from podid_helpers.errors import CheckFailedError
from podid_helpers.redact import Secret

PASSED = CheckResult("cluster provisioned", passed=True, observed="Succeeded", expected="Succeeded")
FAILED = CheckResult(
    "network plugin",
    passed=False,
    observed="kubenet",
    expected="azure",
    hint="recreate the cluster with network_plugin='azure'",
)


def test_passed_result_is_one_line() -> None:
    assert repr(PASSED) == "✓ cluster provisioned — Succeeded"
    assert str(PASSED) == repr(PASSED)


def test_failed_result_shows_observed_expected_and_hint() -> None:
    assert repr(FAILED) == (
        "✗ network plugin\n"
        "  observed: kubenet\n"
        "  expected: azure\n"
        "  hint: recreate the cluster with network_plugin='azure'"
    )


def test_failed_result_without_hint_has_no_hint_line() -> None:
    result = CheckResult("pod running", passed=False, observed="Pending", expected="Running")

    assert repr(result) == "✗ pod running\n  observed: Pending\n  expected: Running"


def test_compare_passes_on_equal_values() -> None:
    assert CheckResult.compare("state", "Succeeded", "Succeeded").passed
    assert not CheckResult.compare("state", "Failed", "Succeeded", hint="look").passed


def test_none_is_shown_as_none() -> None:
    result = CheckResult.compare("client id", None, "set")

    assert "  observed: (none)" in result.text()


def test_secrets_are_masked_in_text_and_html() -> None:
    secret = Secret("Abc8Q~averylongclientsecretvalue0123456789")
    result = CheckResult.compare("client secret", secret, "(not set)")

    assert "averylong" not in result.text()
    assert "averylong" not in result._repr_html_()
    assert "observed: Abc****" in result.text()


def test_passed_html_is_a_green_tick_with_the_observed_value() -> None:
    assert PASSED._repr_html_() == (
        '<div><span style="color:#1b5e20;font-weight:bold">✓</span> '
        "<b>cluster provisioned</b> — <code>Succeeded</code></div>"
    )


def test_failed_html_is_a_red_cross_with_a_table() -> None:
    shown = FAILED._repr_html_()

    assert shown.startswith('<div><span style="color:#b00020;font-weight:bold">✗</span>')
    for cell in ("kubenet", "azure", "recreate the cluster with network_plugin='azure'"):
        assert f'<td style="text-align:left">{cell}</td>' in shown


def test_html_escapes_values() -> None:
    result = CheckResult.compare("<name>", "<b>&", "x")

    assert "&lt;name&gt;" in result._repr_html_()
    assert "&lt;b&gt;&amp;" in result._repr_html_()


@given(st.text(), st.booleans(), st.text(), st.text(), st.text())
def test_rendering_is_deterministic(
    name: str, passed: bool, observed: str, expected: str, hint: str
) -> None:
    def build() -> CheckResult:
        return CheckResult(name, passed=passed, observed=observed, expected=expected, hint=hint)

    assert build().text() == build().text()
    assert build()._repr_html_() == build()._repr_html_()


def test_passed_result_raise_if_failed_returns_itself() -> None:
    assert PASSED.raise_if_failed() is PASSED


def test_failed_result_raises_with_its_text() -> None:
    with pytest.raises(CheckFailedError) as caught:
        FAILED.raise_if_failed()

    assert str(caught.value) == FAILED.text()
    assert caught.value._render_traceback_()[0] == "CheckFailedError: ✗ network plugin"


def test_report_text_has_summary_then_each_result() -> None:
    report = CheckReport("02-create-cluster", [PASSED, FAILED])

    assert repr(report) == "\n".join(
        ["02-create-cluster: 1 of 2 checks passed", PASSED.text(), FAILED.text()]
    )
    assert not report.passed
    assert report.failures == (FAILED,)


def test_report_of_one_check_says_check() -> None:
    assert (
        repr(CheckReport("settings", [PASSED])).splitlines()[0] == "settings: 1 of 1 check passed"
    )


def test_report_html_holds_every_result() -> None:
    shown = CheckReport("02-create-cluster", [PASSED, FAILED])._repr_html_()

    assert '<div style="color:#b00020;font-weight:bold">02-create-cluster: 1 of 2' in shown
    assert PASSED._repr_html_() in shown
    assert FAILED._repr_html_() in shown


def test_passing_report_is_green_and_returns_itself() -> None:
    report = CheckReport("ok", (PASSED,))

    assert report.raise_if_failed() is report
    assert '<div style="color:#1b5e20;font-weight:bold">ok: 1 of 1 check passed</div>' in (
        report._repr_html_()
    )


def test_failing_report_raises_with_the_failures_only() -> None:
    report = CheckReport("02-create-cluster", [PASSED, FAILED])

    with pytest.raises(CheckFailedError) as caught:
        report.raise_if_failed()

    assert str(caught.value) == "02-create-cluster: 1 of 2 checks passed\n" + FAILED.text()


def test_report_accepts_any_iterable() -> None:
    assert CheckReport("gen", (r for r in [PASSED])).results == (PASSED,)
