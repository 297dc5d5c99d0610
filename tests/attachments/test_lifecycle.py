"""Uploads nobody sent go after 24 hours; attachments of sent messages stay for good."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from attachments.models import Attachment
from attachments.tasks import purge_unsent_attachments
from tests.attachments import files
from tests.attachments.conftest import upload
from tests.factories import send_message


def uploaded(client, appointment, hours_ago: float) -> Attachment:
    response = upload(client, appointment.pk, files.image_bytes())
    assert response.status_code == HTTPStatus.CREATED
    attachment = Attachment.objects.get(pk=response.json()["attachment"]["id"])
    Attachment.objects.filter(pk=attachment.pk).update(
        created_at=timezone.now() - timedelta(hours=hours_ago)
    )
    return attachment


def test_the_command_removes_only_old_unsent_uploads(
    parent_client, appointment, parent, private_media_root, capsys
):
    stale = uploaded(parent_client, appointment, hours_ago=25)
    fresh = uploaded(parent_client, appointment, hours_ago=23)
    sent = uploaded(parent_client, appointment, hours_ago=25)
    send_message(parent, appointment, "", message_type="image", attachments=[sent.pk])

    call_command("purge_unsent_attachments")

    assert "Removed 1 unsent upload(s)." in capsys.readouterr().out
    assert set(Attachment.objects.values_list("pk", flat=True)) == {fresh.pk, sent.pk}
    for key in (stale.storage_key, stale.thumbnail_key, stale.preview_key):
        assert not (private_media_root / key).exists()
    for key in (sent.storage_key, fresh.storage_key, sent.thumbnail_key):
        assert (private_media_root / key).exists()
    assert parent_client.get(f"/api/appointment-chat/attachments/{stale.pk}").status_code == 404


def test_the_periodic_job_does_the_same(parent_client, appointment):
    stale = uploaded(parent_client, appointment, hours_ago=30)

    removed = purge_unsent_attachments(timestamp=0)

    assert removed == 1
    assert not Attachment.objects.filter(pk=stale.pk).exists()


def test_the_database_refuses_to_delete_a_sent_attachment(parent_client, appointment, parent):
    sent = uploaded(parent_client, appointment, hours_ago=0)
    send_message(parent, appointment, "", message_type="image", attachments=[sent.pk])

    with pytest.raises(IntegrityError), transaction.atomic():
        Attachment.objects.filter(pk=sent.pk).delete()
    assert Attachment.objects.filter(pk=sent.pk).exists()


def test_staff_see_attachments_with_thumbnails(
    client_for, staff, parent_client, appointment, parent
):
    sent = uploaded(parent_client, appointment, hours_ago=0)
    message = send_message(parent, appointment, "", message_type="image", attachments=[sent.pk])
    admin = client_for(staff)

    listing = admin.get("/admin/attachments/attachment/")
    detail = admin.get(f"/admin/chat/message/{message.id}/change/")
    thumbnail = admin.get(f"/api/appointment-chat/attachments/{sent.pk}/thumbnail")

    assert listing.status_code == detail.status_code == HTTPStatus.OK
    src = f'src="/api/appointment-chat/attachments/{sent.pk}/thumbnail"'
    assert src in listing.content.decode()
    assert src in detail.content.decode()
    assert thumbnail.status_code == HTTPStatus.OK
