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
* a workbook with macros (an `xl/vbaProject.bin` part, whatever the file is called) is
  refused: the service never needs them and a file passed on from here should not
  carry them;
* a CSV is read as UTF-8 (with or without a byte-order mark), UTF-16 or UTF-32 (Excel's
  "Unicode" formats, known by their byte-order mark or, without one, by the NUL byte
  beside every ASCII character), else Windows-1252; one that still cannot be decoded is
  refused with "Save it as CSV UTF-8";
* no cell may hold more than 32,767 characters (the most an Excel cell holds) or a NUL
  (which PostgreSQL cannot store and which would come back out in exports): either is
  refused naming its sheet, row and column, as is a CSV field beyond the csv module's
  limit, rather than the csv module's error becoming a 500;
* every cell is returned as text plus its raw value; the app's own validators decide
  what it means.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
import zlib
from collections.abc import Iterator
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
MAX_CELL_CHARS = 32_767
"""The most characters an Excel cell holds: no cell of a workbook from this service is
longer, and a longer one is refused by name rather than stored."""
MACRO_PART = "vbaproject.bin"
SAVE_AS_UTF8 = "Save it as CSV UTF-8 and upload it again"


class UploadRejected(ValueError):
    """The upload cannot be used; `message` is for the person. Where one cell is the
    reason, `message` names its sheet, row and column, which are also given (`sheet`,
    `row`, `column`, 1-based) with `detail`, the message without them."""

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or message
        self.sheet = sheet
        self.row = row
        self.column = column


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


def unicode_encoding(start: bytes) -> str | None:
    """ "utf-16" or "utf-32" (or their -le/-be without a byte-order mark) when the first
    bytes of a text file show one, else None (UTF-8 or an 8-bit code page)."""
    if start.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = start[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    # Without a mark, UTF-16 text that is mostly ASCII has a NUL beside every letter:
    # after it (little-endian, what Windows writes) or before it.
    even, odd = sample[0 : half * 2 : 2].count(0), sample[1 : half * 2 : 2].count(0)
    if odd >= half * 0.6 and even == 0:
        return "utf-16-le"
    if even >= half * 0.6 and odd == 0:
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> str:
    """A CSV's characters: UTF-16 or UTF-32 when the file shows it, else UTF-8 (with or
    without a byte-order mark), else Windows-1252 (which reads any byte but five)."""
    encoding = unicode_encoding(data)
    try:
        if encoding:
            return data.decode(encoding)
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if encoding:
            raise UploadRejected(
                f"The file looks like {encoding.upper()} text but is damaged. {SAVE_AS_UTF8}"
            ) from None
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise UploadRejected(
            f"The file is not in a text encoding the service reads. {SAVE_AS_UTF8}"
        ) from None


def csv_records(text: str, *, max_cell: int = MAX_CELL_CHARS) -> Iterator[list[str]]:
    """The records of a CSV's text, each checked: a cell longer than `max_cell` (or the
    csv module's own limit, 131,072), a NUL, or a record the csv module cannot read is
    UploadRejected naming its row (the record's number, as a spreadsheet shows it)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    row = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                detail = (
                    f"A cell is longer than {csv.field_size_limit():,} characters. Check the "
                    "file and upload it again"
                )
            else:
                detail = f"The row cannot be read as CSV ({error}). {SAVE_AS_UTF8}"
            raise UploadRejected(f"Row {row + 1}: {detail}", detail=detail, row=row + 1) from None
        row += 1
        for column, value in enumerate(values, start=1):
            check_cell(value, row=row, column=column, max_cell=max_cell)
        yield values


def check_cell(
    value: object, *, row: int, column: int, sheet: str | None = None, max_cell: int
) -> None:
    """Refuse a cell no spreadsheet would hold (too long) or no database can store (a
    NUL), naming where it is."""
    if not isinstance(value, str):
        return
    where = f"Sheet “{sheet}”, row {row}" if sheet else f"Row {row}"
    where += f", column {column_letter(column)}"
    if len(value) > max_cell:
        detail = (
            f"The cell has more than {max_cell:,} characters. Shorten it and upload the file again"
        )
    elif "\x00" in value:
        detail = (
            "The cell contains a NUL character, which cannot be saved. Retype the cell, or "
            "save the file again as CSV UTF-8 or an Excel workbook, and upload it again"
        )
    else:
        return
    raise UploadRejected(f"{where}: {detail}", detail=detail, sheet=sheet, row=row, column=column)


def column_letter(column: int) -> str:
    """A 1-based column number as a spreadsheet names it: 1 → A, 27 → AA."""
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _read_csv(data: bytes) -> Sheet:
    rows: list[list[Cell]] = []
    for n, values in enumerate(csv_records(decode_text(data)), start=1):
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
    allow_macros: bool = False,
) -> None:
    """Refuse zip bombs before decompressing: member count, declared sizes, and then
    the real decompressed size, read in chunks and abandoned at the limit. The limits
    suit a practice's workbook unless the caller (a national file) gives its own; a
    workbook with macros is refused unless `allow_macros` (NHS England publishes some
    files as .xlsm, whose values are read and whose macros never run)."""
    members = members or MAX_ZIP_MEMBERS
    unzipped = unzipped or MAX_UNZIPPED_BYTES
    ratio = ratio or MAX_MEMBER_RATIO
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UploadRejected("The selected file is not a valid .xlsx spreadsheet") from None
    with archive:
        parts = archive.infolist()
        if not allow_macros and any(PurePath(m.filename).name.lower() == MACRO_PART for m in parts):
            raise UploadRejected(
                "The workbook contains macros, which the service does not accept. Save it "
                "as an Excel Workbook (.xlsx), not a macro-enabled one, and upload it again"
            )
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
                for c, v in enumerate(values, start=1):
                    check_cell(v, row=n, column=c, sheet=worksheet.title, max_cell=MAX_CELL_CHARS)
                rows.append([Cell(v, n, c) for c, v in enumerate(values, start=1)])
            while rows and not any(c.text for c in rows[-1]):
                rows.pop()
            sheets[worksheet.title] = Sheet(worksheet.title, rows)
    finally:
        book.close()
    return sheets
