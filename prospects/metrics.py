"""Prometheus metrics at /metrics: request counters per process, domain state per scrape.

Request counts and durations are kept per process (each gunicorn worker answers with
its own); everything else is read from the database when scraped,
so any process answers with the same figures.
"""

import time
from datetime import timedelta
from ipaddress import ip_address

from django.conf import settings
from django.db.models import Avg, Count, F, Sum
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from core.clock import now
from core.roles import public
from engines.gpu.selectors import gpu_spend
from engines.models import ModelCall
from engines.models.gpu import GpuInstance
from engines.selectors import model_endpoints
from prospects.drafting.runner import backlog
from prospects.models import Decision, Draft

REQUESTS = Counter(
    "prospector_http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "prospector_http_request_seconds", "Time to answer an HTTP request.", ["route"]
)
BREAKER_STATES = ("closed", "half-open", "open", "unknown")


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # The route name, never the raw path: ids would make unbounded label values.
        route = (match.view_name if match else "") or "unmatched"
        REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(route).observe(time.perf_counter() - started)
        return response


def _gauge(name: str, help_text: str, labels: list[str], rows) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text, labels=labels)
    for values, value in rows:
        family.add_metric(values, value)
    return family


class DomainCollector:
    """Pipeline, drafts, engines, jobs and GPU state, read at scrape time."""

    def describe(self):
        # Without this, registering would run collect() (queries) at import time.
        return []

    def collect(self):
        yield _gauge(
            "prospector_decisions",
            "Decisions by move and whether a reply was drafted.",
            ["move", "drafts_reply"],
            (
                ([row["move"], str(bool(row["template_key"])).lower()], row["n"])
                for row in Decision.objects.values("move", "template_key")
                .annotate(n=Count("id"))
                .order_by()
            ),
        )
        yield _gauge(
            "prospector_drafts",
            "Drafts by status and hold reason.",
            ["status", "hold_reason"],
            (
                ([row["status"], row["hold_reason"]], row["n"])
                for row in Draft.objects.values("status", "hold_reason")
                .annotate(n=Count("id"))
                .order_by()
            ),
        )
        yield _gauge(
            "prospector_escalations",
            "Escalation retries after a gate failure, by outcome (passed, gate_failed, error).",
            ["outcome"],
            (
                ([row["outcome"]], row["n"])
                for row in Draft.objects.exclude(escalation={})
                .values(outcome=F("escalation__outcome"))
                .annotate(n=Count("id"))
                .order_by()
            ),
        )
        yield from _model_call_metrics()
        yield _gauge(
            "prospector_breaker_open",
            "Circuit breaker state per model endpoint (1 for the current state).",
            ["endpoint", "state"],
            (
                ([endpoint["url"], state], float(endpoint["breaker"] == state))
                for endpoint in model_endpoints()
                for state in BREAKER_STATES
            ),
        )
        yield _gauge(
            "prospector_job_backlog_items",
            "Drafting-job items waiting per engine.",
            ["engine_id"],
            (([row["engine_id"]], row["items"]) for row in backlog()),
        )
        yield _gauge(
            "prospector_gpu_instances",
            "GPU instances by build and state.",
            ["engine_id", "state"],
            (
                ([row["engine_id"], row["state"]], row["n"])
                for row in GpuInstance.objects.filter(state__in=GpuInstance.LIVE)
                .values("engine_id", "state")
                .annotate(n=Count("id"))
                .order_by()
            ),
        )
        spend = gpu_spend()
        yield _gauge(
            "prospector_gpu_spend_usd",
            "GPU spend so far today and this month (UTC).",
            ["period"],
            [(["today"], spend["today"]), (["month"], spend["month"])],
        )


def _model_call_metrics():
    """Calls, mean latency and tokens over the last hour, per engine, task and outcome."""
    calls = list(
        ModelCall.objects.filter(started_at__gte=now() - timedelta(hours=1))
        .values("engine_id", "task", "outcome")
        .annotate(
            n=Count("id"),
            latency=Avg("latency_ms"),
            tokens_in=Sum("prompt_tokens"),
            tokens_out=Sum("completion_tokens"),
        )
        .order_by()
    )
    labels = ["engine_id", "task", "outcome"]
    keys = [[row["engine_id"], row["task"], row["outcome"]] for row in calls]
    yield _gauge(
        "prospector_model_calls_last_hour",
        "Model calls in the last hour.",
        labels,
        ((key, row["n"]) for key, row in zip(keys, calls, strict=True)),
    )
    yield _gauge(
        "prospector_model_latency_ms_last_hour",
        "Mean model-call latency in the last hour.",
        labels,
        ((key, row["latency"] or 0) for key, row in zip(keys, calls, strict=True)),
    )
    yield _gauge(
        "prospector_model_tokens_last_hour",
        "Tokens into and out of model calls in the last hour.",
        [*labels, "direction"],
        (
            item
            for key, row in zip(keys, calls, strict=True)
            for item in (
                ([*key, "in"], row["tokens_in"] or 0),
                ([*key, "out"], row["tokens_out"] or 0),
            )
        ),
    )


REGISTRY.register(DomainCollector())


def _allowed(request) -> bool:
    """With METRICS_TOKEN set, its bearer; otherwise a direct loopback caller only (a
    request relayed by a local proxy carries X-Forwarded-For and is refused)."""
    if settings.METRICS_TOKEN:
        return request.headers.get("Authorization") == f"Bearer {settings.METRICS_TOKEN}"
    proxied = "X-Forwarded-For" in request.headers or "X-Real-IP" in request.headers
    return not proxied and ip_address(request.META.get("REMOTE_ADDR") or "0.0.0.0").is_loopback


@public  # it checks the caller's address or token itself
def metrics_view(request):
    if not _allowed(request):
        return HttpResponseForbidden("Metrics are served to loopback or with METRICS_TOKEN.")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
