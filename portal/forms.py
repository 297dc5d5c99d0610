from django import forms

from clinic.selectors import PLACEHOLDERS
from clinic.services import BODY_MAX, TITLE_MAX


class CannedAnswerForm(forms.Form):
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

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["aria-describedby"] = ""
        for name, field in self.fields.items():
            described = [f"id_{name}_helptext"] if field.help_text else []
            if self.is_bound and self.errors.get(name):
                described.append(f"id_{name}_error")
                field.widget.attrs["aria-invalid"] = "true"
            field.widget.attrs["aria-describedby"] = " ".join(described)
