"""Everything that talks to the outside world: SQL, the vault on disk, exports."""
