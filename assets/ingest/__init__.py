"""Ingest: discover model families on the Hub and mine both platforms' commit histories."""
