"""Who may call which KoronaService method (deny by default, ``backbone.security``).

The application checks again, on the proposal itself: a proposer sees only its own
proposals; an agency sets the implementation status only of measures it is responsible
for. Lookups a proposer makes before sending (similar proposals, categories) and the net
list, which is published, are open to any caller.
"""

from backbone.security.policy import (
    AGENCY,
    ANYONE,
    AUDITOR,
    OFFICE,
    PROPOSER,
    WORKING_GROUP,
    AccessPolicy,
    rules_for,
    shared_policy,
)
from eportfolio.korona.v1 import korona_pb2

READERS = [OFFICE, WORKING_GROUP, AUDITOR]

POLICY: AccessPolicy = (
    rules_for(
        korona_pb2.DESCRIPTOR.services_by_name["KoronaService"],
        "eportfolio:korona",
        read={
            "GetProposal": [*READERS, PROPOSER, AGENCY],
            "ListProposals": [*READERS, PROPOSER],
            "FindSimilar": [ANYONE],
            "ListCategories": [ANYONE],
            "ListNetList": [ANYONE],
            "GetEnvelope": [*READERS, AGENCY],
        },
        write={
            "Categorise": [OFFICE],
            "Route": [OFFICE],
            "Assess": [OFFICE, WORKING_GROUP],
            "Decide": [OFFICE],
            "Reopen": [OFFICE],
            "GiveFeedback": [OFFICE, WORKING_GROUP],
            "SetImplementationStatus": [OFFICE, AGENCY],
            "AddToNetList": [OFFICE],
            "Promote": [OFFICE],
            "ChangeFunding": [OFFICE],
        },
    )
    | shared_policy()
)
