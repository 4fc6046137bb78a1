"""The list engine: filters, search, sorting, counts and keyset pages over any table."""
