#!/usr/bin/env bash
# The deployment's smoke test (make deploy-smoke): 2 app processes on PostgreSQL and Redis behind nginx, checked
# through the proxy, then torn down. See deploy/smoke.py and docs/DEPLOY.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec "${PYTHON:-.venv/bin/python}" deploy/smoke.py "$@"
