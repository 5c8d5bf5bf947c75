"""Assessment's settings: ``ASSESSMENT_*`` environment variables."""

from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ASSESSMENT_", extra="ignore", frozen=True)
