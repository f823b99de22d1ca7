"""Domain-free helpers: ids, clock, i18n. Imports no domain package."""
