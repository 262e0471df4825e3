"""The database: its engine, tables and migration runner, and the queries the service asks."""
