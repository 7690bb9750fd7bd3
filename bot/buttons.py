"""Every button of Relais: its callback data's shape and who may tap it.

This is the buttons' half of the permission table (bot.permissions holds the commands'):
bot.access lets a tap through only when its data is one of these buttons, whole and within
its bounds, and the member's role is among the button's roles. Only the new-case alert's
two buttons act in a group chat; only the consent question of a supported person's
invitation and the question of a flyer's link can be answered by someone who is not a
member yet.

What a member may do with the one case a button names is decided again by its flow
(domain.access): a role here is the first gate, not the last.
"""

from datetime import date
from typing import Annotated

from bot.callback_data import (
    Button,
    Dated,
    Id,
    Index,
    Integer,
    Matching,
    OneOf,
    declared,
    find,
)
from bot.permissions import (
    ADMINS,
    BENEFICIARIES,
    CASE_TEAM,
    EVERYONE,
    FIGURE_READERS,
    INVITABLE_ROLES,
    REPORTERS,
    STAFF,
    WORKERS,
)
from bot.settings import SUPPORTED_LANGUAGES
from domain.partners import Situation
from domain.periods import Span
from domain.referral import QUESTIONS
from domain.vocabulary import (
    ATTENDEE_KEYS,
    AppointmentKind,
    CaseKind,
    CaseStatus,
    Role,
)
from storage.homes import SIZES

Language = Annotated[str, OneOf(SUPPORTED_LANGUAGES)]
Status = Annotated[CaseStatus, OneOf(CaseStatus)]
AnyStatus = Annotated[CaseStatus | None, OneOf(CaseStatus, none="-")]
AnyKind = Annotated[CaseKind | None, OneOf(CaseKind, none="-")]
Scope = Annotated[str, OneOf(("m", "a"))]  # my cases, or all I may see
Page = Annotated[int, Integer(0, 999_999)]  # pages of five: more than there will be cases
# A move on the card: into a status, or the next support phase.
Target = Annotated[str, OneOf((*(status.value for status in CaseStatus), "phase"))]
Question = Annotated[str, OneOf(QUESTIONS)]
AnswerValue = Annotated[str, Matching(r"[a-z0-9_]{1,20}", "x" * 20)]
# An invitation token as storage.invitations makes it (URL-safe base64).
Token = Annotated[str, Matching(r"[A-Za-z0-9_-]{16,44}", "t" * 44)]
# A flyer's token as storage.flyers makes it.
FlyerToken = Annotated[str, Matching(r"f_[A-Za-z0-9_-]{32}", "f_" + "t" * 32)]
Minutes = Annotated[int, Integer(0, 1440)]  # minutes after local midnight
Hours = Annotated[int, Integer(0, 99)]
Month = Annotated[date, Dated("%Y-%m")]
Day = Annotated[date, Dated("%Y-%m-%d")]
# A time as minutes since the epoch (UTC): a slot offered to choose.
Slot = Annotated[int, Integer(0, 10**10)]
Bit = Annotated[int, Integer(0, 1)]
# A landlord organisation's id; 0: every landlord's (the whole programme).
Landlord = Annotated[int, Integer(0, 10**18 - 1)]

# ------------------------------------------------------------------ everyone


class ChooseLanguage(Button, shape="lang:{code}", roles=EVERYONE):
    code: Language


# ------------------------------------------------------------------ /inviter (admins)


class InviteRole(Button, shape="inv:role:{role}", roles=ADMINS):
    role: Annotated[Role, OneOf(INVITABLE_ROLES)]


class InviteOrganisation(Button, shape="inv:org:{organisation}", roles=ADMINS):
    organisation: Id


class OrganisationsPage(Button, shape="inv:orgs:{page}", roles=ADMINS):
    page: Page


class InviteNewOrganisation(Button, shape="inv:neworg", roles=ADMINS):
    pass


class InviteBack(Button, shape="inv:back", roles=ADMINS):
    pass


class InviteCancel(Button, shape="inv:cancel", roles=ADMINS):
    pass


# ------------------------------------------------------------------ flyers (admins)


class FlyersPage(Button, shape="fy:l:{page}", roles=ADMINS):
    """A page of /flyers (also « ← Retour » from a revocation's question)."""

    page: Page


class AskRevokeFlyer(Button, shape="fy:r:{flyer}", roles=ADMINS):
    flyer: Id


class RevokeFlyer(Button, shape="fy:R:{flyer}", roles=ADMINS):
    flyer: Id


class AcceptAccess(Button, shape="ar:y:{request}", roles=ADMINS):
    """« Accepter » under an access request sent to the admins."""

    request: Id


class RefuseAccess(Button, shape="ar:n:{request}", roles=ADMINS):
    request: Id


# A flyer's link opened by someone not yet a member: what is kept, then « Demander l'accès »
# or « Non merci ». A member who taps an old copy is told they have access already.


class AskAccess(Button, shape="ar:ask:{token}", roles=EVERYONE, for_strangers=True):
    token: FlyerToken


class NoAccess(Button, shape="ar:no:{token}", roles=EVERYONE, for_strangers=True):
    token: FlyerToken


# ------------------------------------------------------------------ /signaler (reporters)


class ReportAnswer(Button, shape="rep:{question}:={value}", roles=REPORTERS):
    question: Question
    value: AnswerValue


class ReportTick(Button, shape="rep:{question}:+{value}", roles=REPORTERS):
    """A choice ticked or unticked in a question that takes several."""

    question: Question
    value: AnswerValue


class ReportStep(Button, shape="rep:{question}:{step}", roles=REPORTERS):
    """Done with a multiple choice, skip an optional question, or go back."""

    question: Question
    step: Annotated[str, OneOf(("ok", "skip", "back"))]


class ReportEdit(Button, shape="rep:review:edit:{question}", roles=REPORTERS):
    question: Question


class ReportSend(Button, shape="rep:review:send", roles=REPORTERS):
    pass


class ReportCancel(Button, shape="rep:cancel", roles=REPORTERS):
    pass


class ReportResume(Button, shape="rep:resume", roles=REPORTERS):
    pass


class SitesPage(Button, shape="rep:{question}:page:{page}", roles=REPORTERS):
    """A page of the residences offered at the form's question « site »."""

    question: Annotated[str, OneOf(("site",))]
    page: Page


# ------------------------------------------------------------------ new-case alerts


class TakeCase(Button, shape="take:{case}", roles=WORKERS, in_groups=True):
    case: Id


class ViewCase(Button, shape="view:{case}", roles=WORKERS, in_groups=True):
    case: Id


# ------------------------------------------------------------------ /dossiers and the card


class CaseList(Button, shape="cs:l:{scope}:{status}:{kind}:{page}", roles=CASE_TEAM):
    scope: Scope
    status: AnyStatus
    kind: AnyKind
    page: Page


class StatusFilter(Button, shape="cs:s:{scope}:{kind}", roles=CASE_TEAM):
    scope: Scope
    kind: AnyKind


class CaseCard(Button, shape="cs:c:{case}", roles=CASE_TEAM):
    case: Id


class AskMove(Button, shape="cs:m:{case}:{target}", roles=CASE_TEAM):
    """A move from the card or /commission: its reasons, or « Confirmer »."""

    case: Id
    target: Target


class ConfirmMove(Button, shape="cs:y:{case}:{target}", roles=CASE_TEAM):
    case: Id
    target: Target


class MoveReason(Button, shape="cs:r:{case}:{target}:{reason}", roles=CASE_TEAM):
    """A move with its reason, the `reason`-th of the target's fixed list."""

    case: Id
    target: Status
    reason: Index


class ReasonsPage(Button, shape="cs:rp:{case}:{target}:{page}", roles=CASE_TEAM):
    """Another page of a move's reasons (the partners file's redirections can be many)."""

    case: Id
    target: Status
    page: Page


class Reopen(Button, shape="cs:o:{case}", roles=CASE_TEAM):
    case: Id


class ChooseWorker(Button, shape="cs:w:{case}", roles=CASE_TEAM):
    """« Réattribuer »: the workers to hand the case to."""

    case: Id


class ChooseReferent(Button, shape="cs:f:{case}", roles=CASE_TEAM):
    """« Référent bailleur »: the landlord referents to attach."""

    case: Id


class WorkersPage(Button, shape="cs:w:{case}:{page}", roles=CASE_TEAM):
    case: Id
    page: Page


class ReferentsPage(Button, shape="cs:f:{case}:{page}", roles=CASE_TEAM):
    case: Id
    page: Page


class HandTo(Button, shape="cs:W:{case}:{person}", roles=CASE_TEAM):
    case: Id
    person: Id


class AttachReferent(Button, shape="cs:F:{case}:{person}", roles=CASE_TEAM):
    case: Id
    person: Id


class AskTakeOver(Button, shape="cs:t:{case}", roles=CASE_TEAM):
    """« Reprendre ce dossier »: why?"""

    case: Id


class TakeOver(Button, shape="cs:T:{case}:{reason}", roles=CASE_TEAM):
    case: Id
    reason: Index


class AddNote(Button, shape="cs:n:{case}", roles=CASE_TEAM):
    case: Id


class ShowNotes(Button, shape="cs:N:{case}", roles=CASE_TEAM):
    """« Toutes les notes »: every note whole, where the card cut them."""

    case: Id


class NotesPage(Button, shape="cs:N:{case}:{page}", roles=CASE_TEAM):
    case: Id
    page: Page


class HomesPage(Button, shape="cs:h:{page}", roles=CASE_TEAM):
    """A page of /logements (which landlord referents read too)."""

    page: Page


class JournalPage(Button, shape="cs:j:{case}:{page}", roles=ADMINS):
    """A page of /journal."""

    case: Id
    page: Page


# What the card asks to be typed or chosen next (conversations.case_input).


class MeetingDay(Button, shape="ci:day:{days_back}", roles=CASE_TEAM):
    """The tripartite meeting was today (0) or yesterday (1)."""

    days_back: Bit


class ContractSigned(Button, shape="ci:consent", roles=CASE_TEAM):
    pass


class SkipNote(Button, shape="ci:skip", roles=CASE_TEAM):
    pass


class CancelInput(Button, shape="ci:cancel", roles=CASE_TEAM):
    pass


# ------------------------------------------------------------------ appointments (workers)


class CaseAppointments(Button, shape="ap:list:{case}", roles=WORKERS):
    case: Id


class CaseAppointmentsPage(Button, shape="ap:list:{case}:{page}", roles=WORKERS):
    case: Id
    page: Page


class NewAppointment(Button, shape="ap:new:{case}", roles=WORKERS):
    case: Id


class AppointmentHeld(Button, shape="ap:h:{appointment}", roles=WORKERS):
    appointment: Id


class AppointmentMissed(Button, shape="ap:m:{appointment}", roles=WORKERS):
    appointment: Id


class MoveAppointment(Button, shape="ap:mv:{appointment}", roles=WORKERS):
    appointment: Id


class AskCancelAppointment(Button, shape="ap:x:{appointment}", roles=WORKERS):
    appointment: Id


class CancelAppointment(Button, shape="ap:xr:{appointment}:{reason}", roles=WORKERS):
    appointment: Id
    reason: Index


class AppointmentKindChoice(Button, shape="ap:k:{kind}", roles=WORKERS):
    kind: Annotated[AppointmentKind, OneOf(AppointmentKind)]


class AppointmentSlot(Button, shape="ap:at:{minutes}", roles=WORKERS):
    minutes: Slot


class CalendarMonth(Button, shape="ap:cal:{month}", roles=WORKERS):
    month: Month


class CalendarDay(Button, shape="ap:day:{day}", roles=WORKERS):
    day: Day


class CalendarTitle(Button, shape="ap:noop", roles=WORKERS):
    """The calendar's month name: a button that does nothing."""


class AppointmentPlace(Button, shape="ap:pl:{place}", roles=WORKERS):
    place: Index


class AppointmentAttendee(Button, shape="ap:who:{attendee}", roles=WORKERS):
    attendee: Annotated[str, OneOf((*ATTENDEE_KEYS, "ok"))]


class SaveAppointment(Button, shape="ap:ok", roles=WORKERS):
    pass


class AbandonAppointment(Button, shape="ap:cancel", roles=WORKERS):
    pass


# ------------------------------------------------------------------ reserved homes


class AddHome(Button, shape="hm:add", roles=ADMINS):
    pass


class HomeSize(Button, shape="hm:size:{size}", roles=ADMINS):
    size: Annotated[str, OneOf(SIZES)]


class HomeQpv(Button, shape="hm:qpv:{answer}", roles=ADMINS):
    answer: Annotated[str, OneOf(("yes", "no"))]


class HomeKind(Button, shape="hm:kind:{kind}", roles=ADMINS):
    kind: Annotated[CaseKind, OneOf(CaseKind)]


class HomeLandlord(Button, shape="hm:ll:{landlord}", roles=ADMINS):
    landlord: Id


class PickHome(Button, shape="hm:pick:{case}", roles=WORKERS):
    case: Id


class HomesToPickPage(Button, shape="hm:pick:{case}:{page}", roles=WORKERS):
    case: Id
    page: Page


class GiveHome(Button, shape="hm:set:{case}:{home}", roles=WORKERS):
    case: Id
    home: Id


class FreeHome(Button, shape="hm:free:{case}", roles=WORKERS):
    case: Id


class CommissionLandlord(Button, shape="cm:l:{landlord}", roles=CASE_TEAM):
    """/commission with several landlords: one landlord's waiting cases, or all of them."""

    landlord: Landlord


# ------------------------------------------------------------------ /chiffres


class FiguresLandlord(Button, shape="fg:l:{landlord}", roles=FIGURE_READERS):
    """/chiffres with several landlords: the whole programme's, or one landlord's."""

    landlord: Landlord


class FiguresPeriod(Button, shape="fg:p:{span}:{landlord}", roles=FIGURE_READERS):
    """A period of /chiffres: its figures and their chart."""

    span: Annotated[Span, OneOf(Span)]
    landlord: Landlord = 0


class ExportFigures(Button, shape="fg:x:{span}:{format}:{landlord}", roles=FIGURE_READERS):
    """« Tableur (XLSX) » or « CSV » under a period's chart."""

    span: Annotated[Span, OneOf(Span)]
    format: Annotated[str, OneOf(("xlsx", "csv"))]
    landlord: Landlord = 0


# ------------------------------------------------------------------ /annuaire


class DirectoryStart(Button, shape="an:start", roles=STAFF):
    """Back to the situations."""


class DirectoryCommunes(Button, shape="an:c:{situation}:{page}", roles=STAFF):
    """A situation chosen: a page of the communes to pick from."""

    situation: Annotated[Situation, OneOf(Situation)]
    page: Page


class DirectoryServices(Button, shape="an:r:{situation}:{commune}:{page}", roles=STAFF):
    """Who to call: the `commune`-th commune of the directory's list (0: none in particular,
    the whole département's services), a page of them."""

    situation: Annotated[Situation, OneOf(Situation)]
    commune: Annotated[int, Integer(0, 9999)]
    page: Page


# ------------------------------------------------------------------ the supported person


class InvitePerson(Button, shape="bn:inv:{case}", roles=WORKERS):
    """The person of a case is invited to receive reminders (a link and its QR code)."""

    case: Id


class AcceptReminders(Button, shape="bf:ok:{token}", roles=BENEFICIARIES, for_strangers=True):
    token: Token


class DeclineReminders(Button, shape="bf:no:{token}", roles=BENEFICIARIES, for_strangers=True):
    token: Token


class PersonLanguage(Button, shape="bf:lang:{code}", roles=BENEFICIARIES):
    code: Language


class SafeHours(Button, shape="bf:h:{start}:{end}", roles=BENEFICIARIES):
    start: Minutes
    end: Minutes


class AutoDelete(Button, shape="bf:ad:{hours}", roles=BENEFICIARIES):
    hours: Hours


class ReminderAnswer(Button, shape="rm:{answer}:{reminder}", roles=BENEFICIARIES):
    """« Je viens » / « Je ne peux pas venir » under an appointment reminder."""

    answer: Annotated[str, OneOf(("yes", "no"))]
    reminder: Id


# ------------------------------------------------------------------ the coordination


class ConfirmErasure(Button, shape="er:ok:{case}", roles=ADMINS):
    case: Id


class KeepData(Button, shape="er:no", roles=ADMINS):
    pass


class ChooseLeaving(Button, shape="mb:off:{member}", roles=ADMINS):
    member: Id


class LeavingPage(Button, shape="mb:l:{page}", roles=ADMINS):
    """A page of /desactiver's members."""

    page: Page


class SuccessorsPage(Button, shape="mb:off:{member}:{page}", roles=ADMINS):
    """A page of the colleagues who may take a leaving worker's cases."""

    member: Id
    page: Page


class ConfirmLeaving(Button, shape="mb:ok:{member}", roles=ADMINS):
    member: Id


class LeaveTo(Button, shape="mb:to:{member}:{successor}", roles=ADMINS):
    """A worker leaves; their open cases go to `successor`."""

    member: Id
    successor: Id


# ------------------------------------------------------------------ the gate's questions


def allowed(data: str | None, role: Role, *, private: bool = True) -> bool:
    """May a member of this role tap this button (in a private chat, or a group)?"""
    button = find(data)
    return button is not None and role in button.roles and (private or button.in_groups)


def stranger_may(data: str | None) -> bool:
    """Is this a button someone not yet a member may tap (a consent or access question)?"""
    button = find(data)
    return button is not None and button.for_strangers


# Every button of Relais, in the order above: the authorization matrix and the fuzz test go
# through them all.
EVERY_BUTTON = declared()
