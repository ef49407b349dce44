// Statistics "materialized views" (spec 01 §6): ordinary tables that refresh_stats()
// empties and refills inside the caller's transaction; the polling service calls it at
// the end of every cycle.
export const sql = `
CREATE TABLE scalar_stats (
    refresh_time timestamptz PRIMARY KEY,
    packages integer NOT NULL,
    tracked_packages integer NOT NULL,
    blocked_packages integer NOT NULL,
    builds integer NOT NULL,
    real_builds integer NOT NULL,
    scratch_builds integer NOT NULL
);

CREATE TABLE resource_consumption_stats (
    name varchar NOT NULL,
    arch varchar NOT NULL,
    "time" interval,
    time_percentage double precision,
    PRIMARY KEY (name, arch)
);
CREATE INDEX ix_resource_consumption_stats_time ON resource_consumption_stats ("time");

-- Koji task time per package name and arch (names merged across collections), and its
-- share of all recorded task time. Unfinished tasks count for nothing.
CREATE FUNCTION refresh_stats() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM scalar_stats;
    INSERT INTO scalar_stats
        SELECT now(),
               (SELECT count(*) FROM package),
               (SELECT count(*) FROM package WHERE tracked),
               (SELECT count(*) FROM package WHERE blocked),
               (SELECT count(*) FROM build),
               (SELECT count(*) FROM build WHERE real),
               (SELECT count(*) FROM build WHERE NOT real);

    DELETE FROM resource_consumption_stats;
    INSERT INTO resource_consumption_stats (name, arch, "time", time_percentage)
        SELECT package.name, koji_task.arch,
               sum(koji_task.finished - koji_task.started),
               extract(EPOCH FROM sum(koji_task.finished - koji_task.started))::double precision
                   / nullif(total.seconds, 0)
        FROM package
        JOIN build ON build.package_id = package.id
        JOIN koji_task ON koji_task.build_id = build.id
        CROSS JOIN (SELECT extract(EPOCH FROM sum(finished - started))::double precision AS seconds
                        FROM koji_task) total
        GROUP BY package.name, koji_task.arch, total.seconds;
END
$$;

SELECT refresh_stats();
`;
