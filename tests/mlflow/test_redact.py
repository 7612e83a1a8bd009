"""The one sanitizer: no credential survives, whatever characters it holds."""

from __future__ import annotations

import pytest

from dvcflow.mlflow.redact import redact, sanitize_uri

PASSWORDS = ["p", "pa/ss", "p@ss", "p:a:ss", "pa?ss#x", "p/@:?#%zz", "sp ace"]


def test_sanitize_uri_drops_credentials_query_and_fragment() -> None:
    assert sanitize_uri("https://u:p@host:5000/a/?token=x#f") == "https://host:5000/a/"
    assert sanitize_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert sanitize_uri("postgresql://u:p@db/mlflow") == "postgresql://db/mlflow"
    assert (
        sanitize_uri("postgresql://db/mlflow?password=x") == "postgresql://db/mlflow?password=***"
    )
    assert sanitize_uri("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
    assert sanitize_uri("databricks") == "databricks"
    assert sanitize_uri("./mlruns") == "./mlruns"
    assert sanitize_uri("https://u:p@host:notaport/x") == "https://host:notaport/x"


@pytest.mark.parametrize("password", PASSWORDS)
def test_any_character_in_the_userinfo_is_dropped(password: str) -> None:
    uri = f"http://bob:{password}@mlflow.example:5000/prefix"
    assert sanitize_uri(uri) == "http://mlflow.example:5000/prefix"
    text = f"HTTPConnectionPool: Max retries exceeded with url: {uri}/api/2.0/mlflow/runs/get"
    assert password not in redact(text, [uri]) or len(password) < 4
    if " " not in password:  # free text without the URI: a word ends at whitespace
        assert "bob:" not in redact(text)


def test_tokens_and_credential_variables_are_masked() -> None:
    env = {
        "MLFLOW_TRACKING_TOKEN": "tok-12345",
        "MLFLOW_TRACKING_PASSWORD": "pw/with@odd:chars",
        "MLFLOW_TRACKING_URI": "https://carol:uri-secret-9@h.example",
    }
    text = (
        "refused https://h.example/api?token=abc123&x=1 with Bearer tok-12345 "
        "(password pw/with@odd:chars, encoded pw%2Fwith%40odd%3Achars) uri-secret-9 "
        "Authorization: Basic Ym9iOnNlY3JldA=="
    )
    clean = redact(text, env=env)
    for secret in ("abc123", "tok-12345", "pw/with@odd:chars", "pw%2Fwith", "uri-secret-9"):
        assert secret not in clean, secret
    assert "Ym9iOnNlY3JldA" not in clean
    assert "x=1" in clean and "https://h.example/api" in clean
