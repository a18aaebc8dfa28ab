/* jwt--0.1.1--0.1.2.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION jwt UPDATE TO '0.1.2'" to load this file. \quit
