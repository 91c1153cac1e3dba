"""Excel workbooks (.xlsx): the first sheet, read as the CSV importer reads a file.

openpyxl in read-only mode streams the sheet's rows, so a large sheet is never held in memory
(pandas.read_excel would build the whole table first). Cells come back typed: numbers and dates
are written back as text the way a reviewer typed them ("2014", not "2014.0").
"""
from __future__ import annotations

import datetime
import zipfile
from itertools import chain
from pathlib import Path
from typing import Iterator

from ..records import Record
from .base import FileInfo, ImportProblem
from .csvfile import HEADER_SEARCH_LINES, header_row, read_rows


def parse(path: Path, info: FileInfo) -> Iterator[Record]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    fh = open(path, "rb")          # a file object: openpyxl then does not insist on the .xlsx suffix
    try:
        workbook = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        fh.close()
        raise ImportProblem(path, None, f"cannot open as an Excel workbook ({exc}); expected an .xlsx file") from None
    try:
        sheet = workbook.worksheets[0]
        rows = ((number, [_text(value) for value in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1))
        head = [numbered for _, numbered in zip(range(HEADER_SEARCH_LINES), rows)]
        skip = header_row([cells for _, cells in head])
        yield from read_rows(path, info, chain(head[skip:], rows))
    finally:
        workbook.close()
        fh.close()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)
