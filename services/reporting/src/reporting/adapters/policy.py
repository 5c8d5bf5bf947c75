"""Who may call which ReportingService method (deny by default, ``backbone.security``).

The reports are public (the committees publish them; the report page serves them without
login), so any caller may read them. Rebuilding the read model is for the office and
operations (the handler checks again).
"""

from backbone.security.policy import (
    ANYONE,
    OFFICE,
    OPERATIONS,
    AccessPolicy,
    rules_for,
    shared_policy,
)
from eportfolio.reporting.v1 import reporting_pb2

POLICY: AccessPolicy = (
    rules_for(
        reporting_pb2.DESCRIPTOR.services_by_name["ReportingService"],
        "eportfolio:reporting",
        read={
            "GetPortfolioReport": [ANYONE],
            "GetKoronaReport": [ANYONE],
            "GetCalendar": [ANYONE],
            "GetDependencies": [ANYONE],
        },
        write={"RebuildProjections": [OFFICE, OPERATIONS]},
    )
    | shared_policy()
)
