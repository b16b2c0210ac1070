"""The embedded Redis and Tansu the demo and the tests start for themselves."""

from __future__ import annotations

import pytest

from workers.embedded.redis import start_embedded_redis
from workers.embedded.tansu import start_embedded_tansu

pytestmark = pytest.mark.integration


def test_embedded_servers_start_once_and_stop_cleanly() -> None:
    with start_embedded_redis() as server:
        pid = server.pid
        assert pid is not None
        assert server.start().pid == pid  # a second start() keeps the running server
    assert server.pid is None
    broker = start_embedded_tansu()
    try:
        assert broker.log_path is not None
        assert broker.log_path.exists()
    finally:
        broker.stop()
    assert broker.log_path is None
