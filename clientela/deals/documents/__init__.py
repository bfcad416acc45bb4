"""A deal's documents — proposals, agreements, invoices, acts — numbered, versioned and rendered
to PDF from database templates."""
