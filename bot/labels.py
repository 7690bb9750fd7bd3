"""How roles and organisation kinds are named to people, in the reader's language."""

from bot.i18n import N_, _
from storage.models import OrganisationKind, Role

_ROLES = {
    Role.ADMIN: N_("coordination"),
    Role.CORRESPONDENT: N_("correspondant·e de site"),
    Role.GENDARMERIE: N_("gendarmerie"),
    Role.SIAO: N_("SIAO"),
    Role.WORKER: N_("travailleur·se social·e Montjoie"),
    Role.LANDLORD_REFERENT: N_("référent·e bailleur"),
    Role.BENEFICIARY: N_("personne accompagnée"),
}

_KINDS = {
    OrganisationKind.LANDLORD: N_("bailleur social"),
    OrganisationKind.ASSOCIATION: N_("association"),
    OrganisationKind.GENDARMERIE: N_("gendarmerie"),
    OrganisationKind.SIAO: N_("SIAO"),
    OrganisationKind.OTHER: N_("autre"),
}


def role_label(role: Role) -> str:
    return _(_ROLES[role])


def organisation_kind_label(kind: OrganisationKind) -> str:
    return _(_KINDS[kind])
