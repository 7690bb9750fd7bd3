"""/signaler: the guided referral form, one question per message.

The draft (storage.drafts) holds the answers and the current question; every answer is
saved at once, so a restart, a lost phone or a day's pause resumes at the same question.
domain.referral decides the questions and their order; this module only asks and listens.
"""

from contextlib import suppress

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import buttons, permissions
from bot.buttons import (
    ReportAnswer,
    ReportCancel,
    ReportEdit,
    ReportResume,
    ReportSend,
    ReportStep,
    ReportTick,
    SitesPage,
)
from bot.context import RelaisContext
from bot.i18n import _
from bot.limits import button_text, cut
from conversations import alerts
from conversations.common import (
    page_of,
    page_rows,
    persistent_flow,
    refuse_button,
    remove_buttons,
    replace_buttons,
)
from conversations.report_texts import (
    answer_label,
    emergency_numbers,
    example,
    option,
    prompt,
    short_name,
)
from domain.referral import (
    OTHER_SITE,
    QUESTIONS,
    REVIEW,
    VIA_REFERRER,
    Input,
    InvalidAnswer,
    Question,
    is_urgent,
    next_question,
    parse_button,
    parse_selection,
    parse_typed,
    previous_question,
    progress,
    relevant_answers,
)
from storage.cases import submit_report
from storage.drafts import discard_draft, find_draft, save_draft, start_draft
from storage.models import ReportDraft
from storage.sites import sites_for

FILLING = "filling"
FORM_BUTTONS = (
    ReportAnswer,
    ReportTick,
    ReportStep,
    ReportEdit,
    ReportSend,
    ReportCancel,
    ReportResume,
    SitesPage,
)
SELECTION = "_selection"  # multi-choice ticks not yet validated; never an answer itself


async def begin(update: Update, context: RelaisContext) -> str:
    member = context.known_member
    draft = find_draft(context.engine, member.id)
    if draft is None:
        draft = start_draft(context.engine, member.id, next_question({}), context.relais.now())
        await update.effective_message.reply_text(
            _(
                "Nouveau signalement. Une question par message ; « ← Retour » et « Annuler » sont sous chaque question. Notez seulement ce qui est utile au suivi."
            )
        )
    else:
        await update.effective_message.reply_text(
            _("Vous avez un signalement en cours : reprenons où vous en étiez.")
        )
    return await ask(update, context, draft)


async def on_button(update: Update, context: RelaisContext) -> str | int:
    query = update.callback_query
    draft = find_draft(context.engine, context.known_member.id)
    if draft is None:
        await query.answer(_("Ce signalement n'est plus en cours."), show_alert=True)
        return ConversationHandler.END
    button = buttons.find(query.data)
    if isinstance(button, ReportCancel):
        return await cancel(update, context)
    if isinstance(button, ReportResume):
        await query.answer()
        return await ask(update, context, draft)
    if isinstance(button, ReportSend | ReportEdit):
        if draft.current != REVIEW:
            await refuse_button(update, context)
            return FILLING
        if isinstance(button, ReportSend):
            return await _submit(update, context, draft)
        return await _edit(update, context, draft, button.question)
    assert isinstance(button, ReportAnswer | ReportTick | ReportStep | SitesPage)
    if button.question != draft.current:
        await refuse_button(update, context)
        return FILLING
    return await _on_question_button(update, context, draft, button)


async def _on_question_button(
    update: Update,
    context: RelaisContext,
    draft: ReportDraft,
    button: ReportAnswer | ReportTick | ReportStep | SitesPage,
) -> str:
    query = update.callback_query
    question = QUESTIONS[button.question]
    if isinstance(button, ReportStep) and button.step == "back":
        await query.answer()
        return await _go_back(update, context, draft)
    if isinstance(button, ReportTick) and question.input is Input.MULTI:
        return await _toggle(update, context, draft, button.value)
    if isinstance(button, SitesPage) and question.input is Input.SITE:
        return await _turn_page(update, context, draft, button.page)
    try:
        value = _button_answer(question, button, draft)
    except InvalidAnswer:
        await refuse_button(update, context)
        return FILLING
    if (
        question.input is Input.SITE
        and isinstance(value, int)
        and value not in {site.id for site in sites_for(context.engine, context.known_member)}
    ):  # another landlord's residence, or one withdrawn: not one the form offers
        await refuse_button(update, context)
        return FILLING
    await query.answer()
    await _close_question(context, draft, value)
    return await _record(update, context, draft, question.key, value)


def _button_answer(
    question: Question,
    button: ReportAnswer | ReportTick | ReportStep | SitesPage,
    draft: ReportDraft,
) -> object:
    if isinstance(button, ReportAnswer):
        return parse_button(question, button.value)
    if isinstance(button, ReportStep) and button.step == "skip" and question.optional:
        return None
    if isinstance(button, ReportStep) and button.step == "ok" and question.input is Input.MULTI:
        return parse_selection(question, draft.answers.get(SELECTION) or [])
    raise InvalidAnswer(question.key)


async def on_text(update: Update, context: RelaisContext) -> str | int:
    draft = find_draft(context.engine, context.known_member.id)
    if draft is None:
        await update.effective_message.reply_text(
            _("Ce signalement n'est plus en cours. /signaler pour en commencer un.")
        )
        return ConversationHandler.END
    if draft.current == REVIEW:
        await update.effective_message.reply_text(
            _("Relisez puis choisissez « Envoyer » ou « Modifier » sous le récapitulatif.")
        )
        return FILLING
    try:
        value = parse_typed(QUESTIONS[draft.current], update.effective_message.text or "")
    except InvalidAnswer:
        return await _reask(update, context, draft)
    await _close_question(context, draft, value)
    return await _record(update, context, draft, draft.current, value)


async def on_other(update: Update, context: RelaisContext) -> str | int:
    """A sticker, a photo, a voice message...: the same question again, with an example."""
    draft = find_draft(context.engine, context.known_member.id)
    if draft is None:
        return ConversationHandler.END
    if draft.current == REVIEW:
        return await on_text(update, context)
    return await _reask(update, context, draft)


async def cancel(update: Update, context: RelaisContext) -> int:
    draft = find_draft(context.engine, context.known_member.id)
    if draft is not None:
        discard_draft(context.engine, draft.id)
    text = _("Signalement abandonné : rien n'a été enregistré.")
    if update.callback_query is not None:
        await update.callback_query.answer()
        with suppress(BadRequest):
            await remove_buttons(update.callback_query)
    await update.effective_chat.send_message(text)
    return ConversationHandler.END


async def ask(update: Update, context: RelaisContext, draft: ReportDraft) -> str:
    """Send the draft's current question (or the review) as a new message."""
    if draft.current == REVIEW:
        text, keyboard = _review(context, draft)
    else:
        text, keyboard = _question(context, draft)
    message = await update.effective_chat.send_message(text, reply_markup=keyboard)
    draft.question_message_id = message.message_id
    save_draft(context.engine, draft, context.relais.now())
    return FILLING


async def _record(
    update: Update, context: RelaisContext, draft: ReportDraft, key: str, value: object
) -> str:
    answers = {k: v for k, v in draft.answers.items() if k != SELECTION}
    answers[key] = value
    draft.answers = answers
    draft.current = next_question(answers)
    draft.editing = False
    if key == "danger" and value == "yes":
        await update.effective_chat.send_message(emergency_numbers())
    return await ask(update, context, draft)


async def _go_back(update: Update, context: RelaisContext, draft: ReportDraft) -> str:
    answers = {k: v for k, v in draft.answers.items() if k != SELECTION}
    previous = REVIEW if draft.editing else previous_question(answers, draft.current)
    if previous is None:
        return FILLING
    if not draft.editing:
        answers.pop(previous, None)
    draft.answers, draft.current, draft.editing = answers, previous, False
    await _strip_keyboard(update.callback_query.message)
    return await ask(update, context, draft)


async def _toggle(update: Update, context: RelaisContext, draft: ReportDraft, value: str) -> str:
    query = update.callback_query
    if value not in QUESTIONS[draft.current].options:
        await refuse_button(update, context)
        return FILLING
    selection = list(draft.answers.get(SELECTION) or [])
    selection = [v for v in selection if v != value] if value in selection else [*selection, value]
    draft.answers = {**draft.answers, SELECTION: selection}
    save_draft(context.engine, draft, context.relais.now())
    await query.answer()
    await replace_buttons(query, _question(context, draft)[1])
    return FILLING


async def _turn_page(update: Update, context: RelaisContext, draft: ReportDraft, page: int) -> str:
    """« Suivants › » under the residences: the same question, other residences."""
    await update.callback_query.answer()
    await replace_buttons(update.callback_query, _question(context, draft, page)[1])
    return FILLING


async def _reask(update: Update, context: RelaisContext, draft: ReportDraft) -> str:
    await update.effective_message.reply_text(
        _("Je n'ai pas pu lire cette réponse. {example}").format(example=example(draft.current))
    )
    with suppress(BadRequest):
        if draft.question_message_id:
            await context.bot.edit_message_reply_markup(
                update.effective_chat.id, draft.question_message_id, reply_markup=None
            )
    return await ask(update, context, draft)


async def _edit(update: Update, context: RelaisContext, draft: ReportDraft, key: str) -> str:
    """« Modifier » under the review: that question again, then back to the review."""
    query = update.callback_query
    if key not in relevant_answers(draft.answers):
        await refuse_button(update, context)
        return FILLING
    await query.answer()
    await _strip_keyboard(query.message)
    draft.current, draft.editing = key, True
    if QUESTIONS[key].input is Input.MULTI:
        draft.answers = {**draft.answers, SELECTION: list(draft.answers.get(key) or [])}
    return await ask(update, context, draft)


async def _submit(update: Update, context: RelaisContext, draft: ReportDraft) -> int:
    query = update.callback_query
    member = context.known_member
    draft.answers = relevant_answers(draft.answers)
    now, settings = context.relais.now(), context.settings
    urgent = is_urgent(draft.answers)
    case, created = submit_report(
        context.engine,
        draft,
        member,
        year=now.astimezone(settings.zone).year,
        now=now,
        escalate_after=settings.urgent_escalation_delay if urgent else settings.escalation_delay,
    )
    await query.answer()
    await _strip_keyboard(query.message)
    await update.effective_chat.send_message(
        _(
            "Signalement {reference} envoyé. Un travailleur social de Montjoie va le prendre en charge ; vous serez prévenu·e. /mes_signalements pour suivre vos signalements."
        ).format(reference=case.reference)
    )
    if created:
        await alerts.announce(context.relais, case)
    return ConversationHandler.END


def _question(
    context: RelaisContext, draft: ReportDraft, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    key = draft.current
    step, total = progress(draft.answers, key)
    text = _step_line(step, total) + "\n" + prompt(key)
    rows = _answer_rows(context, draft, page)
    return text, InlineKeyboardMarkup([*rows, _navigation(key, step)])


def _step_line(step: int, total: int) -> str:
    return _("Étape {step}/{total}").format(step=step, total=total)


def _answer_rows(
    context: RelaisContext, draft: ReportDraft, page: int
) -> list[list[InlineKeyboardButton]]:
    question = QUESTIONS[draft.current]
    key = question.key

    def answer(label: str, value: object) -> InlineKeyboardButton:
        return ReportAnswer(question=key, value=str(value)).button(label)

    if question.input is Input.CHOICE:
        return [[answer(option(value), value)] for value in question.options]
    if question.input is Input.MULTI:
        ticked = draft.answers.get(SELECTION) or []
        rows = [
            [
                ReportTick(question=key, value=value).button(
                    ("✓ " if value in ticked else "") + option(value)
                )
            ]
            for value in question.options
        ]
        return [*rows, [ReportStep(question=key, step="ok").button(_("Valider"))]]
    if question.input is Input.COUNT:
        return [
            [
                answer(str(n), n)
                for n in range(question.low, min(question.high, question.low + 4) + 1)
            ]
        ]
    if question.input is Input.PHONE:
        return [[answer(option(VIA_REFERRER), VIA_REFERRER)]]
    if question.input is Input.SITE:
        sites = sites_for(context.engine, context.known_member)
        shown, page = page_of(sites, page)
        rows = [[answer(button_text(site.name), site.id)] for site in shown]
        rows += page_rows(page, len(sites), lambda other: SitesPage(question=key, page=other))
        return [*rows, [answer(option(OTHER_SITE), OTHER_SITE)]]
    if question.optional:
        return [[ReportStep(question=key, step="skip").button(_("Passer"))]]
    return []


def _navigation(key: str, step: int) -> list[InlineKeyboardButton]:
    row = [ReportStep(question=key, step="back").button(_("← Retour"))] if step > 1 else []
    return [*row, ReportCancel().button(_("Annuler"))]


def _review(context: RelaisContext, draft: ReportDraft) -> tuple[str, InlineKeyboardMarkup]:
    answers = relevant_answers(draft.answers)
    lines = [
        _step_line(*progress(answers, REVIEW)),
        _("Récapitulatif — vérifiez avant d'envoyer :"),
    ]
    lines += [
        f"• {short_name(key)} : {answer_label(context.engine, key, value)}"
        for key, value in answers.items()
    ]
    edit_rows = [
        [ReportEdit(question=key).button(_("Modifier : {what}").format(what=short_name(key)))]
        for key in answers
    ]
    actions = [
        ReportSend().button(_("Envoyer")),
        ReportCancel().button(_("Annuler")),
    ]
    return cut("\n".join(lines)), InlineKeyboardMarkup([*edit_rows, actions])


async def _close_question(context: RelaisContext, draft: ReportDraft, value: object) -> None:
    """Leave the answered question in the chat with its answer and without buttons."""
    if draft.question_message_id is None:
        return
    text = cut(prompt(draft.current) + "\n→ " + answer_label(context.engine, draft.current, value))
    with suppress(BadRequest):
        await context.bot.edit_message_text(
            text, chat_id=context.known_member.telegram_id, message_id=draft.question_message_id
        )


async def _strip_keyboard(message: Message | None) -> None:
    if message is not None:
        with suppress(BadRequest):
            await message.edit_reply_markup(None)


def handlers() -> list[BaseHandler]:
    typed = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    anything_else = filters.UpdateType.MESSAGE & ~filters.COMMAND
    return [
        persistent_flow(
            "report",
            entry_points=[
                CommandHandler(list(permissions.REPORT.names), begin),
                CallbackQueryHandler(begin_from_reminder, pattern=ReportResume.pattern),
            ],
            states={
                FILLING: [
                    *(
                        CallbackQueryHandler(on_button, pattern=button.pattern)
                        for button in FORM_BUTTONS
                    ),
                    MessageHandler(typed, on_text),
                    MessageHandler(anything_else, on_other),
                ]
            },
            fallbacks=[CommandHandler(list(permissions.CANCEL.names), cancel)],
        )
    ]


async def begin_from_reminder(update: Update, context: RelaisContext) -> str | int:
    """ "Reprendre" on a draft reminder, when the flow itself was lost (it never should be)."""
    draft = find_draft(context.engine, context.known_member.id)
    await update.callback_query.answer()
    if draft is None:
        await update.effective_chat.send_message(
            _("Ce signalement n'est plus en cours. /signaler pour en commencer un.")
        )
        return ConversationHandler.END
    return await ask(update, context, draft)
