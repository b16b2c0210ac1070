"""JSON logs through structlog (ours and the stdlib loggers of Faust, mode and aiokafka).

Personal data never reaches a log line: a processor masks every key that looks like a secret or
a contact value, and the pipeline logs ids, topics and offsets, never payloads.
"""

from __future__ import annotations

import logging
import logging.config
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

SENSITIVE_KEY = re.compile(r"token|secret|key|password|email|phone|value", re.IGNORECASE)
SAFE_KEYS = frozenset({"event", "level", "timestamp", "logger"})
REDACTED = "[redacted]"


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """Replace the value of every sensitive key (see SENSITIVE_KEY) with a marker."""
    for name in list(event_dict):
        if name not in SAFE_KEYS and SENSITIVE_KEY.search(name):
            event_dict[name] = REDACTED
    return event_dict


def _render(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> str:
    return orjson.dumps(event_dict, default=str).decode()


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact,
]


def logging_dict_config(level: str = "info") -> dict[str, Any]:
    """A `logging.config.dictConfig` document: one JSON object per line on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    _render,
                ],
                "foreign_pre_chain": SHARED_PROCESSORS,
            }
        },
        "handlers": {
            "json": {"class": "logging.StreamHandler", "formatter": "json", "stream": sys.stderr}
        },
        "root": {"handlers": ["json"], "level": level.upper()},
    }


def configure_structlog() -> None:
    """Route structlog through stdlib logging so both end up in the same JSON handler."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure_logging(level: str = "info") -> None:
    """Configure stdlib logging and structlog for a worker process."""
    logging.config.dictConfig(logging_dict_config(level))
    configure_structlog()
    logging.captureWarnings(capture=True)
