"""Demo and benchmark data, made through the services."""
