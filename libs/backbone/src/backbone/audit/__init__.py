"""The tamper-evident audit trail of a service: what auditors can check without trusting
operators. Every stored event is bound into its aggregate's hash chain and into the
service's Merkle tree, in the transaction that stores it; every gRPC call the service
answered is recorded in a hash-chained call log (:mod:`backbone.audit.calls`); signed tree
heads pin both, and the AuditService hands out the raw rows so an auditor's own tool can
recompute every hash (the rules are in :mod:`audit_log.chain`)."""
