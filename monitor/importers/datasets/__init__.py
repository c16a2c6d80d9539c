"""Every published dataset the service reads, one module each, found by their layout.

A dataset module declares `DATASET = Dataset(...)`: a key, a title, `recognise(file)`
(does this file have the dataset's layout?) and `read(file)` (the rows, or Refused with
the sheet, row and column of every problem). Modules are found by walking this package,
so a new dataset is its module, its test and its fixture, and nothing else.

A national CSV of millions of rows (the GPAD practice-level crosstab, ~2 million a
month) is never held in memory as cells: its dataset also declares
`recognise_header(first_line)` (is this the dataset's header line?) and
`read_path(path, filename)` (stream the file from disk), and `read_path(path)` here
tries those datasets first on the file's first line, then reads any other file whole
through `read_published` as `read` does.

Files are recognised by what is in them, never by their names: NHS England renames its
downloads from one month to the next.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from monitor.core.published import Extract, PracticeFacts
from monitor.importers.published import (
    MAX_FILE_BYTES,
    Problem,
    PublishedFile,
    Refused,
    collecting_cycles_after,
    decode_csv,
    read_published,
)

__all__ = [
    "Dataset",
    "Extract",
    "PracticeFacts",
    "datasets",
    "read",
    "read_path",
    "recognise",
]
HEADER_BYTES = 64 * 1024
"""How much of a file's start `read_path` reads to find its header line."""


@dataclass(frozen=True)
class Dataset:
    key: str  # stored as an organisation's `source`: "epraccur", "cbt", ...
    title: str  # what a person calls it
    recognise: Callable[[PublishedFile], bool]
    read: Callable[[PublishedFile], Extract]
    rank: int = 50
    """Which file's word counts when two files of the same date disagree: lower wins
    (the ODS registers before the statistical publications)."""
    recognise_header: Callable[[str], bool] | None = None
    """For a CSV too big to hold as cells: whether the file's first line (decoded, without
    its line ending) is this dataset's header. Set with `read_path`."""
    read_path: Callable[[Path, str], Extract] | None = None
    """Stream the file at a path (called with the path and the name to report it by),
    with memory that does not grow with the file."""

    def extract(self, filename: str, description: str, as_of: date | None) -> Extract:
        """An empty extract of this dataset, for its reader to fill."""
        return Extract(self.key, self.rank, filename, description, as_of)


@cache
def datasets() -> tuple[Dataset, ...]:
    """Every dataset module's DATASET, in rank order."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        found.append(loaded.DATASET)
    return tuple(sorted(found, key=lambda d: (d.rank, d.key)))


def by_key(key: str) -> Dataset:
    """The dataset of a key, or Refused listing the keys there are."""
    found = next((d for d in datasets() if d.key == key), None)
    if found is None:
        keys = ", ".join(d.key for d in datasets())
        raise Refused(Problem(f"“{key}” is not a kind of file the service reads: {keys}"))
    return found


def recognise(file: PublishedFile) -> Dataset:
    """The dataset whose layout the file has, or Refused saying what it looks like."""
    matches = [d for d in datasets() if d.recognise(file)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(d.title for d in matches)
        raise Refused(Problem(f"The file has the layout of more than one dataset ({names})"))
    raise Refused(Problem(_unrecognised(file)))


def read(file: PublishedFile, *, kind: str | None = None) -> Extract:
    """Recognise (or, with `kind`, insist on) the file's dataset and read it."""
    if kind is not None:
        dataset = by_key(kind)
        if not dataset.recognise(file):
            raise Refused(Problem(_not_of_kind(dataset, _looks_like(file))))
    else:
        dataset = recognise(file)
    with collecting_cycles_after():
        return dataset.read(file)


def read_path(path: Path, *, filename: str | None = None, kind: str | None = None) -> Extract:
    """Read a published file from disk: by a dataset that streams it when the file is a
    CSV whose first line one of them recognises, else whole, as `read` does (with the
    size limit of `read_published`). `kind` insists on a dataset, as for `read`."""
    path = Path(path)
    filename = filename or path.name
    if path.suffix.lower() == ".csv":
        line = first_line(path)
        streamed = [d for d in datasets() if d.recognise_header and d.recognise_header(line)]
        if kind is not None:
            wanted = by_key(kind)
            if streamed and wanted not in streamed:  # said before the size limit would be
                raise Refused(
                    Problem(_not_of_kind(wanted, f"This looks like the {_titles(streamed)}"))
                )
            streamed = [wanted] if wanted in streamed else []
        if len(streamed) == 1:
            with collecting_cycles_after():
                return streamed[0].read_path(path, filename)
    if path.stat().st_size > MAX_FILE_BYTES:  # refused before it is read into memory
        raise Refused(
            Problem(
                f"The file is larger than {MAX_FILE_BYTES // 2**20} MB and is not one the "
                "service reads from disk in parts"
            )
        )
    return read(read_published(filename, path.read_bytes()), kind=kind)


def first_line(path: Path) -> str:
    """The first line of a text file, decoded as `read_published` decodes CSVs."""
    with open(path, "rb") as stream:
        start = stream.read(HEADER_BYTES)
    # Decoded up to the line break only: the block may end inside a character.
    return decode_csv(start.split(b"\n", 1)[0]).rstrip("\r")


def _unrecognised(file: PublishedFile) -> str:
    known = "; ".join(d.title for d in datasets())
    return (
        f"This looks like {_shape(file)}, which is not a file the service reads. It reads: {known}"
    )


def _looks_like(file: PublishedFile) -> str:
    """What a file given as one dataset looks like: another dataset, or its shape."""
    others = [d for d in datasets() if d.recognise(file)]
    if others:
        return f"This looks like the {_titles(others)}"
    return f"This looks like {_shape(file)}, which is not a file the service reads"


def _not_of_kind(dataset: Dataset, looks_like: str) -> str:
    return f"The file does not have the layout of the {dataset.title}. {looks_like}"


def _titles(found: list[Dataset]) -> str:
    return " or the ".join(d.title for d in found)


def _shape(file: PublishedFile) -> str:
    if file.is_csv:
        first = ", ".join(t for t in file.grids["CSV"].row_texts(1)[:6] if t)
        return f"a CSV whose first row is “{first[:120]}”" if first else "an empty CSV"
    return "a workbook with sheets " + ", ".join(f"“{n}”" for n in list(file.grids)[:8])
