from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin import ConfigurationError, create_app
from plugin.config import from_env


def test_config_reads_environment() -> None:
    config = from_env({"TANDEM_BASE_URL": "https://x.example", "TANDEM_JWT_LEEWAY": "5"})
    assert config["BASE_URL"] == "https://x.example"
    assert config["JWT_LEEWAY"] == 5


def test_production_refuses_to_start_without_secret_key() -> None:
    with pytest.raises(ConfigurationError, match="TANDEM_SECRET_KEY"):
        create_app({"TANDEM_ENV": "production", "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_unknown_route_is_a_json_error(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_base_url_trailing_slash_is_dropped(app: Flask) -> None:
    app2 = create_app(
        {"BASE_URL": "https://a.example/", "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k"}
    )
    assert app2.config["BASE_URL"] == "https://a.example"
    assert app.config["BASE_URL"] == "https://tandem.test"
