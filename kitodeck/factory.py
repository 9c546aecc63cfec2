"""The application factory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from config import Config


def create_app(config: type[Config] | str | None = None, **overrides: Any) -> Flask:
    """Build the application: config, extensions, blueprints, errors, hooks and CLI.

    No side effects beyond the app object: migrations, the embedded database and engine
    loading happen in the entry points (``make run``, ``wsgi.py``, gunicorn hooks, CLI).
    """
    # Imported here so that entry points can set the environment (e.g. the embedded
    # database's DATABASE_URL) before the config classes read it.
    from config import INSTANCE_DIR, get_config

    config_class = config if isinstance(config, type) else get_config(config)
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config_class)
    app.config.update(overrides)
    _finalise_config(app, config_class)

    if app.config["TRUSTED_PROXIES"] > 0:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from kitodeck.common.request_guards import register_request_guards
    from kitodeck.errors import register_error_handlers
    from kitodeck.observability import register_observability

    register_observability(app)
    _register_extensions(app)
    _register_blueprints(app)
    register_error_handlers(app)
    register_request_guards(app)
    _register_cli(app)
    return app


def _finalise_config(app: Flask, config_class: type[Config]) -> None:
    from config import development_secret

    if config_class.GENERATE_DEV_SECRETS:
        for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
            if not app.config.get(name):
                app.config[name] = development_secret(name)
    missing = [name for name in config_class.REQUIRED if not app.config.get(name)]
    if missing:
        env_names = ["DATABASE_URL" if m == "SQLALCHEMY_DATABASE_URI" else m for m in missing]
        raise RuntimeError(
            f"{config_class.ENV_NAME} configuration is missing: {', '.join(env_names)}"
        )
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError(
            "No database configured: set DATABASE_URL, or start through `make run` / "
            "`flask --app wsgi`, which start the embedded PostgreSQL."
        )


def _register_extensions(app: Flask) -> None:
    from kitodeck import models  # noqa: F401  (registers every table)
    from kitodeck.auth.jwt_handlers import register_jwt_error_handlers
    from kitodeck.common import auth  # noqa: F401  (registers the JWT user loader)
    from kitodeck.common.jwt_speedup import install as install_jwt_speedup
    from kitodeck.extensions import api, cache, cors, db, jwt, limiter, mail, migrate
    from kitodeck.readiness import MIGRATIONS_DIR, register_core_checks

    install_jwt_speedup()

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    jwt.init_app(app)
    register_jwt_error_handlers(jwt)
    mail.init_app(app)
    cache.init_app(app)
    limiter.init_app(app)
    if app.config["CORS_ORIGINS"]:
        cors.init_app(
            app,
            origins=app.config["CORS_ORIGINS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "X-Pagination", "Retry-After"],
            max_age=600,
        )
    register_core_checks(app)


def _register_blueprints(app: Flask) -> None:
    from kitodeck.auth.routes import blp as auth_blp
    from kitodeck.extensions import api
    from kitodeck.ops import blp as ops_blp
    from kitodeck.reports.routes import blp as reports_blp
    from kitodeck.scans.engines import register_scan_engines
    from kitodeck.scans.routes import blp as scans_blp
    from kitodeck.seed import blp as seed_blp
    from kitodeck.users.routes import blp as users_blp

    for blueprint in (ops_blp, auth_blp, users_blp, scans_blp, reports_blp, seed_blp):
        api.register_blueprint(blueprint)
    register_scan_engines(app)


def _register_cli(app: Flask) -> None:
    from kitodeck.cli import register_cli

    register_cli(app)
