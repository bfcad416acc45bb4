"""Clients tests: helpers are in `factories.py`; `world` comes from clientela/conftest.py."""
