"""A socket joins its groups and reads its access versions in one round trip to Redis
(`chat.access_versions.joined`): what it reads and what it joins are what `current()` and
`group_add` would have given, one call at a time."""

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async

from chat import access_versions

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db]


@pytest.fixture
def layer(redis_layer):
    return redis_layer


async def test_joining_reads_the_versions_and_joins_every_group(layer):
    appointment_id, user_id = uuid.uuid4(), uuid.uuid4()
    await sync_to_async(access_versions.access_changed)(appointment_ids=[appointment_id])
    channel = await layer.new_channel()

    versions = await access_versions.joined(
        layer,
        channel=channel,
        groups=["chat.joining", "user.joining"],
        appointment_id=appointment_id,
        user_id=user_id,
    )

    assert versions == await access_versions.current(
        layer, appointment_id=appointment_id, user_id=user_id
    )
    assert versions[0] is not None and versions[1] is None  # only the appointment changed
    for group in ("chat.joining", "user.joining"):
        await layer.group_send(group, {"type": "chat.changed", "rev": group})
        assert (await asyncio.wait_for(layer.receive(channel), 2))["rev"] == group
        ttl = await layer.connection(0).ttl(layer._group_key(group))
        assert 0 < ttl <= layer.group_expiry


async def test_a_group_name_the_layer_refuses_is_refused_here_too(layer):
    channel = await layer.new_channel()
    with pytest.raises(TypeError):
        await access_versions.joined(
            layer,
            channel=channel,
            groups=["not a group name"],
            appointment_id=uuid.uuid4(),
            user_id=uuid.uuid4(),
        )
