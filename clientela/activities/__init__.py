"""Tasks and activities on leads, clients and deals (the work list grows from here)."""
