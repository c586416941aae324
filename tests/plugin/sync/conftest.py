from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from plugin.extensions import db
from plugin.models.connection import Connection, ConnectionState, Side
from plugin.models.tenant import Tenant


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def connection(ctx: Flask) -> Connection:
    tenants = [
        Tenant(client_key=f"jira:{name}", base_url=f"https://{name}.atlassian.net", shared_secret="s" * 32)
        for name in ("acme", "globex")
    ]
    db.session.add_all(tenants)
    db.session.flush()
    conn = Connection(name="c", owner_tenant_id=tenants[0].id, state=ConnectionState.ACTIVE)
    conn.sides.append(
        Side(position="a", tenant_id=tenants[0].id, owner_tenant_id=tenants[0].id, project_key="A")
    )
    conn.sides.append(
        Side(position="b", tenant_id=tenants[1].id, owner_tenant_id=tenants[1].id, project_key="B")
    )
    db.session.add(conn)
    db.session.commit()
    return conn
