"""Reporting's settings: ``REPORTING_*`` environment variables."""

from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore", frozen=True)
