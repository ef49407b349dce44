// RPM version comparison inside PostgreSQL (spec 01 §5), so queries can order and filter
// dependency EVRs. The algorithm follows rpm's own rpmvercmp(): segments are runs of ASCII
// digits or ASCII letters; any other character separates them, except "~" (sorts before
// everything, even the end of the string) and "^" (sorts after the end of the string but
// before any further segment). Numeric segments compare by value and are newer than
// alphabetic ones; alphabetic segments compare bytewise.

// At a "~" or "^" on either side (after the "^" end-of-version checks), the side without the
// marker is newer; with it on both, both step over it. One rule for both markers, built here.
function compareAtMarker(marker: "~" | "^"): string {
  return `            IF char_a <> '${marker}' THEN
                RETURN 1;
            END IF;
            IF char_b <> '${marker}' THEN
                RETURN -1;
            END IF;
            pos_a := pos_a + 1;
            pos_b := pos_b + 1;
            CONTINUE;`;
}

export const sql = `
CREATE FUNCTION rpmvercmp(a varchar, b varchar) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
DECLARE
    length_a integer := length(a);
    length_b integer := length(b);
    pos_a integer := 1;
    pos_b integer := 1;
    char_a text;
    char_b text;
    segment_a text;
    segment_b text;
    is_numeric boolean;
    segment_pattern text;
BEGIN
    IF a = b THEN
        RETURN 0;
    END IF;
    LOOP
        WHILE pos_a <= length_a AND substr(a, pos_a, 1) !~ '^[A-Za-z0-9~^]$' LOOP
            pos_a := pos_a + 1;
        END LOOP;
        WHILE pos_b <= length_b AND substr(b, pos_b, 1) !~ '^[A-Za-z0-9~^]$' LOOP
            pos_b := pos_b + 1;
        END LOOP;
        -- The empty string stands for "end of the version".
        char_a := substr(a, pos_a, 1);
        char_b := substr(b, pos_b, 1);

        IF char_a = '~' OR char_b = '~' THEN
${compareAtMarker("~")}
        END IF;

        IF char_a = '^' OR char_b = '^' THEN
            IF char_a = '' THEN
                RETURN -1;
            END IF;
            IF char_b = '' THEN
                RETURN 1;
            END IF;
${compareAtMarker("^")}
        END IF;

        EXIT WHEN char_a = '' OR char_b = '';

        is_numeric := char_a ~ '^[0-9]$';
        segment_pattern := CASE WHEN is_numeric THEN '^[0-9]+' ELSE '^[A-Za-z]+' END;
        segment_a := substring(substr(a, pos_a) FROM segment_pattern);
        segment_b := substring(substr(b, pos_b) FROM segment_pattern);
        -- Segments of different kinds: the numeric one is newer.
        IF segment_b IS NULL THEN
            RETURN CASE WHEN is_numeric THEN 1 ELSE -1 END;
        END IF;
        pos_a := pos_a + length(segment_a);
        pos_b := pos_b + length(segment_b);

        IF is_numeric THEN
            segment_a := ltrim(segment_a, '0');
            segment_b := ltrim(segment_b, '0');
            IF length(segment_a) <> length(segment_b) THEN
                RETURN sign(length(segment_a) - length(segment_b));
            END IF;
        END IF;
        IF segment_a <> segment_b THEN
            RETURN CASE WHEN segment_a COLLATE "C" < segment_b COLLATE "C" THEN -1 ELSE 1 END;
        END IF;
    END LOOP;

    IF pos_a > length_a AND pos_b > length_b THEN
        RETURN 0;
    END IF;
    RETURN CASE WHEN pos_a > length_a THEN -1 ELSE 1 END;
END
$$;

-- Compares two (epoch, version, release) triples; a NULL epoch counts as 0.
CREATE FUNCTION rpmvercmp_evr(
    epoch_a integer, version_a varchar, release_a varchar,
    epoch_b integer, version_b varchar, release_b varchar
) RETURNS integer
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 1500 AS $$
DECLARE
    result integer;
BEGIN
    IF coalesce(epoch_a, 0) <> coalesce(epoch_b, 0) THEN
        RETURN CASE WHEN coalesce(epoch_a, 0) < coalesce(epoch_b, 0) THEN -1 ELSE 1 END;
    END IF;
    result := rpmvercmp(version_a, version_b);
    IF result IS DISTINCT FROM 0 THEN
        RETURN result;
    END IF;
    RETURN rpmvercmp(release_a, release_b);
END
$$;
`;
