"""CSV export that spreadsheets cannot turn into formulas (CSV injection / formula injection).

A cell starting with =, +, -, @, a tab or a carriage return is neutralised by prefixing a single quote, so
Excel, LibreOffice and Google Sheets show it as text instead of evaluating it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(DANGEROUS_PREFIXES) else text


def to_csv(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
