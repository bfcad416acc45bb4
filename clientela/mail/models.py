"""E-mail threads, messages and attachments."""
