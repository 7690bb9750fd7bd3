"""Who may do what: the table every command is checked against (bot.buttons holds the
buttons' half), with the role groups both use.

A command or a button that is not in these tables is refused for everyone, so a new flow
cannot be reachable by accident. The gate in bot.access applies them before any handler.
"""

from dataclasses import dataclass

from bot.i18n import N_
from domain.vocabulary import OrganisationKind, Role

EVERYONE = frozenset(Role)
STAFF = EVERYONE - {Role.BENEFICIARY}
ADMINS = frozenset({Role.ADMIN})
WORKERS = frozenset({Role.WORKER})
REPORTERS = frozenset({Role.CORRESPONDENT, Role.GENDARMERIE, Role.SIAO, Role.WORKER, Role.ADMIN})
CASE_TEAM = frozenset({Role.WORKER, Role.ADMIN, Role.LANDLORD_REFERENT})
BENEFICIARIES = frozenset({Role.BENEFICIARY})


@dataclass(frozen=True)
class Command:
    fr: str
    en: str
    description: str  # a French text id, translated when shown
    roles: frozenset[Role]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.fr, self.en) if self.fr != self.en else (self.fr,)

    def name(self, language: str) -> str:
        return self.en if language == "en" else self.fr


START = Command("start", "start", N_("Accueil"), EVERYONE)
HELP = Command("aide", "help", N_("Ce que vous pouvez faire ici"), EVERYONE)
LANGUAGE = Command("langue", "language", N_("Changer de langue"), EVERYONE)
CANCEL = Command("annuler", "cancel", N_("Abandonner l'action en cours"), EVERYONE)
INVITE = Command("inviter", "invite", N_("Inviter une personne dans Relais"), ADMINS)
FLYER = Command("flyer", "flyer", N_("Un flyer à imprimer, pour demander l'accès"), ADMINS)
FLYERS = Command("flyers", "flyers", N_("Les liens des flyers, à révoquer"), ADMINS)
REPORT = Command("signaler", "report", N_("Signaler une situation"), REPORTERS)
CASES = Command("dossiers", "cases", N_("Les dossiers que vous suivez"), CASE_TEAM)
APPOINTMENTS = Command(
    "rdv",
    "appointments",
    N_("Mes prochains rendez-vous"),
    frozenset({Role.WORKER, Role.LANDLORD_REFERENT}),
)
JOURNAL = Command("journal", "journal", N_("Qui a vu ou changé un dossier"), ADMINS)
COMMISSION = Command(
    "commission", "commission", N_("Les dossiers à décider en commission"), CASE_TEAM
)
HOMES = Command("logements", "homes", N_("Les logements réservés"), CASE_TEAM)
# The programme's figures carry no personal data: the whole case team reads them, not only
# for the cases each one sees (admins and workers every landlord's, a landlord referent their
# landlord's: conversations.figures).
FIGURE_READERS = CASE_TEAM
FIGURES = Command(
    "chiffres",
    "stats",
    N_("Les chiffres du programme, en graphique et en tableur"),
    FIGURE_READERS,
)
# The quarterly review pack: the review's members (workers, landlord referents) and the
# coordination who prepares the review.
REVIEW = Command(
    "revue", "review", N_("Les dossiers ouverts pour la revue trimestrielle"), CASE_TEAM
)
MY_REPORTS = Command(
    "mes_signalements", "my_reports", N_("Où en sont mes signalements"), REPORTERS
)
EXPORT = Command(
    "exporter", "export", N_("Copie des données d'une personne (droit d'accès)"), ADMINS
)
ERASE_PERSON = Command(
    "anonymiser",
    "anonymise",
    N_("Effacer les données d'une personne (droit à l'effacement)"),
    ADMINS,
)
DEACTIVATE = Command(
    "desactiver", "deactivate", N_("Fermer l'accès d'une personne qui part"), ADMINS
)
# Every member but the supported person: a beneficiary's chat may be read by the person they
# flee (DOMAIN.md), and a list of violence services in it would say so; their worker gives
# them the numbers, and the supported person's messages stay neutral.
DIRECTORY = Command("annuaire", "directory", N_("Qui appeler, pour quelle situation"), STAFF)
STOP = Command("arreter", "stop", N_("Ne plus recevoir de messages"), BENEFICIARIES)
ERASE = Command("effacer", "erase", N_("Effacer cette conversation"), BENEFICIARIES)

COMMANDS: tuple[Command, ...] = (
    START,
    HELP,
    REPORT,
    MY_REPORTS,
    CASES,
    APPOINTMENTS,
    COMMISSION,
    HOMES,
    FIGURES,
    REVIEW,
    DIRECTORY,
    LANGUAGE,
    CANCEL,
    INVITE,
    FLYER,
    FLYERS,
    JOURNAL,
    DEACTIVATE,
    EXPORT,
    ERASE_PERSON,
    STOP,
    ERASE,
)
_BY_NAME = {name: command for command in COMMANDS for name in command.names}

# The roles an admin can invite from the chat; beneficiaries are invited on their case (#5).
INVITABLE_ROLES: tuple[Role, ...] = (
    Role.CORRESPONDENT,
    Role.GENDARMERIE,
    Role.SIAO,
    Role.WORKER,
    Role.LANDLORD_REFERENT,
    Role.ADMIN,
)

# The roles a flyer's link can give: the partners who report. Coordination and case roles
# stay by one-time invitation, for one known person.
FLYER_ROLES: tuple[Role, ...] = (Role.CORRESPONDENT, Role.GENDARMERIE, Role.SIAO)

_USUAL_ORGANISATION = {
    Role.ADMIN: OrganisationKind.LANDLORD,
    Role.CORRESPONDENT: OrganisationKind.LANDLORD,
    Role.LANDLORD_REFERENT: OrganisationKind.LANDLORD,
    Role.WORKER: OrganisationKind.ASSOCIATION,
    Role.GENDARMERIE: OrganisationKind.GENDARMERIE,
    Role.SIAO: OrganisationKind.SIAO,
    Role.BENEFICIARY: OrganisationKind.OTHER,
}


def command_name(text: str | None) -> str | None:
    """The command a message starts with ("/Aide@relais_bot x" → "aide"), or None."""
    if not text or not text.startswith("/"):
        return None
    return text.split()[0][1:].split("@")[0].lower()


def command_named(name: str) -> Command | None:
    return _BY_NAME.get(name.lower())


def command_allowed(name: str, role: Role) -> bool:
    command = command_named(name)
    return command is not None and role in command.roles


def commands_for(role: Role) -> list[Command]:
    return [command for command in COMMANDS if role in command.roles]


def usual_organisation_kind(role: Role) -> OrganisationKind:
    """The kind of organisation a new organisation typed for this role most likely is."""
    return _USUAL_ORGANISATION[role]
