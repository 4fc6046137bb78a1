"""Data in and out: CSV/XLSX export and import."""
