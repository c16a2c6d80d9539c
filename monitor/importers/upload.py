"""Read an uploaded .xlsx or .csv safely into rows of cells, before any rule is applied.

Defences, in the order they run:
* only .xlsx and .csv, and never more than the request size limit (Flask's
  MAX_CONTENT_LENGTH answers 413 before we see the file);
* an .xlsx is a zip: the number of members and their declared uncompressed sizes are
  checked before anything is decompressed, and each member is then read in bounded
  chunks, so a small file that inflates to hundreds of megabytes is refused quickly and
  without using much memory;
* openpyxl parses XML through defusedxml (installed), so entity-expansion attacks fail;
* a sheet's declared dimensions are ignored (``reset_dimensions``) and rows are counted
  as they are read, so a workbook that lies about its size is read in full or refused
  for having too many rows, never silently truncated;
* every cell is returned as text plus its raw value; the app's own validators decide
  what it means.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

import openpyxl
from openpyxl.utils.datetime import from_excel

MAX_ZIP_MEMBERS = 64
MAX_UNZIPPED_BYTES = 40 * 1024 * 1024
MAX_MEMBER_RATIO = 150  # uncompressed : compressed, per member
MAX_ROWS = 2000
MAX_COLUMNS = 40
CHUNK = 64 * 1024


class UploadRejected(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Cell:
    raw: object
    row: int  # 1-based, as the spreadsheet shows it
    column: int  # 1-based

    @property
    def text(self) -> str:
        return cell_text(self.raw)


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[list[Cell]]

    def value(self, row: int, column: int) -> Cell | None:
        """The cell at a 1-based row and column, or None beyond the data."""
        if row - 1 < len(self.rows) and column - 1 < len(self.rows[row - 1]):
            return self.rows[row - 1][column - 1]
        return None


def cell_text(raw: object) -> str:
    """A cell as the text a person would have typed."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if raw.is_integer() and abs(raw) < 1e15:
            return str(int(raw))
        return format(raw, ".15g")
    if isinstance(raw, datetime):
        if raw.time() == time(0):
            return raw.strftime("%d/%m/%Y")
        return raw.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(raw, date):
        return raw.strftime("%d/%m/%Y")
    if isinstance(raw, time):
        return duration_from_time(raw)
    if isinstance(raw, timedelta):
        seconds = int(raw.total_seconds())
        return f"{seconds // 60}:{seconds % 60:02d}"
    return str(raw).strip()


def duration_from_time(value: time) -> str:
    """Excel turns a typed 2:30 into the time 02:30 (hours:minutes). Our durations are
    minutes and seconds, so a time with no seconds is read back as minutes:seconds;
    one with seconds (0:02:30) is read as hours:minutes:seconds."""
    if value.second == 0 and value.microsecond == 0:
        return f"{value.hour}:{value.minute:02d}"
    minutes = value.hour * 60 + value.minute
    return f"{minutes}:{value.second:02d}"


def excel_serial_date(text: str) -> date | None:
    """An Excel date serial number (like 45566) as a date, if it plausibly is one."""
    try:
        number = float(text)
    except ValueError:
        return None
    if not 20000 <= number <= 80000 or not number.is_integer():
        return None
    return from_excel(number).date()


def kind_of(filename: str) -> str:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UploadRejected("The selected file must be an .xlsx spreadsheet or a .csv file")
    return suffix[1:]


def read_upload(filename: str, data: bytes) -> dict[str, Sheet]:
    """Every sheet of an upload (a CSV is one sheet called "CSV"), as cells."""
    kind = kind_of(filename)
    if not data:
        raise UploadRejected("The selected file is empty")
    if kind == "csv":
        return {"CSV": _read_csv(data)}
    return _read_xlsx(data)


def _read_csv(data: bytes) -> Sheet:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    rows: list[list[Cell]] = []
    for n, values in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        _check_shape(n, len(values))
        rows.append([Cell(v, n, c) for c, v in enumerate(values, start=1)])
    return Sheet("CSV", rows)


def _check_shape(row: int, columns: int) -> None:
    if row > MAX_ROWS:
        raise UploadRejected(f"The file has more than {MAX_ROWS:,} rows")
    if columns > MAX_COLUMNS:
        raise UploadRejected(f"Row {row} has more than {MAX_COLUMNS} columns")


def check_zip(
    data: bytes,
    *,
    members: int | None = None,
    unzipped: int | None = None,
    ratio: int | None = None,
) -> None:
    """Refuse zip bombs before decompressing: member count, declared sizes, and then
    the real decompressed size, read in chunks and abandoned at the limit. The limits
    suit a practice's workbook unless the caller (a national file) gives its own."""
    members = members or MAX_ZIP_MEMBERS
    unzipped = unzipped or MAX_UNZIPPED_BYTES
    ratio = ratio or MAX_MEMBER_RATIO
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadRejected("The selected file is not a valid .xlsx spreadsheet") from None
    with archive:
        parts = archive.infolist()
        if len(parts) > members:
            raise UploadRejected(
                "The spreadsheet has too many parts to be a workbook from this service"
            )
        declared = sum(m.file_size for m in parts)
        if declared > unzipped:
            raise UploadRejected("The spreadsheet is too large once unpacked")
        total = 0
        for member in parts:
            if member.compress_size and member.file_size / member.compress_size > ratio:
                raise UploadRejected("The spreadsheet is too large once unpacked")
            # Declared sizes can lie: count what actually comes out.
            try:
                with archive.open(member) as stream:
                    while chunk := stream.read(CHUNK):
                        total += len(chunk)
                        if total > unzipped:
                            raise UploadRejected("The spreadsheet is too large once unpacked")
            # zipfile raises NotImplementedError for a compression method it cannot read.
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
                raise UploadRejected("The selected file is not a valid .xlsx spreadsheet") from None


def _read_xlsx(data: bytes) -> dict[str, Sheet]:
    check_zip(data)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it ignores (data validation extensions,
            # unknown styles); they do not change the values we read.
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except UploadRejected:
        raise
    except Exception:
        raise UploadRejected(
            "The selected file could not be read as a spreadsheet. Save it as an Excel "
            ".xlsx workbook and try again"
        ) from None
    sheets: dict[str, Sheet] = {}
    try:
        for worksheet in book.worksheets:
            worksheet.reset_dimensions()  # never trust the declared size
            rows: list[list[Cell]] = []
            for n, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                while values and values[-1] is None:
                    values = values[:-1]
                _check_shape(n, len(values))
                rows.append([Cell(v, n, c) for c, v in enumerate(values, start=1)])
            while rows and not any(c.text for c in rows[-1]):
                rows.pop()
            sheets[worksheet.title] = Sheet(worksheet.title, rows)
    finally:
        book.close()
    return sheets
