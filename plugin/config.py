"""Configuration read from ``TANDEM_*`` environment variables.

Every setting has a default that works on one machine with no setup (SQLite in the instance
folder, in-process workers). ``docs/configuration.md`` and the README list them all; the
``SETTINGS`` table below is the single source of both the defaults and that documentation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    env: str
    key: str
    default: Any
    parse: Callable[[str], Any]
    help: str


def _bool(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "TANDEM_ENV",
        "TANDEM_ENV",
        "development",
        str,
        "`development` or `production`; production refuses to start without a secret key.",
    ),
    Setting(
        "TANDEM_SECRET_KEY",
        "SECRET_KEY",
        None,
        str,
        "Key for encrypting secrets at rest and signing invitation codes. Required in production.",
    ),
    Setting(
        "TANDEM_DATABASE_URL",
        "SQLALCHEMY_DATABASE_URI",
        None,
        str,
        "SQLAlchemy URL. Default: SQLite file `instance/tandem.db`. "
        "PostgreSQL: `postgresql+psycopg://user@host/db`.",
    ),
    Setting(
        "TANDEM_BASE_URL",
        "BASE_URL",
        "http://localhost:8000",
        str,
        "Public URL of this server; the descriptor's `baseUrl` and the JWT audience.",
    ),
    Setting(
        "TANDEM_APP_KEY",
        "APP_KEY",
        "io.tandem.sync",
        str,
        "The Connect app key (`key` in the descriptor, `iss` of outgoing JWTs).",
    ),
    Setting("TANDEM_APP_NAME", "APP_NAME", "Tandem", str, "Name shown in Jira."),
    Setting(
        "TANDEM_INSTALL_KEYS_URL",
        "INSTALL_KEYS_URL",
        "https://connect-install-keys.atlassian.com",
        str,
        "Key server for signed installs: the PEM public key is fetched from `{url}/{kid}`.",
    ),
    Setting(
        "TANDEM_FORGE_JWKS_URL",
        "FORGE_JWKS_URL",
        "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json",
        str,
        "JWKS for Forge Invocation Tokens.",
    ),
    Setting(
        "TANDEM_FORGE_APP_ID",
        "FORGE_APP_ID",
        "",
        str,
        "Forge app id (the UUID in `ari:cloud:ecosystem::app/{id}`); empty disables Forge calls.",
    ),
    Setting("TANDEM_JWT_LEEWAY", "JWT_LEEWAY", 30, int, "Seconds of clock skew tolerated on `exp`/`iat`."),
    Setting(
        "TANDEM_UNINSTALL_RETENTION_DAYS",
        "UNINSTALL_RETENTION_DAYS",
        30,
        int,
        "Days an uninstalled tenant's data is kept (a reinstall restores it) before purge.",
    ),
    Setting(
        "TANDEM_HTTP_TIMEOUT",
        "HTTP_TIMEOUT",
        10.0,
        float,
        "Seconds before an outgoing HTTP call (key server, Jira, connectors) times out.",
    ),
    Setting(
        "TANDEM_DISPATCHER",
        "DISPATCHER",
        "inline",
        str,
        "`inline` (worker threads in the server) or `none` (the server only enqueues; `tandem worker` "
        "processes, on any machine, work the queue).",
    ),
    Setting("TANDEM_WORKER_THREADS", "WORKER_THREADS", 4, int, "Worker threads of the inline dispatcher."),
    Setting(
        "TANDEM_CELERY_BROKER_URL",
        "CELERY_BROKER_URL",
        "redis://127.0.0.1:6379/0",
        str,
        "Broker for the Celery dispatcher.",
    ),
    Setting(
        "TANDEM_POLL_INTERVAL",
        "POLL_INTERVAL",
        30.0,
        float,
        "Seconds between polls of each side (the safety net for lost webhooks).",
    ),
    Setting(
        "TANDEM_POLL_OVERLAP",
        "POLL_OVERLAP",
        120.0,
        float,
        "Seconds each poll reaches back before the watermark (JQL dates have minute precision).",
    ),
    Setting(
        "TANDEM_MAX_ATTEMPTS",
        "MAX_ATTEMPTS",
        8,
        int,
        "Attempts of a sync job on retriable errors before it fails and waits for an admin.",
    ),
    Setting(
        "TANDEM_OAUTH_TOKEN_URL",
        "OAUTH_TOKEN_URL",
        "https://oauth-2-authorization-server.services.atlassian.com/oauth2/token",
        str,
        "Atlassian's token endpoint for ACT_AS_USER (posting comments as their real author).",
    ),
    Setting(
        "TANDEM_MAX_ATTACHMENT_MB",
        "MAX_ATTACHMENT_MB",
        20,
        int,
        "Largest attachment copied between sides, in MiB; bigger ones are skipped and logged.",
    ),
    Setting("TANDEM_SCRIPT_WORKERS", "SCRIPT_WORKERS", 2, int, "Pre-forked processes that run sync scripts."),
    Setting(
        "TANDEM_SCRIPT_CPU_SECONDS",
        "SCRIPT_CPU_SECONDS",
        1,
        int,
        "CPU seconds one script run may use (RLIMIT_CPU).",
    ),
    Setting(
        "TANDEM_SCRIPT_WALL_SECONDS",
        "SCRIPT_WALL_SECONDS",
        2.0,
        float,
        "Wall-clock seconds before the parent kills a script worker.",
    ),
    Setting(
        "TANDEM_SCRIPT_MEMORY_MB",
        "SCRIPT_MEMORY_MB",
        256,
        int,
        "Address-space limit of a script worker (RLIMIT_AS), in MiB.",
    ),
    Setting(
        "TANDEM_SCRIPT_MAX_RUNS",
        "SCRIPT_MAX_RUNS",
        1000,
        int,
        "Runs after which a script worker is recycled.",
    ),
    Setting("TANDEM_LOG_LEVEL", "LOG_LEVEL", "INFO", str, "Python logging level."),
    Setting("TANDEM_DEBUG", "DEBUG", False, _bool, "Flask debug mode (never in production)."),
)


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the Flask config mapping built from the environment and the defaults."""
    env = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.env)
        config[setting.key] = setting.default if raw in (None, "") else setting.parse(raw)
    return config


def settings_table() -> str:
    """The Markdown table of every setting, for the README and docs."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        default = "" if s.default is None else f"`{s.default}`"
        rows.append(f"| `{s.env}` | {default} | {s.help} |")
    return "\n".join(rows)
