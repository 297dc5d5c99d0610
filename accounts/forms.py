from django import forms
from django.http import HttpRequest

from accounts.models import User
from vetchat.text import breaks_a_line

NAME_REFUSED = "Write your name on one line, without line breaks, tabs or other control characters."


class NameCleaning:
    """A name is shown in chats and sent in email headers: one line, nothing invisible. Refused
    rather than quietly changed, so what the person typed stays in the field to correct."""

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if any(breaks_a_line(char) for char in name):
            raise forms.ValidationError(NAME_REFUSED, code="control_characters")
        name = name.strip()
        if not name:
            raise forms.ValidationError("Tell us your name so the vet knows who is writing.")
        return name


class SignupForm(NameCleaning, forms.Form):
    """Extra fields of the pet parent's sign-up, on top of allauth's email and password."""

    name = forms.CharField(
        label="Your name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "placeholder": "Alex Morgan"}),
    )

    field_order = ["name", "email", "password1", "password2"]

    def signup(self, request: HttpRequest, user: User) -> None:
        """Required by allauth; the adapter has already stored the name."""
