from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings, read from the environment (prefix HEMBESOK_) or a .env file."""

    model_config = SettingsConfigDict(env_prefix="HEMBESOK_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/hembesok.db"
    timezone: str = "Europe/Stockholm"
    page_size_default: int = 50
    page_size_max: int = 200
    sqlite_busy_timeout_ms: int = 10_000
    import_max_bytes: int = 20 * 1024 * 1024
    sql_echo: bool = False
    home_visit_buffer_minutes: int = 30
    max_booking_hours: int = 8
    max_list_range_days: int = 366


@lru_cache
def get_settings() -> Settings:
    return Settings()
