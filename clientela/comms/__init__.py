"""Communication discipline: business hours, first-response and promise clocks."""
