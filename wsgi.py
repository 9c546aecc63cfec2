"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``.

Without DATABASE_URL (outside production) it starts or joins the embedded PostgreSQL first.
"""

from kitodeck.db_embedded import ensure_database_url

ensure_database_url()

from kitodeck import create_app  # noqa: E402

app = create_app()
