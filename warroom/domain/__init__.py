"""The incident-response rules in plain Python: no Qt, no SQL, no wall clock."""
