"""CDR: one call detail record per call leg, searchable and exportable (R-CDR1)."""
