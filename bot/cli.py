"""`python -m bot`: run the bot, or administer it from the server's shell."""

import argparse
import asyncio
import errno
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.exc import DatabaseError, DBAPIError, InterfaceError, OperationalError
from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError
from telegram.helpers import create_deep_linked_url
from tqdm import tqdm

from bot.app import build_application, configure_logging, prepare_database
from bot.flyer import render_flyer
from bot.i18n import compile_catalogs
from bot.operations import BackupError, backup, health, rekey_audit, verify_audit
from bot.permissions import FLYER_ROLES, usual_organisation_kind
from bot.report import FORMATS, annual_review, figures_csv, parse_day
from bot.settings import (
    SUPPORTED_LANGUAGES,
    Settings,
    SettingsError,
    load_settings,
    webhook_options,
)
from bot.spreadsheets import workbook
from conversations.reminders import dispatch_due
from domain.figures import COUNTED_STEPS, Selection
from domain.partners import PartnersError
from domain.periods import days
from domain.programme import ProgrammeError, load_programme
from domain.vocabulary import CaseKind, CaseStatus, OrganisationKind, Role, SourceKind
from storage.crypto import EncryptionKeyError, new_key, rotate
from storage.database import SchemaTooNew, schema_revision
from storage.figures import STEPS, read_period
from storage.flyers import create_flyer, new_token
from storage.history import HistoryFileError, import_history, read_history_file
from storage.invitations import create_invitation
from storage.members import ORGANISATION_NAME_MAX, ensure_organisation, landlords
from storage.sites import SitesFileError
from storage.transfer import TransferRefused, copy_database
from storage.types import utcnow

EXIT_CONFIG = 2
# The database or the Bot API cannot be reached: worth trying again (systemd does, not on 2).
EXIT_UNREACHABLE = 1
DISPATCH_PAUSE_SECONDS = 5
DETAIL_MAX = 200  # characters of an error's own words on the line that reports it
FLYER_DAYS_MAX = 3660  # ten years: as FLYER_TTL_DAYS


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    # PTB logs a Bot API answer that is not JSON whole (the error page of a wrong
    # TELEGRAM_API_BASE_URL, which can quote the token) before raising the TelegramError
    # reported below in one line.
    logging.getLogger("telegram.request.BaseRequest").setLevel(logging.CRITICAL)
    if arguments.command == "playground":
        return _playground(arguments.port)
    try:
        settings = load_settings()
        if arguments.command == "new-key":
            print(new_key())
            return 0
        if arguments.command == "rotate-key":
            engine = prepare_database(settings)
            rewritten = rotate(engine)
            print(f"{rewritten} rows re-encrypted with the first key of ENCRYPTION_KEYS.")
            audit = rekey_audit(engine, settings, utcnow())
            print(audit)
            return 0 if audit.ok else 1
        if arguments.command == "verify-audit":
            audit = verify_audit(settings)
            print(audit)
            return 0 if audit.ok else 1
        if arguments.command == "invite":
            return asyncio.run(_invite(settings, arguments))
        if arguments.command == "flyer":
            return asyncio.run(_flyer(settings, arguments))
        if arguments.command == "check":
            checks = asyncio.run(health(settings))
            print("\n".join(str(check) for check in checks))
            return 0 if all(check.ok for check in checks) else 1
        if arguments.command == "backup":
            pages = backup(settings, arguments.path)
            print(f"Backup written to {arguments.path} ({pages} pages).")
            return 0
        if arguments.command == "migrate":
            engine = prepare_database(settings)
            print(f"The database's schema is at {schema_revision(engine)}.")
            return 0
        if arguments.command == "copy-to":
            copied = copy_database(prepare_database(settings), arguments.url)
            print(f"{sum(copied.values())} rows copied; now set DATABASE_URL to the new database.")
            return 0
        if arguments.command == "import-history":
            return _import_history(settings, arguments.file, dry_run=arguments.dry_run)
        if arguments.command == "report":
            return _report(settings, arguments)
        if arguments.command == "dispatch":
            configure_logging(settings.log_format == "json")
            return asyncio.run(_dispatch(settings, once=arguments.once))
        return _run(settings, webhook=arguments.webhook)
    except (
        SettingsError,
        SitesFileError,
        ProgrammeError,
        PartnersError,
        EncryptionKeyError,
        SchemaTooNew,
        BackupError,
        TransferRefused,
    ) as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    except HistoryFileError as error:
        print(error, file=sys.stderr)
        return 1
    except TelegramError as error:
        print(_bot_api_problem(settings, error), file=sys.stderr)
        return _bot_api_exit_status(error)
    except DBAPIError as error:
        if not _database_unusable(error):
            raise  # a fault of the code, not of the database: its traceback is for a maintainer
        print(_database_problem(error, arguments.command), file=sys.stderr)
        return EXIT_UNREACHABLE


def _bot_api_problem(settings: Settings, error: TelegramError) -> str:
    """What failed on the way to the Bot API and what to check, in one line without the token."""
    where = settings.bot_api_base_url
    if isinstance(error, InvalidToken):  # PTB's message quotes the token: never print it
        return (
            f"The Bot API at {where} refused the bot's token: check TELEGRAM_BOT_TOKEN "
            "(@BotFather, /token) and TELEGRAM_API_BASE_URL."
        )
    detail = str(error)  # another server's error page can quote the address, and its token
    if settings.telegram_bot_token:
        detail = detail.replace(settings.telegram_bot_token.get_secret_value(), "<token>")
    detail = textwrap.shorten(detail, DETAIL_MAX, placeholder=" …")
    return (
        f"The Bot API at {where} cannot be reached ({type(error).__name__}: {detail}): "
        "check the server's network and TELEGRAM_API_BASE_URL."
    )


def _bot_api_exit_status(error: TelegramError) -> int:
    """A refused token is a wrong setting; anything else may pass if tried again."""
    return EXIT_CONFIG if isinstance(error, InvalidToken) else EXIT_UNREACHABLE


def _database_unusable(error: DBAPIError) -> bool:
    """No server, a refused user, a file that cannot be opened or is not a database."""
    return isinstance(error, OperationalError | InterfaceError) or type(error) is DatabaseError


def _database_problem(error: DBAPIError, command: str | None) -> str:
    """The driver's first line names the host or the file and the refusal; SQLAlchemy's own
    message would add the SQL statement and its values, which are not for a terminal."""
    lines = str(error.orig).strip().splitlines()
    detail = f"{type(error.orig).__name__}: {lines[0]}" if lines else type(error.orig).__name__
    urls = "DATABASE_URL and the URL given to copy-to" if command == "copy-to" else "DATABASE_URL"
    return (
        f"The database cannot be opened ({detail}): check {urls} (SQLite: a file in a folder "
        "Relais may write to; PostgreSQL: the server runs and accepts the user)."
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Relais, the Telegram bot.")
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on WEBHOOK_URL instead of polling (README, Operations)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the bot (the default)")
    commands.add_parser("check", help="is the database, its schema, the key, the Bot API fine?")
    backup_command = commands.add_parser(
        "backup", help="copy the SQLite database consistently, even while the bot runs"
    )
    backup_command.add_argument("path", type=Path, help="the backup file to write")
    commands.add_parser("migrate", help="bring the database's schema up to date")
    copy_to = commands.add_parser(
        "copy-to", help="copy the whole database into an empty PostgreSQL one (bot stopped)"
    )
    copy_to.add_argument("url", help="postgresql://user@host:5432/relais")
    playground = commands.add_parser(
        "playground", help="try Relais offline in a browser, without a token (README)"
    )
    playground.add_argument("--port", type=int, default=8080, help="the page's port on localhost")
    commands.add_parser("new-key", help="print a new encryption key (ENCRYPTION_KEYS)")
    commands.add_parser(
        "rotate-key",
        help="re-encrypt everything, re-key the audit trail, with the first of ENCRYPTION_KEYS",
    )
    commands.add_parser(
        "verify-audit", help="is the audit trail whole, and as long as its checkpoints say?"
    )
    dispatch = commands.add_parser("dispatch", help="send due reminders, beside the bot or alone")
    dispatch.add_argument("--once", action="store_true", help="send what is due now, then exit")
    history = commands.add_parser(
        "import-history",
        help="load the programme's cases kept before Relais (a CSV: README, Figures)",
    )
    history.add_argument("file", type=Path, help="the CSV file of the history")
    history.add_argument("--dry-run", action="store_true", help="check every row, import nothing")
    _report_parser(commands)
    invite = commands.add_parser("invite", help="print a one-time invitation link")
    _role_and_organisation(invite, tuple(Role), example="Sarthe Habitat")
    _flyer_parser(commands)
    return parser


def _role_and_organisation(
    command: argparse.ArgumentParser, roles: Sequence[Role], *, example: str
) -> None:
    """The role a link gives and the organisation it enrolls into (`invite`, `flyer`)."""
    command.add_argument("--role", required=True, choices=[role.value for role in roles])
    command.add_argument(
        "--org",
        required=True,
        type=_organisation_name,
        help=f'organisation name, e.g. "{example}"',
    )
    command.add_argument(
        "--org-kind",
        choices=[kind.value for kind in OrganisationKind],
        help="kind of a new organisation (default: the usual one for the role)",
    )


def _flyer_parser(commands: argparse._SubParsersAction) -> None:
    flyer = commands.add_parser(
        "flyer", help="write a printable flyer whose link lets partners ask for access"
    )
    _role_and_organisation(flyer, FLYER_ROLES, example="Brigade de Sablé-sur-Sarthe")
    flyer.add_argument("-o", "--output", required=True, type=Path, help="the PDF file to write")
    flyer.add_argument("--lang", default=SUPPORTED_LANGUAGES[0], choices=SUPPORTED_LANGUAGES)
    flyer.add_argument(
        "--days",
        type=_flyer_days,
        help="how long its link opens requests (default FLYER_TTL_DAYS)",
    )


def _flyer_days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= FLYER_DAYS_MAX:
        raise argparse.ArgumentTypeError(f"a whole number of days from 1 to {FLYER_DAYS_MAX}")
    return int(text)


def _report_parser(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report", help="the programme's figures for a period (the funder's report)"
    )
    report.add_argument("--from", dest="first", required=True, type=_day, help="2015-01-01")
    report.add_argument("--to", dest="last", required=True, type=_day, help="2018-12-31")
    report.add_argument("--kind", choices=[kind.value for kind in CaseKind])
    report.add_argument("--source", choices=[source.value for source in SourceKind])
    report.add_argument("--qpv", choices=("yes", "no"), help="only cases in (or outside) a QPV")
    report.add_argument("--landlord", help="only the cases of this landlord organisation")
    report.add_argument("--format", default="md", choices=FORMATS)
    report.add_argument("-o", "--output", type=Path, help="the file to write (default: stdout)")
    report.add_argument("--lang", default=SUPPORTED_LANGUAGES[0], choices=SUPPORTED_LANGUAGES)


def _day(text: str) -> date:
    try:
        return parse_day(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _report(settings: Settings, arguments: argparse.Namespace) -> int:
    if arguments.last < arguments.first:
        print("The period ends before it starts: --to comes after --from.", file=sys.stderr)
        return EXIT_CONFIG
    if arguments.format == "xlsx" and arguments.output is None:
        print("A spreadsheet is written to a file: add -o FILE.xlsx.", file=sys.stderr)
        return EXIT_CONFIG
    engine = prepare_database(settings)
    programme = load_programme(settings.programme_file, settings.partners_file)
    period = days(arguments.first, arguments.last, settings.zone)
    landlord = None
    if arguments.landlord is not None:
        known = {organisation.name: organisation for organisation in landlords(engine)}
        landlord = known.get(" ".join(arguments.landlord.split()))
        if landlord is None:
            print(
                f"No landlord is called {arguments.landlord!r}; the landlords are: "
                f"{', '.join(known) or 'none yet'}.",
                file=sys.stderr,
            )
            return EXIT_CONFIG
    selection = Selection(
        kind=CaseKind(arguments.kind) if arguments.kind else None,
        source=SourceKind(arguments.source) if arguments.source else None,
        qpv=None if arguments.qpv is None else arguments.qpv == "yes",
        landlord=landlord.id if landlord else None,
    )
    # The spreadsheet dates every step of each case; the figures need only a few.
    steps = tuple(CaseStatus) if arguments.format == "xlsx" else COUNTED_STEPS
    now = utcnow()
    # A bar on stderr, only once it has taken more than a second (tqdm's delay).
    with tqdm(total=STEPS, delay=1, file=sys.stderr, desc="report", leave=False) as bar:
        reading = read_period(engine, period, bar.update, steps)
    figures = reading.figures(programme, now, selection)
    compile_catalogs()
    if arguments.format == "csv":
        content: str | bytes = figures_csv(figures)
    elif arguments.format == "xlsx":
        # One landlord's workbook lists its cases only.
        landlords_cases = Selection(landlord=selection.landlord)
        stories = [story for story in reading.stories if landlords_cases.takes(story)]
        content = workbook(figures, stories, period, arguments.lang, zone=settings.zone, now=now)
    else:
        content = annual_review(
            figures,
            period,
            selection,
            programme.figures,
            stale_days=programme.reminders.stale_case_days,
            zone=settings.zone,
            language=arguments.lang,
            landlord=landlord.name if landlord else None,
        )
    return _write(content, arguments.output)


def _write(content: str | bytes, output: Path | None) -> int:
    if output is None:
        sys.stdout.write(content if isinstance(content, str) else content.decode())
        return 0
    try:
        output.write_bytes(content if isinstance(content, bytes) else content.encode())
    except OSError as error:
        print(f"Cannot write {output}: {error.strerror}.", file=sys.stderr)
        return EXIT_UNREACHABLE
    print(f"Written to {output}.", file=sys.stderr)
    return 0


def _organisation_name(text: str) -> str:
    name = " ".join(text.split())
    if not name or len(name) > ORGANISATION_NAME_MAX:
        raise argparse.ArgumentTypeError(
            f"an organisation's name has 1 to {ORGANISATION_NAME_MAX} characters"
        )
    return name


def _playground(port: int) -> int:
    from playground.session import serve  # the offline tooling loads only when asked for

    configure_logging()
    # A trainer looks for the page's address: the fresh schema's migrations and the
    # scheduler's every run would bury it (production keeps them).
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        asyncio.run(serve(port))
    except KeyboardInterrupt:
        pass
    except OSError as error:
        print(f"The playground cannot listen on port {port}: {error.strerror}", file=sys.stderr)
        return EXIT_CONFIG
    return 0


def _run(settings: Settings, *, webhook: bool) -> int:
    settings.require_token()
    options = webhook_options(settings) if webhook else None
    configure_logging(settings.log_format == "json")
    application = build_application(settings)
    # Ask the Bot API once first: out of reach, it is one line (main), not PTB's traceback.
    asyncio.run(_bot_username(settings))
    if options is not None:
        application.run_webhook(**options, allowed_updates=Update.ALL_TYPES)
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def _import_history(settings: Settings, path: Path, *, dry_run: bool) -> int:
    """Every bad row on stderr and nothing imported, or every case imported at once."""
    programme = load_programme(settings.programme_file, settings.partners_file)
    now = utcnow()
    reading = read_history_file(
        path,
        redirection_services=programme.redirection_services,
        today=now.astimezone(settings.zone).date(),
    )
    engine = prepare_database(settings)
    result = import_history(engine, reading, settings.zone, now, dry_run=dry_run)
    if not result.ok:
        for bad in result.errors:
            print(bad, file=sys.stderr)
        print(
            f"Nothing imported: {len(result.errors)} problems in {path} (fix them, then import "
            "the whole file again).",
            file=sys.stderr,
        )
        return 1
    if dry_run:
        print(
            f"Every row is valid: {result.imported} cases would be imported "
            f"({result.already_there} already there). Nothing written (--dry-run)."
        )
    else:
        print(f"{result.imported} cases imported ({result.already_there} already there).")
    return 0


async def _dispatch(settings: Settings, *, once: bool) -> int:
    """A reminder dispatcher without the chat: several can share one PostgreSQL database."""
    application = build_application(settings)
    async with application:
        while True:
            await dispatch_due(application)
            if once:
                return 0
            await asyncio.sleep(DISPATCH_PAUSE_SECONDS)


async def _bot_username(settings: Settings) -> str:
    """Who the bot is (getMe): the first Bot API call, the one that fails when it is out of reach."""
    async with Bot(settings.require_token(), base_url=settings.bot_api_base_url) as bot:
        return bot.username


def _kind(arguments: argparse.Namespace, role: Role) -> OrganisationKind:
    if arguments.org_kind:
        return OrganisationKind(arguments.org_kind)
    return usual_organisation_kind(role)


async def _invite(settings: Settings, arguments: argparse.Namespace) -> int:
    settings.require_token()  # no token at all: refused before anything is created
    role = Role(arguments.role)
    engine = prepare_database(settings)
    organisation = ensure_organisation(engine, arguments.org, _kind(arguments, role))
    invitation = create_invitation(
        engine, role=role, organisation_id=organisation.id, ttl=settings.invite_ttl
    )
    # The link names the bot, which only the Bot API knows. Without it the invitation still
    # works (/start <token>): say what failed, and give the link to complete by hand.
    try:
        username = await _bot_username(settings)
    except TelegramError as error:
        until = invitation.expires_at.astimezone(settings.zone)
        print(_bot_api_problem(settings, error), file=sys.stderr)
        print(
            f"The invitation is created and usable once, until {until:%Y-%m-%d %H:%M} "
            f"({settings.timezone}): put your bot's username in the link below, "
            "or send /start followed by the token to the bot.",
            file=sys.stderr,
        )
        print(f"https://t.me/<your bot's username>?start={invitation.token}")
        print(invitation.token)
        return _bot_api_exit_status(error)
    print(create_deep_linked_url(username, invitation.token))
    print(invitation.token)
    return 0


async def _flyer(settings: Settings, arguments: argparse.Namespace) -> int:
    """The PDF is written beside its place first, the link made next, then the PDF put in
    place: a path that cannot be written leaves no link, a link no flyer."""
    settings.require_token()
    role, output = Role(arguments.role), arguments.output
    # The link names the bot: without the Bot API there is no flyer to print (main says why).
    username = await _bot_username(settings)
    engine = prepare_database(settings)
    token = new_token()
    link = create_deep_linked_url(username, token)
    now, ttl = utcnow(), timedelta(days=arguments.days or settings.flyer_ttl_days)
    compile_catalogs()
    pdf = render_flyer(
        organisation=arguments.org,
        role=role,
        link=link,
        language=arguments.lang,
        valid_until=(now + ttl).astimezone(settings.zone).date(),
    )
    try:
        if output.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        partial = output.resolve().with_name(output.name + ".partial")
        partial.write_bytes(pdf)
    except OSError as error:
        print(f"Cannot write {output}: {error.strerror}. No link was created.", file=sys.stderr)
        return EXIT_UNREACHABLE
    try:
        organisation = ensure_organisation(engine, arguments.org, _kind(arguments, role))
        flyer = create_flyer(
            engine, token, role=role, organisation_id=organisation.id, ttl=ttl, now=now
        )
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    until = flyer.expires_at.astimezone(settings.zone)
    print(
        f"Flyer written to {output}: its link opens access requests until "
        f"{until:%Y-%m-%d} ({settings.timezone}).",
        file=sys.stderr,
    )
    print(link)
    return 0
