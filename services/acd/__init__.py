"""careline ACD: queues, agents and call distribution (R-ACD1, R-ACD6; design §3)."""
