"""The inference client: OpenAI-compatible `/v1/chat/completions` and `/v1/models` over httpx.

One client per endpoint, with its key and, for a GPU droplet, its pinned certificate. Every
call:
1. passes the endpoint's circuit breaker (open: fail fast, the draft is held);
2. retries connection errors and 5xx with backoff (tenacity), within one overall deadline
   (httpx's read timeout is per chunk, so a slow-drip response would never trip it);
3. treats a cut-off answer (``finish_reason: length``) or a body that is not the JSON the
   API promises as malformed;
4. records its activity time and tokens (the GPU lifecycle's idle clock reads them).
"""

import json
import time
from dataclasses import dataclass
from enum import StrEnum

import httpx
import pybreaker
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from core.clock import now
from engines.breaker import breaker_for
from engines.dialect import Dialect
from engines.model_tasks import ModelTask
from engines.models import ModelCall
from engines.sealed import pinned_context


class Failure(StrEnum):
    BREAKER_OPEN = "breaker_open"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    SERVER_ERROR = "server_error"
    REJECTED = "rejected"
    MALFORMED = "malformed"
    TRUNCATED = "truncated"


class InferenceError(Exception):
    def __init__(self, failure: Failure, detail: str):
        super().__init__(f"{failure}: {detail}")
        self.failure = failure
        self.detail = detail

    @property
    def permanent(self) -> bool:
        """A rejected request fails the same way again; the others may pass later."""
        return self.failure == Failure.REJECTED


@dataclass(frozen=True)
class ChatResult:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    finish_reason: str


def _retryable(error: BaseException) -> bool:
    return isinstance(error, InferenceError) and error.failure in (
        Failure.UNREACHABLE,
        Failure.SERVER_ERROR,
    )


def response_format(schema_name: str, schema: dict, dialect: Dialect) -> dict:
    if dialect == Dialect.LLAMA_CPP:
        return {"type": "json_object", "schema": schema}
    return {
        "type": "json_schema",
        "json_schema": {"name": schema_name, "schema": schema, "strict": True},
    }


class InferenceClient:
    def __init__(
        self,
        base_url: str,
        *,
        dialect: Dialect = Dialect.OPENAI,
        api_key: str = "",
        certificate: str = "",
        attempts: int = 3,
        record_calls: bool = True,
        seed: int | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.dialect = Dialect(dialect)
        self.attempts = attempts
        self.record_calls = record_calls
        self.seed = seed
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # A GPU droplet's own certificate is pinned: no CA vouches for it, or for anyone
        # else in its place. Without one, the system's CAs (an endpoint someone else runs).
        verify = pinned_context(certificate) if certificate else True
        self._http = httpx.Client(base_url=self.base_url, headers=headers, verify=verify)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "InferenceClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def chat(
        self,
        *,
        task: ModelTask,
        model: str,
        messages: list[dict],
        max_tokens: int,
        schema: dict | None = None,
        engine_id: str = "",
        allow_truncated: bool = False,
    ) -> ChatResult:
        """One chat completion. ``allow_truncated`` accepts a cut-off answer (think notes)."""
        payload = {
            "model": model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": task.temperature,
        }
        if task.stop:
            payload["stop"] = list(task.stop)
        if self.seed is not None:
            payload["seed"] = self.seed
        if schema is not None:
            payload["response_format"] = response_format(task.schema_name, schema, self.dialect)
        started, started_at = time.monotonic(), now()
        try:
            body = self._post_with_retries("/v1/chat/completions", payload, task.timeout_seconds)
            result = self._parse_chat(body, model, started, allow_truncated=allow_truncated)
        except InferenceError as error:
            # A call the open breaker refused never reached the server: no activity.
            if error.failure != Failure.BREAKER_OPEN:
                self._record(task, model, engine_id, started_at, started, outcome=error.failure)
            raise
        self._record(task, model, engine_id, started_at, started, outcome="ok", result=result)
        return result

    def models(self, *, timeout_seconds: float = 5.0) -> list[str]:
        body = self._guarded(lambda: self._get_json("/v1/models", timeout_seconds))
        try:
            return [entry["id"] for entry in body["data"]]
        except (KeyError, TypeError) as error:
            raise InferenceError(Failure.MALFORMED, f"/v1/models: {error!r}") from error

    def ready(self, expected_models: list[str], *, timeout_seconds: float = 5.0) -> bool:
        """vLLM answers /health; llama-cpp-python does not (404), so /v1/models decides.

        Not through the breaker: polling a booting server must not trip it.
        """
        try:
            response = self._http.get("/health", timeout=timeout_seconds)
            if response.status_code == 200 and not expected_models:
                return True
            listed = self._get_json("/v1/models", timeout_seconds)["data"]
            return set(expected_models) <= {entry["id"] for entry in listed}
        except (httpx.HTTPError, InferenceError, KeyError, TypeError):
            return False

    def _guarded(self, call):
        try:
            return breaker_for(self.base_url).call(call)
        except pybreaker.CircuitBreakerError as error:
            raise InferenceError(Failure.BREAKER_OPEN, f"{self.base_url} is failing") from error

    def _post_with_retries(self, path: str, payload: dict, timeout_seconds: float) -> dict:
        deadline = time.monotonic() + timeout_seconds
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=0.2, max=2),
            reraise=True,
            # Out of time for another try: give up with the real failure, not a timeout.
            before_sleep=lambda state: _raise_if_past(deadline, state),
        )
        # One retried call is one success or one failure for the breaker, so a single
        # draft's retries cannot open it for everyone.
        return self._guarded(lambda: retrying(lambda: self._post_json(path, payload, deadline)))

    def _post_json(self, path: str, payload: dict, deadline: float) -> dict:
        remaining = _check_deadline(deadline)
        try:
            with self._http.stream("POST", path, json=payload, timeout=remaining) as response:
                chunks = []
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    _check_deadline(deadline)
                raw = b"".join(chunks)
        except httpx.ConnectTimeout as error:
            raise InferenceError(Failure.UNREACHABLE, f"{path}: {error!r}") from error
        except httpx.TimeoutException as error:
            raise InferenceError(Failure.TIMEOUT, f"{path}: {error!r}") from error
        except httpx.HTTPError as error:
            raise InferenceError(Failure.UNREACHABLE, f"{path}: {error!r}") from error
        if response.status_code >= 500:
            raise InferenceError(Failure.SERVER_ERROR, f"{path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise InferenceError(
                Failure.REJECTED, f"{path}: HTTP {response.status_code} {raw[:300]!r}"
            )
        return _json(raw, path)

    def _get_json(self, path: str, timeout_seconds: float) -> dict:
        try:
            response = self._http.get(path, timeout=timeout_seconds)
        except httpx.TimeoutException as error:
            raise InferenceError(Failure.TIMEOUT, f"{path}: {error!r}") from error
        except httpx.HTTPError as error:
            raise InferenceError(Failure.UNREACHABLE, f"{path}: {error!r}") from error
        if response.status_code >= 400:
            failure = Failure.SERVER_ERROR if response.status_code >= 500 else Failure.REJECTED
            raise InferenceError(failure, f"{path}: HTTP {response.status_code}")
        return _json(response.content, path)

    def _parse_chat(
        self, body: dict, model: str, started: float, *, allow_truncated: bool
    ) -> ChatResult:
        try:
            choice = body["choices"][0]
            text = choice["message"]["content"]
            usage = body.get("usage") or {}
            result = ChatResult(
                text=text if isinstance(text, str) else "",
                model=body.get("model", model),
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", 0)),
                latency_ms=round((time.monotonic() - started) * 1000),
                finish_reason=str(choice.get("finish_reason") or ""),
            )
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            raise InferenceError(Failure.MALFORMED, f"unexpected answer: {error!r}") from error
        if result.finish_reason == "length" and not allow_truncated:
            raise InferenceError(Failure.TRUNCATED, f"cut off at {result.completion_tokens} tokens")
        return result

    def _record(self, task, model, engine_id, started_at, started, *, outcome, result=None):
        if not self.record_calls:
            return
        ModelCall.objects.create(
            endpoint=self.base_url,
            task=task.name,
            model=model,
            engine_id=engine_id,
            started_at=started_at,
            latency_ms=round((time.monotonic() - started) * 1000),
            prompt_tokens=result.prompt_tokens if result else 0,
            completion_tokens=result.completion_tokens if result else 0,
            outcome=str(outcome),
        )


def _raise_if_past(deadline: float, state) -> None:
    if time.monotonic() >= deadline:
        raise state.outcome.exception()


def _check_deadline(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise InferenceError(Failure.TIMEOUT, "overall deadline passed")
    return remaining


def _json(raw: bytes, path: str) -> dict:
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise InferenceError(Failure.MALFORMED, f"{path}: not JSON ({error})") from error
    if not isinstance(body, dict):
        raise InferenceError(Failure.MALFORMED, f"{path}: not a JSON object")
    return body
