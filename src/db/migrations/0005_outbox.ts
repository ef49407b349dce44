// The fedora-messaging outbox (src/messaging): a message is written in the transaction of the
// change it announces, so it exists exactly when the change committed, and the publisher
// service sends the unpublished ones in id order and marks each once the broker confirmed it.
export const sql = `
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    -- Without the broker's topic prefix, which the publisher adds.
    topic varchar NOT NULL,
    body jsonb NOT NULL,
    -- What the fedora-messaging headers are made of: schema, severity, packages, groups.
    headers jsonb NOT NULL,
    -- Fixed here, so that a message sent again (its confirm was lost) keeps its id.
    message_id varchar NOT NULL DEFAULT gen_random_uuid()::text,
    created timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at timestamptz
);
CREATE INDEX ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
`;
