"""What an uploaded file really is, and the copy of it that is kept.

The type comes from the bytes (libmagic), never from the declared type or the name. Images are
decoded and re-encoded (orientation applied, metadata gone, thumbnails made), videos are
remuxed by ffmpeg without their metadata, PDFs are kept as they are but only ever downloaded.

Everything here runs inline in the upload request, in this order: the type from the bytes,
the malware scan of the file as sent, and only then any decoding, bounded. Images are decoded
under a pixel limit (a 60 MP photo takes about a second). HEIC photos, and every video, are
decoded only by child processes under memory, CPU, output-size and time limits
(`attachments.contained`): ffprobe first, then a video is refused unless its container and
codecs are on the lists below; ffmpeg is told which demuxer to use and may open local files
and pipes only, so no file can make it read another file or a URL. A video is a stream copy
(no re-encoding: it costs what reading and writing the file costs); its poster frame is the
only frame decoded.

libmagic and Pillow are imported by the functions that use them, on a worker's first upload:
every worker imports this module at start (the admin, the job registry), and the ones that
serve only sockets never read a file.
"""

import json
import logging
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from attachments import contained, scanning
from attachments.contained import Budget, DecoderFailed
from attachments.models import Attachment
from vetchat.errors import InvalidInput, TooLarge, UnsupportedType

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

FFMPEG = "/usr/bin/ffmpeg"
FFPROBE = "/usr/bin/ffprobe"
THUMBNAIL_SIZES = (320, 1280)
HEIF_DECODER = Path(__file__).with_name("heif_decode.py")


@dataclass(frozen=True)
class Format:
    kind: str
    content_type: str  # of the copy that is kept
    extension: str
    pillow: str = ""  # Pillow's decoder for an image
    demuxer: str = ""  # ffmpeg's demuxer for a video, never left to ffmpeg's guess


# What libmagic may find, and how each is kept. HEIC/HEIF becomes JPEG: browsers other than
# Safari cannot show it.
ALLOWED: dict[str, Format] = {
    "image/jpeg": Format(Attachment.Kind.IMAGE, "image/jpeg", ".jpg", "JPEG"),
    "image/png": Format(Attachment.Kind.IMAGE, "image/png", ".png", "PNG"),
    "image/webp": Format(Attachment.Kind.IMAGE, "image/webp", ".webp", "WEBP"),
    "image/gif": Format(Attachment.Kind.IMAGE, "image/gif", ".gif", "GIF"),
    "image/heic": Format(Attachment.Kind.IMAGE, "image/jpeg", ".jpg", "HEIF"),
    "image/heif": Format(Attachment.Kind.IMAGE, "image/jpeg", ".jpg", "HEIF"),
    "video/mp4": Format(Attachment.Kind.VIDEO, "video/mp4", ".mp4", demuxer="mov"),
    "video/x-m4v": Format(Attachment.Kind.VIDEO, "video/mp4", ".mp4", demuxer="mov"),
    "video/quicktime": Format(Attachment.Kind.VIDEO, "video/mp4", ".mp4", demuxer="mov"),
    "video/webm": Format(Attachment.Kind.VIDEO, "video/webm", ".webm", demuxer="matroska"),
    "application/pdf": Format(Attachment.Kind.DOCUMENT, "application/pdf", ".pdf"),
}
ALLOWED_LIST = "photos (JPEG, PNG, WebP, GIF, HEIC), videos (MP4, MOV, WebM) and PDF documents"
# What ffprobe may find in a video: its demuxer (forced, so this only confirms it) and the codecs
# of its video and audio streams, those phones and browsers record. Other streams (subtitles,
# data, timecode) are dropped by the remux and never decoded.
VIDEO_CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"}
VIDEO_CODECS = {"h264", "hevc", "vp8", "vp9", "av1"}
AUDIO_CODECS = {"aac", "opus", "mp3", "vorbis"}
# ffmpeg may open the file it is given, and write its output: no http, no data:, no subfile,
# no crypto, no playlist reaching for a URL. And it may open the decoders of the codecs above
# only (by their decoders' names), even while ffprobe looks for the streams' parameters.
PROTOCOLS = ("-protocol_whitelist", "file,pipe")
DECODERS = (
    "-codec_whitelist",
    "h264,hevc,vp8,vp9,libdav1d,libaom-av1,av1,aac,aac_fixed,opus,libopus,mp3float,mp3,"
    "vorbis,libvorbis",
)
REFUSED_DECODER = re.compile(rb"Codec \(([\w-]{1,40})\) not on whitelist")


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


class CodecNotAllowed(UnsupportedType):
    code = "codec_not_allowed"


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
    """Identify the file at `path`, scan it as it was sent, and only then make the copy to keep
    in `workdir`: a decoder never sees a file the scanner has not passed, and the scanner sees
    everything that was sent, including what the copy drops (metadata, extra streams)."""
    found = identify(path)
    scanning.scan(path)
    budget = Budget.start()
    if found.kind == Attachment.Kind.IMAGE:
        return process_image(path, workdir, found, budget=budget)
    if found.kind == Attachment.Kind.VIDEO:
        return process_video(path, workdir, found, budget=budget)
    return Processed(format=found, path=path)


# Images ----------------------------------------------------------------------------------------


def _unreadable(what: str = "image") -> UnreadableFile:
    message = f"The {what} could not be read: it may be damaged or cut short."
    return UnreadableFile(message, fields={"file": message})


def _too_many_pixels(
    width: int, height: int, frames: int = 1, *, what: str = "image"
) -> TooManyPixels:
    limit = settings.VETCHAT_IMAGE_MAX_PIXELS
    size = f"{width} x {height} pixels{f' x {frames} frames' if frames > 1 else ''}"
    message = (
        f"The {what} is too large to open{f' ({size})' if width and height else ''}; "
        f"{what}s can have at most {limit // 1_000_000} million pixels."
    )
    return TooManyPixels(message, fields={"file": message})


def process_image(
    path: Path, workdir: Path, found: Format, *, budget: Budget | None = None
) -> Processed:
    if found.pillow == "HEIF":
        return _process_heif(path, workdir, found, budget=budget or Budget.start())
    from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

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


def _process_heif(path: Path, workdir: Path, found: Format, *, budget: Budget) -> Processed:
    """A HEIC/HEIF photo decoded by a child process under the decoders' limits (the HEVC
    stream inside may decode to more pixels than the file declares); the app opens only the
    upright JPEG it wrote, whose size the child checked."""
    out = workdir / f"image{found.extension}"
    limit = settings.VETCHAT_IMAGE_MAX_PIXELS
    try:
        result = contained.run(
            [sys.executable, "-I", str(HEIF_DECODER), str(path), str(out), str(limit)],
            budget=budget,
        )
        answer = json.loads(result.stdout)
    except DecoderFailed as error:
        raise _decoder_failed(error, "image") from error
    except ValueError as error:
        raise _unreadable() from error
    if answer.get("error") == "too_many_pixels":
        raise _too_many_pixels(answer.get("width", 0), answer.get("height", 0))
    if "error" in answer:
        logger.info("The HEIF decoder refused a photo: %s", answer.get("detail", ""))
        raise _unreadable()
    from PIL import Image

    try:
        with Image.open(out, formats=["JPEG"]) as image:
            if image.width * image.height > limit:
                raise _too_many_pixels(image.width, image.height)
            image.load()
            return Processed(
                format=found,
                path=out,
                width=image.width,
                height=image.height,
                thumbnails=_thumbnails(image, workdir),
            )
    except (OSError, ValueError) as error:
        raise _unreadable() from error


def square(path: Path, workdir: Path, size: int) -> Path:
    """A JPEG of `size` x `size` pixels cut from the middle of an image this module kept."""
    from PIL import Image, ImageOps

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


def _decoder_failed(error: DecoderFailed, what: str) -> UnreadableFile:
    if error.timed_out:
        message = f"The {what} took too long to process."
        return UnreadableFile(message, fields={"file": message})
    # A limit reached shows as a signal (CPU: SIGKILL, output size: SIGXFSZ) or as an
    # allocation failure the decoder reports: either way the file is not kept.
    logger.info("%s refused a %s (%s): %s", error.program, what, error.returncode,
                error.stderr[-500:])  # fmt: skip
    return _unreadable(what)


def _run(arguments: list[str], budget: Budget) -> bytes:
    try:
        return contained.run(arguments, budget=budget).stdout
    except DecoderFailed as error:
        refused = REFUSED_DECODER.search(error.stderr)
        if refused:
            raise _codec_not_allowed(refused.group(1).decode()) from error
        raise _decoder_failed(error, "video") from error


def probe(path: Path, demuxer: str, *, budget: Budget) -> dict:
    """What ffprobe reads of the file's container and streams, with the demuxer forced."""
    output = _run(
        [
            *(FFPROBE, "-v", "error", *PROTOCOLS, *DECODERS, "-f", demuxer),
            *("-print_format", "json", "-show_format", "-show_streams", str(path)),
        ],
        budget,
    )
    try:
        return json.loads(output)
    except ValueError as error:
        raise _unreadable("video") from error


def _codec_not_allowed(codec: str) -> CodecNotAllowed:
    message = (
        f"Videos encoded as {codec or 'unknown'} cannot be sent: send an MP4, MOV or WebM "
        "video as a phone or a browser records it."
    )
    return CodecNotAllowed(message, fields={"file": message})


def allowed_video_stream(info: dict) -> dict:
    """The video stream to keep, once the container and every audio and video stream's codec
    are on the lists and the frame is within the pixel limit; or why the video is refused."""
    if info.get("format", {}).get("format_name") not in VIDEO_CONTAINERS:
        raise _unreadable("video")
    streams = info.get("streams", [])
    for stream in streams:
        kind, codec = stream.get("codec_type"), stream.get("codec_name", "")
        if (kind == "video" and codec not in VIDEO_CODECS) or (
            kind == "audio" and codec not in AUDIO_CODECS
        ):
            raise _codec_not_allowed(codec)
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise _unreadable("video")
    # The poster frame is decoded at the size the stream declares (coded size included): a
    # frame larger than a photo may be is refused before anything decodes one.
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    coded = int(video.get("coded_width") or 0) * int(video.get("coded_height") or 0)
    if max(width * height, coded) > settings.VETCHAT_IMAGE_MAX_PIXELS:
        raise _too_many_pixels(width, height, what="video")
    return video


def _remux(source: Path, demuxer: str, out: Path, *, faststart: bool, budget: Budget) -> None:
    """A stream copy of the first video and audio stream: no global, stream or chapter
    metadata (a phone's GPS position, the device), no data streams (camera telemetry)."""
    arguments = [FFMPEG, "-nostdin", "-v", "error", "-y", *PROTOCOLS, *DECODERS, "-f", demuxer]
    arguments += ["-i", str(source)]
    arguments += ["-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-dn", "-sn"]
    arguments += ["-map_metadata", "-1", "-map_metadata:s:v", "-1", "-map_metadata:s:a", "-1"]
    arguments += ["-map_chapters", "-1", "-fflags", "+bitexact"]
    if faststart:
        arguments += ["-movflags", "+faststart"]
    _run([*arguments, str(out)], budget)


# The demuxer of each kept container.
KEPT_DEMUXER = {".mp4": "mov", ".mov": "mov", ".webm": "matroska"}


def process_video(
    path: Path, workdir: Path, found: Format, *, budget: Budget | None = None
) -> Processed:
    budget = budget or Budget.start()
    info = probe(path, found.demuxer, budget=budget)
    allowed_video_stream(info)
    out = workdir / f"video{found.extension}"
    try:
        _remux(path, found.demuxer, out, faststart=found.extension == ".mp4", budget=budget)
    except UnreadableFile:
        if found.extension != ".mp4" or not budget.left():
            raise
        # A QuickTime codec that MP4 cannot carry stays in its own container.
        found = Format(Attachment.Kind.VIDEO, "video/quicktime", ".mov", demuxer="mov")
        out = workdir / "video.mov"
        _remux(path, found.demuxer, out, faststart=True, budget=budget)
    kept = probe(out, KEPT_DEMUXER[found.extension], budget=budget)
    allowed_video_stream(kept)
    duration = _duration(kept) or _duration(info)
    poster = workdir / "poster.jpg"
    at = min(1.0, (duration or 0) / 2)
    # One decoding thread: memory and CPU the same on any machine, well inside the limits.
    _run(
        [
            *(FFMPEG, "-nostdin", "-v", "error", "-y", *PROTOCOLS, *DECODERS, "-threads", "1"),
            *("-f", KEPT_DEMUXER[found.extension], "-ss", f"{at:.2f}", "-i", str(out)),
            *("-threads", "1", "-frames:v", "1", "-map_metadata", "-1", str(poster)),
        ],
        budget,
    )
    from PIL import Image

    try:
        with Image.open(poster, formats=["JPEG"]) as frame:
            width, height = frame.size
            if width * height > settings.VETCHAT_IMAGE_MAX_PIXELS:
                raise _too_many_pixels(width, height, what="video")
            frame.load()
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
