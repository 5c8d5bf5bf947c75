"""Who may call which IntakeService method (deny by default, ``backbone.security``).

The application checks again: a measure is submitted and reported on by its own agency
or the office; only the office registers one as already in the portfolio.
"""

from backbone.security.policy import (
    AGENCY,
    OFFICE,
    PROPOSER,
    WORKING_GROUP,
    AccessPolicy,
    rules_for,
    shared_policy,
)
from eportfolio.intake.v1 import intake_pb2

POLICY: AccessPolicy = (
    rules_for(
        intake_pb2.DESCRIPTOR.services_by_name["IntakeService"],
        "eportfolio:intake",
        read={},
        write={
            "SubmitMeasure": [OFFICE, AGENCY],
            "SubmitStatusReport": [OFFICE, AGENCY],
            # Corona proposals come from anyone who takes part, never from auditors.
            "SubmitProposal": [PROPOSER, AGENCY, OFFICE, WORKING_GROUP],
        },
    )
    | shared_policy()
)
