"""What the texts tell outside code: a text that did not arrive, for whoever told the parent
by text instead of some other way to tell them again (the notifications: email and web push)."""

from django.dispatch import Signal

# Sent once per text, in the transaction that marks it undelivered or failed, with `text`
# (sms.Text) and `now`. A receiver returns True when it told the parent some other way.
text_undelivered = Signal()
