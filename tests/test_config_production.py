"""The production configuration: a strong SECRET_KEY and a __Host- session cookie."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import monitor.models  # noqa: F401  (every table on the metadata)
from monitor import create_app
from monitor.config import secret_key_problem

# From secrets.token_hex(32).
STRONG_KEY = "4347b00d4eb47bd8c8ca3f4dbb79f3e3c3661cb0514a955f0f0fb9d3e52ddaa7"


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'prod.sqlite3'}"
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    "key",
    [
        "short",  # the outside test's 5-character key
        "a" * 40,  # long but one character
        "x7Gq-2pLw_9sKd",  # printable, under 32 characters
        "0123456789abcdef" * 3,  # 48 hex characters: 24 bytes
    ],
)
def test_production_refuses_a_weak_secret_key(production_env, key):
    production_env.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY") as raised:
        create_app("production")
    assert "secrets.token_hex(32)" in str(raised.value)


@pytest.mark.parametrize(
    "key",
    [
        STRONG_KEY,
        "0123456789abcdef" * 4,  # token_hex(32)'s shape
        "Zq3x_T9v-LmP2sWn8yKc4RbHj6uDfE1a",  # 32 printable characters (token_urlsafe(24))
    ],
)
def test_a_key_of_32_random_bytes_is_accepted(key):
    assert secret_key_problem(key) is None


def test_production_starts_with_a_strong_key(production_env):
    app = create_app("production")
    assert app.config["SECRET_KEY"] == STRONG_KEY
    app.extensions["monitor.engine"].dispose()
    app.extensions["monitor.jobs"].close()


def test_production_session_cookie_has_the_host_prefix(production_env):
    app = create_app("production")
    try:
        # The sign-in page puts its CSRF token in the session, so it sets the cookie.
        response = app.test_client().get("/sign-in", base_url="https://monitor.example")
        cookies = response.headers.getlist("Set-Cookie")
        session_cookie = next(c for c in cookies if c.startswith("__Host-session="))
        attributes = [part.strip().lower() for part in session_cookie.split(";")[1:]]
        assert "secure" in attributes
        assert "path=/" in attributes
        assert "httponly" in attributes
        assert "samesite=lax" in attributes
        assert not any(a.startswith("domain=") for a in attributes)
        assert not any(c.startswith(("hep_session=", "remember_token")) for c in cookies)
        assert app.config["REMEMBER_COOKIE_NAME"].startswith("__Host-")
    finally:
        app.extensions["monitor.engine"].dispose()
        app.extensions["monitor.jobs"].close()
