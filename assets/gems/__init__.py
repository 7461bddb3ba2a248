"""Gems: candidate pools from the Hub's model tree, budgeted evaluation, leaderboards."""
