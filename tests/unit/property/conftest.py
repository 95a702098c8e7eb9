"""Counts of the property tests, printed at the end of the run."""

from __future__ import annotations

from tests.unit.property.verdicts import TALLY


def pytest_terminal_summary(terminalreporter):
    if not TALLY["tried"]:
        return
    terminalreporter.write_sep("-", "hostile input (tests/unit/property)")
    terminalreporter.write_line(
        f"tried {TALLY['tried']} hostile values in {len(TALLY['fields'])} fields: "
        f"{TALLY['refused']} refused naming the variable, {TALLY['accepted']} accepted with the "
        f"file's shape unchanged, {TALLY['crashes']} crashes; "
        f"{TALLY['typed']} values of other types tried, {TALLY['typed_crashes']} crashes"
    )
