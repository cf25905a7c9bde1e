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
        # A checkout that charges nothing, and Mercado Pago without its credentials or over http.
        ({"AUTOGESTION_PAYMENTS": "demo"}, "AUTOGESTION_PAYMENTS"),
        ({"AUTOGESTION_PAYMENTS": ""}, "AUTOGESTION_PAYMENTS"),
        ({"AUTOGESTION_MP_ACCESS_TOKEN": ""}, "AUTOGESTION_MP_ACCESS_TOKEN"),
        ({"AUTOGESTION_MP_WEBHOOK_SECRET": " "}, "AUTOGESTION_MP_WEBHOOK_SECRET"),
        ({"AUTOGESTION_MP_API_URL": "http://api.mercadopago.com"}, "AUTOGESTION_MP_API_URL"),
        # Extra websocket origins in clear, or several workers that could not share state.
        ({"AUTOGESTION_ALLOWED_ORIGINS": "http://intranet.example.com"}, "AUTOGESTION_ALLOWED_ORIGINS"),
        ({"AUTOGESTION_WORKERS": "4"}, "REFLEX_REDIS_URL"),
        ({"GRANIAN_WORKERS": "3"}, "REFLEX_REDIS_URL"),
    ],
)
def test_production_refuses_dev_only_settings(override, variable):
    with pytest.raises(ConfigError, match=variable):
        load_settings({**PROD_OK, **override})


def test_every_production_refusal_has_a_test():
    """Each `raise ConfigError` of _refuse_unsafe_production names a variable that a case above covers."""
    import inspect
    import re

    from autogestion import config

    source = inspect.getsource(config._refuse_unsafe_production)
    refused = set(re.findall(r"ConfigError\(\s*f?\"([A-Z_]+)", source))
    cases = test_production_refuses_dev_only_settings.pytestmark[0].args[1]
    assert refused and refused <= {variable for _, variable in cases}


def test_production_with_redis_runs_the_workers_asked_for():
    settings = load_settings({**PROD_OK, "REFLEX_REDIS_URL": "redis://cache:6379/0", "AUTOGESTION_WORKERS": "4"})
    assert settings.workers == 4 and settings.redis_url == "redis://cache:6379/0"
    assert settings.db_processes == 4 + 1  # and one `autogestion worker` by default


def test_workers_default_to_one_without_redis_and_to_the_cores_with_it(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    assert load_settings({}).workers == 1
    assert load_settings({"REFLEX_REDIS_URL": "redis://127.0.0.1:6379/3"}).workers == 3
    # GRANIAN_WORKERS set by hand is what granian will run, so it is what the capacity check counts.
    assert load_settings({"REFLEX_REDIS_URL": "redis://127.0.0.1:6379/3", "GRANIAN_WORKERS": "2"}).workers == 2
    with pytest.raises(ConfigError, match="AUTOGESTION_WORKERS=2 needs REFLEX_REDIS_URL"):
        load_settings({"AUTOGESTION_WORKERS": "2"})


def test_pool_defaults_let_five_workers_share_a_100_connection_server():
    from autogestion.capacity import ServerLimits, check, connections_needed

    settings = load_settings({"REFLEX_REDIS_URL": "redis://127.0.0.1:6379/3", "AUTOGESTION_WORKERS": "5"})
    assert (settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout) == (5, 5, 5.0)
    assert connections_needed(settings) == (5 + 1) * 10 + 5 <= 97
    check(settings, ServerLimits(max_connections=100, superuser_reserved=3))


def test_pool_settings_and_origins_are_read():
    settings = load_settings(
        {
            "AUTOGESTION_DB_POOL_SIZE": "7",
            "AUTOGESTION_DB_MAX_OVERFLOW": "0",
            "AUTOGESTION_DB_POOL_TIMEOUT": "2.5",
            "AUTOGESTION_DB_RESERVE": "10",
            "AUTOGESTION_HOSTS": "2",
            "AUTOGESTION_OUTBOX_PROCESSES": "0",
            "AUTOGESTION_BASE_URL": "https://autogestion.example.com/",
            "AUTOGESTION_ALLOWED_ORIGINS": "https://www.example.com/, https://autogestion.example.com",
        }
    )
    assert (settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout) == (7, 0, 2.5)
    assert (settings.db_reserve, settings.hosts, settings.outbox_processes) == (10, 2, 0)
    assert settings.cors_origins == ("https://autogestion.example.com", "https://www.example.com")


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
        ({"AUTOGESTION_WORKERS": "0"}, "AUTOGESTION_WORKERS"),
        ({"AUTOGESTION_WORKERS": "dos"}, "AUTOGESTION_WORKERS"),
        ({"AUTOGESTION_DB_POOL_SIZE": "0"}, "AUTOGESTION_DB_POOL_SIZE"),
        ({"AUTOGESTION_DB_MAX_OVERFLOW": "-1"}, "AUTOGESTION_DB_MAX_OVERFLOW"),
        ({"AUTOGESTION_DB_POOL_TIMEOUT": "0"}, "AUTOGESTION_DB_POOL_TIMEOUT"),
        ({"AUTOGESTION_DB_POOL_TIMEOUT": "soon"}, "AUTOGESTION_DB_POOL_TIMEOUT"),
        ({"AUTOGESTION_DB_RESERVE": "-2"}, "AUTOGESTION_DB_RESERVE"),
        ({"AUTOGESTION_HOSTS": "0"}, "AUTOGESTION_HOSTS"),
        ({"AUTOGESTION_OUTBOX_PROCESSES": "x"}, "AUTOGESTION_OUTBOX_PROCESSES"),
        ({"AUTOGESTION_ALLOWED_ORIGINS": "*"}, "AUTOGESTION_ALLOWED_ORIGINS"),
        ({"AUTOGESTION_ALLOWED_ORIGINS": "https://example.com/path"}, "AUTOGESTION_ALLOWED_ORIGINS"),
        ({"REFLEX_REDIS_URL": "localhost:6379"}, "REFLEX_REDIS_URL"),
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
