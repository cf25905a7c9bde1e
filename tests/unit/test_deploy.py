"""The deployment files agree with the code: every variable of autogestion/config.py is in the sample env
file and the README's "Despliegue" section, and the compose file starts every process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autogestion import config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _documented() -> set[str]:
    """Variables in config.py's table (its module docstring)."""
    return set(re.findall(r"^\| ([A-Z][A-Z0-9_]+) \|", config.__doc__ or "", re.M))


def test_the_config_table_lists_every_variable_the_code_reads():
    source = (ROOT / "autogestion" / "config.py").read_text(encoding="utf-8")
    read = set(re.findall(r"""environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    read.discard("GRANIAN_WORKERS")  # honoured when set by hand; AUTOGESTION_WORKERS is the documented one
    assert read and read <= _documented(), read - _documented()


def test_the_sample_env_file_sets_every_variable():
    sample = (DEPLOY / "production.env.example").read_text(encoding="utf-8")
    assigned = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", sample, re.M))
    missing = _documented() - assigned
    assert not missing, missing
    settings = config.load_settings(
        {k: v for k, v in re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", sample, re.M) if k != "AUTOGESTION_SECRET_KEY"}
        | {"AUTOGESTION_SECRET_KEY": "Zq8-vR2xW_m4Kp7LtY1sBn9cHd3JfG6e"}
    )
    assert settings.is_production and settings.workers == 2 and settings.redis_url


def test_the_readme_deployment_section_names_every_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Despliegue", 1)[1].split("\n## ", 1)[0]
    missing = {name for name in _documented() if f"`{name}`" not in section}
    assert not missing, missing


def test_compose_starts_every_process():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "backend", "worker", "web"} <= set(services)
    assert services["worker"]["command"] == ["autogestion", "worker"]
    assert "check-config" in services["backend"]["command"][-1]
    assert services["backend"]["env_file"] == "production.env"


def test_the_image_build_context_leaves_out_secrets_and_local_state():
    """deploy/Dockerfile copies the repository root: without these lines the production env file and the TLS
    private key of a checkout ended up inside the image (seen when the compose file was first run)."""
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"deploy/production.env", "deploy/tls", ".git", ".venv", ".web", "var"} <= ignored


def test_the_image_installs_the_portal_where_its_migrations_are():
    """`autogestion migrate` finds alembic/ beside the package: a plain `pip install .` put the package in
    site-packages and the compose file's migrate job failed (ImportError: env.py)."""
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --no-cache-dir -e ." in dockerfile
    from autogestion import migrations

    assert (migrations.ROOT / "alembic" / "env.py").is_file() and (migrations.ROOT / "alembic.ini").is_file()


def test_compose_base_images_can_come_from_elsewhere():
    """A registry mirror or deploy/offline/build-base-images.sh: every base image is a variable with the
    official image as its default."""
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["postgres"]["image"] == "${POSTGRES_IMAGE:-postgres:15-bookworm}"
    assert services["redis"]["image"] == "${REDIS_IMAGE:-redis:7-bookworm}"
    assert services["web"]["build"]["args"]["NGINX_IMAGE"] == "${NGINX_IMAGE:-nginx:1.27-bookworm}"
    for name in ("migrate", "backend", "worker", "web"):
        assert services[name]["build"]["args"]["PYTHON_IMAGE"] == "${PYTHON_IMAGE:-python:3.11-slim-bookworm}"
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM ${PYTHON_IMAGE} AS app" in dockerfile and "FROM ${NGINX_IMAGE} AS web" in dockerfile
