"""Sync: lag, overlap, intensity and the 8 synchronization patterns, and the study's tables."""
