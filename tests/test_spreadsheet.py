from __future__ import annotations

import csv
import io

import pytest

from community.spreadsheet import safe_cell, write_csv


@pytest.mark.parametrize("raw, safe", [
    ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), (None, ""), (-5, -5), (2.5, 2.5),
])
def test_safe_cell(raw, safe):
    assert safe_cell(raw) == safe


def test_write_csv_neutralises_every_cell_and_header():
    text = write_csv([["=HYPERLINK(\"http://x\")", 3], ["ok", -1]], header=["@name", "n"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'@name", "n"], ["'=HYPERLINK(\"http://x\")", "3"], ["ok", "-1"]]
