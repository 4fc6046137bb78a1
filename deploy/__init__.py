"""Deployment files (nginx site, systemd units, environment) and the harness that brings the stack up locally."""
