"""What runs inside `rasa run`: the NLG, the tracker and lock stores, the message guard
(admission, rate limit) and the changes to Rasa's own code."""
