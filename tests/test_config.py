"""Configuration layers: defaults < TOML file < FLEETPBX_* environment < command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.config import DEFAULT_DATABASE_URL, ConfigError, load_settings


def test_defaults_use_an_embedded_sqlite_database() -> None:
    settings = load_settings(env={})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.sources["database_url"] == "default"
    assert settings.number_policy().allowed_prefixes == ("01", "02", "03", "04", "05", "06")


def test_each_layer_overrides_the_one_below(tmp_path: Path) -> None:
    config = tmp_path / "fleetpbx.toml"
    config.write_text(
        'database_url = "postgresql+asyncpg://file@db/fleet"\nport = 9000\nhost = "0.0.0.0"\n'
        '[numbering]\nallowed_prefixes = ["01", "06", "07"]\n',
        encoding="utf-8",
    )
    env = {"FLEETPBX_CONFIG": str(config), "FLEETPBX_PORT": "9100"}
    settings = load_settings(env=env, cli={"port": 9200, "host": None})
    assert settings.database_url == "postgresql+asyncpg://file@db/fleet"
    assert settings.host == "0.0.0.0"
    assert settings.port == 9200
    assert settings.sources["port"] == "command line"
    assert settings.sources["host"] == f"file {config}"
    assert settings.number_policy().allowed_prefixes == ("01", "06", "07")
    assert load_settings(env=env).port == 9100


def test_settings_are_frozen() -> None:
    settings = load_settings(env={})
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_environment_prefix_list_is_comma_separated() -> None:
    settings = load_settings(env={"FLEETPBX_NUMBERING_ALLOWED_PREFIXES": "01, 06,09"})
    assert settings.numbering_allowed_prefixes == ("01", "06", "09")
    assert load_settings(env={"FLEETPBX_DATABASE_POOL_SIZE": "40"}).database_pool_size == 40


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FLEETPBX_PORT": "http"}, "port"),
        ({"FLEETPBX_PORT": "70000"}, "port"),
        ({"FLEETPBX_DATABASE_URL": "mysql://x"}, "database_url"),
        ({"FLEETPBX_DATABASE_POOL_SIZE": "0"}, "database_pool_size"),
        ({"FLEETPBX_LOG_FORMAT": "xml"}, "log_format"),
        ({"FLEETPBX_NUMBERING_REGION": "ZZ"}, "region"),
        ({"FLEETPBX_CONFIG": "/nonexistent/fleetpbx.toml"}, "not found"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env)


def test_unknown_file_keys_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(env={}, config_file=config)


def test_displayed_settings_hide_the_database_password() -> None:
    settings = load_settings(env={"FLEETPBX_DATABASE_URL": "postgresql+asyncpg://u:secret@h/db"})
    assert settings.redacted()["database_url"] == "postgresql+asyncpg://u:***@h/db"


def test_pabx_codes_are_configurable_but_never_annex_b(tmp_path: Path) -> None:
    config = tmp_path / "codes.toml"
    config.write_text('[featurecodes]\ngroup_member = "58"\nmenu = "*800#"\n', encoding="utf-8")
    catalogue = load_settings(env={}, config_file=config).catalogue()
    assert (catalogue.group_member, catalogue.menu) == ("58", "*800#")
    with pytest.raises(ConfigError, match="Annex B"):
        load_settings(env={"FLEETPBX_FEATURECODES_GROUP_ADMIN": "21"})
