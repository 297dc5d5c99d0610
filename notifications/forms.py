from django import forms

from accounts.models import User
from notifications.models import Preference


class PreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(
        label="Email me about messages I have not read", required=False
    )
    delay = forms.ChoiceField(label="Send the email", choices=Preference.Delay.choices)
    quiet_from = forms.TimeField(
        label="Quiet hours from",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_until = forms.TimeField(
        label="Quiet hours until",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    web_push_enabled = forms.BooleanField(
        label="Web push: notifications in the browsers I turn them on in", required=False
    )
    sms_enabled = forms.BooleanField(label="Text me instead of emailing", required=False)
    digest_hours = forms.TypedChoiceField(
        label="Instead, one digest email",
        choices=[("", "No digest: one email per chat"), *Preference.Digest.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(
        self,
        *args: object,
        user: User,
        default_label: str = "",
        texts_to: str = "",
        **kwargs: object,
    ) -> None:
        super().__init__(*args, label_suffix="", **kwargs)
        if default_label:
            # "The clinic's default" alone says nothing; a parent's differs from a vet's.
            self.fields["delay"].choices = [
                (
                    value,
                    f"{label} ({default_label})"
                    if value == Preference.Delay.CLINIC_DEFAULT
                    else label,
                )
                for value, label in Preference.Delay.choices
            ]
        if user.role != User.Role.VETERINARIAN:
            del self.fields["digest_hours"]
        if texts_to:
            self.fields["sms_enabled"].label = f"Text me at {texts_to} instead of emailing"
        else:  # texts off in this deployment, or no number consented to them
            del self.fields["sms_enabled"]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("quiet_from"), data.get("quiet_until")
        if start is not None and end is None and "quiet_until" not in self.errors:
            self.add_error("quiet_until", "Say when the quiet hours end too.")
        if end is not None and start is None and "quiet_from" not in self.errors:
            self.add_error("quiet_from", "Say when the quiet hours start too.")
        if start is not None and start == end:
            self.add_error("quiet_until", "Quiet hours must end at another time than they start.")
        return data

    @classmethod
    def initial_of(cls, preference: Preference) -> dict:
        return {
            "email_enabled": preference.email_enabled,
            "delay": preference.delay,
            "quiet_from": preference.quiet_from,
            "quiet_until": preference.quiet_until,
            "web_push_enabled": preference.web_push_enabled,
            "digest_hours": preference.digest_hours or "",
            "sms_enabled": preference.sms_enabled,
        }
