"""Clients (companies and private persons) and their contacts."""
