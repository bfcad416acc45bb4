"""Core: base models, audit log, permission scoping, errors, background tasks, base UI and API."""
