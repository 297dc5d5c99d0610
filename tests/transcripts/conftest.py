"""Transcripts are written to a private folder of the test's own; background ones by a real
procrastinate worker (`manage.py procrastinate worker --queues transcripts`) against the test
database, so those tests use the transactional database."""

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import pypdf
import pytest
from django.db import connection

from tests.notifications.conftest import ROOT, Worker, test_database_url


@pytest.fixture(autouse=True)
def _transcripts_apart(transcript_root) -> None:
    """Every transcript test files into a folder of its own."""


def pdf_text(pdf: bytes) -> str:
    """Every page's text, as a reader copying it out of the PDF would get it."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def one_line(text: str) -> str:
    """Text with its line breaks (the PDF's wrapping) turned into spaces."""
    return " ".join(text.split())


@pytest.fixture
def job_queue(transactional_db) -> None:
    """Transactional tests commit jobs, and Django's flush leaves procrastinate's tables alone."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers,"
            " procrastinate_workers CASCADE"
        )


@pytest.fixture
def transcript_worker(job_queue, transcript_root, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start a worker for the transcripts queue, writing to the test's private folder."""
    started: list[Worker] = []

    def start(**env: str) -> Worker:
        log = tmp_path / f"transcript-worker-{len(started)}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "DJANGO_CONN_MAX_AGE": "0",
            "VETCHAT_TRANSCRIPT_ROOT": str(transcript_root),
            **env,
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "procrastinate",
                "worker",
                "--queues",
                "transcripts",
                "--fetch-job-polling-interval",
                "0.2",
            ],
            cwd=ROOT,
            env=environment,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        started.append(Worker(process, log))
        return started[-1]

    yield start
    for each in started:
        each.stop()
