"""Label: classify every commit with the sync study's 15-category taxonomy."""
