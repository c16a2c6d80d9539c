"""Reading a national CSV a block of rows at a time: what the streamed dataset readers
share (the GPAD crosstab, General Practice Workforce, GP Patient Survey and QOF).

Their files are too big to hold as cells (the GPAD crosstab is two million rows a
month), so each reader recognises the file by its header line, has pyarrow hand over
blocks of the columns it reads, totals each block, and keeps only the totals; only when
something is wrong is the file read again, row by row with the `csv` module, to say
where. What is here is that machinery, written once:

* `streamed_dataset`: a reader's `Dataset`, recognising a file on disk by its first
  line and an upload by its first row, and reading both the same way: an upload's
  cells are written back as CSV, so the two say the same (figures, rows, problems).
* `Header`: a header row, to find a column by any spelling of its heading.
* `CsvSource`: the file (on disk, or an upload written back), its header row, its
  encoding (UTF-16 or UTF-32 where the file shows it, else UTF-8, else Windows-1252, as
  `read_published` decodes), its blocks of rows (`blocks`) and, for a broken file, its
  rows read again (`reread`). A file with a NUL in it (which PostgreSQL cannot store),
  a cell longer than the csv module reads, or a row longer than a block is refused
  naming the row, never an exception.

A reader keeps what is its own: its headings, the columns it reads and their types,
what it totals a block at a time, its measures and the rules its figures follow.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from monitor.importers.datasets import HEADER_BYTES, Dataset, Extract
from monitor.importers.published import (
    Headings,
    Problem,
    PublishedFile,
    Refused,
    column_letter,
    decode_csv,
    heading_key,
)
from monitor.importers.upload import cell_text, unicode_encoding

BLOCK_BYTES = 2 * 1024 * 1024
"""Rows are read in blocks of about this many bytes (~15,000 GPAD rows). pyarrow reads
ahead of the blocks handed over, so its memory is some forty blocks (~80 MB here,
whatever the file's size); smaller blocks save memory but cost time per block. A whole
national GPAD month's read peaks ~150 MB above the process's start, the same for half
or twice the file (bench/README.md)."""
MOST_PROBLEMS = 20
"""A broken file is refused naming this many rows at most."""
BLANK = "blank row"
NO_CODE = "no practice code (a total row)"
"""Why a row is passed over, in an extract's `skipped`."""


def streamed_dataset(
    *,
    key: str,
    title: str,
    rank: int,
    is_header: Callable[[Sequence[str]], bool],
    read: Callable[[CsvSource], Extract],
) -> Dataset:
    """The dataset of a CSV that `is_header` knows by its header row and `read` reads
    from a `CsvSource`: a file on disk (`read_path`, streamed) and an upload (`read`)."""

    def recognise(file: PublishedFile) -> bool:
        return file.is_csv and is_header(file.grids["CSV"].row_texts(1))

    def recognise_header(line: str) -> bool:
        return is_header(_header_of(line))

    def read_upload(file: PublishedFile) -> Extract:
        return read(CsvSource.of(file))

    def read_path(path: Path, filename: str) -> Extract:
        return read(CsvSource.at(path, filename))

    return Dataset(
        key=key,
        title=title,
        recognise=recognise,
        read=read_upload,
        rank=rank,
        recognise_header=recognise_header,
        read_path=read_path,
    )


def _header_of(line: str) -> list[str]:
    """A header line's headings (a `recognise_header` line)."""
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return []


def has_headings(headings: Iterable[str], required: Iterable[str]) -> bool:
    """Whether a header row has every one of `required`, however it spells them."""
    return {heading_key(h) for h in required} <= {heading_key(h) for h in headings}


class Header:
    """A CSV's header row, to find a column by any spelling of its heading, as a
    workbook's are found (`published.Headings`: "GP_CODE", "gp code" and "GP Code [2]"
    are one column; where two headings are spelt alike, the first)."""

    def __init__(self, headings: Sequence[str]) -> None:
        self.headings = list(headings)
        self.at = Headings()  # heading -> 0-based column
        for c, heading in enumerate(self.headings):
            key = heading_key(heading)
            if key and not dict.__contains__(self.at, key):
                dict.__setitem__(self.at, key, c)

    def column(self, heading: str) -> str | None:
        """The column's name as the file spells it, or None when the file has none."""
        at = self.at.get(heading)
        return None if at is None else self.headings[at]

    def first_column(self, headings: Iterable[str]) -> str | None:
        """The column of the first of `headings` the file has (or None)."""
        return next((c for c in map(self.column, headings) if c), None)


def _nul_in(row: int, column: int) -> Problem:
    return Problem(
        "The cell contains a NUL character, which cannot be saved. Download the file again",
        row=row,
        column=column_letter(column),
    )


def _wrong_width(row: int | None, fields: int, width: int) -> Problem:
    return Problem(f"has {fields} fields; the header has {width}", row=row)


@dataclass(frozen=True)
class CsvSource:
    """A CSV on disk, or an upload's cells written back as one, to read in blocks of rows
    of the columns wanted."""

    open_binary: Callable[[], BinaryIO]
    arrow_source: Callable[[], object]  # what pyarrow reads: a path, or a buffer
    filename: str

    @classmethod
    def at(cls, path: Path, filename: str) -> CsvSource:
        return cls(lambda: open(path, "rb"), lambda: str(path), filename)

    @classmethod
    def of(cls, file: PublishedFile) -> CsvSource:
        """An upload read by `read_published` (so at most the size limit of uploads): its
        rows written back as UTF-8 CSV, a row a record, so row numbers stay the same."""
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(
            [cell_text(v) for v in row] for row in file.grids["CSV"].rows
        )
        data = buffer.getvalue().encode("utf-8")
        return cls(lambda: io.BytesIO(data), lambda: pa.BufferReader(data), file.filename)

    def header(self) -> Header:
        """The header row (the file's first line)."""
        with self.open_binary() as stream:
            start = stream.read(HEADER_BYTES)
        line = decode_csv(start).split("\n", 1)[0].rstrip("\r")
        try:
            return Header(next(csv.reader([line]), []))
        except csv.Error:  # a heading longer than the csv module reads: no header
            return Header([])

    @cached_property
    def encoding(self) -> str:
        """UTF-8 (with or without a byte-order mark), else Windows-1252, as
        `read_published` decodes: the whole file is checked first, a block at a time,
        so that pyarrow reads it once, in the right encoding, and a file on disk and its
        upload are read in the same one."""
        with self.open_binary() as stream:
            wide = unicode_encoding(stream.read(HEADER_BYTES))
        if wide:
            return wide  # pyarrow transcodes it with Python's codec
        decoder = codecs.getincrementaldecoder("utf-8")()
        with self.open_binary() as stream:
            try:
                while block := stream.read(BLOCK_BYTES):
                    if b"\x00" in block:
                        self.__dict__["has_nul"] = True
                    # ASCII is UTF-8 (unless a character began in the block before):
                    # checked without decoding, as most blocks of a national file are.
                    if not (block.isascii() and not decoder.getstate()[0]):
                        decoder.decode(block)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.__dict__.setdefault("has_nul", b"\x00" in stream.read())
                return "cp1252"
        return "utf8"

    @property
    def has_nul(self) -> bool:
        """Whether an 8-bit file holds a NUL byte (known once `encoding` has read it)."""
        return self.__dict__.get("has_nul", False)

    def blocks(
        self,
        columns: Sequence[str],
        broken: list[Problem],
        *,
        types: Mapping[str, pa.DataType] | None = None,
        parallel: bool = False,
        newlines_in_values: bool = True,
    ) -> Iterator[tuple[int, pa.RecordBatch]]:
        """(row number of the block's first row, block) of the `columns` (headings as
        the file spells them), each as text ("" for an empty cell) unless `types` gives
        it another type (an empty cell of which is then null).

        A row with the wrong number of fields is added to `broken` (the first
        MOST_PROBLEMS of them) and left out, so the rows after it are numbered one
        short: a caller refuses the file when `broken` has any. pyarrow numbers those
        rows when it reads on one thread; `parallel` reads on every core, faster for a
        national month, and then it cannot: their row is None, and the caller says
        where with `reread`. Without `newlines_in_values` a parallel read is faster, but
        a line break in a quoted value where a block ends breaks that row."""

        def invalid(row: pacsv.InvalidRow) -> str:
            if len(broken) < MOST_PROBLEMS:
                broken.append(_wrong_width(row.number, row.actual_columns, row.expected_columns))
            return "skip"  # and read on: the file is refused, with every broken row named

        encoding = self.encoding
        if self.has_nul:
            raise Refused(self.reread() or [Problem("The file contains a NUL character")])
        try:
            yield from self._blocks(columns, invalid, encoding, types, parallel, newlines_in_values)
        except pa.ArrowInvalid as error:
            if "straddl" not in str(error):
                raise  # a value of the wrong type: the reader says where
            # A row longer than a block (a cell of megabytes): the csv module says where.
            raise Refused(
                self.reread() or [Problem("A row of the file is too long to read")]
            ) from None

    def _blocks(self, columns, invalid, encoding, types, parallel, newlines_in_values):
        # open_csv reads the first block at once, so a broken first block fails here.
        reader = pacsv.open_csv(
            self.arrow_source(),
            read_options=pacsv.ReadOptions(
                block_size=BLOCK_BYTES,
                encoding=encoding,
                use_threads=parallel,
            ),
            parse_options=pacsv.ParseOptions(
                ignore_empty_lines=False,  # so that a row's number is its record's
                newlines_in_values=newlines_in_values,  # as the csv module reads them
                invalid_row_handler=invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in columns} | dict(types or {}),
                include_columns=list(columns),
                strings_can_be_null=False,
                null_values=[""],  # only a column that is not text can be null
            ),
        )
        first = 2  # the header is row 1
        for batch in reader:
            yield first, batch
            first += batch.num_rows

    def reread(
        self, check: Callable[[int, list[str]], list[Problem]] | None = None
    ) -> list[Problem]:
        """Where the file is broken, read again row by row with the `csv` module: every
        row with the wrong number of fields, and what `check(row number, row)` finds in
        the others, up to MOST_PROBLEMS. Blank rows are no problem."""
        problems: list[Problem] = []
        with self.open_binary() as raw:
            encoding = "utf-8-sig" if self.encoding == "utf8" else self.encoding
            rows = csv.reader(io.TextIOWrapper(raw, encoding=encoding, newline=""))
            n = 0  # the last row read whole
            try:
                width = len(next(rows, []))
                n = 1
                for n, row in enumerate(rows, start=2):  # noqa: B007 (n is read below)
                    nul = next((c for c, v in enumerate(row) if "\x00" in v), None)
                    if nul is not None:
                        problems.append(_nul_in(n, nul))
                    elif not any(v.strip() for v in row):
                        continue
                    elif len(row) != width:
                        problems.append(_wrong_width(n, len(row), width))
                    elif check is not None:
                        problems += check(n, row)
                    if len(problems) >= MOST_PROBLEMS:
                        break
            except csv.Error:
                limit = csv.field_size_limit()
                problems.append(Problem(f"A cell is longer than {limit:,} characters", row=n + 1))
        return problems[:MOST_PROBLEMS]
