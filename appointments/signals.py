"""What happened to an appointment, told to the apps above (they must not be imported here)."""

from django.dispatch import Signal

# Sent after commit with `appointment` and `status` when an appointment's status changed: a
# cancelled appointment's chat becomes read-only, and open chat pages should say so at once.
appointment_status_changed = Signal()

# Sent after commit with `appointment_ids` and `user_ids`: these users may have lost access to
# those appointments' chats (removed from a care team, a co-ownership revoked, handed over);
# whatever they hold open there should check again now.
access_revoked = Signal()
