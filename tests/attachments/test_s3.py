"""The S3 backend, round trip against moto's stand-alone S3 server: uploads land in a private
bucket under random keys, downloads are redirected (after the access check) to short-lived
signed URLs, and the purge removes objects."""

import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from http import HTTPStatus

import boto3
import pytest
from django.utils import timezone

from attachments.models import Attachment
from attachments.services import attachments_purge_unsent
from tests.attachments import files
from tests.attachments.conftest import upload
from tests.servers import free_port

BUCKET = "vetchat-test-attachments"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=1)
                break
            except OSError:
                assert process.poll() is None, "moto's server stopped"
                assert time.monotonic() < deadline, "moto's server did not start"
                time.sleep(0.3)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint, settings):
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "signature_version": "s3v4",
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_round_trip_through_a_private_bucket(parent_client, vet_client, appointment, bucket):
    response = upload(parent_client, appointment.pk, files.jpeg_with_gps(), "rash.jpg")
    assert response.status_code == HTTPStatus.CREATED, response.content
    attachment = Attachment.objects.get(pk=response.json()["attachment"]["id"])

    keys = {item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {attachment.storage_key, attachment.thumbnail_key, attachment.preview_key}
    assert "rash" not in attachment.storage_key
    acl = bucket.get_object_acl(Bucket=BUCKET, Key=attachment.storage_key)
    assert not any("AllUsers" in str(grant["Grantee"]) for grant in acl["Grants"])

    download = parent_client.get(f"/api/appointment-chat/attachments/{attachment.pk}")
    outsider = vet_client.get(f"/api/appointment-chat/attachments/{attachment.pk}")

    assert download.status_code == HTTPStatus.FOUND
    assert outsider.status_code == HTTPStatus.NOT_FOUND  # not sent yet
    signed = download["Location"]
    assert "X-Amz-Signature=" in signed and "X-Amz-Expires=300" in signed
    with urllib.request.urlopen(signed) as answer:
        content = answer.read()
        assert answer.headers["Content-Type"] == "image/jpeg"
        assert answer.headers["Content-Disposition"] == 'inline; filename="rash.jpg"'
    assert content[:2] == b"\xff\xd8" and len(content) == attachment.size
    assert b"PhoneMaker" not in content
    ranged = urllib.request.Request(signed, headers={"Range": "bytes=0-9"})
    with urllib.request.urlopen(ranged) as answer:
        assert answer.status == HTTPStatus.PARTIAL_CONTENT and answer.read() == content[:10]
    unsigned = signed.split("?")[0]
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(unsigned)


def test_the_purge_removes_objects(parent_client, appointment, bucket):
    response = upload(parent_client, appointment.pk, files.image_bytes())
    Attachment.objects.update(created_at=timezone.now() - timedelta(days=2))

    assert attachments_purge_unsent() == 1

    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET)
    assert response.status_code == HTTPStatus.CREATED
