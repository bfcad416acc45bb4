"""Exchange rates into the company's base currency (`CLIENTELA_BASE_CURRENCY`): recorded by
admins (page and API), read by the board to show each column's total in the base currency."""
