"""Services: one module per domain; each public function is one transaction that checks, validates, writes, audits."""
