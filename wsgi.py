"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``.

Without DATABASE_URL (outside production) it starts or joins the embedded PostgreSQL first.
"""

from dotenv import load_dotenv

load_dotenv()  # a local .env, if any (the environment wins)

from kitodeck.db_embedded import ensure_database_url  # noqa: E402

ensure_database_url()

from kitodeck import create_app  # noqa: E402

app = create_app()
