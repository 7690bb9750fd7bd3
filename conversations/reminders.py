"""The reminder dispatcher: sends what is due, in each person's language and safe hours.

A job wakes it every few seconds (APScheduler only wakes it: the rows are the truth). A
late reminder still useful is sent late; one no longer useful is skipped and, if it was
for a supported person, their worker is told. Telegram's faults are handled here: 429 is
waited out, 5xx and timeouts are retried with back-off up to a limit, 403 (the person
blocked the bot) fails at once; every failure reaches the worker.
"""

import asyncio
import heapq
import itertools
import logging
from collections import deque
from datetime import date, datetime, time, timedelta
from time import monotonic

from telegram import InlineKeyboardMarkup, Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.buttons import ReminderAnswer
from bot.context import RelaisApplication, RelaisContext
from bot.errors import describe
from bot.i18n import N_, _, format_datetime, language_of, ngettext, use_language
from bot.labels import (
    appointment_kind_label,
    cannot_come_label,
    phase_label,
    reminder_kind_label,
)
from bot.limits import fit_lines
from bot.pacing import PacedRateLimiter
from conversations.alerts import escalate_case
from conversations.beneficiary import send_to_beneficiary
from conversations.common import refuse_button, remove_buttons, tell
from conversations.review_pack import send_review_pack
from domain.reminders import RETRY_LIMIT, carrier, retry_delay, review_notices, send_time
from domain.vocabulary import AppointmentStatus, ReminderKind, ReminderStatus, Role
from storage.appointments import (
    appointments_on,
    get_appointment,
    record_cannot_come,
)
from storage.cases import case_events, get_case, open_cases
from storage.database import session_scope
from storage.members import active_members, get_member
from storage.models import Appointment, Beneficiary, Case, Member, Reminder
from storage.reminders import (
    Referred,
    announces,
    claim_due,
    finish,
    keep_claim,
    note_payload,
    owed_together,
    plan_now,
    referred,
    release_stuck,
    retry_later,
)

K, S = ReminderKind, ReminderStatus
BENEFICIARY_KINDS = (K.APPOINTMENT_EVE, K.APPOINTMENT_SOON)
AHEAD = 4  # batches claimed and not yet handled, at most
# A reminder that waited for its person's pace, or this long behind the others' sends, is
# read again before it goes (a few seconds: the claimed batches ahead of it, pacing off).
FRESH = 5.0
Queued = tuple[Reminder, Referred, float]  # the reminder, its batch's facts, read when
logger = logging.getLogger(__name__)


async def dispatch(context: RelaisContext) -> None:
    """Job: send every due reminder (a batch at a time)."""
    await dispatch_due(context.relais)


async def dispatch_due(application: RelaisApplication, batch: int = 50) -> int:
    """Send what is due now; returns how many reminders were handled.

    Each person's reminders go out in order, one after the other; different people's side by
    side, so that one person's pace (a message a second) holds nobody else back. A batch is
    claimed once fewer than AHEAD batches wait to be handled."""
    stuck_after = timedelta(seconds=application.settings.dispatch_stuck_seconds)
    release_stuck(application.engine, application.now() - stuck_after)
    lanes = _Lanes(application, room=AHEAD * batch)
    handled, failure = 0, None
    async with asyncio.TaskGroup() as group:
        try:
            while True:
                await lanes.room_for(batch)
                reminders = claim_due(application.engine, application.now(), batch)
                if not reminders:
                    break
                batch_referred = referred(application.engine, reminders, application.now())
                for reminder in reminders:
                    lanes.add(group, reminder, batch_referred)
                handled += len(reminders)
        except Exception as error:  # raised below, once the queues are empty
            # Raised here, it would cancel the queues mid-send: what they hold goes first.
            failure = error
    if failure is not None:
        raise failure
    return handled


class _Lanes:
    """One queue of reminders per person, each emptied by a task of its own. The sends
    themselves go one at a time: side by side they cost more than they save (on one core,
    benchmarks/dispatch.py), and a crash repeats at most the one message in flight. Only the
    wait for a person's pace is side by side."""

    def __init__(self, application: RelaisApplication, room: int) -> None:
        self.application, self.room = application, room
        self.queues: dict[int, deque[tuple[Reminder, Referred]]] = {}
        self.waiting = 0  # claimed, not handled yet
        self.freed = asyncio.Event()
        self.turns = _Turns()

    async def room_for(self, count: int) -> None:
        while self.waiting + count > self.room:
            self.freed.clear()
            await self.freed.wait()

    def add(self, group: asyncio.TaskGroup, reminder: Reminder, batch: Referred) -> None:
        queue = self.queues.get(reminder.member_id)
        if queue is None:
            queue = self.queues[reminder.member_id] = deque()
            group.create_task(self._empty(reminder.member_id, queue))
        queue.append((reminder, batch, monotonic()))
        self.waiting += 1

    async def _empty(self, member_id: int, queue: deque[Queued]) -> None:
        limiter = self.application.bot.rate_limiter
        paced = False  # once this person's pace held the queue, what follows is read again
        while queue:
            reminder, batch, read_at = queue.popleft()
            member = batch.members.get(member_id)
            if member is not None and isinstance(limiter, PacedRateLimiter):
                paced = await limiter.chat_ready(member.telegram_id) or paced
            await self.turns.take(priority=len(queue))
            try:
                await self._turn(reminder, batch, stale=paced or monotonic() - read_at > FRESH)
            finally:
                self.turns.give()
            self.waiting -= 1
            self.freed.set()
        del self.queues[member_id]

    async def _turn(self, reminder: Reminder, batch: Referred, stale: bool) -> None:
        """One reminder, on what is true now: after a wait its facts are read again (the
        person may have withdrawn, the appointment moved), and a claim another dispatcher
        took back meanwhile (DISPATCH_STUCK_SECONDS) is left to it."""
        engine = self.application.engine
        try:
            if stale:
                if not keep_claim(engine, reminder, self.application.now()):
                    return
                batch = referred(engine, [reminder], self.application.now())
            await _handle(self.application, reminder, batch)
        except Exception as error:  # one reminder's fault stops no other
            # Left "sending": released after DISPATCH_STUCK_SECONDS and tried again.
            logger.error("reminder %s not handled: %s", reminder.id, describe(error))


class _Turns:
    """One send at a time; of the lanes waiting, the one with the most still to send goes
    next, so that a person owed many at once gets one whenever their pace allows and is not
    left to last (30 reminders to one person take 30 s at one a second)."""

    def __init__(self) -> None:
        self.busy = False
        self.waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self.order = itertools.count()

    async def take(self, priority: int) -> None:
        if not self.busy and not self.waiting:
            self.busy = True
            return
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiting, (-priority, next(self.order), turn))
        try:
            await turn  # handed over by `give`: still busy
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.give()  # handed over just as it was cancelled: pass it on
            raise

    def give(self) -> None:
        while self.waiting:
            _priority, _order, turn = heapq.heappop(self.waiting)
            if not turn.done():
                turn.set_result(None)
                return
        self.busy = False


async def _handle(application: RelaisApplication, reminder: Reminder, batch: Referred) -> None:
    now = application.now()
    member = batch.members.get(reminder.member_id)
    appointment = batch.appointments.get(reminder.appointment_id or 0)
    profile = batch.profiles.get(reminder.member_id)
    if member is None or not member.active or _withdrawn(member, profile):
        finish(application.engine, reminder.id, S.CANCELLED, now)
        return
    if appointment is not None and appointment.status is not AppointmentStatus.SCHEDULED:
        finish(application.engine, reminder.id, S.CANCELLED, now)
        return
    to_person = reminder.kind in BENEFICIARY_KINDS and appointment is not None
    if to_person and appointment.cannot_come_at is not None:
        finish(application.engine, reminder.id, S.CANCELLED, now, "cannot_come")
        return
    allowed = _allowed_time(application, reminder, member, profile, appointment, now)
    if allowed is None:
        finish(application.engine, reminder.id, S.SKIPPED, now, "too_late")
        await _tell_worker(
            application, reminder, N_("trop tard : le bot était arrêté ou Telegram injoignable")
        )
        return
    if reminder.kind is K.ESCALATION:
        await _escalate(application, reminder, batch.cases.get(reminder.case_id or 0))
        return
    if to_person and carrier(owed_together(batch, reminder)) != reminder.kind:
        finish(application.engine, reminder.id, S.CANCELLED, now, "merged")
        return
    if allowed > now:
        retry_later(application.engine, reminder.id, allowed, "safe_hours")
        return
    await _send(application, reminder, member, appointment, batch.cases.get(reminder.case_id or 0))


async def _escalate(application: RelaisApplication, reminder: Reminder, case: Case | None) -> None:
    if case is None or case.assigned_worker_id is not None:
        finish(application.engine, reminder.id, S.CANCELLED, application.now())
        return
    await escalate_case(application, case)
    finish(application.engine, reminder.id, S.SENT, application.now())


def _withdrawn(member: Member, profile: Beneficiary | None) -> bool:
    if member.role is not Role.BENEFICIARY:
        return False
    return profile is None or profile.withdrawn_at is not None or profile.consent_at is None


def _allowed_time(
    application: RelaisApplication,
    reminder: Reminder,
    member: Member,
    profile: Beneficiary | None,
    appointment: Appointment | None,
    now: datetime,
) -> datetime | None:
    """When the reminder may go out, from now on; None when that is past its grace, which
    counts from the time it was owed however often it was held or retried."""
    safe = (profile.safe_from, profile.safe_until) if member.role is Role.BENEFICIARY else None
    return send_time(
        reminder.kind,
        reminder.original_due_at,
        now,
        appointment.starts_at if appointment else None,
        application.settings.zone,
        application.programme.reminders,
        safe,
    )


async def _send(
    application: RelaisApplication,
    reminder: Reminder,
    member: Member,
    appointment: Appointment | None,
    case: Case | None,
) -> None:
    now = application.now()
    try:
        if reminder.kind is K.QUARTERLY_REVIEW:
            await _send_review(application, reminder, member)
        elif not await _send_text(application, reminder, member, appointment, case):
            finish(application.engine, reminder.id, S.SKIPPED, now, "nothing_to_say")
            return
    except Forbidden:
        finish(application.engine, reminder.id, S.FAILED, now, "blocked")
        await _tell_worker(application, reminder, N_("la personne a bloqué le bot"))
    except RetryAfter as error:
        retry_later(
            application.engine, reminder.id, now + _seconds(error.retry_after), "flood_control"
        )
    except (TimedOut, NetworkError):
        await _retry_or_fail(application, reminder, "unreachable")
    except TelegramError:
        finish(application.engine, reminder.id, S.FAILED, now, "refused")
        await _tell_worker(application, reminder, N_("Telegram a refusé le message"))
    else:
        finish(application.engine, reminder.id, S.SENT, now)


async def _send_text(
    application: RelaisApplication,
    reminder: Reminder,
    member: Member,
    appointment: Appointment | None,
    case: Case | None,
) -> bool:
    """The reminder's one message; False when it has nothing to say."""
    with use_language(language_of(member, application.settings.default_language)):
        text, keyboard = _content(application, reminder, member, appointment, case)
    if text is None:
        return False
    if member.role is Role.BENEFICIARY:
        # Protected from forwarding, silent in discreet mode, recorded for /effacer.
        await send_to_beneficiary(application, member, text, keyboard)
    else:
        await application.bot.send_message(member.telegram_id, text, reply_markup=keyboard)
    return True


async def _send_review(application: RelaisApplication, reminder: Reminder, member: Member) -> None:
    """The quarterly review's notice: the review pack (a message and its file). A retry after
    the file failed does not send the message again."""
    with use_language(language_of(member, application.settings.default_language)):
        await send_review_pack(
            application,
            member,
            member.telegram_id,
            date.fromisoformat(reminder.payload["day"]),
            "notice",
            message=not reminder.payload.get("said", False),
            said=lambda: note_payload(application.engine, reminder.id, said=True),
        )


def _seconds(retry_after: int | timedelta) -> timedelta:
    return retry_after if isinstance(retry_after, timedelta) else timedelta(seconds=retry_after)


async def _retry_or_fail(application: RelaisApplication, reminder: Reminder, error: str) -> None:
    now = application.now()
    if reminder.attempts < RETRY_LIMIT:
        retry_later(application.engine, reminder.id, now + retry_delay(reminder.attempts), error)
        return
    finish(application.engine, reminder.id, S.FAILED, now, error)
    await _tell_worker(application, reminder, N_("Telegram est resté injoignable"))


def _content(
    application: RelaisApplication,
    reminder: Reminder,
    member: Member,
    appointment: Appointment | None,
    case: Case | None,
) -> tuple[str | None, InlineKeyboardMarkup | None]:
    zone = application.settings.zone
    if reminder.kind in BENEFICIARY_KINDS and appointment is not None:
        # Neutral for everyone: it never names the association, the support or the case.
        text = _("Rappel : rendez-vous le {when}.").format(
            when=format_datetime(appointment.starts_at, zone)
        )
        keyboard = InlineKeyboardMarkup(
            [
                [
                    ReminderAnswer(answer="yes", reminder=reminder.id).button(_("Je viens")),
                    ReminderAnswer(answer="no", reminder=reminder.id).button(
                        _("Je ne peux pas venir")
                    ),
                ]
            ]
        )
        return text, keyboard
    if reminder.kind is K.DAILY_DIGEST:
        return _digest(application, member, reminder), None
    if reminder.kind is K.PHASE_CHECKPOINT and case is not None:
        days = int(reminder.payload.get("days", 0))
        return ngettext(
            "Dossier {reference} : la phase {phase} atteint sa durée maximale dans {days} jour.",
            "Dossier {reference} : la phase {phase} atteint sa durée maximale dans {days} jours.",
            days,
        ).format(
            reference=case.reference,
            phase=phase_label(reminder.payload.get("phase", "")),
            days=days,
        ), None
    if reminder.kind is K.STALE_CASE and case is not None:
        return _("Dossier {reference} : aucun événement depuis {days} jours.").format(
            reference=case.reference, days=application.programme.reminders.stale_case_days
        ), None
    return None, None


def _digest(application: RelaisApplication, member: Member, reminder: Reminder) -> str | None:
    day = reminder.payload.get("day")
    entries = (
        appointments_on(application.engine, member, day, application.settings.zone) if day else []
    )
    if not entries:
        return None
    lines = []
    for appointment, case in entries:
        line = f"• {appointment.starts_at.astimezone(application.settings.zone):%H:%M} — {case.reference} — {appointment_kind_label(appointment.kind)} — {appointment.place}"
        if appointment.cannot_come_at is not None:
            line = f"{line} — {cannot_come_label()}"
        lines.append(line)
    return fit_lines(_("Vos rendez-vous du jour :"), lines, _more_appointments)


def _more_appointments(count: int) -> str:
    return ngettext(
        "… et {count} autre rendez-vous : /rdv", "… et {count} autres rendez-vous : /rdv", count
    ).format(count=count)


async def plan_periodic(context: RelaisContext) -> None:
    """Job: plan the reminders no single change triggers — stale cases, quarterly reviews."""
    application = context.relais
    now, rules, zone = (
        application.now(),
        application.programme.reminders,
        application.settings.zone,
    )
    for case in open_cases(application.engine):
        if case.imported or case.assigned_worker_id is None:
            continue  # nobody to tell (the programme's history is never reminded)
        events = case_events(application.engine, case.id)
        if events and events[-1].at <= now - timedelta(days=rules.stale_case_days):
            plan_now(
                application.engine,
                f"stale:{case.id}:{events[-1].id}",
                K.STALE_CASE,
                case.assigned_worker_id,
                now,
                case_id=case.id,
            )
    for day, notice in review_notices(rules, zone).items():
        if notice <= now < datetime.combine(day, time(0), tzinfo=zone):
            for person in _review_members(application):
                plan_now(
                    application.engine,
                    f"review:{day}:{person.id}",
                    K.QUARTERLY_REVIEW,
                    person.id,
                    notice,
                    payload={"day": day.isoformat()},
                )


def _review_members(application: RelaisApplication) -> list[Member]:
    """Who gets the quarterly review pack: the review's members, every active worker and
    landlord referent (the programme sheet's two and two), and the coordination (admins),
    who prepare and lead the meeting and answer for the programme's figures."""
    return [
        person
        for role in (Role.WORKER, Role.LANDLORD_REFERENT, Role.ADMIN)
        for person in active_members(application.engine, role)
    ]


async def _tell_worker(application: RelaisApplication, reminder: Reminder, why: str) -> None:
    """A supported person's reminder did not reach them: their worker must know which one."""
    if reminder.kind not in BENEFICIARY_KINDS or reminder.case_id is None:
        return
    case = get_case(application.engine, reminder.case_id)
    appointment = get_appointment(application.engine, reminder.appointment_id)
    worker = (
        get_member(application.engine, case.assigned_worker_id)
        if case and case.assigned_worker_id
        else None
    )
    if worker is None or appointment is None:
        return
    await tell(
        application,
        worker,
        lambda: _(
            "Dossier {reference} : le {reminder} du rendez-vous {kind} du {when} n'a pas pu être envoyé à la personne ({why})."
        ).format(
            reference=case.reference,
            reminder=reminder_kind_label(reminder.kind),
            kind=appointment_kind_label(appointment.kind),
            when=format_datetime(appointment.starts_at, application.settings.zone),
            why=_(why),
        ),
        "Failed reminder notice",
    )


async def answer_reminder(update: Update, context: RelaisContext) -> None:
    """ "Je viens" / "Je ne peux pas venir" under an appointment reminder."""
    query = update.callback_query
    answer = ReminderAnswer.read(update)
    with session_scope(context.engine) as session:
        reminder = session.get(Reminder, answer.reminder)
    if (
        reminder is None
        or reminder.member_id != context.known_member.id
        or reminder.appointment_id is None
    ):
        await refuse_button(update, context)
        return
    appointment = get_appointment(context.engine, reminder.appointment_id)
    # Moved or cancelled since the message: the answer would be about another appointment.
    current = appointment is not None and announces(reminder, appointment)
    await query.answer(
        _("Merci, c'est noté.")
        if current
        else _("Ce rendez-vous a changé depuis ce rappel : votre réponse n'est pas enregistrée."),
        show_alert=not current,
    )
    await remove_buttons(query)
    if not current or answer.answer != "no":
        return
    # Said once is enough: a second tap (the other reminder's message) tells nobody again.
    if record_cannot_come(
        context.engine, appointment.id, context.known_member, context.relais.now()
    ):
        await _tell_worker_cancelled(context.relais, reminder, appointment)


async def _tell_worker_cancelled(
    application: RelaisApplication, reminder: Reminder, appointment: Appointment
) -> None:
    case = get_case(application.engine, reminder.case_id) if reminder.case_id else None
    worker = (
        get_member(application.engine, case.assigned_worker_id)
        if case and case.assigned_worker_id
        else None
    )
    if worker is None:
        return
    await tell(
        application,
        worker,
        lambda: _(
            "Dossier {reference} : la personne ne pourra pas venir au rendez-vous du {when}."
        ).format(
            reference=case.reference,
            when=format_datetime(appointment.starts_at, application.settings.zone),
        ),
        "Cannot-come notice",
    )


def handlers() -> list[BaseHandler]:
    return [CallbackQueryHandler(answer_reminder, pattern=ReminderAnswer.pattern)]
