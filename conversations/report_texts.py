"""The referral form's words: questions, answer labels, examples for a wrong answer."""

from sqlalchemy import Engine

from bot.i18n import N_, _
from bot.limits import cut
from domain.referral import NOTE_MAX, OTHER_SITE, QUESTIONS, VIA_REFERRER, Input, display_phone
from storage.sites import get_site

PROMPTS = {
    "kind": N_("Quelle situation signalez-vous ?"),
    "danger": N_("La personne est-elle en danger immédiat ?"),
    "who": N_("Prénom ou initiales de la personne (pas de nom de famille)."),
    "adults": N_("Combien d'adultes dans le foyer ?"),
    "children": N_("Combien d'enfants dans le foyer ?"),
    "site": N_("Dans quelle résidence habite la personne ?"),
    "commune": N_("Dans quelle commune ?"),
    "qpv": N_("Le logement est-il dans un quartier prioritaire (QPV) ?"),
    "consent": N_(
        "La personne sait-elle que vous la signalez, et accepte-t-elle d'être contactée ?"
    ),
    "contact": N_(
        "Comment la joindre sans risque ? Tapez un numéro de téléphone, ou choisissez « Seulement par moi »."
    ),
    "safe_times": N_(
        "À quels moments peut-on l'appeler ou lui écrire sans risque ? Choisissez puis validez."
    ),
    "observed": N_("Qu'avez-vous constaté ? Choisissez tout ce qui s'applique, puis validez."),
    "eviction": N_("Une procédure d'expulsion est-elle en cours ?"),
    "support": N_("Qui l'accompagne déjà ? Choisissez puis validez."),
    "whereabouts": N_("Où se trouve la personne aujourd'hui ?"),
    "resources": N_("Quelles sont ses ressources ? Choisissez puis validez."),
    "complaint": N_("Une plainte ou une ordonnance de protection ?"),
    "wished_area": N_("Dans quelle commune ou quel secteur souhaite-t-elle habiter ?"),
    "note": N_(
        "Autre chose d'utile pour Montjoie ? Texte libre, {limit} caractères au plus. Sinon, « Passer »."
    ),
}

SHORT_NAMES = {
    "kind": N_("Type"),
    "danger": N_("Danger immédiat"),
    "who": N_("Personne"),
    "adults": N_("Adultes"),
    "children": N_("Enfants"),
    "site": N_("Résidence"),
    "commune": N_("Commune"),
    "qpv": N_("QPV"),
    "consent": N_("Accord pour être contactée"),
    "contact": N_("Contact"),
    "safe_times": N_("Moments sûrs"),
    "observed": N_("Constats"),
    "eviction": N_("Procédure d'expulsion"),
    "support": N_("Accompagnement existant"),
    "whereabouts": N_("Où est la personne"),
    "resources": N_("Ressources"),
    "complaint": N_("Plainte ou ordonnance"),
    "wished_area": N_("Secteur souhaité"),
    "note": N_("Remarque"),
}

EXAMPLES = {
    "who": N_("Exemple : Sophie, ou S. B. — {limit} caractères au plus."),
    "adults": N_("Tapez un nombre entre {low} et {high}, par exemple 2, ou utilisez les boutons."),
    "children": N_(
        "Tapez un nombre entre {low} et {high}, par exemple 0, ou utilisez les boutons."
    ),
    "commune": N_("Exemple : Le Mans — {limit} caractères au plus."),
    "contact": N_(
        "Exemple : 06 12 34 56 78 ou +33 6 12 34 56 78, ou le bouton « Seulement par moi »."
    ),
    "wished_area": N_(
        "Exemple : Le Mans, secteur nord — {limit} caractères au plus, ou « Passer »."
    ),
    "note": N_("Le texte dépasse {limit} caractères : raccourcissez-le, ou « Passer »."),
}

OPTIONS = {
    "addiction": N_("Difficultés dans le logement liées à une addiction"),
    "violence": N_("Victime de violences intrafamiliales"),
    "yes": N_("Oui"),
    "no": N_("Non"),
    "unknown": N_("Je ne sais pas"),
    "not_yet": N_("Pas encore"),
    "morning": N_("Matin"),
    "midday": N_("Midi"),
    "afternoon": N_("Après-midi"),
    "evening": N_("Soir"),
    "anytime": N_("À tout moment"),
    "neighbours": N_("Troubles du voisinage"),
    "hygiene": N_("Hygiène, encombrement"),
    "unpaid_rent": N_("Impayés de loyer"),
    "health": N_("Santé préoccupante"),
    "isolation": N_("Isolement"),
    "other": N_("Autre"),
    "csapa": N_("CSAPA (soins en addictologie)"),
    "doctor": N_("Médecin"),
    "guardian": N_("Mesure de protection (tutelle, curatelle)"),
    "none": N_("Aucun"),
    "shelter": N_("Hébergement d'urgence"),
    "relatives": N_("Chez des proches"),
    "shared_home": N_("Encore au domicile commun"),
    "salary": N_("Salaire"),
    "benefits": N_("Prestations sociales"),
    VIA_REFERRER: N_("Seulement par moi"),
    OTHER_SITE: N_("Autre résidence / hors liste"),
}


def prompt(key: str) -> str:
    return _(PROMPTS[key]).format(limit=NOTE_MAX)


def example(key: str) -> str:
    question = QUESTIONS[key]
    if key not in EXAMPLES:
        return _("Répondez avec les boutons du message ci-dessous.")
    return _(EXAMPLES[key]).format(limit=question.max_length, low=question.low, high=question.high)


def option(value: str) -> str:
    return _(OPTIONS[value])


def short_name(key: str) -> str:
    return _(SHORT_NAMES[key])


def emergency_lines() -> str:
    """The emergency numbers, then the listening lines (DOMAIN.md): the report form in
    danger, and /annuaire for violence."""
    return _(
        "En cas de danger immédiat, appelez tout de suite :\n"
        "• 17 — Police / Gendarmerie\n"
        "• 112 — Urgences (depuis tout téléphone)\n"
        "• 114 — par SMS, si la personne ne peut pas parler\n"
        "Écoute et conseils : 3919 — Violences Femmes Info (gratuit, anonyme), 116 006 — France Victimes."
    )


def emergency_numbers() -> str:
    return "\n".join(
        (emergency_lines(), _("Le signalement continue en version courte et sera marqué URGENT."))
    )


def answer_label(engine: Engine, key: str, value: object) -> str:
    """An answer as a person reads it ("Oui", "Matin, Soir", "Résidence Les Glonnières")."""
    if value is None:
        return "—"
    question = QUESTIONS[key]
    if question.input is Input.SITE and isinstance(value, int):
        site = get_site(engine, value)
        return site.name if site else "?"
    if isinstance(value, list):
        return ", ".join(option(item) for item in value)
    if question.input in (Input.CHOICE, Input.SITE) or value == VIA_REFERRER:
        return option(str(value))
    if question.input is Input.PHONE:
        return display_phone(str(value))
    text = str(value)
    # What the form took is shown whole; an older report may hold more, shown cut.
    return cut(text, question.max_length) if len(text) > question.max_length > 0 else text
