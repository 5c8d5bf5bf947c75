"""Intake's settings: ``INTAKE_*`` environment variables."""

from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)
