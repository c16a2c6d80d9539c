"""Command line: `monitor db upgrade`, `monitor onboard`, `monitor demo`, `monitor create-user`.

The same commands run as `flask --app monitor …`.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlmodel import Session, select

from monitor.config import PROJECT_ROOT
from monitor.db import get_engine


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # Percent signs in passwords must survive ConfigParser interpolation.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or upgrade the database to the latest schema."""
    upgrade_database(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database is at revision {revision}.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the fictional demo data (safe to run again: adds only what is missing)."""
    from monitor.core.clock import today
    from monitor.demo import load_all_demo_data

    with Session(get_engine()) as session:
        added = load_all_demo_data(
            session, current_app.extensions["monitor.passwords"], today=today()
        )
    if any(added.values()):
        click.echo("Demo data added: " + ", ".join(f"{n} {k}" for k, n in added.items() if n))
    else:
        click.echo("Demo data already loaded; nothing changed.")


@click.command("demo-sign-ins")
def demo_sign_ins_command() -> None:
    """Print the demo accounts, their password and the demo's authenticator secrets."""
    from monitor.demo import DEMO_PASSWORD, DEMO_TOTP_SECRETS, USERS

    click.echo("")
    click.echo("HEP Impact Monitor (demo data) at http://127.0.0.1:5000")
    click.echo(f"Every demo account's password is: {DEMO_PASSWORD}")
    for user in USERS:
        click.echo(f"  {user.email:<32} {user.display_name:<16} {user.description}")
    click.echo("")
    click.echo("The ICB analyst and administrator also enter a code from an authenticator app.")
    click.echo("Add each as a time-based (TOTP) account in the app with this key:")
    for email, secret in DEMO_TOTP_SECRETS.items():
        click.echo(f"  {email:<32} {secret}")
    click.echo("These keys exist only in the demo: they are published here so anyone can try it.")
    click.echo("")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["practice_editor", "practice_viewer", "pcn_lead", "icb_analyst", "admin"]),
)
@click.option("--organisation", required=True, help="ODS code of the practice, PCN or ICB")
@click.password_option("--password", help="Temporary password (asked for if not given)")
@with_appcontext
def create_user_command(
    email: str, display_name: str, role: str, organisation: str, password: str
) -> None:
    """Create a user, who must choose their own password at first sign-in."""
    from monitor.models import Icb, Pcn, Practice, Role
    from monitor.services.accounts import AccountError, create_user

    role_enum = Role(role)
    model, column = {
        "practice": (Practice, Practice.ods_code),
        "pcn": (Pcn, Pcn.code),
        "icb": (Icb, Icb.code),
    }[role_enum.organisation_kind]
    with Session(get_engine()) as session:
        org = session.exec(select(model).where(column == organisation.upper())).first()
        if org is None:
            raise click.BadParameter(
                f"no {role_enum.organisation_kind} with code {organisation}",
                param_hint="--organisation",
            )
        try:
            user = create_user(
                session,
                actor=None,
                passwords=current_app.extensions["monitor.passwords"],
                email=email,
                display_name=display_name,
                role=role_enum,
                organisation_id=org.id,
                password=password,
                temporary=True,
            )
        except AccountError as error:
            raise click.UsageError(error.message) from None
        click.echo(f"Created {user.email} ({role_enum.label}); they must change the password.")


@click.command("onboard")
@click.option("--icb", "icb_code", required=True, help="The ICB's ODS code, such as QK1")
@click.option("--dry-run", is_flag=True, help="Show the changes without making them")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def onboard_command(icb_code: str, dry_run: bool, files: tuple[str, ...]) -> None:
    """Create or update an ICB, its PCNs and its practices from files NHS England and NHS
    Digital publish (each recognised by its layout): epraccur, ePCN, the GPAD mapping,
    the Cloud Based Telephony and online consultation workbooks, registered patients,
    Fingertips IMD 2019. Changes nothing if any file is refused."""
    from pathlib import Path

    from monitor.core.clock import today
    from monitor.importers import datasets
    from monitor.importers.published import Refused, read_published
    from monitor.services import onboarding

    extracts, refused = [], []
    for path in files:
        name = Path(path).name
        try:
            extracts.append(datasets.read(read_published(name, Path(path).read_bytes())))
        except Refused as error:
            refused += [f"{name}: {problem}" for problem in error.problems]
    if refused:
        for line in refused[:50]:
            click.echo(line, err=True)
        if len(refused) > 50:
            click.echo(f"… and {len(refused) - 50:,} more problems", err=True)
        raise click.ClickException("Nothing was changed: correct or replace the files above.")
    with Session(get_engine()) as session:
        plan = onboarding.onboard(
            session, user=None, icb_code=icb_code, extracts=extracts, today=today(), dry_run=dry_run
        )
    for line in plan.summary_lines():
        click.echo(line)
    if dry_run:
        for change in plan.changes:
            click.echo(f"  would {change.action}: {change.describe()}")
        click.echo("Dry run: nothing was changed.")


@click.command("import")
@click.option("--icb", "icb_code", help="The ICB's ODS code (needed when there are several)")
@click.option("--kind", help="The dataset, when its layout is ambiguous (cbt, fft, ...)")
@click.option("--dry-run", is_flag=True, help="Show what would change without changing it")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_command(icb_code: str | None, kind: str | None, dry_run: bool, files) -> None:
    """Import national data NHS England publishes for every practice (Cloud Based
    Telephony, GP appointments, online consultations, FFT) into the ICB's practices'
    figures, all or nothing, each file recognised by its layout."""
    from pathlib import Path

    from monitor import national_import
    from monitor.core.clock import today
    from monitor.importers.published import Refused
    from monitor.models import Icb, NationalImport
    from monitor.services import national_data
    from monitor.services.national_data import ImportRefused

    templates = current_app.extensions["monitor.templates"]
    failed = False
    with Session(get_engine(), expire_on_commit=False) as session:
        icbs = session.exec(select(Icb)).all()
        if icb_code:
            icb = next((i for i in icbs if i.code == icb_code.strip().upper()), None)
            if icb is None:
                raise click.BadParameter(f"no ICB with code {icb_code}", param_hint="--icb")
        elif len(icbs) == 1:
            icb = icbs[0]
        else:
            raise click.UsageError("Say which ICB with --icb CODE (onboard it first)")
        checked, refused, hashes = [], [], set()
        for path in map(Path, files):
            found = NationalImport(
                icb_id=icb.id,
                filename=path.name[:255],
                sha256=national_data.file_hash(path),
                size=path.stat().st_size,
                stored_path=str(path.resolve()),
            )
            try:
                if found.sha256 in hashes:
                    raise ImportRefused("The same file was given twice")
                hashes.add(found.sha256)
                extract = national_import.read_file(path, path.name, kind=kind)
                _, plan = national_import.plan(
                    session, found, templates=templates, today=today(), extract=extract
                )
            except (Refused, ImportRefused) as error:
                refused.append(f"{path.name}: {national_import.message_of(error)}")
                continue
            checked.append((path, found, extract, plan))
        if refused:
            for line in refused:
                click.echo(line, err=True)
            raise click.ClickException("Nothing was changed: correct or replace the files above.")
        for path, found, extract, plan in checked:
            for line in plan.summary_lines():
                click.echo(line)
            if dry_run:
                click.echo(f"{path.name}: dry run, nothing was changed.")
                continue
            session.add(found)
            session.commit()
            national_import.run(
                session, found, phase="apply", templates=templates, today=today(),
                keep_file=True, extract=extract,
            )  # fmt: skip
            if found.status != "done":
                click.echo(f"{path.name}: {found.error}", err=True)
                failed = True
                continue
            click.echo(f"{path.name}: imported (import {found.id}; undo it on the imports page).")
    if failed:
        raise click.ClickException("An import stopped: that file changed nothing.")


@click.command("template")
@click.option("--icb", "icb_code", required=True, help="The ICB's ODS code")
@click.option("--version", "version", type=int, required=True, help="The version to move to")
@click.option("--dry-run", is_flag=True, help="Show what would change without changing it")
@with_appcontext
def template_command(icb_code: str, version: int, dry_run: bool) -> None:
    """Move an ICB to another version of its template (for example 2, whose figures
    national data fills). Stored values keep the version they were recorded under."""
    from monitor.models import Icb
    from monitor.services import template_versions
    from monitor.services.template_versions import TemplateMoveRefused

    templates = current_app.extensions["monitor.templates"]
    with Session(get_engine(), expire_on_commit=False) as session:
        icb = session.exec(select(Icb).where(Icb.code == icb_code.strip().upper())).first()
        if icb is None:
            raise click.BadParameter(f"no ICB with code {icb_code}", param_hint="--icb")
        try:
            move = template_versions.describe(session, templates, icb, version)
        except TemplateMoveRefused as error:
            raise click.ClickException(error.message) from None
        for line in template_versions.summary_lines(move):
            click.echo(line)
        if dry_run:
            click.echo("Dry run: nothing was changed.")
            return
        template_versions.move(session, user=None, move=move)
        click.echo(f"{icb.name} now uses template version {version}.")


@click.command("recompute-england")
@with_appcontext
def recompute_england_command() -> None:
    """Work England's slope index of inequality out again for every stored national
    import, from the practices' values kept with it, in one transaction: once, for a
    database whose imports were stored before the method changed."""
    from sqlmodel import func

    from monitor.models import NationalAggregate
    from monitor.services import audit, england

    templates = current_app.extensions["monitor.templates"]
    ordered = [templates[key] for key in sorted(templates)]
    # Every item of every loaded template, by id: a later version's definition wins, and
    # one with a national source (what an import fills) over one without.
    items = {item.id: item for template in ordered for item in template.items}
    items |= {i.id: i for template in ordered for i in template.items if i.national is not None}
    with Session(get_engine()) as session:
        stored = session.exec(select(func.count()).select_from(NationalAggregate)).one()
        changed = england.recompute_aggregates(session, items)
        if changed:
            audit.record(
                session,
                actor=None,
                action="recompute",
                object_type="national_aggregate",
                summary=(
                    f"Worked England's slope index of inequality out again: {changed} of "
                    f"{stored} stored aggregates changed"
                ),
            )
        session.commit()
    click.echo(f"England's stored aggregates: {stored}, changed: {changed}")


WORKER_NICENESS = 10
"""How much lower than the web server's the worker's CPU priority is: its jobs (imports,
drawing charts before anyone asks) take seconds to minutes, and on a machine it shares
with gunicorn a page someone is waiting for should come first."""


@click.command("worker")
@click.option("--workers", default=1, show_default=True, help="Worker threads")
@click.option(
    "--nice",
    "niceness",
    default=WORKER_NICENESS,
    show_default=True,
    type=click.IntRange(0, 19),
    help="Lower the worker's CPU priority by this much (0: as the web server's)",
)
@with_appcontext
def worker_command(workers: int, niceness: int) -> None:
    """Run the background worker: national imports, and charts drawn before anyone asks
    (until stopped)."""
    from monitor.jobs import start_worker

    if niceness:
        os.nice(niceness)
    start_worker(current_app._get_current_object(), workers=workers)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists")
@with_appcontext
def backup_command(path: Path, force: bool) -> None:
    """Write a consistent copy of the database to PATH (safe while the app runs)."""
    from monitor.services.backups import BackupError, backup

    try:
        result = backup(current_app.config["DATABASE_URL"], path, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Backed up the database (revision {result.revision or 'none'}, "
        f"{result.size_bytes:,} bytes) to {result.path}."
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.confirmation_option(
    "--yes",
    prompt="This replaces everything in the database with the backup. Continue?",
    help="Replace the database without asking",
)
@with_appcontext
def restore_command(path: Path) -> None:
    """Replace the database with a backup made by `monitor backup` (stop the app first)."""
    from alembic.script import ScriptDirectory

    from monitor.services.backups import BackupError, restore

    database_url = current_app.config["DATABASE_URL"]
    script = ScriptDirectory.from_config(alembic_config(database_url))
    known = {revision.revision for revision in script.walk_revisions()}
    current_app.extensions["monitor.engine"].dispose()  # this process holds it open no more
    try:
        revision = restore(database_url, path, known_revisions=known)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored the database from {path} (revision {revision}).")
    if revision != script.get_current_head():
        click.echo("It is older than this version of the app: run `monitor db upgrade` next.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(onboard_command)
    app.cli.add_command(import_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(template_command)
    app.cli.add_command(recompute_england_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(demo_sign_ins_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def main() -> None:
    from monitor import create_app

    FlaskGroup(create_app=lambda: create_app(), help="HEP Impact Monitor").main(prog_name="monitor")


__all__ = ["alembic_config", "main", "upgrade_database"]
