#!/bin/sh
# Runs once, when the PostgreSQL volume is first made: Temporal's own role, so the Temporal
# server does not connect as the superuser. CREATEDB lets its setup make its two databases
# (temporal, temporal_visibility); it can open no Meridian database (npm run migrate with
# MERIDIAN_DB_ROLES=1 takes CONNECT on those from PUBLIC). On an existing volume, run the same
# statement once by hand.
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$TEMPORAL_DB_PASSWORD" --username "$POSTGRES_USER" --dbname postgres <<'SQL'
create role temporal login createdb nosuperuser nocreaterole password :'pw';
SQL
