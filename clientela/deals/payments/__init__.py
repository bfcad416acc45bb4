"""A deal's money after the handshake: expected and received payments, and receivables."""
