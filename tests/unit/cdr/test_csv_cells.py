"""CSV export cells never start a spreadsheet formula (issue 9 §7 CSV injection, R-CDR1; OWASP rule)."""

from __future__ import annotations

import pytest

from careline.cdr.api import _csv_line, neutralise_cell


@pytest.mark.parametrize(
    "text", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")']
)
def test_text_that_could_start_a_formula_gets_a_leading_quote(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["8001", "+", "", "'already", 6, -5, None, 1.5, "a=b"])
def test_other_cells_and_numbers_are_unchanged_except_a_lone_formula_sign(value):
    expected = "'+" if value == "+" else value
    assert neutralise_cell(value) == expected


def test_a_csv_line_quotes_only_the_dangerous_cells():
    line = _csv_line(["=cmd|' /C calc'!A0", "8001", -3, "@x"])
    assert line == "'=cmd|' /C calc'!A0,8001,-3,'@x\r\n"
