"""The app's database role owns nothing: on a cluster set up as `make run` sets it up
(scripts/postgres.sh, then migrate and seed_demo as scripts/run.sh runs them), the role the app
runs as writes the chat's rows, and cannot empty, change or drop the chat's tables or their
triggers."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = ROOT / "scripts" / "postgres.sh"

# What whoever takes over the app's role might try, and what PostgreSQL answers.
REFUSED_TO_THE_APP = {
    "TRUNCATE chat_message": "permission denied",
    "TRUNCATE chat_chainlink": "permission denied",
    "TRUNCATE chat_chat CASCADE": "permission denied",
    "DELETE FROM chat_message": "permission denied",
    "UPDATE chat_chainlink SET hash = ''": "permission denied",
    "DELETE FROM chat_messagerevision": "permission denied",
    "ALTER TABLE chat_message DISABLE TRIGGER chat_message_no_delete": "must be owner",
    "ALTER TABLE chat_chainlink DISABLE TRIGGER ALL": "must be owner",
    "ALTER TABLE chat_message ADD COLUMN note text": "must be owner",
    "DROP TRIGGER chat_chainlink_append_only ON chat_chainlink": "must be owner",
    "DROP TABLE chat_chainlink": "must be owner",
    "CREATE OR REPLACE FUNCTION chat_refuse_truncate() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NULL; END $$": "permission denied for schema public",
    "CREATE TRIGGER sneak BEFORE INSERT ON chat_message FOR EACH ROW "
    "EXECUTE FUNCTION chat_refuse_truncate()": "permission denied",
    "CREATE TABLE sneak (id int)": "permission denied for schema public",
}


def run(*command: str | Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def refusal(url: str, statement: str) -> str:
    """What PostgreSQL answers a statement, in a transaction of its own ("" if it ran)."""
    with psycopg.connect(url, autocommit=True) as connection:
        try:
            connection.execute(statement)
        except psycopg.Error as error:
            return str(error)
    return ""


@pytest.mark.slow
def test_the_apps_role_writes_rows_but_cannot_truncate_alter_drop_or_disable_a_trigger():
    # given a cluster as `make run` sets it up, migrated and seeded as it does
    work = Path(tempfile.mkdtemp(prefix="vetchat-roles-"))
    work.chmod(0o711)  # the cluster runs as the postgres user when the tests run as root
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_"))
    }
    try:
        run(POSTGRES, "start", work / "pg", "fast", env=env)
        app, owner = (
            run(POSTGRES, "url", work / "pg", r, env=env).strip() for r in ("app", "owner")
        )
        env |= {
            "DATABASE_URL": app,
            "DATABASE_MIGRATION_URL": owner,
            "DJANGO_DEBUG": "1",
            "DJANGO_LOG_LEVEL": "ERROR",
        }
        run(sys.executable, "manage.py", "migrate", "--no-input", "-v0", env=env)
        run(sys.executable, "manage.py", "seed_demo", env=env)

        # then the app's role wrote the demo chats, links included, and owns nothing
        with psycopg.connect(app) as connection:
            links = connection.execute("SELECT count(*) FROM chat_chainlink").fetchone()[0]
            owned = connection.execute(
                "SELECT count(*) FROM pg_class WHERE relowner = 'vetchat_app'::regrole"
            ).fetchone()[0]
        assert links > 0
        assert owned == 0
        # and may not empty, change or drop the chat's tables or their triggers
        answers = {statement: refusal(app, statement) for statement in REFUSED_TO_THE_APP}
        assert {s: a for s, a in answers.items() if REFUSED_TO_THE_APP[s] not in a} == {}
        # and the tables' owner does not empty the record by accident either
        assert "never truncated" in refusal(owner, "TRUNCATE chat_chainlink")
        assert "never truncated" in refusal(owner, "TRUNCATE chat_message CASCADE")
    finally:
        run(POSTGRES, "stop", work / "pg", env=env)
        shutil.rmtree(work, ignore_errors=True)
