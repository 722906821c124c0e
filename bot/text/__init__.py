"""Text handling, no I/O: reading what customers write (parsing/, language/) and saying
values as they read or hear them (formats, kazakh, spoken)."""
