"""The HEIC/HEIF decoder, run apart from the app: `python -I heif_decode.py SOURCE OUT MAX_PIXELS`.

libheif and its HEVC decoder are large C libraries fed by strangers' files, and the size a
HEIC file declares (its `ispe` box, what Pillow reports) need not be the size its HEVC stream
decodes to. So they run in this child process, under the limits of `attachments.contained`,
never in the app: the photo is turned upright and written to OUT as the JPEG that is kept (no
EXIF, XMP or comments; the colour profile stays), and one JSON line answers on stdout:
`{"width": …, "height": …}`, or `{"error": "too_many_pixels" | "unreadable", …}`. Any other
ending (a crash, a limit reached) is a non-zero exit without that line. It imports Pillow and
pillow-heif only, no Django, so it starts in a fraction of a second.
"""

import json
import sys


def decode(source: str, out: str, max_pixels: int) -> dict:
    import pillow_heif
    from PIL import Image, ImageOps, UnidentifiedImageError

    pillow_heif.register_heif_opener()
    Image.MAX_IMAGE_PIXELS = None  # the check below is stricter, and names the size
    try:
        with Image.open(source, formats=["HEIF"]) as image:
            width, height = image.size
            if width * height > max_pixels:
                return {"error": "too_many_pixels", "width": width, "height": height}
            image.load()
            icc = image.info.get("icc_profile")
            upright = ImageOps.exif_transpose(image)
            if upright.mode in {"RGBA", "LA"}:
                background = Image.new("RGB", upright.size, "white")
                background.paste(upright, mask=upright.getchannel("A"))
                upright = background
            elif upright.mode not in {"RGB", "L"}:
                upright = upright.convert("RGB")
            upright.info = {}
            upright.save(out, "JPEG", quality=88, **({"icc_profile": icc} if icc else {}))
            return {"width": upright.width, "height": upright.height}
    # libheif reports a stream that does not match the declared size, or a size over its own
    # security limit, as ValueError or RuntimeError.
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        RuntimeError,
    ) as error:
        return {"error": "unreadable", "detail": str(error)[:200]}
    except (Image.DecompressionBombError, MemoryError):
        return {"error": "too_many_pixels", "width": 0, "height": 0}


def main(arguments: list[str]) -> int:
    source, out, max_pixels = arguments
    answer = decode(source, out, int(max_pixels))
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
