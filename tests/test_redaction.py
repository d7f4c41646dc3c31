"""Secrets never reach output: redaction of known and token-shaped values, in logs too."""

from __future__ import annotations

import logging

import pytest

from kling_ai_30.redaction import RedactingFilter, clean_message, redact, register_secret


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("token nmv_usr_abcDEF123_xyz leaked", id="nemo-token"),
        pytest.param("Authorization: Bearer abc.def-ghi", id="bearer-header"),
        pytest.param("https://x/y?token=abc123&z=1", id="token-query"),
        pytest.param("key sk-ant-api03-AAAA", id="anthropic-key"),
        pytest.param("oauth eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlAAAA seen", id="jwt"),
    ],
)
def test_token_shaped_values_are_redacted(text: str) -> None:
    out = redact(text)
    assert "[redacted]" in out
    for secret in ("abcDEF123", "abc.def-ghi", "abc123", "api03-AAAA", "eyJzdWIiOiJhbGljZSJ9"):
        assert secret not in out


def test_registered_secrets_are_redacted_whatever_their_shape() -> None:
    register_secret("plain-looking-secret-42")
    assert redact("the value plain-looking-secret-42 appears") == "the value [redacted] appears"


def test_claim_tokens_stay_because_they_are_meant_for_links() -> None:
    assert redact("https://nemovideo.com/workspace/claim?ct=clm_abcdef123456").endswith("clm_abcdef123456")


def test_backend_messages_are_bounded_and_stripped_of_control_characters() -> None:
    cleaned = clean_message("bad\x1b[31m thing " + "x" * 500, limit=50)
    assert "\x1b" not in cleaned
    assert len(cleaned) == 50


def test_the_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    record_filter = RedactingFilter()
    try:
        raise RuntimeError("failed with nmv_usr_inside_exception")
    except RuntimeError:
        import sys

        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "got %s", ("nmv_usr_argvalue",), sys.exc_info())
    assert record_filter.filter(record)
    assert "argvalue" not in record.getMessage()
    assert record.exc_text is not None and "inside_exception" not in record.exc_text
