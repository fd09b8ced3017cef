# The two commands of the README: `make demo` and `make test`. Everything else is a step they use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export PATH := $(HOME)/.cargo/bin:$(PATH)
DB_SERVER ?= mysql://root@127.0.0.1:3306
DEMO_DB   ?= ocpizza
EXT_DEBUG := $(CURDIR)/target/debug/libocpizza.so
BRIDGE    := $(CURDIR)/target/debug/ocpizza-bridge

.PHONY: help deps db-up build test test-rust test-php test-api demo ext module-zip bench clean-test-dbs

help:
	@echo "make demo   - set everything up and run the main job"
	@echo "make test   - run every test of the repository"
	@echo "make ext    - build the release PHP extension and its ocpizza.ini"
	@echo "make module-zip - build dist/ocpizza.zip for PrestaShop"

deps:
	@scripts/install-deps.sh

db-up: deps
	@scripts/start-mariadb.sh

build: deps
	cargo build --workspace --all-targets

test: db-up build test-rust test-php test-api

test-rust:
	OCPIZZA_TEST_DATABASE_SERVER=$(DB_SERVER) cargo test --workspace

test-php:
	@scripts/test-php.sh "$(EXT_DEBUG)"

# bridge/openapi.yaml against a live bridge on a fresh database (schemathesis, pinned, from PyPI into target/tools).
test-api:
	@OCPIZZA_TEST_DATABASE_SERVER=$(DB_SERVER) scripts/schemathesis.sh "$(BRIDGE)"

demo: db-up build
	@scripts/demo.sh

ext: deps
	cargo build --release -p ocpizza-ext
	@printf '; OC Pizza extension (SogeCommerce signatures, OCPizza_DB orders)\nextension=%s\n' \
	  "$(CURDIR)/target/release/libocpizza.so" > target/release/ocpizza.ini
	@echo "Built target/release/libocpizza.so and target/release/ocpizza.ini"

module-zip:
	@prestashop-module/build-zip.sh dist/ocpizza.zip

# Drops test databases left behind by an interrupted run (tests drop their own when they finish).
clean-test-dbs: db-up
	@mariadb -h 127.0.0.1 -u root -N -e "SHOW DATABASES LIKE 'ocpizza\_test\_%'" | while read -r db; do \
	  mariadb -h 127.0.0.1 -u root -e "DROP DATABASE \`$$db\`"; done
