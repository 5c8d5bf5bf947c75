"""``python -m reporting``: run the reporting service until SIGTERM/SIGINT."""

import asyncio

from backbone.runtime import configure_logging, serve
from reporting.main import NAME, create_service
from reporting.settings import ReportingSettings


def main() -> None:
    configure_logging(NAME)
    asyncio.run(serve(create_service(ReportingSettings())))


if __name__ == "__main__":
    main()
