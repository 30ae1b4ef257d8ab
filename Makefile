# The two commands the README gives. Everything else is in scripts/icn and icn/dev.py.
.PHONY: run test

run:
	@./scripts/icn run

test:
	@./scripts/icn test
