"""The table vetchat.limit_fallback counts sign-in limits in while Redis is away: Django's
database cache's own layout (`createcachetable`)."""

from django.db import migrations

TABLE = "vetchat_limit_fallback"


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_encrypt_second_factor_secrets")]

    operations = [
        migrations.RunSQL(
            f"""
            CREATE TABLE {TABLE} (
                cache_key varchar(255) NOT NULL PRIMARY KEY,
                value text NOT NULL,
                expires timestamp with time zone NOT NULL
            );
            CREATE INDEX {TABLE}_expires ON {TABLE} (expires);
            """,
            f"DROP TABLE {TABLE};",
        )
    ]
