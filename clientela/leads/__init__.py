"""Interests and leads: lifecycle, qualification, temperature, score, distribution, conversion."""
