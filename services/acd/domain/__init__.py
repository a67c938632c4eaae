"""The ACD's business rules, free of FastAPI, NATS and ESL (design §1).

- :mod:`.agents`  the agent state machine (R-ACD6);
- :mod:`.queue`   the waiting line and the choice of who is served by whom (R-ACD1, R-VIP1);
- :mod:`.stats`   queue statistics (R-ACD6, R-STAT1);
- :mod:`.routing` the distributor: drives the above through two ports (switch, notifier) that the
  service wires to ESL and NATS.
"""
