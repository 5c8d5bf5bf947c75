"""Korona's settings: ``KORONA_*`` environment variables."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings
from korona.domain.categories import Categories

DEFAULT_CATEGORIES = "categories-2020.tsv"


class KoronaSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KORONA_", extra="ignore", frozen=True)

    categories_file: str = ""
    """A tab-separated file of ``code``, ``category`` and ``working_group``: the categories
    and where each is routed. Empty: the 20 categories of 5 May 2020 (``data/``)."""


def default_categories() -> Categories:
    """The 20 categories of 5 May 2020 and their working groups, shipped with the service."""
    text = resources.files("korona.data").joinpath(DEFAULT_CATEGORIES).read_text("utf-8")
    return Categories.from_tsv(text)


def load_categories(settings: KoronaSettings) -> Categories:
    if not settings.categories_file:
        return default_categories()
    return Categories.from_tsv(Path(settings.categories_file).read_text("utf-8"))
