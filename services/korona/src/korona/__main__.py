"""``python -m korona``: run the korona service until SIGTERM/SIGINT."""

import asyncio

from backbone.runtime import configure_logging, serve
from korona.main import NAME, create_service
from korona.settings import KoronaSettings


def main() -> None:
    configure_logging(NAME)
    asyncio.run(serve(create_service(KoronaSettings())))


if __name__ == "__main__":
    main()
