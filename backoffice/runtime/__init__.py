"""Process plumbing: event relay, presence, rate limits, uploads, start-up and the scheduler."""
