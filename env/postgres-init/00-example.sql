-- EXAMPLE: SQL files here are mounted into Postgres' /docker-entrypoint-initdb.d
CREATE TABLE IF NOT EXISTS symphony_example (id serial PRIMARY KEY);
