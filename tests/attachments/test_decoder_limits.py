"""The limits every decoder of an upload runs under (attachments/contained.py), read from the
decoder's own process, and the time budget measured against the workers that run it."""

import sys
import time

import pytest
from django.conf import settings as django_settings

from attachments import contained
from attachments.contained import Budget, DecoderFailed


def limits_of_a_decoder() -> dict[str, str]:
    """/proc/self/limits as a decoder sees it: name → soft limit."""
    output = contained.run(["/bin/cat", "/proc/self/limits"], budget=Budget.start(10)).stdout
    rows = output.decode().splitlines()[1:]
    return {row[:26].strip(): row[26:].split()[0] for row in rows}


def test_a_decoder_runs_with_the_memory_output_cpu_and_core_limits_of_the_settings(settings):
    settings.VETCHAT_MEDIA_MAX_MEMORY_MB = 700
    settings.VETCHAT_MEDIA_MAX_OUTPUT_BYTES = 123_456_789

    limits = limits_of_a_decoder()

    assert limits["Max address space"] == str(700 * 1024 * 1024)
    assert limits["Max file size"] == "123456789"
    assert limits["Max cpu time"] == "10"
    assert limits["Max core file size"] == "0"


def test_a_decoder_out_of_time_is_killed_within_the_budget():
    started = time.monotonic()

    with pytest.raises(DecoderFailed) as failed:
        contained.run(["/bin/sleep", "30"], budget=Budget.start(0.5))

    assert failed.value.timed_out
    assert time.monotonic() - started < 5


def test_a_decoder_spinning_on_the_cpu_is_stopped_by_the_cpu_limit():
    """Wall-clock and CPU limits come from the same budget: 1 s of CPU, even if the wall
    clock were to allow more."""
    spin = [sys.executable, "-I", "-c", "while True: pass"]
    budget = Budget.start(1)
    started = time.monotonic()

    with pytest.raises(DecoderFailed):
        contained.run(spin, budget=budget)

    assert time.monotonic() - started < 5


def test_a_decoder_asking_for_more_memory_than_allowed_fails_alone(settings):
    settings.VETCHAT_MEDIA_MAX_MEMORY_MB = 64
    grab = [sys.executable, "-I", "-c", "b = bytearray(200 * 1024 * 1024)"]

    with pytest.raises(DecoderFailed) as failed:
        contained.run(grab, budget=Budget.start(10))

    assert failed.value.returncode != 0 and not failed.value.timed_out


def test_a_decoder_writing_past_the_output_limit_is_stopped(settings, tmp_path):
    settings.VETCHAT_MEDIA_MAX_OUTPUT_BYTES = 4096
    out = tmp_path / "out"
    write = [sys.executable, "-I", "-c", f"open({str(out)!r}, 'wb').write(bytes(1 << 20))"]

    with pytest.raises(DecoderFailed):
        contained.run(write, budget=Budget.start(10))

    assert out.stat().st_size <= 4096


def test_the_decoding_budget_ends_before_the_workers_that_wait_for_it_are_killed():
    """Uploads are decoded inside the request, by a gunicorn sync worker (killed after its
    30 s timeout); the job worker is declared stalled after its own timeout. The decoding budget
    ends before either, so a slow file is a clear 400, not a killed worker."""
    from gunicorn.config import Config

    budget = django_settings.VETCHAT_MEDIA_TIMEOUT_SECONDS
    stalled = django_settings.PROCRASTINATE_WORKER_DEFAULTS["stalled_worker_timeout"]

    assert budget < Config().timeout
    assert budget < stalled
