"""What runs inside `rasa run`: the NLG, the tracker and lock stores, the message guard
(admission, rate limit) and the changes to Rasa's own code; and the Prometheus metrics,
which the action server (`rasa run actions`) serves too (metrics.py, action_server.py)."""
