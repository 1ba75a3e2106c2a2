"""The report machinery: deterministic rendering and detection of a stale page."""

import pytest

from tests.validation.report import Report, Row, missing_lines, render


def _rows():
    return [
        Row("aws", ("B behaviour", "doc", "§1.1", "sim"), True),
        Row("aws", ("A behaviour", "doc", "§1.2", "sim"), False),
        Row("little", ("M/M/1", "0.30", "2 × 10 s", "0.001"), True),
    ]


def test_render_does_not_depend_on_row_order_and_marks_failures():
    rows = _rows()
    page = render(rows)
    assert page == render(list(reversed(rows))) == render(rows + rows[:1])
    assert "| A behaviour | doc | §1.2 | sim | **FAIL** |" in page
    assert page.index("A behaviour") < page.index("B behaviour")
    assert "*(not measured in the run that wrote this page)*" in page  # empty queueing sections


def test_a_row_missing_from_the_page_is_reported():
    rows = _rows()
    page = render(rows[:2])
    assert missing_lines(rows[:2], page) == []
    assert missing_lines(rows, page) == [rows[2].line()]


def test_an_aws_row_fails_its_test_but_is_still_recorded():
    collected: list[Row] = []
    report = Report(collected)
    report.aws("ok", "1 s", "§3", "1 s", True)
    with pytest.raises(AssertionError, match="validation row failed"):
        report.aws("bad", "1 s", "§3", "2 s", False)
    assert [r.passed for r in collected] == [True, False]
    with pytest.raises(KeyError):
        report.add("no-such-section", ("x",), True)
