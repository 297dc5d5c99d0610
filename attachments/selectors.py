"""Reads of attachments: the one a user may download, the ones a message may take."""

from collections.abc import Iterable
from uuid import UUID

from accounts.models import User
from appointments.access import Action, Standing, access_appointment, standing
from attachments.models import Attachment
from vetchat.errors import NotFound, NotPermitted


class AttachmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No attachment with this id.")


def attachment_for_download(*, user: User, attachment_id: UUID) -> Attachment:
    """The attachment, if this user may see it: a sent one by whoever may view its appointment
    (its participants, staff), one not yet sent by its uploader alone, one whose message was
    taken back by staff alone. Anyone else is told it does not exist."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise AttachmentNotFound
    try:
        # Kept on the attachment with its members: the download's audit asks who is reading.
        attachment.appointment = access_appointment(
            user=user, appointment_id=attachment.appointment_id, action=Action.VIEW
        )
    except (NotFound, NotPermitted):
        raise AttachmentNotFound from None
    if attachment.message_id is None and attachment.uploader_id != user.pk:
        raise AttachmentNotFound
    if attachment.withdrawn_at is not None and standing(user, attachment.appointment) != (
        Standing.STAFF
    ):
        raise AttachmentNotFound
    return attachment


def attachments_unsent(
    *, ids: Iterable[UUID], appointment_id: UUID, uploader_id: UUID
) -> dict[UUID, Attachment]:
    """Of these ids, the uploads of this sender into this appointment that no message holds."""
    found = Attachment.objects.filter(
        pk__in=list(ids),
        appointment_id=appointment_id,
        uploader_id=uploader_id,
        message_id__isnull=True,
    )
    return {attachment.pk: attachment for attachment in found}
