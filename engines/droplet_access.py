"""How the app reaches a serving droplet: each droplet has its own API key and, unless it is
reached inside the app's VPC, its own TLS certificate, both made when it is provisioned.

- The key is random per droplet. The database keeps it sealed (Fernet), under a key derived
  from ``SECRET_KEY``; keys derived from ``SECRET_KEY_FALLBACKS`` still open what was sealed
  before a rotation. It is wiped when the instance ends (``GpuInstance.CREDENTIALS_WIPED``).
- The certificate is self-signed and is the only thing the client trusts for that droplet:
  no certificate authority, not even the system's. Its private key reaches the droplet in
  the user data; the database holds it sealed only until the create call has gone out.
"""

import base64
import secrets
import ssl
from dataclasses import dataclass, field
from datetime import timedelta

from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from engines.clock import now
from engines.models import GpuInstance

# The pin, not the dates, is what makes the certificate trusted; the dates only must not
# fail a healthy droplet. A day back absorbs clock skew; a year outlives any droplet.
CERTIFICATE_BACKDATE = timedelta(days=1)
CERTIFICATE_LIFETIME = timedelta(days=365)
# Distinguishes this use of SECRET_KEY from Django's own (sessions, signing).
_SEALING_PURPOSE = b"prospector: droplet credentials at rest"


class CredentialsUnreadable(Exception):
    """A sealed value no current or fallback key opens (SECRET_KEY rotated without the old
    one in SECRET_KEY_FALLBACKS)."""


@dataclass(frozen=True)
class DropletTls:
    certificate: str  # PEM, public: stored on the instance and pinned by the client
    private_key: str = field(repr=False)  # PEM: the droplet's alone


def reached_privately() -> bool:
    """True when droplets sit in the app's own VPC and region: the app then talks to their
    private address, and the traffic never crosses the internet. Otherwise it goes to the
    public address over TLS."""
    return bool(settings.DO_VPC_UUID) and settings.DO_APP_REGION == settings.DO_REGION


def new_api_key() -> str:
    return secrets.token_urlsafe(32)


def issue_certificate(server_name: str) -> DropletTls:
    """A self-signed certificate for one droplet, named for it. It is not a CA, so nothing
    it could sign is ever trusted in its place."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name)])
    moment = now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - CERTIFICATE_BACKDATE)
        .not_valid_after(moment + CERTIFICATE_LIFETIME)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(server_name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return DropletTls(
        certificate=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        private_key=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    )


def droplet_credentials(
    instance: GpuInstance, *, server_name: str
) -> tuple[str, DropletTls | None]:
    """A serving instance's own API key and TLS identity (none inside the VPC). Made and
    stored, sealed, before its first create call; a create retried after a crash sends the
    same ones, so whichever droplet the instance adopts holds what the client pins."""
    if not instance.api_key_sealed:
        tls = None if reached_privately() else issue_certificate(server_name)
        instance.api_key_sealed = seal(new_api_key())
        instance.tls_certificate = tls.certificate if tls else ""
        instance.tls_private_key_sealed = seal(tls.private_key) if tls else ""
        GpuInstance.objects.filter(id=instance.id).update(
            api_key_sealed=instance.api_key_sealed,
            tls_certificate=instance.tls_certificate,
            tls_private_key_sealed=instance.tls_private_key_sealed,
        )
    tls = (
        DropletTls(instance.tls_certificate, unseal(instance.tls_private_key_sealed))
        if instance.tls_certificate
        else None
    )
    return unseal(instance.api_key_sealed), tls


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
