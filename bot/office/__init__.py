"""The back office: the database, the requests Dana files and the staff's CLI. Actions, channels
and the CLI call these services; no SQL outside this package."""
