"""Billing: prepaid card accounts, an append-only double-entry ledger in integer fen, top-ups and rating
(R-ACC1, R-REG4–R-REG6, R-EXP1–R-EXP6, R-VIP3; design §5)."""
