from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest

from accounts.middleware import session_stamp
from accounts.models import User
from notifications.mail import email_queue


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:
        # Sign-up is open to pet parents only; vets and staff are created by an admin.
        user.role = User.Role.PET_PARENT
        user.name = form.cleaned_data["name"].strip()
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Rendered here, where the request is at hand, and sent by the job worker: an SMTP
        server that is down or slow never fails or holds up a sign-up, a reset, a sign-in code
        or an invitation (allauth's own `send_mail` sends inside the request)."""
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
                **context,
            },
        )
        email_queue(message, kind=template_prefix.rsplit("/", 1)[-1])

    def login(self, request: HttpRequest, user: User) -> None:
        super().login(request, user)
        session_stamp(request.session, user)
