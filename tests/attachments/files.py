"""Files the tests make themselves: ordinary photos, videos and documents, and hostile ones."""

import io
import subprocess
import zipfile
from pathlib import Path

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

GPS_LATITUDE = (51, 30, 26)  # somebody's home, in degrees, minutes, seconds


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    color: str = "red",
    mode: str = "RGB",
    **save: object,
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "W"
    gps[4] = (0, 7, 39)
    return exif


def jpeg_with_gps() -> bytes:
    return image_bytes("JPEG", size=(80, 60), exif=exif_with_gps().tobytes())


def rotated_jpeg() -> bytes:
    """Stored landscape (120 x 40, left half black) with EXIF orientation 6: shown upright,
    it is portrait (40 x 120) with the black half on top."""
    image = Image.new("RGB", (120, 40), "white")
    image.paste(Image.new("RGB", (60, 40), "black"), (0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif_with_gps(orientation=6).tobytes(), quality=95)
    return buffer.getvalue()


def heic_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, "HEIF", exif=exif_with_gps().tobytes())
    return buffer.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (32, 32), color) for color in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=100,
        comment=b"secret comment",
    )
    return buffer.getvalue()


def decompression_bomb_png() -> bytes:
    """A small file that decodes to 900 million pixels."""
    buffer = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(buffer, "PNG")
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    whole = image_bytes("JPEG", size=(400, 300), color="green")
    return whole[: len(whole) // 2]


def polyglot_jpeg_html() -> bytes:
    """A JPEG that is also read as a page: a script in a comment segment and after the end."""
    jpeg = image_bytes("JPEG", size=(32, 32))
    script = b"<html><script>alert(document.cookie)</script></html>"
    comment = b"\xff\xfe" + (len(script) + 2).to_bytes(2, "big") + script
    return jpeg[:2] + comment + jpeg[2:] + script


def zip_bomb() -> bytes:
    """Deflated zeros: 50 MB inside a file of about 50 KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def elf_binary() -> bytes:
    return Path("/bin/true").read_bytes()


def pdf_document(text: str = "Lab results") -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"% " + text.encode() + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return body


def video(tmp: Path, *, location: bool = True, container: str = "mp4", seconds: int = 2) -> bytes:
    """A short test-pattern video; with `location`, the GPS position phones record."""
    out = tmp / f"clip.{container}"
    codec = (
        ["-c:v", "libvpx"] if container == "webm" else ["-c:v", "libx264", "-preset", "ultrafast"]
    )
    metadata = []
    if location:
        metadata = [
            "-metadata", "location=+51.5074-000.1278/",
            "-metadata", "com.apple.quicktime.location.ISO6709=+51.5074-000.1278/",
            "-metadata", "title=Walk near home",
            "-movflags", "use_metadata_tags",
        ]  # fmt: skip
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"),
            *("-i", f"testsrc=size=160x120:rate=10:duration={seconds}"),
            *codec,
            *("-pix_fmt", "yuv420p"),
            *metadata,
            str(out),
        ],
        check=True,
    )
    return out.read_bytes()


def heic_coded_as(width: int, height: int) -> bytes:
    """A small HEIC photo whose coded size (`ispe`) says width x height while the size shown
    (its `clap` crop, what Pillow reports before decoding) stays 64 x 48."""
    content = bytearray(heic_photo())
    at = content.index(b"ispe") + 8  # after the box type, its version and flags
    content[at : at + 8] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    return bytes(content)


def heic_claiming(width: int, height: int) -> bytes:
    """A small HEIC photo that declares itself width x height: its coded size (`ispe`) and its
    clean aperture (`clap`, the crop that is shown) both say so, while its HEVC stream holds a
    64 x 64 picture."""
    content = bytearray(heic_coded_as(width, height))
    at = content.index(b"clap") + 4  # width and height as fractions: N, D
    content[at : at + 16] = b"".join(n.to_bytes(4, "big") for n in (width, 1, height, 1))
    return bytes(content)


def hls_playlist(*segments: Path) -> bytes:
    """An HLS playlist: ffmpeg, left to guess the format, reads every file it names."""
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0"]
    for segment in segments:
        lines += ["#EXTINF:2.0,", str(segment)]
    return ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode()


def concat_script(*parts: Path) -> bytes:
    """ffmpeg's concat script: the files it names are read as one video."""
    return ("ffconcat version 1.0\n" + "".join(f"file 'file:{p}'\n" for p in parts)).encode()


def encoded_video(
    tmp: Path, *arguments: str, name: str = "clip.mp4", size: str = "160x120"
) -> bytes:
    """A one-second test pattern encoded with ffmpeg `arguments` (codec, container options)."""
    out = tmp / name
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"),
            *("-i", f"testsrc=size={size}:rate=5:duration=1", *arguments, str(out)),
        ],
        check=True,
    )
    return out.read_bytes()
