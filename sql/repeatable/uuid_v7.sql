-- uuid_v7(): time-ordered UUIDs (version 7) for rows created by SQL. New rows land at the
-- right edge of the primary key index instead of scattering over it. PostgreSQL 15 has no
-- built-in uuidv7().
CREATE OR REPLACE FUNCTION uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

-- uuid_v7_at(at): the smallest version 7 UUID of the millisecond `at`. Task ids are version 7,
-- so "created from … until …" is a range of ids, read through the primary key.
CREATE OR REPLACE FUNCTION uuid_v7_at(at timestamptz) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN encode(substring(int8send(floor(extract(epoch FROM at) * 1000)::bigint) FROM 3) || '\x00000000000000000000'::bytea,
              'hex')::uuid;
