#!/usr/bin/env bash
# Installs stripe-mock (Stripe's API description as a local server) into a
# cache folder for the Stripe provider's tests, and prints its path. The
# tests start it on a free port; it runs offline.
set -euo pipefail
version=v0.203.0
dir="${STRIPE_MOCK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/billingportal/stripe-mock-$version}"
bin="$dir/stripe-mock"
if [ ! -x "$bin" ]; then
  echo "installing stripe-mock $version into $dir" >&2
  mkdir -p "$dir"
  # -mod=mod: stripe-mock's own go.mod is used, not this repository's.
  (cd "$dir" && GOBIN="$dir" GOFLAGS=-mod=mod go install "github.com/stripe/stripe-mock@$version" >&2)
fi
echo "$bin"
