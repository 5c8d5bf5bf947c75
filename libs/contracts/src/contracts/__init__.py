"""Integration-event contracts: what services publish to each other on Kafka.

Domain events are each service's private history; these are the public, versioned
messages translated from them at the edge. Every message is an :class:`Envelope`
around a payload model registered under ``(event_type, schema_version)``.
"""

from contracts.envelope import Actor, Envelope
from contracts.registry import (
    ContractError,
    UnknownContractError,
    decode,
    encode,
    payload_model,
    register,
)

__all__ = [
    "Actor",
    "ContractError",
    "Envelope",
    "UnknownContractError",
    "decode",
    "encode",
    "payload_model",
    "register",
]

# Importing the contract modules registers every payload model.
from contracts import assessment as assessment
from contracts import intake as intake
from contracts import korona as korona
