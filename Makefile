# The portal's build and test entry points. `make test` is what CI runs.
SHELL := /bin/bash
export CGO_ENABLED := 1

.PHONY: run test test-postgres soak bench generate templ css check-generated vet fmt-check browser-deps pdf-deps

## run: serve the portal with demo data on http://127.0.0.1:8080
run:
	go run . -demo

## generate: regenerate templ code and the Tailwind CSS (commit the results)
generate: templ css

templ:
	go tool templ generate

css: node_modules/.package-lock.json
	npx tailwindcss -i static/src/input.css -o static/app.css --minify

node_modules/.package-lock.json: package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to build the CSS: install Node.js and npm (apt-get install -y nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund

## test: formatting, vet, stale generated files, then every test (unit, HTTP, browser) with the race detector
## (stripe-mock, which checks every request the Stripe provider makes, is installed into a cache folder first),
## then the store, money and HTTP tests again on a throw-away PostgreSQL cluster
test: fmt-check vet check-generated browser-deps pdf-deps
	STRIPE_MOCK="$$(bash scripts/ensure-stripe-mock.sh)" STRIPE_MOCK_REQUIRED=1 go test -race -count=1 ./...
	@# The model test's full 10,000 random operations, which -race makes fifty times slower.
	go test -count=1 -run TestModelRandomSequencesKeepTheBooks ./billing/
	@$(MAKE) --no-print-directory test-postgres

# The packages whose tests also run on PostgreSQL: the store, the sign-in throttle, the money (service, ledger,
# model test), the payment providers, the demo data, mail (several senders on one outbox), invoice PDFs, the app
# notifications, the HTTP and API tests, and the two-process test.
POSTGRES_PACKAGES := ./db/... ./account/ ./billing/ ./checkout/... ./demo/ ./email/ ./invoicepdf/ ./notify/ ./web/ .

## test-postgres: start a throw-away PostgreSQL cluster (installing postgresql when missing), run those tests on it, stop it
test-postgres:
	@dir=/tmp/portal-pg-$$$$; \
	trap 'bash scripts/postgres.sh stop '"$$dir" EXIT; \
	url=$$(bash scripts/postgres.sh start "$$dir") || exit 1; \
	echo "PostgreSQL: $$url"; \
	STRIPE_MOCK="$$(bash scripts/ensure-stripe-mock.sh)" STRIPE_MOCK_REQUIRED=1 PORTAL_TEST_POSTGRES="$$url" \
		go test -race -count=1 $(POSTGRES_PACKAGES)

## soak: the model test of the books over 200,000 random operations and several seeds
soak:
	for seed in 1 2 3; do MODEL_SEED=$$seed MODEL_OPS=200000 go test -count=1 -timeout 2h -run TestModelRandomSequencesKeepTheBooks -v ./billing/ || exit 1; done

## bench: Go benchmarks and a load run against the real server (figures, not tests)
bench:
	@bash scripts/bench.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi

vet:
	go vet ./...

check-generated:
	@bash scripts/check-generated.sh

browser-deps:
	@bash scripts/ensure-chromium.sh

pdf-deps:
	@bash scripts/ensure-poppler.sh
