"""Tandem: the add-on server. ``create_app`` is the only way to get an app."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from plugin import config as config_module
from plugin.errors import register_error_handlers
from plugin.extensions import db, migrate

# One blueprint per feature; each module exposes ``bp``.
BLUEPRINTS: tuple[str, ...] = (
    "plugin.connect.views",
    "plugin.connect.forge_views",
    "plugin.admin.views",
    "plugin.webhooks.views",
)

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


class ConfigurationError(RuntimeError):
    """The app cannot start with this configuration."""


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, static_folder="../static")
    app.config.from_mapping(config_module.from_env())
    if config:
        app.config.update(config)
    _finish_config(app)
    logging.basicConfig(level=app.config["LOG_LEVEL"])

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    import plugin.models  # noqa: F401  (register every model with the metadata)

    register_error_handlers(app)
    for module_name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module_name).bp)
    return app


def _finish_config(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "tandem.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")
    if not app.config.get("SECRET_KEY"):
        if app.config["TANDEM_ENV"] == "production":
            raise ConfigurationError(
                "TANDEM_SECRET_KEY must be set in production: it encrypts tenant secrets."
            )
        # Development only: a fixed key keeps a local database readable across restarts.
        app.config["SECRET_KEY"] = "tandem-development-key-not-for-production"  # noqa: S105
