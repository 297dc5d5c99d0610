from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db.models import Field
from django.http import HttpRequest

from accounts.forms import NameCleaning
from accounts.models import User
from accounts.services import user_invite

# Fields that grant access to the whole clinic; only a superuser may set them.
PRIVILEGED_FIELDS = ("role", "is_superuser", "groups", "user_permissions")


class UserCreationForm(NameCleaning, forms.ModelForm):
    """No password: the new account's owner sets one from the invitation email."""

    class Meta:
        model = User
        fields = ("email", "name", "role", "job_title")
        field_classes = {"email": forms.EmailField}


class UserEditForm(NameCleaning, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": forms.EmailField}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    list_display = (
        "email",
        "name",
        "role",
        "job_title",
        "is_active",
        "is_superuser",
        "date_joined",
    )
    list_filter = ("role", "is_active", "is_superuser")
    search_fields = ("email", "name")
    ordering = ("name", "email")
    # The photo is the user's own, set on their profile page.
    readonly_fields = ("image_url", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "role", "job_title", "image_url")}),
        ("Access", {"fields": ("is_active", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "job_title"),
                "description": "The new user gets an email with a link to set their password.",
            },
        ),
    )
    filter_horizontal = ("groups", "user_permissions")

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            readonly += PRIVILEGED_FIELDS
        return readonly

    def formfield_for_choice_field(
        self, db_field: Field, request: HttpRequest, **kwargs: object
    ) -> forms.Field:
        if db_field.name == "role" and not request.user.is_superuser:
            # A staff member who is not a superuser may add pet parents, vets and technicians,
            # not peers.
            kwargs["choices"] = [
                (value, label) for value, label in User.Role.choices if value != User.Role.STAFF
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form: forms.Form, change: bool) -> None:
        if not change:
            user_invite(request=request, user=obj)
            return
        super().save_model(request, obj, form, change)
