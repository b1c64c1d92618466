-- herken's schema, version 1. Times are Unix nanoseconds (bigint): the
-- domain's times have nanoseconds, timestamptz only microseconds, and the
-- list orders and filters must agree with the other stores to the
-- nanosecond. Records are the domain's values as JSON (data): the columns
-- beside them are what the queries select and order by. Every text column
-- is COLLATE "C": ids, tags and keys order by their bytes, as in the other
-- stores, whatever the database's default collation (and C compares
-- faster than a linguistic collation).

-- Store-wide values: the page-token secret.
CREATE TABLE herken_meta (
	name  text COLLATE "C" PRIMARY KEY,
	value bytea NOT NULL
);

-- Live customers.
CREATE TABLE customers (
	id        text COLLATE "C" PRIMARY KEY,
	update_ns bigint NOT NULL,
	data      json NOT NULL
);
CREATE INDEX customers_by_update ON customers (update_ns, id);

-- ListCustomers' tag and name filters, one row per tag or name prefix.
CREATE TABLE customer_tags (
	tag         text COLLATE "C" NOT NULL,
	customer_id text COLLATE "C" NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	update_ns   bigint NOT NULL,
	PRIMARY KEY (tag, customer_id)
);
CREATE INDEX customer_tags_by_update ON customer_tags (tag, update_ns, customer_id);
CREATE INDEX customer_tags_customer ON customer_tags (customer_id);

CREATE TABLE customer_names (
	prefix      text COLLATE "C" NOT NULL,
	customer_id text COLLATE "C" NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	PRIMARY KEY (prefix, customer_id)
);
CREATE INDEX customer_names_customer ON customer_names (customer_id);

-- The identifier index: an identifier's holders in link order. ident is
-- "kind:platform:value" (identKey).
CREATE TABLE holders (
	ident   text COLLATE "C" PRIMARY KEY,
	holders text[] COLLATE "C" NOT NULL
);

-- Names that are no longer live: merged (survivor: the live customer it
-- resolves to, kept flat) or erased (a tombstone).
CREATE TABLE names (
	id       text COLLATE "C" PRIMARY KEY,
	survivor text COLLATE "C",
	erased   boolean NOT NULL DEFAULT false,
	CHECK ((survivor IS NULL) = erased)
);
CREATE INDEX names_by_survivor ON names (survivor) WHERE survivor IS NOT NULL;

-- Merges not undone: by the merged id, listed per direct survivor in
-- merge order.
CREATE TABLE merge_records (
	merged_id   text COLLATE "C" PRIMARY KEY,
	survivor_id text COLLATE "C" NOT NULL,
	seq         bigserial NOT NULL,
	data        json NOT NULL
);
CREATE INDEX merge_records_by_survivor ON merge_records (survivor_id, seq);

CREATE TABLE interactions (
	customer_id text COLLATE "C" NOT NULL,
	id          text COLLATE "C" NOT NULL,
	occur_ns    bigint NOT NULL,
	contact     boolean NOT NULL, -- Channel.IsContact
	feedback_ns bigint,           -- submit time of unanswered feedback, else null
	data        json NOT NULL,
	PRIMARY KEY (customer_id, id)
);
CREATE INDEX interactions_newest ON interactions (customer_id, occur_ns DESC, id);
CREATE INDEX interactions_by_occur ON interactions (occur_ns, customer_id, id);
CREATE INDEX interactions_feedback ON interactions (feedback_ns, customer_id, id) WHERE feedback_ns IS NOT NULL;

CREATE TABLE promises (
	customer_id text COLLATE "C" NOT NULL,
	id          text COLLATE "C" NOT NULL,
	due_ns      bigint NOT NULL,
	open        boolean NOT NULL,
	owner       text COLLATE "C" NOT NULL,
	data        json NOT NULL,
	PRIMARY KEY (customer_id, id)
);
CREATE INDEX promises_by_due ON promises (customer_id, due_ns, id);
CREATE INDEX promises_open ON promises (due_ns, customer_id, id) WHERE open;
CREATE INDEX promises_open_owner ON promises (owner, due_ns, customer_id, id) WHERE open;

-- Idempotency keys: what a request made, until expires_ns.
CREATE TABLE requests (
	key         text COLLATE "C" PRIMARY KEY,
	fingerprint bytea NOT NULL,
	customer_id text COLLATE "C" NOT NULL,
	item_id     text COLLATE "C" NOT NULL,
	expires_ns  bigint NOT NULL
);
CREATE INDEX requests_by_expiry ON requests (expires_ns);
CREATE INDEX requests_by_customer ON requests (customer_id);

-- The erasure journal: ids and times only.
CREATE TABLE erasures (
	seq         bigserial PRIMARY KEY,
	customer_id text COLLATE "C" NOT NULL,
	time_ns     bigint NOT NULL
);
CREATE INDEX erasures_by_time ON erasures (time_ns, seq);

CREATE TABLE audit (
	customer_id text COLLATE "C" NOT NULL,
	id          text COLLATE "C" NOT NULL,
	time_ns     bigint NOT NULL,
	data        json NOT NULL,
	PRIMARY KEY (customer_id, time_ns, id)
);
CREATE INDEX audit_newest ON audit (customer_id, time_ns DESC, id);
CREATE INDEX audit_by_time ON audit (time_ns, customer_id, id);
