"""Decoders of uploaded files, run as child processes that cannot take the app down with them.

ffprobe, ffmpeg and the HEIC decoder parse files sent by anyone with an account; a bug in one
of them should cost one refused upload, not the worker. Each runs under util-linux's `prlimit`,
which sets the limits on itself and then executes the decoder (no `preexec_fn`, which is unsafe
in a threaded server), with:

- RLIMIT_AS: `VETCHAT_MEDIA_MAX_MEMORY_MB` of address space (a decoder that asks for more gets
  an allocation failure and exits);
- RLIMIT_FSIZE: `VETCHAT_MEDIA_MAX_OUTPUT_BYTES` for any file it writes (more: SIGXFSZ);
- RLIMIT_CPU: the seconds left of the upload's budget (more: SIGKILL);
- RLIMIT_CORE: 0, so a crash leaves no dump of a patient's photo on disk;

and a wall-clock timeout from the same budget, `VETCHAT_MEDIA_TIMEOUT_SECONDS` for all the
decoding of one upload, which is kept below gunicorn's 30 s worker timeout: the upload is
answered with a clear error before the worker would be killed mid-request.
"""

import math
import subprocess  # nosec B404 - fixed argument lists, absolute paths, no shell
import time
from dataclasses import dataclass

from django.conf import settings

PRLIMIT = "/usr/bin/prlimit"


class DecoderFailed(Exception):
    """The decoder exited with an error, was killed by a limit, or ran out of time."""

    def __init__(self, program: str, *, returncode: int | None, stderr: bytes, timed_out: bool):
        super().__init__(f"{program} failed ({'timed out' if timed_out else returncode})")
        self.program = program
        self.returncode = returncode
        self.stderr = stderr
        self.timed_out = timed_out


@dataclass(frozen=True)
class Budget:
    """The wall-clock time left for decoding one upload, shared by every process it runs."""

    ends_at: float

    @classmethod
    def start(cls, seconds: float | None = None) -> "Budget":
        if seconds is None:
            seconds = settings.VETCHAT_MEDIA_TIMEOUT_SECONDS
        return cls(ends_at=time.monotonic() + seconds)

    def left(self) -> float:
        return max(0.0, self.ends_at - time.monotonic())


def limited(arguments: list[str], *, cpu_seconds: int) -> list[str]:
    """`arguments` prefixed with the prlimit call that bounds them."""
    return [
        PRLIMIT,
        f"--as={settings.VETCHAT_MEDIA_MAX_MEMORY_MB * 1024 * 1024}",
        f"--fsize={settings.VETCHAT_MEDIA_MAX_OUTPUT_BYTES}",
        f"--cpu={cpu_seconds}",
        "--core=0",
        "--",
        *arguments,
    ]


def run(arguments: list[str], *, budget: Budget) -> subprocess.CompletedProcess:
    """Run a decoder under the limits; its output, or `DecoderFailed`."""
    left = budget.left()
    if left <= 0:
        raise DecoderFailed(arguments[0], returncode=None, stderr=b"", timed_out=True)
    try:
        return subprocess.run(  # noqa: S603  # nosec B603 - fixed argument lists, our own paths
            limited(arguments, cpu_seconds=max(1, math.ceil(left))),
            capture_output=True,
            timeout=left,
            check=True,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as error:
        # prlimit replaced itself with the decoder, so the process killed is the decoder.
        raise DecoderFailed(
            arguments[0], returncode=None, stderr=error.stderr or b"", timed_out=True
        ) from error
    except subprocess.CalledProcessError as error:
        raise DecoderFailed(
            arguments[0], returncode=error.returncode, stderr=error.stderr, timed_out=False
        ) from error
