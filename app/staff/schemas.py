from app.schemas_common import Email, HsaId, InputModel, Name, OutputModel
from app.staff.profession import Profession


class StaffIn(InputModel):
    unit_id: int
    given_name: Name
    family_name: Name
    profession: Profession
    hsa_id: HsaId | None = None
    email: Email | None = None
    active: bool = True


class StaffPatch(InputModel):
    unit_id: int | None = None
    given_name: Name | None = None
    family_name: Name | None = None
    profession: Profession | None = None
    hsa_id: HsaId | None = None
    email: Email | None = None
    active: bool | None = None


class StaffOut(OutputModel):
    id: int
    unit_id: int
    given_name: str
    family_name: str
    profession: Profession
    hsa_id: str | None
    email: str | None
    active: bool
