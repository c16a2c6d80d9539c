"""Read a file NHS England, NHS Digital or OHID publishes into grids of cell values, and
say precisely where anything in it is wrong.

Published files are bigger than the workbooks practices upload (a national CSV has every
practice in England; a publication workbook several sheets of them), so they are read
with readers fit for their size: the `csv` module for CSVs and python-calamine (Rust,
no XML entity expansion) for .xlsx/.xlsm workbooks, after the same zip-bomb checks as
any upload, with limits set for national files.

A CSV is decoded as UTF-8 (with or without a byte-order mark) or, failing that, as
Windows-1252, which is what a CSV saved from Excel on a Windows machine holds.

Nothing here knows what a dataset means: each dataset's module (monitor.importers.
datasets) recognises its layout and maps its columns.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath

import python_calamine

from monitor.importers.upload import (
    UploadRejected,
    cell_text,
    check_zip,
    csv_records,
    unicode_encoding,
)

MAX_FILE_BYTES = 200 * 1024 * 1024
"""Larger than any national file the service reads (the full epraccur is ~3 MB)."""
NATIONAL_ZIP_LIMITS = {
    "members": 400,
    "unzipped": 1024 * 1024 * 1024,
    "ratio": 400,
    "allow_macros": True,
}
SUFFIXES = (".csv", ".xlsx", ".xlsm")


@dataclass(frozen=True)
class Problem:
    """Something wrong in a file, located as a person would look for it."""

    message: str
    sheet: str | None = None
    row: int | None = None  # 1-based, as a spreadsheet shows it
    column: str | None = None  # the column's heading, or its letter

    def __str__(self) -> str:
        where = []
        if self.sheet and self.sheet != "CSV":
            where.append(f"sheet “{self.sheet}”")
        if self.row is not None:
            where.append(f"row {self.row:,}")
        if self.column:
            where.append(f"column “{self.column}”")
        place = ", ".join(where)
        return (place[:1].upper() + place[1:] + ": " if where else "") + self.message


class Refused(ValueError):
    """The file cannot be used: nothing is changed. `problems` says where and why."""

    def __init__(self, problems: list[Problem] | Problem, filename: str = "") -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        self.filename = filename
        super().__init__("; ".join(str(p) for p in self.problems))

    def named(self, filename: str) -> Refused:
        return Refused(self.problems, filename)


@dataclass(frozen=True)
class Grid:
    """One sheet of a file (a CSV is one grid, named "CSV"): rows of cell values."""

    name: str
    rows: list[list[object]]

    def value(self, row: int, column: int) -> object:
        """The value at a 1-based row and a 0-based column, or None beyond the data."""
        if 1 <= row <= len(self.rows) and 0 <= column < len(self.rows[row - 1]):
            return self.rows[row - 1][column]
        return None

    def text(self, row: int, column: int) -> str:
        return cell_text(self.value(row, column))

    def row_texts(self, row: int) -> list[str]:
        return [cell_text(v) for v in self.rows[row - 1]] if 1 <= row <= len(self.rows) else []

    def find_header(self, *required: str, within: int = 40) -> tuple[int, Headings] | None:
        """The first row (1-based) of the first `within` whose headings include every one
        of `required` (compared as `heading_key` makes them), with each heading's 0-based
        column."""
        wanted = {heading_key(r) for r in required}
        for n in range(1, min(len(self.rows), within) + 1):
            columns = Headings()
            for c, value in enumerate(self.rows[n - 1]):
                key = heading_key(cell_text(value))
                if key and not dict.__contains__(columns, key):
                    dict.__setitem__(columns, key, c)
            if wanted <= set(columns.keys()):
                return n, columns
        return None

    def mentions(self, phrase: str, *, within: int = 15) -> bool:
        """Whether the title rows above a table mention `phrase` (any case)."""
        phrase = phrase.casefold()
        for row in self.rows[:within]:
            if any(phrase in cell_text(v).casefold() for v in row):
                return True
        return False


class Headings(dict[str, int]):
    """Heading → 0-based column, looked up as `heading_key` compares headings, so
    "GP_CODE", "gp code" and "GP Code [2]" all find the same column."""

    def __getitem__(self, heading: str) -> int:
        return super().__getitem__(heading_key(heading))

    def __contains__(self, heading: object) -> bool:
        return super().__contains__(heading_key(str(heading)))

    def get(self, heading: str, default: int | None = None) -> int | None:
        return super().get(heading_key(heading), default)


@dataclass
class PublishedFile:
    filename: str
    grids: dict[str, Grid] = field(default_factory=dict)

    @property
    def is_csv(self) -> bool:
        return "CSV" in self.grids and len(self.grids) == 1

    def grid(self, name: str) -> Grid | None:
        """A sheet by name, ignoring case and spacing ("table 3" finds "Table 3")."""
        key = heading_key(name)
        return next((g for n, g in self.grids.items() if heading_key(n) == key), None)


_FOOTNOTE = re.compile(r"\[[^\]]*\]")
_SPACE = re.compile(r"\s+")


def heading_key(text: str) -> str:
    """A column heading as the service compares it: footnote marks ("[2,3]") dropped,
    underscores, line breaks and runs of spaces made one space, case folded."""
    return _SPACE.sub(" ", _FOOTNOTE.sub("", text or "").replace("_", " ")).strip().casefold()


@contextmanager
def collecting_cycles_after() -> Iterator[None]:
    """Hold Python's cycle collector back while a national file is read.

    The collector runs after every few hundred new objects, and every so often walks
    every list alive: reading a national workbook, that is half a million cells walked
    again and again while 100,000 figures are made, some 40% of the read (bench/README).
    A reader makes no reference cycles (reference counting frees what it drops as
    usual), so the collector waits until the read is over. It is left as it was found:
    nested reads, or reads in two threads, never leave it off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def read_published(filename: str, data: bytes) -> PublishedFile:
    """Every sheet of a published .csv, .xlsx or .xlsm file, or Refused."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise Refused(Problem("Choose a .csv, .xlsx or .xlsm file as NHS England publishes it"))
    if not data:
        raise Refused(Problem("The file is empty"))
    if len(data) > MAX_FILE_BYTES:
        raise Refused(Problem(f"The file is larger than {MAX_FILE_BYTES // 2**20} MB"))
    with collecting_cycles_after():
        if suffix == ".csv":
            return PublishedFile(filename, {"CSV": Grid("CSV", _csv_rows(data))})
        return PublishedFile(filename, _workbook_grids(data))


def decode_csv(data: bytes) -> str:
    """UTF-16 or UTF-32 where the file shows it (as Excel's "Unicode" formats are), else
    UTF-8 with or without a byte-order mark, else Windows-1252 (Latin-1 for the five
    bytes it leaves undefined). A file cut short inside a UTF-16 character (the start
    of a file, read for its header line) loses that character only."""
    encoding = unicode_encoding(data)
    if encoding:
        return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return data.decode("latin-1")


def _csv_rows(data: bytes) -> list[list[object]]:
    text = decode_csv(data)
    try:
        # A national file's cells are short; only the csv module's own limit applies.
        rows: list[list[object]] = [list(v) for v in csv_records(text, max_cell=2**31)]
    except UploadRejected as error:
        column = column_letter(error.column - 1) if error.column else None
        raise Refused(Problem(error.detail, row=error.row, column=column)) from None
    while rows and not any(str(v).strip() for v in rows[-1]):
        rows.pop()
    return rows


def _workbook_grids(data: bytes) -> dict[str, Grid]:
    try:
        check_zip(data, **NATIONAL_ZIP_LIMITS)
    except UploadRejected as error:
        raise Refused(Problem(error.message)) from None
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:
        raise Refused(
            Problem("The file could not be read as a workbook. Download it again and retry")
        ) from None
    grids: dict[str, Grid] = {}
    try:
        for name in book.sheet_names:
            try:
                rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception:
                raise Refused(Problem("The sheet could not be read", sheet=name)) from None
            _refuse_nul(name, rows)
            grids[name] = Grid(name, [_values(row) for row in rows])
    finally:
        book.close()
    return grids


def _refuse_nul(sheet: str, rows: list[list[object]]) -> None:
    """Refuse a sheet with a NUL in a cell (a workbook writes it `_x0000_`), which
    PostgreSQL cannot store, naming the first. Looked for all at once, as most national
    sheets have none, and only then cell by cell."""
    if not any("\x00" in v for row in rows for v in row if v.__class__ is str):
        return
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v.__class__ is str and "\x00" in v:
                raise Refused(
                    Problem(
                        "The cell contains a NUL character, which cannot be saved. Download "
                        "the file again",
                        sheet=sheet,
                        row=r,
                        column=column_letter(c),
                    )
                )


def _values(row: list[object]) -> list[object]:
    """A row's cells as `_value` makes them. A national workbook has a million cells, so
    the usual ones (numbers, then empty cells) are decided first, without a call."""
    return [
        v if v.__class__ is float else None if v == "" else _value(v) if v.__class__ is datetime
        else v
        for v in row
    ]  # fmt: skip


def _value(value: object) -> object:
    """Calamine gives "" for an empty cell and datetimes at midnight for dates."""
    if value == "":
        return None
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return value


def parse_published_date(text: str) -> date | None:
    """The dates NHS files carry: 20240401, 2024-04-01, 01APR2024, 01/04/2024."""
    text = (text or "").strip()
    for pattern in ("%Y%m%d", "%Y-%m-%d", "%d%b%Y", "%d/%m/%Y", "%d-%b-%Y", "%d-%b-%y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def column_letter(index: int) -> str:
    """A 0-based column as the letters a spreadsheet shows (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
