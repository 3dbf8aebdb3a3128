#!/usr/bin/env bash
# What `make fuzz` needs besides make and make check (scripts/install-deps.sh fuzz). Idempotent.
set -eu
bash "$(dirname "$0")/install-deps.sh"
bash "$(dirname "$0")/install-deps.sh" fuzz
