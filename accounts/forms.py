from django import forms
from django.http import HttpRequest

from accounts.models import User


class SignupForm(forms.Form):
    """Extra fields of the pet parent's sign-up, on top of allauth's email and password."""

    name = forms.CharField(
        label="Your name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "placeholder": "Alex Morgan"}),
    )

    field_order = ["name", "email", "password1", "password2"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Tell us your name so the vet knows who is writing.")
        return name

    def signup(self, request: HttpRequest, user: User) -> None:
        """Required by allauth; the adapter has already stored the name."""
