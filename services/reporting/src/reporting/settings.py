"""Reporting's settings: ``REPORTING_*`` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore", frozen=True)

    web_host: str = "127.0.0.1"
    web_port: int = Field(default=0, ge=0, le=65535)
    """Where the read-only report pages are served; 0 picks a free port."""
