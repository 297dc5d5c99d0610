"""The favicon, the home-screen icons and the 404 page: what every browser asks for by itself."""

import re
from http import HTTPStatus

from django.contrib.staticfiles import finders

# A static file's URL, under its hashed name where the storage gives one.
STATIC_URL = re.compile(r"/static/(?P<path>[\w/-]+?)(\.[0-9a-f]{12})?\.(?P<ext>ico|png)")


def test_favicon_ico_points_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == HTTPStatus.FOUND
    assert STATIC_URL.fullmatch(response["Location"])["path"] == "favicon"
    assert "max-age=86400" in response["Cache-Control"]
    assert finders.find("favicon.ico")


def test_the_web_manifest_names_the_app_and_its_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "vetchat"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        found = STATIC_URL.fullmatch(icon["src"])
        assert finders.find(f"{found['path']}.{found['ext']}")


def test_every_page_links_its_icons_and_manifest(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="apple-touch-icon"' in page
    assert 'rel="manifest" href="/manifest.webmanifest"' in page


def test_an_unknown_page_is_a_page_of_the_site(client):
    response = client.get("/no-such-page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "<title>Page not found · vetchat</title>" in page
    assert '<main id="main"' in page
