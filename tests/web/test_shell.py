from __future__ import annotations

from tests.support import Helpline


def test_healthz_reports_the_database(helpline: Helpline) -> None:
    response = helpline.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_metrics_are_in_prometheus_format(helpline: Helpline) -> None:
    helpline.client.get("/healthz")
    response = helpline.client.get("/metrics")
    assert response.status_code == 200
    assert "helpline_http_requests_total" in response.text
    assert response.headers["content-type"].startswith("text/plain")


def test_openapi_document_lists_the_api(helpline: Helpline) -> None:
    document = helpline.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/login" in document["paths"]
    assert "/api/v1/users" in document["paths"]
    assert helpline.client.get("/api/v1/docs").status_code == 200


def test_static_assets_are_vendored(helpline: Helpline) -> None:
    response = helpline.client.get("/static/vendor/htmx-2.0.11.min.js")
    assert response.status_code == 200
    assert "htmx" in response.text[:2000]
