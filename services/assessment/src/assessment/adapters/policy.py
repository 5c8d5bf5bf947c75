"""Who may call which AssessmentService method (deny by default, ``backbone.security``).

The application checks again, on the measure itself: the office decides; the office or
the measure's own agency completes, pauses and withdraws (``application.py``). The
national portfolio is public (its report names every measure), so any caller may read a
measure.
"""

from backbone.security.policy import (
    AGENCY,
    ANYONE,
    OFFICE,
    AccessPolicy,
    rules_for,
    shared_policy,
)
from eportfolio.assessment.v1 import assessment_pb2

POLICY: AccessPolicy = (
    rules_for(
        assessment_pb2.DESCRIPTOR.services_by_name["AssessmentService"],
        "eportfolio:assessment",
        read={"GetMeasure": [ANYONE]},
        write={
            "AssessMeasure": [OFFICE],
            "IncludeMeasure": [OFFICE],
            "RejectMeasure": [OFFICE],
            "MoveMeasure": [OFFICE],
            "RemindMeasure": [OFFICE],
            "CompleteMeasure": [OFFICE, AGENCY],
            "PauseMeasure": [OFFICE, AGENCY],
            "WithdrawMeasure": [OFFICE, AGENCY],
        },
    )
    | shared_policy()
)
