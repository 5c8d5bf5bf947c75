"""Korona's settings: ``KORONA_*`` environment variables."""

from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class KoronaSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KORONA_", extra="ignore", frozen=True)
