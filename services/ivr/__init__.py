"""careline IVR: the outbound-socket voice menu that greets every call (R-IVR1, R-IVR5; design §3)."""
