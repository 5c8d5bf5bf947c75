"""``python -m intake``: run the intake service until SIGTERM/SIGINT."""

import asyncio

from backbone.runtime import configure_logging, serve
from intake.main import NAME, create_service
from intake.settings import IntakeSettings


def main() -> None:
    configure_logging(NAME)
    asyncio.run(serve(create_service(IntakeSettings())))


if __name__ == "__main__":
    main()
