"""What happened to an account, told to the apps above (they must not be imported from here)."""

from django.dispatch import Signal

# Sent after commit with `user` when the account was deactivated (or activated), its role or its
# password changed: whatever it holds open (live chat sockets) must ask again now.
user_access_changed = Signal()
