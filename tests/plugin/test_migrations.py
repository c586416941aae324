"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from plugin import create_app
from plugin.extensions import db


@pytest.fixture
def empty_app(database_url: str) -> Any:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k", "TESTING": True})
    with app.app_context():
        db.drop_all()
        yield app
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_upgrade_head_matches_models(empty_app: Any) -> None:
    upgrade(revision="head")
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
