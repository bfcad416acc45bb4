"""What deals sell: products, price lists and a deal's product lines (its amount is their sum)."""
