"""`GET /metrics`: only to the bearer of VETCHAT_METRICS_TOKEN, Prometheus's text format, and
one query (the job queue's) whatever else it reports."""

from http import HTTPStatus

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-token-0123456789abcdef"

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings) -> str:
    settings.VETCHAT_METRICS_TOKEN = TOKEN
    return TOKEN


def scraped(authorization: str | None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return Client().get("/metrics", **headers)


def test_without_a_token_set_there_is_no_endpoint(settings):
    settings.VETCHAT_METRICS_TOKEN = ""
    assert scraped(None).status_code == HTTPStatus.NOT_FOUND
    assert scraped("Bearer ").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
)
def test_a_scrape_without_the_token_is_refused(token, authorization):
    response = scraped(authorization)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"vetchat_" not in response.content


def test_the_bearer_of_the_token_reads_the_figures_with_one_query(token, django_assert_num_queries):
    with django_assert_num_queries(1):  # the job queue's
        response = scraped(f"Bearer {token}")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "vetchat_http_requests",
        "vetchat_http_request_duration_seconds",
        "vetchat_open_websockets",
        "vetchat_pushes_sent",
        "vetchat_pushes_dropped",
        "vetchat_resyncs",
        "vetchat_rate_limit_refusals",
        "vetchat_job_queue_depth",
        "vetchat_job_queue_oldest_age_seconds",
        "vetchat_job_queue_readable",
    } <= names
