from drf_spectacular.authentication import SessionScheme


class VetchatSessionScheme(SessionScheme):
    """Describes the API's session authentication in the OpenAPI schema."""

    target_class = "vetchat.authentication.SessionAuthentication"
