"""Layer 3 — endpoints: what is outside the switch and talks to it. Simulated phones and callers, the
inbound ESL server and the outbound socket dialer. Each new endpoint (Verto, WebRTC, fax) is a new module
here that registers its dialer and applications on the core (tests/unit/switchsim/test_layers.py)."""
