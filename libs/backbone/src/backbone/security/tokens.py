"""HelseID-style access tokens: a signed JWT per call says who calls, for whom, with what scope.

Rules (HelseID's for clients of APIs, and RFC 8725):
- only asymmetric signatures (RS256, ES256, EdDSA) with a key from the identity provider's
  JWKS, chosen by ``kid``; ``alg=none`` and HMAC are refused before any key is touched;
- ``iss`` is the configured issuer, ``aud`` holds this service's audience;
- ``exp``, ``nbf`` and ``iat`` hold with a small leeway, and ``exp - iat`` is at most
  the configured lifetime;
- ``jti`` is used once: a token is good for one call (like HelseID's DPoP proofs). The
  replay cache lives in this process's memory, bounded, each id kept until its token
  expires. Replicas of a service do not share it: behind a load balancer a token could be
  replayed once per replica within its lifetime, which the short lifetime bounds;
- claims ``agency`` (the organisation), ``role``, ``sub`` (the user) and ``scope``
  (space-separated) are required.

Error messages name the rule broken, never the token or a key.
"""

from __future__ import annotations

import heapq
import json
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt import PyJWK, PyJWKSet

ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})


class TokenRefused(Exception):  # noqa: N818 - a refusal, named for what the caller sees
    """The token does not hold; ``message`` says which rule it broke (safe to show)."""

    def __init__(self, message: str, *, exhausted: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.exhausted = exhausted
        """The replay cache is full: the caller may retry later (RESOURCE_EXHAUSTED)."""


@dataclass(frozen=True)
class VerifiedToken:
    """What a verified token says."""

    agency: str
    user: str
    role: str
    scopes: frozenset[str]
    token_id: str
    expires_at: float


class ReplayCache:
    """Token ids seen, each until its token expires; bounded, thread-safe.

    Full (all ids still live): new tokens are refused rather than old ids forgotten, so
    a replay can never slip through because of load.
    """

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def first_use(self, token_id: str, expires_at: float, now: float) -> bool:
        """Record ``token_id``; False when it was seen before (a replay)."""
        with self._lock:
            while self._heap and self._heap[0][0] < now:
                _, old = heapq.heappop(self._heap)
                self._expiry.pop(old, None)
            if token_id in self._expiry:
                return False
            if len(self._expiry) >= self.capacity:
                raise TokenRefused("too many live tokens; retry shortly", exhausted=True)
            self._expiry[token_id] = expires_at
            heapq.heappush(self._heap, (expires_at, token_id))
            return True

    def __len__(self) -> int:
        return len(self._expiry)


def load_jwks(path: str | Path) -> PyJWKSet:
    """The identity provider's public keys (a JWKS document)."""
    return PyJWKSet.from_json(Path(path).read_text(encoding="utf-8"))


class TokenVerifier:
    """Checks one service's incoming tokens."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: PyJWKSet,
        leeway_s: float = 30.0,
        max_lifetime_s: float = 600.0,
        replay_cache: ReplayCache | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.leeway_s = leeway_s
        self.max_lifetime_s = max_lifetime_s
        self.replay = replay_cache or ReplayCache()

    def _key(self, header: dict[str, Any]) -> PyJWK:
        kid = header.get("kid")
        candidates = [k for k in self.keys.keys if kid is None or k.key_id == kid]
        if kid is None and len(candidates) != 1:
            raise TokenRefused("the token names no key (kid)")
        if not candidates:
            raise TokenRefused("the token's key (kid) is not the identity provider's")
        key = candidates[0]
        if key.algorithm_name != header["alg"]:  # e.g. an RSA key offered for ES256
            raise TokenRefused("the token's algorithm does not match its key")
        return key

    def verify(self, token: str, now: float | None = None) -> VerifiedToken:
        """The token's claims, or TokenRefused naming the rule broken."""
        now = time.time() if now is None else now
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRefused("the token is not a JWT") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise TokenRefused(
                f"token algorithm {str(alg)[:16]!r} is not accepted; use one of "
                + ", ".join(sorted(ALGORITHMS))
            )
        key = self._key(header)
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[str(alg)],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iat", "nbf", "iss", "aud", "jti", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefused("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenRefused("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise TokenRefused(f"the token is not for this service ({self.audience})") from None
        except jwt.InvalidIssuerError:
            raise TokenRefused("the token comes from another issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRefused(f"the token lacks the {exc.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise TokenRefused("the token's signature does not verify") from None
        except jwt.PyJWTError:
            raise TokenRefused("the token is malformed") from None
        return self._claims(claims, now)

    def _claims(self, claims: dict[str, Any], now: float) -> VerifiedToken:
        exp, iat = float(claims["exp"]), float(claims["iat"])
        if exp - iat > self.max_lifetime_s:
            raise TokenRefused(
                f"the token lives {exp - iat:.0f} s; at most {self.max_lifetime_s:.0f} s"
            )
        text = {k: claims.get(k) for k in ("agency", "role", "sub", "jti", "scope")}
        for name in ("agency", "role", "sub", "jti"):
            if not isinstance(text[name], str) or not text[name]:
                raise TokenRefused(f"the token lacks the {name} claim")
        scope = text["scope"]
        if not isinstance(scope, str):
            raise TokenRefused("the token lacks the scope claim")
        token_id = str(text["jti"])
        if not self.replay.first_use(token_id, exp + self.leeway_s, now):
            raise TokenRefused("the token has been used already (jti replayed)")
        return VerifiedToken(
            agency=str(text["agency"]),
            user=str(text["sub"]),
            role=str(text["role"]),
            scopes=frozenset(scope.split()),
            token_id=token_id,
            expires_at=exp,
        )


class TokenIssuer:
    """Mints tokens as the identity provider would: for development (``make certs`` makes
    its key), the CLI and tests. Production tokens come from HelseID."""

    def __init__(self, private_key_pem: bytes, key_id: str, issuer: str, algorithm: str) -> None:
        self.private_key_pem = private_key_pem
        # Parsed once: loading an RSA key checks it, which costs tens of milliseconds.
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | Ed25519PrivateKey):
            raise ValueError("the issuer's key must be RSA, EC or Ed25519")
        self._key = key
        self.key_id = key_id
        self.issuer = issuer
        self.algorithm = algorithm

    @classmethod
    def from_files(cls, key_file: str | Path, jwks_file: str | Path, issuer: str) -> TokenIssuer:
        """The issuer whose private key is ``key_file`` and public key the only one in
        ``jwks_file`` (its ``kid`` and ``alg``)."""
        jwk = json.loads(Path(jwks_file).read_text(encoding="utf-8"))["keys"][0]
        return cls(Path(key_file).read_bytes(), jwk["kid"], issuer, jwk["alg"])

    def mint(
        self,
        *,
        agency: str,
        role: str,
        user: str,
        audience: str | Iterable[str],
        scopes: Iterable[str],
        lifetime_s: float = 60.0,
        now: float | None = None,
        **extra: Any,
    ) -> str:
        now = time.time() if now is None else now
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience if isinstance(audience, str) else list(audience),
            "sub": user,
            "agency": agency,
            "role": role,
            "scope": " ".join(scopes),
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + lifetime_s),
            "jti": uuid.uuid4().hex,
            **extra,
        }
        return jwt.encode(claims, self._key, algorithm=self.algorithm, headers={"kid": self.key_id})
