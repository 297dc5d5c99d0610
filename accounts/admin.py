from allauth.account.admin import EmailAddressAdmin as BaseEmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin as BaseAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Field, Q, QuerySet
from django.http import HttpRequest

from accounts.forms import NameCleaning
from accounts.models import User
from accounts.services import user_invite
from tenancy.admin import ClinicScoped, PlatformOnly
from tenancy.models import ClinicMembership

# Fields that grant access to the whole clinic; only a superuser may set them.
PRIVILEGED_FIELDS = ("role", "is_superuser", "groups", "user_permissions")


# How a pet parent is a client of an appointment's clinic: as the appointment's pet parent, as
# the pet's owner, or as one of its co-owners (lookups from User to Appointment).
CLIENT_PATHS = ("appointments_as_parent", "pets__appointments", "co_ownerships__pet__appointments")


def _clients(**appointment_lookup: object) -> Q:
    """Accounts that are clients of an appointment matching the lookup; one subquery per path
    rather than one join of all three, which would multiply the rows."""
    found = Q()
    for path in CLIENT_PATHS:
        lookup = {f"{path}__{name}": value for name, value in appointment_lookup.items()}
        found |= Q(pk__in=User.objects.filter(**lookup).values("pk"))
    return found


def accounts_seen_by(viewer: User) -> QuerySet[User]:
    """The accounts a clinic's staff member reaches in the admin: the people working at one of
    their clinics, the pet parents who are clients there, and the active accounts no clinic has
    yet (a vet invited but not yet placed, a client who signed up and has no appointment), so
    that a clinic can place or book them; no other clinic's people. Superusers: everyone."""
    if viewer.is_superuser:
        return User.objects.all()
    clinics = viewer.clinic_ids
    if not clinics:
        return User.objects.none()
    members = ClinicMembership.objects.values("user_id")
    ours = Q(pk__in=members.filter(clinic__in=clinics)) | _clients(clinic__in=clinics)
    unplaced = (
        Q(is_active=True, is_superuser=False) & ~Q(pk__in=members) & ~_clients(clinic__isnull=False)
    )
    return User.objects.filter(ours | unplaced)


class FollowsUser(ClinicScoped):
    """Rows that are one person's (an email address, an authenticator, a photo): reachable where
    that person is, and never when the row has nobody."""

    clinic_path = None
    user_path = "user"

    def scoped(self, queryset: QuerySet, request: HttpRequest) -> QuerySet:
        return queryset.filter(**{f"{self.user_path}__in": accounts_seen_by(request.user)})


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
class UserAdmin(ClinicScoped, BaseUserAdmin):
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
    clinic_path = None

    def scoped(self, queryset: QuerySet[User], request: HttpRequest) -> QuerySet[User]:
        return queryset.filter(pk__in=accounts_seen_by(request.user).values("pk"))

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


admin.site.unregister(EmailAddress)
admin.site.unregister(Authenticator)
admin.site.unregister(Group)


@admin.register(EmailAddress)
class EmailAddressAdmin(FollowsUser, BaseEmailAddressAdmin):
    pass


@admin.register(Authenticator)
class AuthenticatorAdmin(FollowsUser, BaseAuthenticatorAdmin):
    pass


@admin.register(Group)
class GroupAdmin(PlatformOnly, BaseGroupAdmin):
    """A group's permissions apply in every clinic: the platform's to define and hand out."""
