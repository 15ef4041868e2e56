"""How the app reaches a serving droplet: each droplet has its own API key and, unless it is
reached inside the app's VPC, its own TLS certificate, both made when it is provisioned.

- The key is random per droplet. The database keeps it sealed (Fernet), under a key derived
  from ``SECRET_KEY``; keys derived from ``SECRET_KEY_FALLBACKS`` still open what was sealed
  before a rotation. It is wiped when the instance ends (``GpuInstance.CREDENTIALS_WIPED``).
- The certificate is self-signed and is the only thing the client trusts for that droplet:
  no certificate authority, not even the system's.
- Neither secret is in the user data, which the droplet's metadata service serves for the
  droplet's whole life. The user data carries a one-time token instead; at boot the droplet
  spends it on ``credentials_hand_over``, which answers the first fetch only, within
  ``DROPLET_CREDENTIALS_TTL_SECONDS`` of provisioning, and then wipes the sealed TLS key
  (the app keeps the API key: it calls the droplet with it). A training droplet fetches its
  run's report token the same way.
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.crypto import constant_time_compare, salted_hmac

from core.clock import now
from engines.gpu.deploy import CredentialsHandover, serving_credentials, training_credentials
from engines.models.gpu import GpuInstance
from engines.sealed import seal, unseal
from engines.training.tokens import report_token

logger = logging.getLogger(__name__)
# The pin, not the dates, is what makes the certificate trusted; the dates only must not
# fail a healthy droplet. A day back absorbs clock skew; a year outlives any droplet.
CERTIFICATE_BACKDATE = timedelta(days=1)
CERTIFICATE_LIFETIME = timedelta(days=365)
_HANDOVER_SALT = "prospector.gpu-instance.credentials-handover"
# The states a droplet boots in: once it serves (or ends) it has nothing left to fetch.
BOOTING = (GpuInstance.State.PROVISIONING, GpuInstance.State.BOOTING)


class CredentialsClosed(Exception):
    """The right token, but the handover is over: fetched already, past its window, or the
    instance no longer boots. The message says which, in one line."""


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


def droplet_credentials_make(instance: GpuInstance, *, server_name: str) -> str:
    """Makes a serving instance's own API key and TLS identity (none inside the VPC) and
    stores them, sealed, before its first create call; returns the certificate ("" inside
    the VPC). A create retried after a crash keeps the ones made, so whichever droplet the
    instance adopts fetches what the client pins."""
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
    return instance.tls_certificate


def credentials_handover(instance: GpuInstance) -> CredentialsHandover:
    """Where ``instance``'s droplet fetches its credentials, and the token it shows there.
    The token is derived from the instance id, never stored, so a create retried after a
    crash sends the same one. ``ValueError`` when ``DROPLET_API_URL`` is unset or would
    carry the credentials in the clear over the internet."""
    base = settings.DROPLET_API_URL.rstrip("/")
    if not base:
        raise ValueError(
            "DROPLET_API_URL: not set. A droplet fetches its credentials at boot from the "
            "app's URL (e.g. https://panel.example.com)."
        )
    scheme = urlsplit(base).scheme
    if scheme != "https" and not (scheme == "http" and reached_privately()):
        raise ValueError(
            f"DROPLET_API_URL: {base!r} must be https:// (http:// only when droplets are "
            "reached inside the app's VPC and region)."
        )
    return CredentialsHandover(
        url=f"{base}/api/gpu/instances/{instance.id}/credentials/",
        token=_handover_token(instance.id),
    )


def _handover_token(instance_id, *, secret_key: str | None = None) -> str:
    return salted_hmac(
        _HANDOVER_SALT, str(instance_id), secret=secret_key, algorithm="sha256"
    ).hexdigest()


def credentials_hand_over(instance_id, token: str) -> dict[str, str]:
    """The droplet's credentials, by file name, answered once. ``PermissionDenied`` for a
    token that is not this instance's (an unknown instance answers the same: nothing is
    revealed); ``CredentialsClosed`` once fetched, past the window, or when the instance
    no longer boots. The fetch is a conditional update, so two racing fetches get one
    answer, and it wipes the sealed TLS key: the droplet holds the only copy from then."""
    instance = GpuInstance.objects.filter(id=instance_id).first()
    if instance is None or not _handover_token_valid(instance.id, token):
        raise PermissionDenied("Not this instance's credentials token.")
    if problem := _handover_closed(instance):
        raise CredentialsClosed(problem)
    files = _credentials_files(instance)
    # The same conditions again, in the update itself: a racing fetch, or the instance's
    # end, may have come between the read above and this write.
    fetched = GpuInstance.objects.filter(
        id=instance.id,
        credentials_fetched_at__isnull=True,
        state__in=BOOTING,
        created_at__gt=_window_opened_after(),
    ).update(credentials_fetched_at=now(), tls_private_key_sealed="")
    if fetched != 1:
        raise CredentialsClosed("The credentials were fetched already or the window closed.")
    logger.info("GPU instance %s fetched its credentials", instance.id)
    return files


def _handover_token_valid(instance_id, token: str) -> bool:
    # A rotation's old keys still open a handover made just before it, as they unseal.
    secret_keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return bool(token) and any(
        constant_time_compare(_handover_token(instance_id, secret_key=key), token)
        for key in secret_keys
    )


def _handover_closed(instance: GpuInstance) -> str:
    if instance.credentials_fetched_at is not None:
        return "The credentials were fetched already: the token is spent."
    if instance.state not in BOOTING:
        return f"The instance is {instance.state}: its credentials are no longer handed out."
    if instance.created_at <= _window_opened_after():
        return "The handover window closed (DROPLET_CREDENTIALS_TTL_SECONDS)."
    if instance.training_run_id is None and not instance.api_key_sealed:
        return "The instance has no credentials."
    return ""


def _window_opened_after():
    return now() - timedelta(seconds=settings.DROPLET_CREDENTIALS_TTL_SECONDS)


def _credentials_files(instance: GpuInstance) -> dict[str, str]:
    if instance.training_run_id is not None:
        return training_credentials(run_token=report_token(instance.training_run_id))
    return serving_credentials(
        api_key=unseal(instance.api_key_sealed),
        tls_private_key=unseal(instance.tls_private_key_sealed)
        if instance.tls_private_key_sealed
        else "",
    )
