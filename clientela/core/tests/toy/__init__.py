"""A toy team-owned record used only by tests: it pins how every app scopes pages and API."""
