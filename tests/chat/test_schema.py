from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_describes_the_chat_endpoints(client_for, parent):
    response = client_for(parent).get("/api/schema/", {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    schema = response.json()
    paths = schema["paths"]
    messages = paths["/api/appointment-chat/messages"]
    assert {"get", "post"} <= set(messages)
    assert "/api/appointment-chat/test" in paths
    assert "/api/appointments/" in paths
    get_params = {p["name"] for p in messages["get"]["parameters"]}
    assert get_params >= {"appointmentId", "after", "before", "limit", "markRead"}
    components = schema["components"]["schemas"]
    assert set(components["MessageOutput"]["properties"]) >= {
        "_id",
        "seq",
        "senderId",
        "senderName",
        "senderImage",
        "content",
        "messageType",
        "isRead",
        "isDelivered",
        "createdAt",
        "updatedAt",
    }
    assert set(components["SendMessageInput"]["properties"]) >= {
        "appointmentId",
        "content",
        "messageType",
        "attachments",
        "clientId",
    }
    assert {"201", "200"} <= set(messages["post"]["responses"])


def test_api_docs_page_loads_its_assets_from_this_site(client_for, parent):
    response = client_for(parent).get("/api/docs/")
    assert response.status_code == HTTPStatus.OK
    assert "swagger-ui" in response.text
    assert "cdn." not in response.text and "unpkg" not in response.text


def test_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert "/api/appointment-chat/messages" in (tmp_path / "s.yml").read_text()
