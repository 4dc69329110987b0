from mamori.assets.tests.conftest import register  # noqa: F401 - the tatebayashi register of systems
