"""/metrics in Prometheus text format: who may scrape, and what it says."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.drafting import ingest
from tests.support.factories import make_inbound

pytestmark = pytest.mark.django_db


def _samples(text: str) -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_decisions_drafts_and_requests(client, canon):
    for body in ("Hi there", "Hello!", "Boost your SEO ranking, click here"):
        ingest(make_inbound(body))
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = _samples(response.content.decode())
    assert samples[("prospector_drafts", (("hold_reason", "review_mode"), ("status", "held")))] == 2
    assert samples[("prospector_decisions", (("drafts_reply", "false"), ("move", "spam")))] == 1
    healthz = (("method", "GET"), ("route", "healthz"), ("status", "200"))
    assert samples[("prospector_http_requests_total", healthz)] >= 1
    assert ("prospector_gpu_spend_usd", (("period", "today"),)) in samples


def test_metrics_need_loopback_or_the_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    # Relayed by a local proxy: loopback, but not a local scraper.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    settings.METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 403
    scraped = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert scraped.status_code == 200
