"""Where GPU machines come from: providers behind one small base class.

``do-gpu`` builds rent DigitalOcean droplets through the official ``pydo`` client. The
lifecycle (``engines/gpu/lifecycle.py``) only ever sees ``Machine`` and ``ProviderError``.
"""

import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import pydo
from azure.core.exceptions import AzureError, HttpResponseError
from django.conf import settings
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from core.clock import now
from engines.ids import Provider

# A tick must not stall on a rate limit: wait at most this long before giving up until
# the next tick, which simply tries again.
MAX_RETRY_WAIT_SECONDS = 10.0
RETRY_ATTEMPTS = 3
PAGE_SIZE = 200
# How DigitalOcean says a size cannot be had in a region right now: a 422 whose message is
# "Size is not available in this region." (or, for a region closed to new droplets,
# "Region is not available"). Any other 422 is a mistake in the request, not capacity.
_NO_CAPACITY = re.compile(r"not available in this region|region is not available|capacity", re.I)


class ProviderError(Exception):
    """A provider call failed; ``permanent`` says whether trying again can help."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class NoCapacity(ProviderError):
    """The size cannot be had in the region now: another placement may still work."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class Machine:
    handle: int
    name: str
    status: str  # the provider's word: new, active, off, archive
    address: str  # public IPv4; empty until the provider assigns one
    tags: tuple[str, ...]
    private_address: str = ""  # IPv4 in the droplet's VPC; empty until assigned

    @property
    def is_running(self) -> bool:
        return self.status == "active" and bool(self.address or self.private_address)


class GpuProvider:
    """What the lifecycle needs from a cloud. Every call but ``create`` is idempotent."""

    def create(
        self, *, name: str, size: str, region: str, tags: list[str], user_data: str, image: str
    ) -> Machine:
        """A new machine of ``size`` in ``region``; ``NoCapacity`` when none can be had there."""
        raise NotImplementedError

    def get(self, handle: int) -> Machine | None:
        """The machine, or None once it is gone."""
        raise NotImplementedError

    def destroy(self, handle: int) -> None:
        """Destroys the machine; a machine already gone is not an error."""
        raise NotImplementedError

    def list_tagged(self, tag: str) -> list[Machine]:
        raise NotImplementedError

    def find(self, tag: str) -> Machine | None:
        machines = self.list_tagged(tag)
        return machines[0] if machines else None


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, ProviderError) and not error.permanent


def _wait(retry_state) -> float:
    """The server's Retry-After when it gave one, else exponential backoff."""
    error = retry_state.outcome.exception()
    if getattr(error, "retry_after", None) is not None:
        return min(max(error.retry_after, 0.0), MAX_RETRY_WAIT_SECONDS)
    return wait_exponential(multiplier=0.5, max=MAX_RETRY_WAIT_SECONDS)(retry_state)


_retried = retry(
    retry=retry_if_exception(_is_transient),
    wait=_wait,
    stop=stop_after_attempt(RETRY_ATTEMPTS),
    reraise=True,
)


def _retry_after(headers) -> float | None:
    """Seconds to wait from DigitalOcean's ``Retry-After`` or ``ratelimit-reset`` headers."""
    value = headers.get("Retry-After")
    if value:
        try:
            return float(value)
        except ValueError:
            return (parsedate_to_datetime(value) - now()).total_seconds()
    reset = headers.get("ratelimit-reset")
    if reset and reset.isdigit():
        return float(reset) - now().timestamp()
    return None


def _provider_error(error: AzureError) -> ProviderError:
    if isinstance(error, HttpResponseError) and error.status_code:
        status = error.status_code
        transient = status == 429 or status >= 500
        headers = error.response.headers if error.response is not None else {}
        message = _answer_message(error)
        if status == 422 and _NO_CAPACITY.search(message):
            return NoCapacity(f"DigitalOcean answered {status}: {message}")
        return ProviderError(
            f"DigitalOcean answered {status}: {message}",
            permanent=not transient,
            retry_after=_retry_after(headers) if status == 429 else None,
        )
    # No answer at all (refused, reset, timed out): the next try may get one.
    return ProviderError(f"DigitalOcean unreachable: {error}", permanent=False)


def _answer_message(error: HttpResponseError) -> str:
    """DigitalOcean's own words from the error body (``{"id": ..., "message": ...}``), else
    azure-core's summary of the answer."""
    try:
        body = error.response.json()
    except (AttributeError, ValueError):
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    return message or error.message


def _machine(droplet: dict) -> Machine:
    return Machine(
        handle=int(droplet["id"]),
        name=droplet.get("name", ""),
        status=droplet.get("status", ""),
        address=_ipv4(droplet, "public"),
        private_address=_ipv4(droplet, "private"),
        tags=tuple(droplet.get("tags") or ()),
    )


def _ipv4(droplet: dict, kind: str) -> str:
    """The droplet's first IPv4 address of ``kind`` (public or private), or ""."""
    networks = droplet.get("networks", {}).get("v4", [])
    return next((net["ip_address"] for net in networks if net.get("type") == kind), "")


def _not_found(answer) -> bool:
    # pydo hands back DigitalOcean's error body on a 404 instead of raising.
    return isinstance(answer, dict) and answer.get("id") == "not_found"


class DigitalOcean(GpuProvider):
    """GPU droplets through ``pydo``. azure-core's own retries are off: it would re-POST a
    create whose answer was lost (a second droplet), so retries live here and never wrap
    ``create``; the lifecycle finds a lost create by its tag instead."""

    def __init__(self, *, token: str, api_url: str, ca_bundle: str = "", timeout: float = 15.0):
        options = {"connection_verify": ca_bundle} if ca_bundle else {}
        self.client = pydo.Client(
            token=token,
            endpoint=api_url,
            retry_total=0,
            connection_timeout=timeout,
            read_timeout=timeout,
            **options,
        )

    def create(
        self, *, name: str, size: str, region: str, tags: list[str], user_data: str, image: str
    ) -> Machine:
        body = {
            "name": name,
            "region": region,
            "size": size,
            "image": image,
            "ssh_keys": settings.DO_SSH_KEYS,
            "tags": tags,
            "user_data": user_data,
            "monitoring": True,
        }
        if settings.DO_VPC_UUID:
            body["vpc_uuid"] = settings.DO_VPC_UUID
        if settings.DO_WEIGHTS_VOLUME_ID:
            # The API attaches volumes by id; cloud-init mounts it by name (see gpu_deploy).
            body["volumes"] = [settings.DO_WEIGHTS_VOLUME_ID]
        try:
            answer = self.client.droplets.create(body=body)
        except AzureError as error:
            raise _provider_error(error) from error
        return _machine(answer["droplet"])

    @_retried
    def get(self, handle: int) -> Machine | None:
        try:
            answer = self.client.droplets.get(handle)
        except AzureError as error:
            raise _provider_error(error) from error
        return None if _not_found(answer) else _machine(answer["droplet"])

    @_retried
    def destroy(self, handle: int) -> None:
        try:
            self.client.droplets.destroy(handle)
        except AzureError as error:
            raise _provider_error(error) from error

    @_retried
    def list_tagged(self, tag: str) -> list[Machine]:
        machines, page = [], 1
        while True:
            try:
                answer = self.client.droplets.list(tag_name=tag, per_page=PAGE_SIZE, page=page)
            except AzureError as error:
                raise _provider_error(error) from error
            machines.extend(_machine(droplet) for droplet in answer.get("droplets", []))
            if not answer.get("links", {}).get("pages", {}).get("next"):
                return machines
            page += 1


def provider_for(provider: Provider) -> GpuProvider | None:
    """The provider that rents machines for ``provider`` builds; None when it is not set up
    (no token) or the build is an always-on endpoint that nothing provisions."""
    if provider == Provider.DO_GPU and settings.DO_TOKEN:
        return DigitalOcean(
            token=settings.DO_TOKEN,
            api_url=settings.DO_API_URL,
            ca_bundle=settings.DO_API_CA_BUNDLE,
            timeout=settings.DO_API_TIMEOUT_SECONDS,
        )
    return None
