"""Security headers, CSP nonces, configuration safety."""

import pytest

from monitor import create_app


def test_security_headers_on_every_response(client, world):
    for url in ("/sign-in", "/static/app.css", "/no-such-page"):
        with client.get(url) as response:
            headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert "default-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"


def test_signed_in_pages_are_not_cached(client, world):
    client.sign_in(world.editor.email)
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_every_inline_script_carries_this_requests_nonce(client):
    nonces = []
    for _ in range(2):
        response = client.get("/sign-in")
        csp = response.headers["Content-Security-Policy"]
        nonce = csp.split("'nonce-")[1].split("'")[0]
        soup = client.page("/sign-in")
        inline = [s for s in soup.select("script") if not s.get("src")]
        assert inline
        nonces.append(nonce)
        html = response.get_data(as_text=True)
        assert f'nonce="{nonce}"' in html
    assert nonces[0] != nonces[1]


def test_pages_load_no_outside_resources(client):
    soup = client.page("/sign-in")
    for tag, attribute in (("link", "href"), ("script", "src"), ("img", "src")):
        for element in soup.select(f"{tag}[{attribute}]"):
            assert element[attribute].startswith("/"), element


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_to_start_with_debug(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="debug"):
        create_app("production")


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["DATABASE_URL"].endswith("prod.sqlite3")
    assert app.debug is False


def test_postgresql_urls_use_psycopg():
    from monitor.db import make_engine

    engine = make_engine("postgresql://user:pw@127.0.0.1:5432/monitor")
    assert engine.dialect.driver == "psycopg"


def test_sqlite_enforces_foreign_keys_and_uses_wal(tmp_path):
    from sqlalchemy import text

    from monitor.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_uploads_over_the_size_limit_get_413(client, world):
    client.sign_in(world.editor.email)
    response = client.post("/sign-out", data={"big": "x" * (6 * 1024 * 1024)})
    assert response.status_code == 413
    assert "larger than the service accepts" in response.get_data(as_text=True)
