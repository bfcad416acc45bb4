"""Clientela: a self-hosted B2B CRM."""

__version__ = "0.1.0"
