"""What happened to an account, told to the apps above (they must not be imported from here)."""

from django.dispatch import Signal

# Sent after commit with `user`: the account can no longer sign in, and whatever it holds open
# (live chat sockets) should close now rather than at its next check.
user_deactivated = Signal()
