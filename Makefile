.PHONY: run cluster cluster-down test bench lint format

run:  ## Serve vetchat with the demo clinic on http://127.0.0.1:8000
	scripts/run.sh

cluster:  ## The clinic group's layout on this machine: HAProxy, 3 nodes, Patroni, PgBouncer, Sentinel
	scripts/cluster.sh up

cluster-down:  ## Stop everything `make cluster` started
	scripts/cluster.sh down

test:  ## Lint, format check and every test, on a throwaway PostgreSQL
	scripts/test.sh

bench:  ## Throughput and latency of the hot paths under gunicorn (see docs/benchmarks.md)
	scripts/bench.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .
