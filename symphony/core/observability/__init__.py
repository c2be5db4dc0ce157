"""Observability core: pure builders for the dashboard, datasources and the stack override."""
