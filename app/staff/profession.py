from enum import StrEnum


class Profession(StrEnum):
    bhv_nurse = "bhv_nurse"
    social_worker = "social_worker"
    midwife = "midwife"
    dental = "dental"
    librarian = "librarian"
    other = "other"
