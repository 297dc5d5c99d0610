"""Profile photos' door: any signed-in person may see one, as it shows beside its owner's
messages to everyone in their chats; its URL holds a random key that nobody can guess."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from attachments.models import ProfilePhoto
from attachments.serving import serve_file


@login_required
def profile_photo(request: HttpRequest, token: str) -> HttpResponse:
    key = f"profile/{token}.jpg"
    if not ProfilePhoto.objects.filter(storage_key=key).exists():
        raise Http404
    return serve_file(
        request,
        key=key,
        content_type="image/jpeg",
        filename="photo.jpg",
        inline=True,
        etag=f'"{token}"',
    )
