"""The attachments' periodic job, run by `python manage.py procrastinate worker`."""

from procrastinate.contrib.django import app

from attachments.services import attachments_purge_unsent


# Hourly: an unsent upload lives between 24 and 25 hours.
@app.periodic(cron="17 * * * *", periodic_id="purge_unsent_attachments")
@app.task(queue="attachments", queueing_lock="purge_unsent_attachments")
def purge_unsent_attachments(timestamp: int) -> int:
    return attachments_purge_unsent()
