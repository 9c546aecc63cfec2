"""The framework's ceiling: a bare Flask JSON endpoint, served with the same gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """The same answer as KitoDeck's liveness endpoint."""
    return {"status": "ok"}
