"""The custom channel in salesforce/ carries exactly the entities lawful follows by default, and
the bridge's `custom` mode subscribes to it alone."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from workers.bridge.messages import entities_of_channel, subscribed_channels
from workers.settings import DEFAULT_CDC_ENTITIES, BridgeSettings

pytestmark = pytest.mark.unit

METADATA = Path(__file__).parents[2] / "salesforce/force-app/main/default"
NS = {"md": "http://soap.sforce.com/2006/04/metadata"}


def _members() -> dict[str, str]:
    """selectedEntity -> eventChannel of every PlatformEventChannelMember."""
    members = {}
    for path in sorted((METADATA / "platformEventChannelMembers").glob("*-meta.xml")):
        root = ET.parse(path).getroot()  # noqa: S314 - our own repository's files
        entity = root.findtext("md:selectedEntity", namespaces=NS)
        channel = root.findtext("md:eventChannel", namespaces=NS)
        assert entity, path
        assert channel, path
        members[entity] = channel
    return members


def _change_event(entity: str) -> str:
    return (entity[:-1] if entity.endswith("__c") else entity) + "ChangeEvent"


def test_every_followed_entity_is_a_member_of_the_channel_and_nothing_else() -> None:
    channel = METADATA / "platformEventChannels/Lawful__chn.platformEventChannel-meta.xml"
    root = ET.parse(channel).getroot()  # noqa: S314 - our own repository's files
    assert root.findtext("md:channelType", namespaces=NS) == "data"
    assert _members() == {_change_event(e): "Lawful__chn" for e in DEFAULT_CDC_ENTITIES}


def test_custom_mode_subscribes_to_the_custom_channel_only() -> None:
    settings = BridgeSettings(cdc_channel_mode="custom", platform_events=("Lawful_X__e",))
    assert subscribed_channels(settings) == ["/data/Lawful__chn", "/event/Lawful_X__e"]
    assert entities_of_channel("/data/Lawful__chn", settings) == list(settings.entities)


def test_a_channel_name_must_be_a_custom_channel() -> None:
    with pytest.raises(ValueError, match="custom_channel"):
        BridgeSettings(custom_channel="ChangeEvents")
