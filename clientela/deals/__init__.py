"""Deals on configurable pipelines, products, proposals, payments and objections."""
