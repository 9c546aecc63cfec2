"""Sending email: text + HTML templates, Flask-Mail, a bounded timeout, never blocking a request.

``send_email(to, subject, template, **context)`` renders ``templates/email/<template>.txt`` and
``.html`` in the caller's thread, then hands the message to a small thread pool
(``MAIL_WORKERS``, default 2) that talks SMTP with a socket timeout of ``MAIL_TIMEOUT``
seconds (SECURITY.md item 28): a slow or dead SMTP server costs the request nothing, and the
failure is logged on ``kitodeck.email`` (without the body, which may hold a token).
``MAIL_ASYNC = False`` sends in the caller's thread instead (still bounded, still never raising).

Without ``MAIL_SERVER`` (development), ``MAIL_LOG_ONLY`` writes the text body, links included,
to the log so they can be followed. Production never does that: it logs that the mail was
dropped instead.

Links in emails come from ``PUBLIC_BASE_URL`` (``public_url``), never from the request.
"""

from __future__ import annotations

import logging
import os
import smtplib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app, render_template
from flask_mail import Connection, Message

log = logging.getLogger("kitodeck.email")

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None


def public_url(path: str) -> str:
    """An absolute URL under ``PUBLIC_BASE_URL`` (never the request's Host)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/{path.lstrip('/')}"


class TimeoutConnection(Connection):
    """Flask-Mail's connection with a socket timeout on connect and every SMTP command."""

    def __init__(self, mail: Any, timeout: float) -> None:
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        mail = self.mail
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=self.timeout)
        host.set_debuglevel(int(mail.debug))
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


def _executor(workers: int) -> ThreadPoolExecutor:
    """The process's mail pool, created lazily (and again after a fork)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kitodeck-mail")
            _pool_pid = os.getpid()
        return _pool


def _deliver(app: Flask, message: Message, template: str) -> bool:
    """Send one message; log and swallow every failure."""
    try:
        with app.app_context():
            state = app.extensions["mail"]
            with TimeoutConnection(state, float(app.config.get("MAIL_TIMEOUT", 5))) as conn:
                conn.send(message)
        log.info("email sent", extra={"template": template})
        return True
    except Exception as error:  # SMTP down, slow, refused, TLS...: the request is unaffected
        log.warning(
            "email not sent: %s: %s",
            type(error).__name__,
            error,
            extra={"template": template, "error": type(error).__name__},
        )
        return False


def send_email(to: str, subject: str, template: str, **context: Any) -> Future[bool] | None:
    """Render and send ``template`` to ``to``; returns the pending delivery, if any.

    Never raises because of SMTP; never waits for SMTP unless ``MAIL_ASYNC`` is off.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    if app.config.get("MAIL_LOG_ONLY"):
        if app.config.get("ENV_NAME") == "production":
            log.error("email dropped: MAIL_SERVER is not configured", extra={"template": template})
        else:
            log.info(
                "email (not sent, MAIL_SERVER unset) to %s: %s\n%s",
                to,
                subject,
                text,
                extra={"template": template},
            )
        return None
    message = Message(
        subject=subject,
        recipients=[to],
        body=text,
        html=html,
        sender=app.config.get("MAIL_DEFAULT_SENDER"),
    )
    if not app.config.get("MAIL_ASYNC", True):
        _deliver(app, message, template)
        return None
    return _executor(int(app.config.get("MAIL_WORKERS", 2))).submit(
        _deliver, app, message, template
    )
