"""Read a filled-in offline workbook back (the spreadsheet round-trip, not a voluntary
return to the ICB): every row checked with the same rules as the web forms, all or
nothing, and a report naming the row, the item and the problem.

Uploading a log (spending or staffing) twice changes nothing, in two ways:

* the same file again: every accepted upload's SHA-256 is kept on its audit event, and
  a later upload of a file with the same hash, for the same practice and log, is
  answered "This file was already uploaded on …; nothing changed" without being read
  again (`earlier_upload`). Figures are not checked this way: a figure is set, not
  added, so uploading a period's figures again already changes nothing;
* a row without an Id (a new one) identical in every field to a record already in the
  practice's log is taken to be that record and not added again, even from another
  file; the result lists it as already recorded. Rows are matched one to one, so a file
  listing the same purchase twice, beside a log that has it once, adds it once more.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from monitor.core.checklist import ChecklistTemplate
from monitor.core.inputs import (
    FormErrors,
    InvalidValue,
    is_blank,
    parse_date_text,
    whole_number,
    without_control_characters,
)
from monitor.core.patient_data import redact_nhs_numbers
from monitor.core.periods import Period
from monitor.exporters import offline_workbook as layout
from monitor.importers.upload import Sheet, UploadRejected, excel_serial_date
from monitor.models import AuditEvent, Practice, SpendItem, StaffingChange, User
from monitor.services import audit, figures, logs, records, visibility
from monitor.services.records import SaveResult


@dataclass(frozen=True)
class RowError:
    row: int
    item: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.item}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _sheet(sheets: dict[str, Sheet], name: str) -> Sheet:
    if name in sheets:
        return sheets[name]
    if "CSV" in sheets:
        return sheets["CSV"]
    raise UploadRejected(
        f"The workbook has no “{name}” sheet. Download the workbook from the service and "
        "fill that in"
    )


def _text(sheet: Sheet, row: int, column: int) -> str:
    cell = sheet.value(row, column)
    return cell.text if cell else ""


def _check_identity(sheet: Sheet, practice: Practice, label: str, expected: str) -> None:
    ods = _text(sheet, 1, 2).upper()
    if ods != practice.ods_code:
        raise UploadRejected(
            f"This workbook is for practice {ods or '(none)'}, not {practice.name} "
            f"({practice.ods_code}). Download your own workbook and try again"
        )
    found = _text(sheet, 2, 2)
    if found != expected:
        raise UploadRejected(
            f"This workbook is for {label} {found or '(none)'}, not {expected}. Upload it on "
            "the right page, or download the right workbook"
        )


def _check_header(sheet: Sheet, row: int, expected: tuple[str, ...]) -> None:
    found = tuple(_text(sheet, row, c) for c in range(1, len(expected) + 1))
    if found != expected:
        raise UploadRejected(
            f"Row {row} should hold the column headings ({', '.join(expected)}). Download "
            "the workbook again rather than changing its layout"
        )


def import_figures(
    session: Session,
    *,
    user: User,
    practice: Practice,
    template: ChecklistTemplate,
    period: Period,
    sheets: dict[str, Sheet],
    today: date,
) -> SaveResult:
    sheet = _sheet(sheets, layout.FIGURES_SHEET)
    _check_identity(sheet, practice, "period", period.code)
    _check_header(sheet, layout.FIGURES_HEADER_ROW, layout.FIGURES_COLUMNS)
    items = {item.id: item for item in template.items_for(period.frequency)}
    errors: list[RowError] = []
    raw: dict[str, str] = {}
    rows: dict[str, int] = {}
    confirmed: set[str] = set()
    for n in range(layout.FIGURES_HEADER_ROW + 1, len(sheet.rows) + 1):
        item_id = _text(sheet, n, 1)
        value = _text(sheet, n, layout.INPUT_COLUMN)
        if not item_id:
            if value:
                errors.append(RowError(n, "(no item id)", "Put figures only on the item rows"))
            continue
        item = items.get(item_id)
        if item is None:
            errors.append(RowError(n, item_id, f"“{item_id}” is not an item of this period"))
            continue
        if item_id in rows:
            errors.append(RowError(n, item.label, f"The item is also on row {rows[item_id]}"))
            continue
        rows[item_id] = n
        if value == "":
            continue  # blank keeps what is recorded
        raw[item_id] = "" if is_blank(value) else value
        if _text(sheet, n, layout.CONFIRM_COLUMN).strip().upper() == layout.CONFIRM_WORD:
            confirmed.add(item_id)
    if errors:
        raise ImportFailed(errors)
    try:
        return figures.save_period(
            session,
            user=user,
            practice=practice,
            template=template,
            period=period,
            raw=raw,
            confirmed=confirmed,
            token=None,
            today=today,
            source="spreadsheet",
        )
    except FormErrors as error:
        raise ImportFailed(
            [RowError(rows[k], items[k].label, m) for k, m in error.errors.items()]
        ) from None
    except figures.NeedsConfirmation as needs:
        raise ImportFailed(
            [
                RowError(
                    rows[k],
                    items[k].label,
                    m.removeprefix(f"{items[k].label}: ").replace(
                        "then confirm it below",
                        f"then type {layout.CONFIRM_WORD} in the “Confirm unusual figure” column",
                    ),
                )
                for k, m in needs.warnings.items()
            ]
        ) from None


def _date_parts(text: str, label: str) -> dict[str, str]:
    """A spreadsheet date (UK text, ISO or an Excel serial) as the form's three boxes."""
    if not text:
        return {}
    serial = excel_serial_date(text)
    day = serial or parse_date_text(text, label=label)
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}


def _by_label(choices: dict[str, str], text: str) -> str:
    """A template choice typed as its label or its id, case-insensitively."""
    folded = text.strip().casefold()
    for cid, label in choices.items():
        if folded in (cid.casefold(), label.casefold()):
            return cid
    return text


def _row_raw(sheet: Sheet, n: int, columns: dict[str, int], dates: dict[str, str]):
    raw = {name: _text(sheet, n, column) for name, column in columns.items()}
    for name, label in dates.items():
        for part, value in _date_parts(raw.pop(name), label).items():
            raw[f"{name}-{part}"] = value
    return raw


FIELD_COLUMNS_SPEND = {
    "spent_on": "Date",
    "category": "Category",
    "description": "Description",
    "total_cost": "Total cost",
    "hep_amount": "Paid by HEP",
    "other_sources": "Other sources",
    "recurrence": "Recurrent or one-off",
    "hep_mode": "Paid by HEP",
}
FIELD_COLUMNS_STAFF = {
    "role": "Role",
    "change_type": "Change",
    "wte_change": "WTE change",
    "starts_on": "Start date",
    "ends_on": "End date",
    "contract_type": "Contract",
    "hep_share_pct": "HEP share of cost (%)",
    "languages": "Community languages",
    "note": "Note",
}


def _log_rows(sheet: Sheet, ncols: int):
    for n in range(layout.LOG_HEADER_ROW + 1, len(sheet.rows) + 1):
        if any(_text(sheet, n, c) for c in range(1, ncols + 1)):
            yield n


def _existing(session, user, model, text_id: str, version_text: str, n: int, errors):
    if not text_id:
        return None, None
    record_id = whole_number(text_id)
    if record_id is None:
        errors.append(RowError(n, "Id", "Leave Id empty for a new row, or keep the Id given"))
        return None, None
    record = visibility.own_record(session, user, model, record_id)
    if record is None:
        errors.append(RowError(n, "Id", f"There is no record {text_id} in your practice's log"))
        return None, None
    version = whole_number(version_text)
    if version is None:
        errors.append(RowError(n, "Version", "Keep the Version given in the download"))
        return None, None
    if version != record.version:
        errors.append(
            RowError(
                n,
                "Id",
                f"Record {text_id} was changed in the service after you "
                "downloaded this workbook. Download it again and reapply your change",
            )
        )
        return None, None
    return record, version


def import_spending(
    session: Session,
    *,
    user: User,
    practice: Practice,
    template: ChecklistTemplate,
    sheets: dict[str, Sheet],
    today: date,
) -> SaveResult:
    sheet = _sheet(sheets, layout.SPENDING_SHEET)
    _check_identity(sheet, practice, "log", "spending")
    _check_header(sheet, layout.LOG_HEADER_ROW, layout.SPENDING_COLUMNS)
    categories = {c.id: c.label for c in template.spending_categories}
    sources = {s.id: s.label for s in template.funding_sources}
    staffing_ids = {r.id for r in visibility.own_records(session, user, StaffingChange)}
    errors: list[RowError] = []
    plans = []
    columns = {
        "spent_on": 2,
        "category": 3,
        "description": 4,
        "total_cost": 5,
        "hep_amount": 6,
        "other_sources": 7,
        "recurrence": 8,
    }
    for n in _log_rows(sheet, len(layout.SPENDING_COLUMNS)):
        record, version = _existing(
            session, user, SpendItem, _text(sheet, n, 1), _text(sheet, n, 9), n, errors
        )
        if _text(sheet, n, 1) and record is None:
            continue
        try:
            raw = _row_raw(sheet, n, columns, {"spent_on": "the date"})
        except InvalidValue as error:
            errors.append(RowError(n, "Date", error.message))
            continue
        raw["category"] = _by_label(categories, raw["category"])
        raw["recurrence"] = {
            "recurrent": "recurrent",
            "one-off": "one_off",
            "one off": "one_off",
            "one_off": "one_off",
        }.get(raw["recurrence"].strip().casefold(), raw["recurrence"])
        raw["other_sources"] = [
            _by_label(sources, part)
            for part in raw["other_sources"].replace(",", ";").split(";")
            if part.strip()
        ]
        raw["hep_mode"] = "amount"
        if record is not None:
            raw["staffing_change_id"] = str(record.staffing_change_id or "")
            raw["intervention_id"] = str(record.intervention_id or "")
        try:
            data = logs.clean_spend(
                raw,
                template=template,
                today=today,
                staffing_ids=staffing_ids,
                intervention_ids={record.intervention_id}
                if record and record.intervention_id
                else set(),
            )
        except FormErrors as error:
            errors.extend(
                RowError(n, FIELD_COLUMNS_SPEND.get(k, k), m) for k, m in error.errors.items()
            )
            continue
        plans.append((n, record, version, data))
    return _apply(
        session,
        user,
        practice,
        SpendItem,
        "spending item",
        plans,
        errors,
        describe=lambda d: d.description,
    )


def import_staffing(
    session: Session,
    *,
    user: User,
    practice: Practice,
    template: ChecklistTemplate,
    sheets: dict[str, Sheet],
    today: date,
) -> SaveResult:
    sheet = _sheet(sheets, layout.STAFFING_SHEET)
    _check_identity(sheet, practice, "log", "staffing")
    _check_header(sheet, layout.LOG_HEADER_ROW, layout.STAFFING_COLUMNS)
    roles = {r.id: r.label for r in template.staffing_roles}
    kinds = {c.id: c.label for c in template.staffing_change_types}
    errors: list[RowError] = []
    plans = []
    columns = {
        "role": 2,
        "change_type": 3,
        "wte_change": 4,
        "starts_on": 5,
        "ends_on": 6,
        "contract_type": 7,
        "hep_share_pct": 8,
        "languages": 9,
        "note": 10,
    }
    for n in _log_rows(sheet, len(layout.STAFFING_COLUMNS)):
        record, version = _existing(
            session, user, StaffingChange, _text(sheet, n, 1), _text(sheet, n, 11), n, errors
        )
        if _text(sheet, n, 1) and record is None:
            continue
        try:
            raw = _row_raw(
                sheet, n, columns, {"starts_on": "the start date", "ends_on": "the end date"}
            )
        except InvalidValue as error:
            errors.append(RowError(n, "Date", error.message))
            continue
        raw["role"] = _by_label(roles, raw["role"])
        raw["change_type"] = _by_label(kinds, raw["change_type"])
        raw["contract_type"] = _by_label(logs.CONTRACT_TYPES, raw["contract_type"])
        try:
            data = logs.clean_staffing(raw, template=template, today=today)
        except FormErrors as error:
            errors.extend(
                RowError(n, FIELD_COLUMNS_STAFF.get(k, k), m) for k, m in error.errors.items()
            )
            continue
        plans.append((n, record, version, data))
    labels = roles
    return _apply(
        session,
        user,
        practice,
        StaffingChange,
        "staffing change",
        plans,
        errors,
        describe=lambda d: labels.get(d.role, d.role),
    )


def _apply(session, user, practice, model, noun, plans, errors, *, describe) -> SaveResult:
    """All or nothing: write every row, or none if any row has a problem. A new row
    identical to a record already in the log (one not matched to another row, and not
    changed by this upload) is that record: not added twice."""
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.row))
    result = SaveResult()
    edited = {record.id for _, record, _, _ in plans if record is not None}
    unmatched = [r for r in visibility.own_records(session, user, model) if r.id not in edited]
    for _, record, version, data in plans:
        fields = asdict(data)
        if record is None and (same := _same_record(unmatched, fields)) is not None:
            unmatched.remove(same)
            result.already.append(describe(data))
            continue
        if record is None:
            records.create(
                session,
                user=user,
                record=model(practice_id=practice.id, **fields),
                summary=f"Added {noun} {describe(data)} from a spreadsheet",
                commit=False,
            )
            result.added.append(describe(data))
            continue
        changed = {k: v for k, v in fields.items() if _differs(getattr(record, k), v)}
        if not changed:
            continue
        records.update_fields(
            session,
            user=user,
            record=record,
            changes=changed,
            expected_version=version,
            summary=f"Changed {noun} {describe(data)} from a spreadsheet",
            commit=False,
        )
        result.changed.append(describe(data))
    session.commit()
    return result


def _same_record(records: list, fields: dict):
    """The first of `records` whose every field equals `fields`, or None."""
    return next(
        (r for r in records if not any(_differs(getattr(r, k), v) for k, v in fields.items())),
        None,
    )


def _differs(old, new) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return Decimal(str(old)) != Decimal(str(new))
    if isinstance(old, list) or isinstance(new, list):
        return list(old or []) != list(new or [])
    return old != new


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def earlier_upload(
    session: Session, *, practice: Practice, what: str, sha256: str
) -> AuditEvent | None:
    """The accepted upload of the same file (by its SHA-256) to the same log of the
    practice, if there was one: the first, whose date the person is told."""
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.practice_id == practice.id,
            AuditEvent.action == "upload",
            AuditEvent.object_type == "upload",
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return next(
        (
            e
            for e in events
            if (e.after or {}).get("sha256") == sha256
            and (e.after or {}).get("what") == what
            and (e.after or {}).get("accepted")
        ),
        None,
    )


def already_uploaded(event: AuditEvent) -> str:
    return f"This file was already uploaded on {event.at:%-d %B %Y}; nothing changed"


def record_upload(
    session: Session,
    *,
    user: User,
    practice: Practice,
    what: str,
    filename: str,
    outcome: str,
    sha256: str | None = None,
    accepted: bool = False,
) -> None:
    """Every upload is an audit event, accepted or not; it keeps the file's SHA-256,
    and whether it was accepted, so the same file uploaded again changes nothing.

    The file's name and a refusal message (which may quote a cell) are the person's own
    text, kept without being checked by a form, so NHS numbers and control characters
    (a NUL cannot be stored) are taken out of them.
    """
    filename = without_control_characters(filename)
    summary = f"Uploaded {what} ({redact_nhs_numbers(filename)[:80]}): {outcome}"
    audit.record(
        session,
        actor=user,
        action="upload",
        object_type="upload",
        object_id=practice.id,
        practice_id=practice.id,
        summary=redact_nhs_numbers(without_control_characters(summary)),
        after={"what": what, "sha256": sha256, "accepted": accepted} if sha256 else None,
    )
    session.commit()
