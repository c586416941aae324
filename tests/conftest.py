"""Shared fixtures: an app on SQLite (default) or PostgreSQL (TANDEM_TEST_POSTGRES_URL).

Tests that use the ``app``/``db_session`` fixtures are marked ``db`` automatically, so
``make test-postgres`` reruns exactly those on PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from plugin import create_app
from plugin.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"
DB_FIXTURES = {"app", "client", "database_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A throwaway PostgreSQL database for this test session, or None on SQLite runs."""
    server_url = os.environ.get("TANDEM_TEST_POSTGRES_URL")
    if not server_url:
        if os.environ.get("CI") == "true" and os.environ.get("TANDEM_REQUIRE_POSTGRES"):
            pytest.fail("TANDEM_TEST_POSTGRES_URL is required in CI")
        yield None
        return
    name = f"tandem_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(server_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(postgres_database: str | None, tmp_path: Path) -> str:
    return postgres_database or f"sqlite:///{tmp_path / 'tandem.db'}"


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Override in a test module to change settings; the ``app`` fixture applies it."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "BASE_URL": "https://tandem.test",
        "INSTALL_KEYS_URL": "http://127.0.0.1:9/unused",
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
