import csv
import io

import pytest

from community.spreadsheet import safe_cell as neutralise
from community.spreadsheet import write_csv


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"])
def test_dangerous_cells_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell,expected", [("Ann", "Ann"), ("", ""), (None, ""), (3, 3), ("a=b", "a=b"),
                                           ("Jānis Bērziņš", "Jānis Bērziņš")])
def test_harmless_cells_unchanged(cell, expected):
    assert neutralise(cell) == expected


def test_to_csv_neutralises_every_cell_and_parses_back():
    text = write_csv([["=2+5", "ok"], ["@evil", 'quote " and, comma']], header=["Name", "=cmd"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["Name", "'=cmd"], ["'=2+5", "ok"], ["'@evil", 'quote " and, comma']]
