#!/usr/bin/env bash
# What `make bench` needs besides make and make check (scripts/install-deps.sh bench). Idempotent.
set -eu
bash "$(dirname "$0")/install-deps.sh" bench
