"""E-mail through the SMTP server in ``SURVEYAPP_SMTP_URL`` (standard library smtplib).

The URL: ``smtp://[user:password@]host[:port][?from=address]`` speaks plain SMTP on port
25 and upgrades with STARTTLS when the server offers it; ``smtps://`` (port 465) uses TLS
from the start. Certificates are checked with the system's trust store.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT = 30  # seconds for one SMTP exchange


class SmtpNotConfigured(RuntimeError):
    """``SURVEYAPP_SMTP_URL`` is unset or unusable."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: bool  # TLS from the first byte (smtps)
    username: str | None
    password: str | None
    sender: str


def app_settings(config: Mapping[str, Any]) -> SmtpSettings:
    """The app's SMTP settings; the sender defaults to noreply@ the public host."""
    host = urlsplit(config["BASE_URL"]).hostname or "localhost"
    return smtp_settings(config.get("SMTP_URL"), f"noreply@{host}")


def smtp_settings(url: str | None, default_sender: str) -> SmtpSettings:
    """Parse ``SURVEYAPP_SMTP_URL``; raises ``SmtpNotConfigured`` saying what is wrong."""
    if not url:
        raise SmtpNotConfigured("SURVEYAPP_SMTP_URL is not set")
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpNotConfigured("SURVEYAPP_SMTP_URL must look like smtp://host:port")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise SmtpNotConfigured("SURVEYAPP_SMTP_URL has an invalid port") from None
    sender = parse_qs(parts.query).get("from", [default_sender])[0]
    if "@" not in parseaddr(sender)[1]:
        raise SmtpNotConfigured(f'the sender "{sender}" is not an e-mail address')
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=sender,
    )


@dataclass
class Delivery:
    """What one sending run did: invitation numbers sent, and failures with the reason."""

    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def send_all(
    settings: SmtpSettings,
    messages: Iterable[tuple[int, EmailMessage]],
    on_sent: Callable[[int], None] = lambda number: None,
) -> Delivery:
    """Send each (invitation number, message) over one connection.

    A refused recipient is a failure of that message only; a lost connection stops the
    run, and everything not yet sent is reported failed with the server's reason.
    """
    delivery = Delivery()
    pending = list(messages)
    try:
        with _connect(settings) as smtp:
            for index, (number, message) in enumerate(pending):
                try:
                    smtp.send_message(message)
                except smtplib.SMTPRecipientsRefused as error:
                    delivery.failed.append((number, _reason(error)))
                    continue
                except (smtplib.SMTPException, OSError) as error:
                    delivery.failed += [(n, _reason(error)) for n, _ in pending[index:]]
                    return delivery
                delivery.sent.append(number)
                on_sent(number)
    except (smtplib.SMTPException, OSError) as error:
        done = set(delivery.sent) | {n for n, _ in delivery.failed}
        delivery.failed += [(n, _reason(error)) for n, _ in pending if n not in done]
    return delivery


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.tls:
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
    if settings.username:
        smtp.login(settings.username, settings.password or "")
    return smtp


def _reason(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = error.recipients.values()
        codes = [f"{code} {text.decode(errors='replace')}" for code, text in refused]
        return "; ".join(codes) or "recipient refused"
    return str(error) or type(error).__name__
