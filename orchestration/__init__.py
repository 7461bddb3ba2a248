"""hubscope's Dagster wiring: Definitions, resources, partitions, sensors, schedules and jobs."""
