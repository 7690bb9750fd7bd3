"""`python -m bot`: run the bot, or administer it from the server's shell."""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from telegram import Bot, Update
from telegram.helpers import create_deep_linked_url

from bot.app import build_application, configure_logging, prepare_database
from bot.operations import BackupError, backup, health, rekey_audit, verify_audit
from bot.permissions import usual_organisation_kind
from bot.settings import Settings, SettingsError, load_settings, webhook_options
from conversations.reminders import dispatch_due
from domain.programme import ProgrammeError
from domain.vocabulary import OrganisationKind, Role
from storage.crypto import EncryptionKeyError, new_key, rotate
from storage.database import SchemaTooNew, schema_revision
from storage.invitations import create_invitation
from storage.members import ORGANISATION_NAME_MAX, ensure_organisation
from storage.sites import SitesFileError
from storage.transfer import TransferRefused, copy_database
from storage.types import utcnow

EXIT_CONFIG = 2
DISPATCH_PAUSE_SECONDS = 5


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
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
        if arguments.command == "dispatch":
            configure_logging(settings.log_format == "json")
            return asyncio.run(_dispatch(settings, once=arguments.once))
        return _run(settings, webhook=arguments.webhook)
    except (
        SettingsError,
        SitesFileError,
        ProgrammeError,
        EncryptionKeyError,
        SchemaTooNew,
        BackupError,
        TransferRefused,
    ) as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG


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
    invite = commands.add_parser("invite", help="print a one-time invitation link")
    invite.add_argument("--role", required=True, choices=[role.value for role in Role])
    invite.add_argument(
        "--org",
        required=True,
        type=_organisation_name,
        help='organisation name, e.g. "Sarthe Habitat"',
    )
    invite.add_argument(
        "--org-kind",
        choices=[kind.value for kind in OrganisationKind],
        help="kind of a new organisation (default: the usual one for the role)",
    )
    return parser


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
    if options is not None:
        application.run_webhook(**options, allowed_updates=Update.ALL_TYPES)
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
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


async def _invite(settings: Settings, arguments: argparse.Namespace) -> int:
    token = settings.require_token()
    role = Role(arguments.role)
    kind = (
        OrganisationKind(arguments.org_kind)
        if arguments.org_kind
        else usual_organisation_kind(role)
    )
    engine = prepare_database(settings)
    organisation = ensure_organisation(engine, arguments.org, kind)
    # The link names the bot, which only the Bot API knows: ask it before creating anything.
    async with Bot(token, base_url=settings.bot_api_base_url) as bot:
        username = bot.username
    invitation = create_invitation(
        engine, role=role, organisation_id=organisation.id, ttl=settings.invite_ttl
    )
    print(create_deep_linked_url(username, invitation.token))
    print(invitation.token)
    return 0
