"""Digest authentication (RFC 2617, RFC 7616 and RFC 8760 for SIP).

The server side is stateless: a nonce carries its own issue time and an HMAC over it, so
any node that knows the secret can check it and a restart does not invalidate the
challenges that phones hold. Stored secrets are HA1 values (``H(user:realm:password)``),
as SIP registrars usually keep them, so that the password itself is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from helpline.channels.sip.message import SipParseError, parse_auth_params

# One realm for the whole site: HA1 values include it, so changing it would force every
# user to set their SIP password again.
SIP_REALM = "helpline"
ALGORITHMS = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
# A phone re-registers every few minutes; an older nonce is answered with stale=true so
# that it retries with a fresh one without asking the user again.
NONCE_LIFETIME = 300.0


def _hash(algorithm: str, text: str) -> str:
    return ALGORITHMS[algorithm](text.encode()).hexdigest()


def ha1(username: str, realm: str, password: str, algorithm: str = "MD5") -> str:
    return _hash(algorithm, f"{username}:{realm}:{password}")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a server found in an Authorization / Proxy-Authorization header."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str
    qop: str | None
    nc: str | None
    cnonce: str | None
    opaque: str | None


def parse_credentials(header: str) -> Credentials:
    scheme, params = parse_auth_params(header)
    if scheme.lower() != "digest":
        raise SipParseError(f"unsupported authorization scheme {scheme!r}")
    try:
        algorithm = params.get("algorithm", "MD5").upper()
        if algorithm not in ALGORITHMS:
            raise SipParseError(f"unsupported digest algorithm {algorithm!r}")
        return Credentials(
            username=params["username"],
            realm=params["realm"],
            nonce=params["nonce"],
            uri=params["uri"],
            response=params["response"].lower(),
            algorithm=algorithm,
            qop=params.get("qop"),
            nc=params.get("nc"),
            cnonce=params.get("cnonce"),
            opaque=params.get("opaque"),
        )
    except KeyError as missing:
        raise SipParseError(f"digest credentials without {missing.args[0]}") from None


def expected_response(
    *,
    ha1_value: str,
    algorithm: str,
    method: str,
    uri: str,
    nonce: str,
    qop: str | None,
    nc: str | None,
    cnonce: str | None,
) -> str:
    ha2 = _hash(algorithm, f"{method}:{uri}")
    if qop:
        return _hash(algorithm, f"{ha1_value}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _hash(algorithm, f"{ha1_value}:{nonce}:{ha2}")


class DigestServer:
    """Challenges requests and checks the answers, for one realm."""

    def __init__(self, *, realm: str, secret: bytes, algorithms: tuple[str, ...] = ("MD5",)):
        self.realm = realm
        self._secret = secret
        self.algorithms = algorithms

    def _nonce_mac(self, issued: str) -> str:
        digest = hmac.new(self._secret, f"{issued}:{self.realm}".encode(), hashlib.sha256)
        return digest.hexdigest()[:24]

    def nonce(self, now: float) -> str:
        issued = f"{int(now * 1000):x}"
        return f"{issued}.{self._nonce_mac(issued)}"

    def nonce_age(self, nonce: str, now: float) -> float | None:
        """Seconds since the nonce was issued, or None when it is not one of ours."""
        issued, _, mac = nonce.partition(".")
        if not mac or not hmac.compare_digest(mac, self._nonce_mac(issued)):
            return None
        try:
            return now - int(issued, 16) / 1000
        except ValueError:
            return None

    def challenges(self, now: float, *, stale: bool = False) -> list[str]:
        """WWW-Authenticate values, strongest algorithm first (RFC 8760 section 2.4)."""
        nonce = self.nonce(now)
        values = []
        for algorithm in self.algorithms:
            value = (
                f"Digest realm={_quote(self.realm)}, nonce={_quote(nonce)}, "
                f'algorithm={algorithm}, qop="auth"'
            )
            if stale:
                value += ", stale=true"
            values.append(value)
        return values

    def check(
        self, credentials: Credentials, *, method: str, ha1_value: str | None, now: float
    ) -> str:
        """'ok', 'stale' (challenge again with stale=true) or 'denied'."""
        if ha1_value is None or credentials.realm != self.realm:
            return "denied"
        if credentials.algorithm not in self.algorithms:
            return "denied"
        if credentials.qop is not None and (
            credentials.qop != "auth" or not credentials.nc or not credentials.cnonce
        ):
            return "denied"
        age = self.nonce_age(credentials.nonce, now)
        if age is None or age < -5:
            return "denied"
        expected = expected_response(
            ha1_value=ha1_value,
            algorithm=credentials.algorithm,
            method=method,
            uri=credentials.uri,
            nonce=credentials.nonce,
            qop=credentials.qop,
            nc=credentials.nc,
            cnonce=credentials.cnonce,
        )
        if not hmac.compare_digest(expected, credentials.response):
            return "denied"
        # Only a correct answer to an old challenge is stale: a wrong password stays wrong.
        return "stale" if age > NONCE_LIFETIME else "ok"


def answer_challenge(
    challenge: str,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    nc: int = 1,
    cnonce: str | None = None,
) -> str:
    """The Authorization value a client sends back for a WWW/Proxy-Authenticate value."""
    scheme, params = parse_auth_params(challenge)
    if scheme.lower() != "digest":
        raise SipParseError(f"unsupported authentication scheme {scheme!r}")
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm not in ALGORITHMS:
        raise SipParseError(f"unsupported digest algorithm {algorithm!r}")
    realm = params.get("realm", "")
    nonce = params.get("nonce", "")
    offered = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    qop = "auth" if "auth" in offered else None
    nc_text = f"{nc:08x}"
    cnonce = cnonce or secrets.token_hex(8)
    response = expected_response(
        ha1_value=ha1(username, realm, password, algorithm),
        algorithm=algorithm,
        method=method,
        uri=uri,
        nonce=nonce,
        qop=qop,
        nc=nc_text,
        cnonce=cnonce,
    )
    parts = [
        f"username={_quote(username)}",
        f"realm={_quote(realm)}",
        f"nonce={_quote(nonce)}",
        f"uri={_quote(uri)}",
        f"response={_quote(response)}",
        f"algorithm={algorithm}",
    ]
    if qop:
        parts += [f"qop={qop}", f"nc={nc_text}", f"cnonce={_quote(cnonce)}"]
    if "opaque" in params:
        parts.append(f"opaque={_quote(params['opaque'])}")
    return "Digest " + ", ".join(parts)
