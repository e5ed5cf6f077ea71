"""Dependencies shared by the routers, as Annotated aliases."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import session_scope
from app.pagination import PageParams, decode_cursor


def get_session(request: Request) -> Iterator[Session]:
    yield from session_scope(request.app.state.sessionmaker)


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def page_params(
    settings: SettingsDep,
    limit: Annotated[int | None, Query(ge=1, description="Page size; capped")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="From next_cursor")] = None,
) -> PageParams:
    size = min(limit or settings.page_size_default, settings.page_size_max)
    return PageParams(limit=size, after_id=decode_cursor(cursor))


PageDep = Annotated[PageParams, Depends(page_params)]
