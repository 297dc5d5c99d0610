from django import forms

from clinic.selectors import PLACEHOLDERS
from clinic.services import BODY_MAX, TITLE_MAX
from sms.numbers import NotAMobileNumber, mobile_number
from sms.phones import CONSENT_WORDS


class DescribedForm(forms.Form):
    """Each field is described by its help text and, once refused, its error (as
    `clinic/_field.html` shows them), so a screen reader reads both with the field."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._describe()

    def add_error(self, field: str | None, error: object) -> None:
        super().add_error(field, error)
        self._describe()  # an error a service adds after validation is described too

    def _describe(self) -> None:
        for name, field in self.fields.items():
            described = [f"id_{name}_helptext"] if field.help_text else []
            if self.is_bound and self.errors.get(name):
                described.append(f"id_{name}_error")
                field.widget.attrs["aria-invalid"] = "true"
            field.widget.attrs["aria-describedby"] = " ".join(described)


class ProfilePhotoForm(DescribedForm):
    photo = forms.FileField(
        label="Your photo",
        help_text="A photo of you (JPEG, PNG, WebP, GIF or HEIC), shown small and round beside "
        "your messages. Its location and camera details are removed.",
        widget=forms.FileInput(attrs={"accept": "image/*"}),
        error_messages={
            "required": "Choose a photo to upload.",
            "empty": "The file is empty.",
            "invalid": "No file was sent; choose a photo again.",
        },
    )


class CannedAnswerForm(DescribedForm):
    title = forms.CharField(
        label="Title", max_length=TITLE_MAX, help_text="What you type after / to find it."
    )
    body = forms.CharField(
        label="Text",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Placeholders filled in for each appointment: "
        + ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        + ".",
    )


class PhoneForm(DescribedForm):
    """A pet parent's mobile number and their consent to texts at it; the consent's label is
    the exact words recorded with it."""

    number = forms.CharField(
        label="Mobile number",
        max_length=32,
        help_text="With its country code if it is not a number of this country.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        error_messages={"required": "Type your mobile number, or remove it below."},
    )
    consent = forms.BooleanField(label=CONSENT_WORDS, required=False)

    def clean_number(self) -> str:
        try:
            return mobile_number(self.cleaned_data["number"])
        except NotAMobileNumber as error:
            raise forms.ValidationError(error.message) from None
