"""CRM: patients, their phones and cards, and caller-ID recognition (R-CRM1, R-CRM2)."""
