"""hubscope\x27s assets, one sub-package per stage: pure logic beside thin Dagster wrappers."""
