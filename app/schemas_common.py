"""Pydantic bases: inputs forbid unknown fields, outputs read from ORM objects."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Visible text: no control characters (NUL breaks PostgreSQL, others break CSV and iCal output).
_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_NO_CONTROL)]
LongName = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NO_CONTROL)]
ShortText = Annotated[str, StringConstraints(max_length=500, pattern=_NO_CONTROL)]
# Several lines of text: tab and line breaks allowed, other control characters (NUL) not.
LongText = Annotated[
    str, StringConstraints(max_length=4000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
Language = Annotated[str, StringConstraints(min_length=2, max_length=35, pattern=_NO_CONTROL)]
# [0-9], not \d: pydantic's \d also matches other scripts' digits, e.g. Arabic-Indic.
HsaId = Annotated[str, StringConstraints(pattern=r"^SE[0-9]{10}-[A-Za-z0-9]{1,18}$")]
Email = Annotated[
    str,
    StringConstraints(
        max_length=254, pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$"
    ),
]
Phone = Annotated[str, StringConstraints(max_length=30, pattern=r"^\+?[0-9 ()-]{5,29}$")]
