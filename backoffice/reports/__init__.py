"""The ready reports: one module per report, computing its table from the database (pandas where it helps)."""
