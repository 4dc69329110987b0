"""The relay as a real HTTP server in a thread of the test (its URL configuration, config/urls_relay.py).

In production it has a database of its own; here it shares the test database, which the tests use only
to look at what the relay keeps."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test.testcases import LiveServerThread

from mamori.continuity.tests.conftest import katsushika  # noqa: F401 (a fixture)
from mamori.paging.tests.conftest import smtp_server  # noqa: F401 (a fixture)


class RelayHandler(WSGIHandler):
    """Django serving the relay's URLs only, as a MAMORI_RELAY_ONLY=true process does."""

    def get_response(self, request: Any) -> Any:
        request.urlconf = "config.urls_relay"
        return super().get_response(request)


@pytest.fixture
def relay_server(transactional_db: None, settings: Any) -> Iterator[str]:
    override = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    # Static files as the test's main live server serves them (whitenoise serves them in production).
    thread = LiveServerThread(
        "localhost", lambda _inner: StaticFilesHandler(RelayHandler()), connections_override=override, port=0
    )
    thread.daemon = True
    for conn in override.values():
        conn.inc_thread_sharing()
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    address = f"http://localhost:{thread.port}"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.MAMORI_RELAY_URL = address
    settings.MAMORI_RELAY_SECRET = "relay-secret-for-the-tests-0123456789"
    settings.MAMORI_LINK_BASE_URL = address
    try:
        yield address
    finally:
        thread.terminate()
        for conn in override.values():
            conn.dec_thread_sharing()
        connections.close_all()
