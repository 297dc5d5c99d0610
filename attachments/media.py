"""What an uploaded file really is, and the copy of it that is kept.

The type comes from the bytes (libmagic), never from the declared type or the name. Images are
decoded and re-encoded (orientation applied, metadata gone, thumbnails made), videos are
remuxed by ffmpeg without their metadata, PDFs are kept as they are but only ever downloaded.

Everything here runs inline in the upload request, bounded: images by a pixel limit (decoding
a 60 MP photo takes about a second), videos by a stream copy (no re-encoding: it costs what
reading and writing the file costs) with a timeout of `VETCHAT_MEDIA_TIMEOUT_SECONDS`.

libmagic, Pillow and its HEIF plugin are imported by the functions that use them, on a worker's
first upload: every worker imports this module at start (the admin, the job registry), and the
ones that serve only sockets never read a file.
"""

import json
import logging
import subprocess  # nosec B404 - ffmpeg and ffprobe, absolute paths, no shell
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from attachments.models import Attachment
from vetchat.errors import InvalidInput, TooLarge, UnsupportedType

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

FFMPEG = "/usr/bin/ffmpeg"
FFPROBE = "/usr/bin/ffprobe"
THUMBNAIL_SIZES = (320, 1280)


@dataclass(frozen=True)
class Format:
    kind: str
    content_type: str  # of the copy that is kept
    extension: str
    pillow: str = ""  # Pillow's decoder for an image


# What libmagic may find, and how each is kept. HEIC/HEIF becomes JPEG: browsers other than
# Safari cannot show it.
ALLOWED: dict[str, Format] = {
    "image/jpeg": Format(Attachment.Kind.IMAGE, "image/jpeg", ".jpg", "JPEG"),
    "image/png": Format(Attachment.Kind.IMAGE, "image/png", ".png", "PNG"),
    "image/webp": Format(Attachment.Kind.IMAGE, "image/webp", ".webp", "WEBP"),
    "image/gif": Format(Attachment.Kind.IMAGE, "image/gif", ".gif", "GIF"),
    "image/heic": Format(Attachment.Kind.IMAGE, "image/jpeg", ".jpg", "HEIF"),
    "image/heif": Format(Attachment.Kind.IMAGE, "image/jpeg", ".jpg", "HEIF"),
    "video/mp4": Format(Attachment.Kind.VIDEO, "video/mp4", ".mp4"),
    "video/x-m4v": Format(Attachment.Kind.VIDEO, "video/mp4", ".mp4"),
    "video/quicktime": Format(Attachment.Kind.VIDEO, "video/mp4", ".mp4"),
    "video/webm": Format(Attachment.Kind.VIDEO, "video/webm", ".webm"),
    "application/pdf": Format(Attachment.Kind.DOCUMENT, "application/pdf", ".pdf"),
}
ALLOWED_LIST = "photos (JPEG, PNG, WebP, GIF, HEIC), videos (MP4, MOV, WebM) and PDF documents"


class EmptyFile(InvalidInput):
    code = "empty_file"


class UnreadableFile(InvalidInput):
    code = "unreadable_file"


class TooManyPixels(InvalidInput):
    code = "too_many_pixels"


class FileTooLarge(TooLarge):
    code = "file_too_large"


class TypeNotAllowed(UnsupportedType):
    code = "type_not_allowed"


@dataclass
class Processed:
    """The copy of an upload that is kept, in a working folder, with what was learnt of it."""

    format: Format
    path: Path
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    thumbnails: dict[int, Path] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.path.stat().st_size


_local = threading.local()


def sniff(path: Path) -> str:
    """The media type libmagic reads from the bytes (one loaded database per thread)."""
    if not hasattr(_local, "magic"):
        import magic

        _local.magic = magic.Magic(mime=True)
    return _local.magic.from_file(str(path))


def max_bytes(kind: str) -> int:
    return {
        Attachment.Kind.IMAGE: settings.VETCHAT_IMAGE_MAX_BYTES,
        Attachment.Kind.VIDEO: settings.VETCHAT_VIDEO_MAX_BYTES,
    }.get(kind, settings.VETCHAT_DOCUMENT_MAX_BYTES)


def identify(path: Path) -> Format:
    """The allowed format of the file at `path`, or why it is refused."""
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile("The file is empty.", fields={"file": "The file is empty."})
    found = sniff(path)
    allowed = ALLOWED.get(found)
    if allowed is None:
        message = f"Files of type {found} cannot be sent: send {ALLOWED_LIST}."
        raise TypeNotAllowed(message, fields={"file": f"Not allowed: {found}."})
    limit = max_bytes(allowed.kind)
    if size > limit:
        what = {"image": "Photos", "video": "Videos"}.get(allowed.kind, "Documents")
        message = f"{what} can be at most {limit // 1024 // 1024} MB."
        raise FileTooLarge(message, fields={"file": message})
    return allowed


def process(path: Path, workdir: Path) -> Processed:
    """Identify the file at `path` and make the copy to keep in `workdir`."""
    found = identify(path)
    if found.kind == Attachment.Kind.IMAGE:
        return process_image(path, workdir, found)
    if found.kind == Attachment.Kind.VIDEO:
        return process_video(path, workdir, found)
    return Processed(format=found, path=path)


# Images ----------------------------------------------------------------------------------------


@cache
def _open_heif() -> None:
    """Pillow opens HEIC/HEIF from here on (iPhones' photos), in the whole process."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _unreadable(what: str = "image") -> UnreadableFile:
    message = f"The {what} could not be read: it may be damaged or cut short."
    return UnreadableFile(message, fields={"file": message})


def _too_many_pixels(width: int, height: int, frames: int = 1) -> TooManyPixels:
    limit = settings.VETCHAT_IMAGE_MAX_PIXELS
    message = (
        f"The image is too large to open ({width} x {height} pixels"
        f"{f' x {frames} frames' if frames > 1 else ''}); "
        f"images can have at most {limit // 1_000_000} million pixels."
    )
    return TooManyPixels(message, fields={"file": message})


def process_image(path: Path, workdir: Path, found: Format) -> Processed:
    from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

    _open_heif()
    # A truncated picture is refused, not padded with grey: WeasyPrint (transcripts) turns
    # Pillow's process-wide switch on when it is imported, so it is set back before each decode.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(path, formats=[found.pillow]) as image:
            width, height = image.size
            frames = getattr(image, "n_frames", 1) if found.pillow in {"GIF", "WEBP"} else 1
            if width * height * frames > settings.VETCHAT_IMAGE_MAX_PIXELS:
                raise _too_many_pixels(width, height, frames)
            out = workdir / f"image{found.extension}"
            if frames > 1:
                first = _save_animation(image, out, found)
            else:
                image.load()
                first = ImageOps.exif_transpose(image)
                _save_still(first, out, found, image.info.get("icc_profile"))
            thumbnails = _thumbnails(first, workdir)
            return Processed(
                format=found,
                path=out,
                width=first.width,
                height=first.height,
                thumbnails=thumbnails,
            )
    except Image.DecompressionBombError as error:
        raise _too_many_pixels(0, 0) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise _unreadable() from error


def square(path: Path, workdir: Path, size: int) -> Path:
    """A JPEG of `size` x `size` pixels cut from the middle of an image this module kept."""
    from PIL import Image, ImageOps

    _open_heif()
    out = workdir / f"square-{size}.jpg"
    with Image.open(path) as image:
        image.seek(0)  # an animation's first frame
        ImageOps.fit(_flatten(image), (size, size), Image.Resampling.LANCZOS).save(
            out, "JPEG", quality=85
        )
    return out


def _save_still(image: "Image.Image", out: Path, found: Format, icc: bytes | None) -> None:
    """A new file from the pixels alone: no EXIF (GPS), XMP, comments or text chunks. The
    colour profile stays, so colours look as on the sender's phone."""
    image.info = {}
    extra = {"icc_profile": icc} if icc else {}
    if found.content_type == "image/jpeg":
        if image.mode not in {"RGB", "L"}:
            image = _flatten(image)
        image.save(out, "JPEG", quality=88, **extra)
    elif found.content_type == "image/png":
        if image.mode not in {"1", "L", "LA", "P", "RGB", "RGBA"}:
            image = image.convert("RGBA")
        image.save(out, "PNG", **extra)
    elif found.content_type == "image/webp":
        if image.mode not in {"RGB", "RGBA"}:
            image = image.convert("RGBA")
        image.save(out, "WEBP", quality=88, **extra)
    else:  # a single-frame GIF
        image.save(out, "GIF")


def _save_animation(image: "Image.Image", out: Path, found: Format) -> "Image.Image":
    """Every frame copied without the file's comments or metadata; returns the first."""
    from PIL import ImageSequence

    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(frame.info.get("duration", 100))
        copy = frame.convert("RGBA")
        copy.info = {}
        frames.append(copy)
    first, rest = frames[0], frames[1:]
    options = {"save_all": True, "append_images": rest, "duration": durations, "loop": 0}
    if found.pillow == "GIF":
        first.save(out, "GIF", disposal=2, **options)
    else:
        first.save(out, "WEBP", quality=80, **options)
    return first


def _flatten(image: "Image.Image") -> "Image.Image":
    """RGB, with any transparency laid on white (JPEG has no alpha)."""
    from PIL import Image

    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _thumbnails(image: "Image.Image", workdir: Path) -> dict[int, Path]:
    """JPEGs at most 1280 and 320 px on their longer side; each smaller one is made from the
    one before, which costs a fraction of scaling the whole photo twice."""
    from PIL import Image

    thumbnails = {}
    thumbnail = _flatten(image)
    for size in sorted(THUMBNAIL_SIZES, reverse=True):
        thumbnail = thumbnail.copy()
        thumbnail.thumbnail((size, size), Image.Resampling.LANCZOS)
        path = workdir / f"thumbnail-{size}.jpg"
        thumbnail.save(path, "JPEG", quality=82)
        thumbnails[size] = path
    return thumbnails


# Video -----------------------------------------------------------------------------------------


def _run(arguments: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(  # noqa: S603  # nosec B603 - fixed argument lists, our own paths
            arguments,
            capture_output=True,
            timeout=settings.VETCHAT_MEDIA_TIMEOUT_SECONDS,
            check=True,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as error:
        message = "The video took too long to process."
        raise UnreadableFile(message, fields={"file": message}) from error
    except subprocess.CalledProcessError as error:
        logger.info("%s refused a video: %s", arguments[0], error.stderr[-500:])
        raise _unreadable("video") from error


def probe(path: Path) -> dict:
    result = _run(
        [
            FFPROBE,
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ]
    )
    try:
        return json.loads(result.stdout)
    except ValueError as error:
        raise _unreadable("video") from error


def _remux(source: Path, out: Path, *, faststart: bool) -> None:
    """A stream copy of the first video and audio stream: no global, stream or chapter
    metadata (a phone's GPS position, the device), no data streams (camera telemetry)."""
    arguments = [FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(source)]
    arguments += ["-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-dn", "-sn"]
    arguments += ["-map_metadata", "-1", "-map_metadata:s:v", "-1", "-map_metadata:s:a", "-1"]
    arguments += ["-map_chapters", "-1", "-fflags", "+bitexact"]
    if faststart:
        arguments += ["-movflags", "+faststart"]
    _run([*arguments, str(out)])


def process_video(path: Path, workdir: Path, found: Format) -> Processed:
    info = probe(path)
    video = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    if video is None:
        raise _unreadable("video")
    out = workdir / f"video{found.extension}"
    try:
        _remux(path, out, faststart=found.extension == ".mp4")
    except UnreadableFile:
        if found.extension != ".mp4":
            raise
        # A QuickTime codec that MP4 cannot carry stays in its own container.
        found = Format(Attachment.Kind.VIDEO, "video/quicktime", ".mov")
        out = workdir / "video.mov"
        _remux(path, out, faststart=True)
    kept = probe(out)
    duration = _duration(kept) or _duration(info)
    poster = workdir / "poster.jpg"
    at = min(1.0, (duration or 0) / 2)
    _run(
        [
            *(FFMPEG, "-nostdin", "-v", "error", "-y", "-ss", f"{at:.2f}", "-i", str(out)),
            *("-frames:v", "1", "-map_metadata", "-1", str(poster)),
        ]
    )
    from PIL import Image

    _open_heif()
    try:
        with Image.open(poster, formats=["JPEG"]) as frame:
            frame.load()
            width, height = frame.size
            thumbnails = _thumbnails(frame, workdir)
    except (OSError, ValueError) as error:
        raise _unreadable("video") from error
    return Processed(
        format=found,
        path=out,
        width=width,
        height=height,
        duration_seconds=duration,
        thumbnails=thumbnails,
    )


def _duration(info: dict) -> float | None:
    try:
        return round(float(info["format"]["duration"]), 3)
    except (KeyError, TypeError, ValueError):
        return None
