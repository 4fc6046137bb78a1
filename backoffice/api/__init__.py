"""The HTTP API the front office calls: one module per router, plus the shared checks."""
