"""Dana's back office and shared code. Every Dana process imports this package
first — the Rasa server (channels in credentials.yml are loaded before anything
else and import bot.*), the action server (actions/ → bot.*) and the admin CLI —
so log masking is installed here, before any of them can log a line."""

from bot import log_privacy as _log_privacy

_log_privacy.install()
