"""Secrets at rest and pinned TLS: what the engine core needs to reach a droplet whose
credentials the GPU room made (``engines/gpu/droplet_access.py``)."""

import base64
import ssl

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Distinguishes this use of SECRET_KEY from Django's own (sessions, signing).
_SEALING_PURPOSE = b"prospector: droplet credentials at rest"


class CredentialsUnreadable(Exception):
    """A sealed value no current or fallback key opens (SECRET_KEY rotated without the old
    one in SECRET_KEY_FALLBACKS)."""


def pinned_context(certificate: str) -> ssl.SSLContext:
    """A client TLS context that accepts exactly ``certificate`` and nothing else.

    The hostname check is off because the droplet's address is only known after its
    certificate was made; the pin stands in for it: the certificate is the only trust
    anchor, and as it is no CA, only a server holding its private key passes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # loads no CA, unlike the default one
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=certificate)
    return context


def seal(secret: str) -> str:
    return _sealer().encrypt(secret.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _sealer().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise CredentialsUnreadable(
            "A droplet credential cannot be opened with SECRET_KEY or SECRET_KEY_FALLBACKS."
        ) from error


def _sealer() -> MultiFernet:
    secret_keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([Fernet(_derive(secret_key)) for secret_key in secret_keys])


def _derive(secret_key: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEALING_PURPOSE).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(derived)
