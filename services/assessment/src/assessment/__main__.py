"""``python -m assessment``: run the assessment service until SIGTERM/SIGINT."""

import asyncio

from assessment.main import NAME, create_service
from assessment.settings import AssessmentSettings
from backbone.runtime import configure_logging, serve


def main() -> None:
    configure_logging(NAME)
    asyncio.run(serve(create_service(AssessmentSettings())))


if __name__ == "__main__":
    main()
