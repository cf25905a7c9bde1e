"""Settings: defaults, validation messages that name the variable, production refusing dev-only values."""

from __future__ import annotations

import pytest

from autogestion.config import DEV_SECRET_KEY, ConfigError, load_settings

PROD_OK = {
    "AUTOGESTION_ENV": "production",
    "DATABASE_URL": "postgresql://portal@db/portal",
    "AUTOGESTION_SECRET_KEY": "Zq8-vR2xW_m4Kp7LtY1sBn9cHd3JfG6e",
    "AUTOGESTION_SMS_GATEWAY_URL": "https://sms.example.com/send",
    "AUTOGESTION_SMTP_HOST": "smtp.example.com",
    "AUTOGESTION_SMTP_TLS": "starttls",
    "AUTOGESTION_BASE_URL": "https://autogestion.example.com",
    "AUTOGESTION_PAYMENTS": "mercadopago",
    "AUTOGESTION_MP_ACCESS_TOKEN": "TEST-token",
    "AUTOGESTION_MP_WEBHOOK_SECRET": "webhook-secret",
}


def test_dev_defaults(tmp_path):
    settings = load_settings({"AUTOGESTION_DATA_DIR": str(tmp_path)})
    assert settings.env == "dev" and settings.smtp_sink and settings.dev_pages
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'autogestion.db'}"
    assert settings.bcrypt_cost == 12 and settings.secret_key == DEV_SECRET_KEY
    assert settings.mail_dir == tmp_path / "mail" and settings.sms_outbox == tmp_path / "sms" / "outbox.jsonl"


def test_production_ok_and_url_rewritten():
    settings = load_settings(PROD_OK)
    assert settings.database_url == "postgresql+asyncpg://portal@db/portal"
    assert not settings.smtp_sink and not settings.dev_pages


@pytest.mark.parametrize(
    "override,variable",
    [
        ({"AUTOGESTION_CAPTCHA_TEST_ANSWER": "PRUEBA"}, "AUTOGESTION_CAPTCHA_TEST_ANSWER"),
        ({"AUTOGESTION_DEV_PAGES": "true"}, "AUTOGESTION_DEV_PAGES"),
        ({"AUTOGESTION_SMTP_SINK": "1"}, "AUTOGESTION_SMTP_SINK"),
        ({"AUTOGESTION_SECRET_KEY": ""}, "AUTOGESTION_SECRET_KEY"),
        ({"AUTOGESTION_SECRET_KEY": "short"}, "AUTOGESTION_SECRET_KEY"),
        ({"AUTOGESTION_SMS_GATEWAY_URL": ""}, "AUTOGESTION_SMS_GATEWAY_URL"),
        ({"DATABASE_URL": "sqlite+aiosqlite:///x.db"}, "DATABASE_URL"),
        ({"AUTOGESTION_BCRYPT_COST": "4"}, "AUTOGESTION_BCRYPT_COST"),
        # The session cookie is Secure only over https.
        ({"AUTOGESTION_BASE_URL": "http://autogestion.example.com"}, "AUTOGESTION_BASE_URL"),
        ({"AUTOGESTION_BASE_URL": ""}, "AUTOGESTION_BASE_URL"),
        # Passwords and codes must not cross the network in clear to a remote relay.
        ({"AUTOGESTION_SMTP_TLS": "none"}, "AUTOGESTION_SMTP_TLS"),
        # Long but guessable keys.
        ({"AUTOGESTION_SECRET_KEY": "k" * 40}, "AUTOGESTION_SECRET_KEY"),
        ({"AUTOGESTION_SECRET_KEY": "abababababababababababababababab"}, "AUTOGESTION_SECRET_KEY"),
    ],
)
def test_production_refuses_dev_only_settings(override, variable):
    with pytest.raises(ConfigError, match=variable):
        load_settings({**PROD_OK, **override})


def test_local_relay_may_skip_tls():
    settings = load_settings({**PROD_OK, "AUTOGESTION_SMTP_HOST": "127.0.0.1", "AUTOGESTION_SMTP_TLS": "none"})
    assert settings.smtp_tls == "none"


def test_development_listens_on_loopback_and_trusts_no_proxy():
    settings = load_settings({})
    assert settings.host == "127.0.0.1" and settings.trusted_proxies == () and settings.sms_per_hour == 500


def test_trusted_proxies_parsed():
    settings = load_settings({"AUTOGESTION_TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/24"})
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.5/32", "192.168.0.0/24"]


@pytest.mark.parametrize(
    "env,variable",
    [
        ({"AUTOGESTION_ENV": "staging"}, "AUTOGESTION_ENV"),
        ({"AUTOGESTION_SMTP_PORT": "abc"}, "AUTOGESTION_SMTP_PORT"),
        ({"AUTOGESTION_SMTP_PORT": "70000"}, "AUTOGESTION_SMTP_PORT"),
        ({"AUTOGESTION_SMTP_TLS": "ssl3"}, "AUTOGESTION_SMTP_TLS"),
        ({"AUTOGESTION_SMTP_SINK": "maybe"}, "AUTOGESTION_SMTP_SINK"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"AUTOGESTION_BCRYPT_COST": "20"}, "AUTOGESTION_BCRYPT_COST"),
    ],
)
def test_bad_values_name_the_variable(env, variable):
    with pytest.raises(ConfigError, match=variable):
        load_settings(env)


def test_cli_check_config_reports_the_variable(monkeypatch, capsys):
    from autogestion import cli
    from autogestion.config import get_settings

    monkeypatch.setenv("AUTOGESTION_ENV", "production")
    monkeypatch.setenv("AUTOGESTION_CAPTCHA_TEST_ANSWER", "PRUEBA")
    monkeypatch.setenv("AUTOGESTION_BCRYPT_COST", "12")
    get_settings.cache_clear()
    assert cli.main(["check-config"]) == 2
    assert "AUTOGESTION_CAPTCHA_TEST_ANSWER" in capsys.readouterr().err
