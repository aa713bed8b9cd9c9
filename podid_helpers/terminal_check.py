"""`podid-check`: the notebooks' verify checks from a terminal, for learners who type the commands.

`podid-check 04` prints the ✓/✗ lines notebook 04's verify cells show, with their hints, and exits
0 when every check passed, else 1; `--json` prints them as JSON. The settings are the saved ones
with `PODID_*` overrides (`podid-check init` saves them); a shell that ran `podid-lab az-env`
has KUBECONFIG set, and the checks read the cluster through that file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .checks import CheckReport, CheckResult
from .errors import PodidError
from .session import Session, connect
from .settings import load_settings, save_settings, settings_path
from .verify import (
    check_cleaned_up,
    check_cluster_ready,
    check_demo_logs,
    check_demo_running,
    check_feature_registered,
    check_identity,
    check_kubeconfig,
    check_lab_reachable,
    check_nmi_ready,
    check_nodes_ready,
    check_pod_identity,
    check_pod_identity_enabled,
    check_role_assignment,
    check_settings_saved,
)

Check = Callable[[Session], CheckResult | CheckReport]

# Each notebook's verify cells, in their order.
CHECKS: dict[str, tuple[Check, ...]] = {
    "00": (lambda _: check_settings_saved(), check_lab_reachable),
    "01": (check_feature_registered,),
    "02": (check_cluster_ready, check_kubeconfig, check_nodes_ready),
    "03": (check_pod_identity_enabled, check_nmi_ready),
    "04": (check_identity, check_role_assignment),
    "05": (check_pod_identity,),
    "06": (check_demo_running, check_demo_logs),
    "07": (check_cleaned_up,),
}


# 07 asks whether notebook 02's kubeconfig is gone; a terminal's KUBECONFIG is az-env's own file.
_READS_TERMINAL_KUBECONFIG = ("02", "03", "04", "05", "06")


def _session(notebook: str) -> Session:
    session = connect(load_settings())
    kubeconfig = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    if (
        notebook in _READS_TERMINAL_KUBECONFIG
        and kubeconfig
        and not session.kubeconfig_path.exists()
    ):
        # Typed `az aks get-credentials` wrote the cluster here, not where notebook 02 does.
        session.kubeconfig_file = Path(kubeconfig)
    return session


def run_checks(notebook: str) -> list[CheckReport]:
    """Run one notebook's checks; an error becomes a failed check with its message."""
    try:
        session = _session(notebook)
    except PodidError as exc:
        return [CheckReport(notebook, [_error(str(exc))])]
    reports = []
    for check in CHECKS[notebook]:
        try:
            outcome = check(session)
        except PodidError as exc:
            outcome = _error(str(exc))
        if isinstance(outcome, CheckResult):
            outcome = CheckReport(notebook, [outcome])
        reports.append(outcome)
    return reports


def _error(message: str) -> CheckResult:
    first = message.splitlines()[0] if message else "error"
    return CheckResult("check ran", passed=False, observed=first, expected="no error", hint=message)


def _as_json(reports: list[CheckReport]) -> str:
    return json.dumps(
        [
            {
                "title": report.title,
                "passed": report.passed,
                "results": [r.as_dict() for r in report.results],
            }
            for report in reports
        ],
        indent=2,
        ensure_ascii=False,
    )


def _init() -> int:
    settings = load_settings()
    path = save_settings(settings, path=settings_path())
    print(f"saved to {path}:")
    for field in dataclasses.fields(settings):
        print(f"  {field.name} = {getattr(settings, field.name)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `podid-check`."""
    parser = argparse.ArgumentParser(
        prog="podid-check",
        description="Run a notebook's verify checks from a terminal (exit status 0 = all passed).",
    )
    parser.add_argument(
        "notebook", choices=[*CHECKS, "init"], help="a notebook number, or init to save settings"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    try:
        if args.notebook == "init":
            return _init()
    except PodidError as exc:
        print(f"podid-check: {exc}", file=sys.stderr)
        return 1
    reports = run_checks(args.notebook)
    if args.json:
        print(_as_json(reports))
    else:
        print("\n".join(report.text() for report in reports))
    return 0 if all(report.passed for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
