"""Topic names, ``<producer>.<aggregate>.v<major>``; the Kafka key is the aggregate id."""

INTAKE_MEASURE = "intake.measure.v1"
INTAKE_PROPOSAL = "intake.proposal.v1"
ASSESSMENT_MEASURE = "assessment.measure.v1"
KORONA_PROPOSAL = "korona.proposal.v1"
KORONA_FUNDING = "korona.funding.v1"
