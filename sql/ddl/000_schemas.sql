-- Layers, after PUDL: raw (as fetched), core (cleaned, labelled, derived per partition),
-- out (the study's tables, what users query). Views with stable names live in sql/views.
create schema if not exists raw;
create schema if not exists core;
create schema if not exists out;
