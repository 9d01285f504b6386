"""CSV exports that spreadsheets cannot turn into formulas (CSV/formula injection): the one place for it.

The dashboard's report exports and the events attendee export both write through here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet: text starting with =, +, -, @, tab or CR gets a leading
    single quote. Numbers are left alone (a negative number is data, not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def write_csv(rows: Iterable[Sequence[Any]], header: Sequence[Any] | None = None) -> str:
    """CSV text of `rows` (sequences), every cell passed through safe_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends
    if header is not None:
        writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
