"""An acknowledgement and the escalation job racing on two database connections, at the due
time: both take the round's row locks, so exactly one of them wins and the other sees it."""

import threading

import pytest
from django.db import connections

from audit.models import AuditEvent
from oncall.models import Page
from oncall.services import PageClosed, page_acknowledge, round_escalate_if_due
from tests.oncall.conftest import flag, states


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(2))
def test_an_acknowledgement_racing_the_escalation_ends_in_exactly_one_outcome(
    attempt, rota, foster, appointment
):
    [page] = flag(appointment)
    due = page.due_at
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def acknowledge() -> None:
        barrier.wait()
        try:
            results["ack"] = page_acknowledge(user=foster, page_id=page.pk, now=due).state
        except PageClosed as error:
            results["ack"] = error
        finally:
            connections.close_all()

    def escalate() -> None:
        barrier.wait()
        try:
            results["escalation"] = round_escalate_if_due(chat_id=page.chat_id, round_=1, now=due)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=acknowledge), threading.Thread(target=escalate)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    acknowledged = AuditEvent.objects.filter(action=AuditEvent.Action.ONCALL_ACKNOWLEDGED).count()
    escalated = AuditEvent.objects.filter(action=AuditEvent.Action.ONCALL_ESCALATED).count()
    if Page.objects.get(pk=page.pk).state == Page.State.ACKNOWLEDGED:  # the acknowledgement won
        assert results == {"ack": Page.State.ACKNOWLEDGED, "escalation": Page.State.ACKNOWLEDGED}
        assert states(appointment) == [("Dr. Foster", 1, Page.State.ACKNOWLEDGED)]
        assert (acknowledged, escalated) == (1, 0)
    else:  # the escalation won: the acknowledgement was refused, naming who was paged next
        assert results["escalation"] == Page.State.ESCALATED
        assert isinstance(results["ack"], PageClosed)
        assert "passed to Dr. Patel" in results["ack"].message
        assert states(appointment) == [
            ("Dr. Foster", 1, Page.State.ESCALATED),
            ("Dr. Patel", 2, Page.State.WAITING),
        ]
        assert (acknowledged, escalated) == (0, 1)
