"""Calls between agencies: who may connect, who the caller is, and what it may do.

- :mod:`~backbone.security.tls`: mutual TLS (the agency's client certificate);
- :mod:`~backbone.security.tokens`: HelseID-style access tokens (JWT) and their replay cache;
- :mod:`~backbone.security.policy`: per-RPC roles and scopes, deny by default, and which
  roles each agency may hold;
- :mod:`~backbone.security.quotas`: per-agency rate limits;
- :mod:`~backbone.security.gate`: the checks every call passes before its handler runs;
- :mod:`~backbone.security.pki`: a local CA, certificates and an identity provider's key
  for development and tests (``portfolio pki init``).
"""
