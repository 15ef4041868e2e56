"""A fake DigitalOcean v2 API on a loopback port, for the droplet calls the official ``pydo``
client makes.

It speaks just enough of the real API that ``pydo`` runs against it unmodified, so tests
exercise the real client's URLs, serialisation, error mapping and retry policy rather
than a mock of them:

    POST   /v2/droplets                     create one droplet (``name``), 202 + links.actions
    GET    /v2/droplets?tag_name=&name=&page=&per_page=   list, with links.pages and meta.total
    GET    /v2/droplets/{id}                one droplet, 404 ``{"id": "not_found", ...}``
    DELETE /v2/droplets/{id}                204 (404 when missing)
    DELETE /v2/droplets?tag_name=X          204
    GET    /v2/actions/{id}, /v2/droplets/{id}/actions[/{action_id}]   the create actions

Every request needs ``Authorization: Bearer ...`` (401 otherwise). azure-core refuses to send
a bearer token over plain HTTP, so the fake serves HTTPS with a throwaway self-signed
certificate (made with the ``openssl`` command) and the client trusts it:

    fake = FakeDigitalOcean().start()
    client = pydo.Client(token="t", endpoint=fake.url, connection_verify=fake.ca_file)

(or set ``REQUESTS_CA_BUNDLE=fake.ca_file``). With ``tls=False`` it serves plain HTTP and each
call needs ``enforce_https=False``.

A droplet is ``new`` with no networks until ``boot_seconds`` have passed on ``clock`` (the
constructor's; ``time.monotonic`` unless a test steps its own), then ``active`` with the
public address ``ip_address`` and the private (VPC) address ``private_ip_address``; tests
change either (before the boot) to tell which one a client uses. Faults, for the next
requests whatever they are:

    fail_next(status, count=1, headers=None, apply=False, method=None)  answer 429/500/503...;
        429 carries ratelimit-* and ``Retry-After: 1`` (a header set to None is left out);
        ``apply=True`` does the work first, as when a create succeeds but its answer is lost;
        ``method`` limits the fault to e.g. "POST"
    delay_next(seconds, count=1, after_apply=False, method=None)  answer late (real time),
        for client timeouts; ``after_apply`` does the work first, so a client killed while
        it waits has had its side effect (a crash between "create" and "row saved")
    never_active(name_or_tag)      matching droplets stay ``new`` forever
    no_capacity(size, region)      a create of that size in that region is refused as the real
        API refuses one it has no machine for: 422 ``{"id": "unprocessable_entity",
        "message": "Size is not available in this region."}``
    capacity_back(size, region)    creates there succeed again
    set_status(droplet_id, status) e.g. ``off``
    delete_behind_back(droplet_id) gone, as if deleted in the console
    seed(**body)                   a droplet that exists without a request, e.g. an orphan

``requests`` records every request as ``Call(method, path, query, body, status)``.
"""

import contextlib
import json
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from bench.loopback import LoopbackServer

FIRST_ID = 300_000_001
RATE_LIMIT = 5000


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: object
    status: int


@dataclass
class _Fault:
    status: int
    headers: dict[str, str]
    apply: bool
    method: str | None = None  # only requests with this method; None: any


@dataclass
class _Delay:
    seconds: float
    after_apply: bool  # do the work, then stall the answer (a crash after the side effect)
    method: str | None = None


class FakeDigitalOcean:
    def __init__(
        self,
        *,
        boot_seconds: float = 0,
        clock: Callable[[], float] = time.monotonic,
        token: str | None = None,
        ip_address: str = "127.0.0.1",
        private_ip_address: str = "127.0.0.1",
        tls: bool = True,
    ):
        self.boot_seconds = boot_seconds
        self.clock = clock
        self.token = token
        self.ip_address = ip_address
        self.private_ip_address = private_ip_address
        self.tls = tls
        self.requests: list[Call] = []
        self.ca_file: str | None = None
        self._lock = threading.Lock()
        self._droplets: dict[int, dict] = {}
        self._born: dict[int, float] = {}
        self._actions: dict[int, dict] = {}
        self._stuck: set[str] = set()
        self._full: set[tuple[str, str]] = set()
        self._faults: list[_Fault] = []
        self._delays: list[float] = []
        self._next_id = FIRST_ID
        self._stopping = threading.Event()
        # Set when an answer starts to stall: a test kills its client at that moment.
        self.stalled = threading.Event()
        self._server: LoopbackServer | None = None
        self._tmp: str | None = None

    def start(self) -> "FakeDigitalOcean":
        self._server = LoopbackServer(_Handler)
        self._server.fake = self
        if self.tls:
            self._tmp = tempfile.mkdtemp(prefix="fake-do-")
            self.ca_file, key = _self_signed(Path(self._tmp))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.ca_file, key)
            # Handshake in the handler's thread, so one silent client cannot stall accept().
            self._server.socket = context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes delayed answers so shutdown does not wait on them
        if self._server:
            self._server.stop()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "FakeDigitalOcean":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    @property
    def droplets(self) -> dict[int, dict]:
        """A snapshot, as the API would show it now."""
        with self._lock:
            self._boot()
            return json.loads(json.dumps(self._droplets))

    def fail_next(
        self,
        status: int,
        count: int = 1,
        headers: dict[str, str] | None = None,
        apply: bool = False,
        method: str | None = None,
    ) -> None:
        base = {}
        if status == 429:
            base = {
                "ratelimit-limit": str(RATE_LIMIT),
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(int(time.time()) + 1),
                "Retry-After": "1",
            }
        merged = {
            name: value for name, value in (base | (headers or {})).items() if value is not None
        }
        fault = _Fault(status, merged, apply, method)
        with self._lock:
            self._faults.extend([fault] * count)

    def delay_next(
        self, seconds: float, count: int = 1, *, after_apply: bool = False, method=None
    ) -> None:
        with self._lock:
            self._delays.extend([_Delay(seconds, after_apply, method)] * count)

    def never_active(self, name_or_tag: str) -> None:
        with self._lock:
            self._stuck.add(name_or_tag)

    def no_capacity(self, size: str, region: str) -> None:
        with self._lock:
            self._full.add((size, region))

    def capacity_back(self, size: str, region: str) -> None:
        with self._lock:
            self._full.discard((size, region))

    def set_status(self, droplet_id: int, status: str) -> None:
        with self._lock:
            self._boot()
            self._droplets[droplet_id]["status"] = status

    def delete_behind_back(self, droplet_id: int) -> None:
        with self._lock:
            self._droplets.pop(droplet_id, None)

    def seed(self, **body) -> dict:
        with self._lock:
            return self._create(body)

    def handle(self, method: str, target: str, headers, raw: bytes):
        """Answer one request: (status, headers, body bytes). Called from handler threads."""
        split = urlsplit(target)
        query = dict(parse_qsl(split.query))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        with self._lock:
            fault = _take(self._faults, method)
            delay = _take(self._delays, method)
        if delay and delay.seconds and not delay.after_apply:
            self.stalled.set()
            self._stopping.wait(delay.seconds)
        with self._lock:
            self._boot()
            if fault and not fault.apply:
                status, extra, payload = fault.status, fault.headers, _error(fault.status)
            else:
                status, extra, payload = self._route(method, split.path, query, body, headers)
                if fault:
                    status, extra, payload = fault.status, fault.headers, _error(fault.status)
            self.requests.append(Call(method, split.path, query, body, status))
            # Encoded under the lock: the payload holds live state other threads may change.
            content = b"" if status == 204 else json.dumps(payload).encode()
        if delay and delay.seconds and delay.after_apply:
            self.stalled.set()
            self._stopping.wait(delay.seconds)
        return status, _rate_headers() | extra, content

    def _route(self, method, path, query, body, headers):
        token = headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not headers.get("Authorization", "").startswith("Bearer ") or not token:
            return 401, {}, {"id": "Unauthorized", "message": "Unable to authenticate you"}
        if self.token is not None and token != self.token:
            return 401, {}, {"id": "Unauthorized", "message": "Unable to authenticate you"}

        if path == "/v2/droplets":
            if method == "POST":
                return self._post_droplets(body)
            if method == "GET":
                return self._list(path, query)
            if method == "DELETE" and query.get("tag_name"):
                for droplet in self._tagged(query["tag_name"]):
                    del self._droplets[droplet["id"]]
                return 204, {}, None
            if method == "DELETE":
                return 400, {}, {"id": "bad_request", "message": "tag_name is required"}
        if m := re.fullmatch(r"/v2/droplets/(\d+)", path):
            droplet = self._droplets.get(int(m[1]))
            if droplet is None:
                return 404, {}, _error(404)
            if method == "GET":
                return 200, {}, {"droplet": droplet}
            if method == "DELETE":
                del self._droplets[droplet["id"]]
                return 204, {}, None
        if method == "GET" and (m := re.fullmatch(r"/v2/droplets/(\d+)/actions", path)):
            actions = [a for a in self._actions.values() if a["resource_id"] == int(m[1])]
            return 200, {}, {"actions": actions, "links": {}, "meta": {"total": len(actions)}}
        if method == "GET" and (
            m := re.fullmatch(r"/v2/actions/(\d+)|/v2/droplets/\d+/actions/(\d+)", path)
        ):
            action = self._actions.get(int(m[1] or m[2]))
            if action is not None:
                return 200, {}, {"action": action}
        return 404, {}, _error(404)

    def _post_droplets(self, body):
        if not isinstance(body, dict):
            return 400, {}, {"id": "bad_request", "message": "request body must be JSON"}
        missing = [key for key in ("name", "size", "image") if not body.get(key)]
        if missing:
            # The real API also takes ``names``; nothing here creates droplets in bulk.
            message = f"{', '.join(missing)} is required"
            return 422, {}, {"id": "unprocessable_entity", "message": message}
        if (body["size"], body.get("region")) in self._full:
            # DigitalOcean's words when a size cannot be had in a region (e.g. GPU stock).
            message = "Size is not available in this region."
            return 422, {}, {"id": "unprocessable_entity", "message": message}
        droplet = self._create(body)
        action_id = self._new_id()
        region = droplet["region"]["slug"]
        self._actions[action_id] = {
            "id": action_id,
            "status": "in-progress",
            "type": "create",
            "started_at": droplet["created_at"],
            "completed_at": None,
            "resource_id": droplet["id"],
            "resource_type": "droplet",
            "region_slug": region,
        }
        self._boot()
        link = {"id": action_id, "rel": "create", "href": f"{self.url}/v2/actions/{action_id}"}
        return 202, {}, {"droplet": self._droplets[droplet["id"]], "links": {"actions": [link]}}

    def _list(self, path, query):
        droplets = list(self._droplets.values())
        if "tag_name" in query:
            droplets = self._tagged(query["tag_name"])
        if "name" in query:
            droplets = [d for d in droplets if d["name"] == query["name"]]
        page = max(1, int(query.get("page", 1)))
        per_page = min(200, max(1, int(query.get("per_page", 20))))
        last = max(1, -(-len(droplets) // per_page))

        def link(n):
            return f"{self.url}{path}?{urlencode(query | {'page': n, 'per_page': per_page})}"

        # Like the real API: page links only when there is more than one page.
        pages = {}
        if page > 1:
            pages |= {"first": link(1), "prev": link(page - 1)}
        if page < last:
            pages |= {"next": link(page + 1), "last": link(last)}
        chunk = droplets[(page - 1) * per_page : page * per_page]
        links = {"pages": pages} if pages else {}
        return 200, {}, {"droplets": chunk, "links": links, "meta": {"total": len(droplets)}}

    def _create(self, body: dict) -> dict:
        droplet_id = self._new_id()
        image = body.get("image")
        region = body.get("region") or "nyc3"
        self._droplets[droplet_id] = {
            "id": droplet_id,
            "name": body.get("name"),
            "status": "new",
            "locked": False,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tags": list(body.get("tags") or []),
            "region": {"slug": region, "name": region},
            "size_slug": body.get("size"),
            "size": {"slug": body.get("size")},
            "image": {"slug": image} if isinstance(image, str) else {"id": image},
            # A new droplet has no address yet; callers must poll for it, as with the real one.
            "networks": {"v4": [], "v6": []},
            "vpc_uuid": body.get("vpc_uuid"),
        }
        self._born[droplet_id] = self.clock()
        return self._droplets[droplet_id]

    def _boot(self) -> None:
        now = self.clock()
        for droplet in self._droplets.values():
            if droplet["status"] != "new" or now - self._born[droplet["id"]] < self.boot_seconds:
                continue
            if self._stuck & {droplet["name"], *droplet["tags"]}:
                continue
            droplet["status"] = "active"
            # Every droplet is in a VPC (the region's default one when the create names none).
            droplet["networks"]["v4"] = [
                {"ip_address": self.ip_address, "type": "public"},
                {"ip_address": self.private_ip_address, "type": "private"},
            ]
        for action in self._actions.values():
            droplet = self._droplets.get(action["resource_id"])
            if action["status"] == "in-progress" and droplet and droplet["status"] != "new":
                action["status"] = "completed"
                action["completed_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _tagged(self, tag: str) -> list[dict]:
        return [d for d in self._droplets.values() if tag in d["tags"]]

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1


def _take(queue: list, method: str):
    """Pops the first queued fault or delay meant for ``method`` (or for any method)."""
    for index, entry in enumerate(queue):
        if entry.method in (None, method):
            return queue.pop(index)
    return None


def _error(status: int) -> dict:
    if status == 404:
        return {"id": "not_found", "message": "The resource you requested could not be found."}
    phrase = HTTPStatus(status).phrase
    return {"id": phrase.lower().replace(" ", "_"), "message": phrase}


def _rate_headers() -> dict[str, str]:
    # pydo reads these on every answer; the real API always sends them.
    reset = str(int(time.time()) + 60)
    return {
        "ratelimit-limit": str(RATE_LIMIT),
        "ratelimit-remaining": "4999",
        "ratelimit-reset": reset,
    }


def _self_signed(directory: Path) -> tuple[str, str]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle(self):
        # The client may give up (its timeout) before the answer; there is nobody to tell.
        with contextlib.suppress(OSError):
            super().handle()

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self._answer()

    do_POST = do_DELETE = do_GET  # noqa: N815 - the stdlib's names

    def _answer(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers, content = self.server.fake.handle(
            self.command, self.path, self.headers, raw
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 204:  # a 204 carries no body and must not claim a length
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
