import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from appointments.models import Appointment
from tenancy.models import Clinic

MAX_CONTENT_LENGTH = 10_000
# The largest seq: PostgreSQL's integer, which a `PositiveIntegerField` is.
MAX_SEQ = 2**31 - 1
# The text search configuration of the messages' index, and so of every search. English: the
# clinic writes and searches in English, and stemming lets "vomiting" find "vomited" and
# "vomits"; drug and pet names are not English words and are kept whole. Changing it means a
# migration (the stored vectors and the index were built with it).
SEARCH_CONFIG = "english"


class Chat(models.Model):
    """The conversation of one appointment. `last_seq` is the seq of its newest message."""

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="chat")
    # The appointment's clinic, on every row of the chat: the column it would be distributed by.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    last_seq = models.PositiveIntegerField(default=0)
    # The head of the chat's chain (chat/integrity.py): the hash of its newest link, and that
    # link's position.
    last_hash = models.CharField(max_length=64, blank=True, db_default="")
    last_link = models.PositiveIntegerField(default=0, db_default=0)
    # The newest link already written to a checkpoint outside the database (chat/checkpoints.py).
    checkpointed_link = models.PositiveIntegerField(default=0, db_default=0)
    # Bumped under the chat's row lock by every change to it (a send, an edit, a retraction,
    # an acknowledgement): clients pass back the rev they hold to learn what changed since.
    rev = models.PositiveBigIntegerField(default=0, db_default=0)
    # Staff may reopen a closed follow-up window until this moment.
    reopened_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # What a message's (chat, clinic) key refers to (migration 0009).
            models.UniqueConstraint(fields=["id", "clinic"], name="chat_in_its_clinic"),
        ]

    def __str__(self) -> str:
        return f"Chat of {self.appointment}"


class Message(models.Model):
    class Type(models.TextChoices):
        TEXT = "text", "Text"
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"
        ASSESSMENT = "assessment", "Assessment"
        PRESCRIPTION = "prescription", "Prescription"
        FILE = "file", "File"
        # Written by the clinic itself (a hand-over, an after-hours reply), never by a client.
        SYSTEM = "system", "Clinic notice"
        # A pet parent's first message of a topic: its category and the intake's answers
        # (`triage`), with their own words.
        INTAKE = "intake", "Intake"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="messages")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", db_index=False)
    # 1, 2, 3… within the chat, in commit order: clients page and poll by it.
    seq = models.PositiveIntegerField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chat_messages"
    )
    message_type = models.CharField(max_length=20, choices=Type, default=Type.TEXT)
    content = models.TextField(blank=True)
    payload = models.JSONField(null=True, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    # Chosen by the sending client so that a retried send is stored once.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL: none given
    # The hash of this message's link as sent in the chat's chain (chat/integrity.py).
    hash = models.CharField(max_length=64, blank=True, db_default="")
    # Set before the insert, not by the database: the hash covers it.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The chat's rev when this message last changed (sent, edited, retracted, acknowledged).
    rev = models.PositiveBigIntegerField(default=0, db_default=0)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Retracted messages stay in the record; participants see only that one was removed.
    retracted_at = models.DateTimeField(null=True, blank=True)
    # A new assessment or prescription that corrects an earlier one names it here.
    amends = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="acknowledged_messages",
    )
    # The current text's lexemes, kept by PostgreSQL itself: an edit re-indexes the message, and a
    # match needs no to_tsvector() per row to be checked (chat/search.py).
    search_vector = models.GeneratedField(
        expression=SearchVector("content", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["chat", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="chat_message_seq_unique"),
            models.UniqueConstraint(
                fields=["chat", "sender", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="chat_message_client_id_unique",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("content"), MAX_CONTENT_LENGTH),
                name="chat_message_content_length",
            ),
        ]
        indexes = [
            models.Index(fields=["chat", "rev"], name="chat_message_rev"),
            GinIndex(fields=["search_vector"], name="chat_message_search"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_message_type_display()} from {self.sender_id}"


class MessageRevision(models.Model):
    """A message as it stood before one change to it: every version stays in the record."""

    class Change(models.TextChoices):
        EDITED = "edited", "Edited"
        RETRACTED = "retracted", "Retracted"

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="revisions")
    change = models.CharField(max_length=20, choices=Change)
    content = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["message", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_change_display()} {self.message_id} at {self.changed_at:%Y-%m-%d %H:%M}"


class ChainLink(models.Model):
    """One change to a chat in its keyed hash chain (chat/integrity.py, chat/chain.py): a
    message sent, edited, retracted or acknowledged. The link stores no copy of the change: it is
    read back from the message and its kept versions, so a silent change to either shows."""

    class Change(models.TextChoices):
        SENT = "sent", "Sent"
        EDITED = "edited", "Edited"
        RETRACTED = "retracted", "Retracted"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="links")
    # 1, 2, 3… within the chat, in the order the changes were made (under the chat's row lock).
    position = models.PositiveIntegerField()
    change = models.CharField(max_length=20, choices=Change)
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="+")
    # The version an edit or a retraction kept (its text before the change).
    revision = models.OneToOneField(
        MessageRevision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Which of the configured keys made `hash`, so older links verify after a rotation.
    key_id = models.CharField(max_length=16)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["chat", "position"]
        constraints = [
            models.UniqueConstraint(fields=["chat", "position"], name="chat_chainlink_unique"),
        ]

    def __str__(self) -> str:
        return f"Link #{self.position} of chat {self.chat_id}: {self.get_change_display()}"


class ReadState(models.Model):
    """How far one participant has read one chat; it only ever moves forward."""

    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="read_states")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chat_read_states"
    )
    last_read_seq = models.PositiveIntegerField(default=0)
    # Set when the user marks the chat unread from a message: their lists count the messages
    # from here on as unread again until they read the chat. The cursor above stays where it
    # was, so the other side's "Read" receipts never go back.
    unread_from_seq = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chat", "user"], name="chat_read_state_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.chat_id} up to #{self.last_read_seq}"


class ScheduledMessage(models.Model):
    """A text message the clinic's side wrote to go later (`chat.scheduled`): at a time its
    writer chose, or, held while the clinic is closed, when it opens. The job worker sends it
    through the same service and rules as a message sent at once; until then only the
    clinic's side of the chat sees it."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held until the clinic opens"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="scheduled_messages")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scheduled_messages"
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.SCHEDULED)
    content = models.TextField()
    send_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    # Why it was not sent, in words its writer is shown.
    failure = models.CharField(max_length=500, blank=True)
    message = models.OneToOneField(
        Message, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # A held reply's `clientId`: the client's retry of the same send finds this row.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL: none given

    class Meta:
        ordering = ["send_at", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("content"), MAX_CONTENT_LENGTH),
                name="chat_scheduled_content_length",
            ),
            models.UniqueConstraint(
                fields=["chat", "writer", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="chat_scheduled_client_id_unique",
            ),
        ]
        indexes = [
            # The worker's question: what is due now?
            models.Index(
                fields=["send_at"],
                condition=models.Q(status="pending"),
                name="chat_scheduled_due",
            ),
            models.Index(fields=["chat", "status"], name="chat_scheduled_of_chat"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.send_at:%Y-%m-%d %H:%M} in {self.chat_id}"
