"""Dependencies as Annotated aliases, so a route just declares `service: ServiceDep`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.config import Settings
from assistant.service import PolicyService


def get_service(request: Request) -> PolicyService:
    service: PolicyService = request.app.state.service
    return service


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ServiceDep = Annotated[PolicyService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
