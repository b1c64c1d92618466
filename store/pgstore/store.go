// Package pgstore is the PostgreSQL herken.Store, for deployments that run
// several herken replicas on one database (pgx v5). Badger stays the
// embedded default; this store is what a deployment chooses when one
// machine is not enough.
//
// How it keeps the Store's guarantees:
//   - Every write is one SERIALIZABLE transaction, retried on a
//     serialization failure or deadlock with jittered backoff, as Badger's
//     writes are retried on a conflict. SERIALIZABLE rather than explicit
//     row locks because the invariants span rows that may not exist yet
//     (an identifier nobody holds, an id nobody used): PostgreSQL's
//     predicate locks cover those, hand-placed row locks cannot. Update
//     callbacks may therefore run more than once, as the Store contract
//     allows.
//   - Reads are single statements (one snapshot) or REPEATABLE READ
//     read-only transactions. Lookup's Match is one statement: one round
//     trip (match.go).
//   - Statements are prepared and cached per connection (pgx's default
//     statement cache).
//   - Everything replicas must share is in the database: records, the
//     identifier index, idempotency keys, the page-token secret, merge
//     records, tombstones, the erasure journal and the audit trail.
//   - Connection failures are ErrUnavailable (UNAVAILABLE /
//     STORE_UNAVAILABLE, retryable), never a wrong answer; the pool
//     reconnects on its own.
//
// Erasure deletes every row of the customer in one transaction. PostgreSQL
// keeps dead row versions in its data files until VACUUM reclaims them and
// the space is reused, and in WAL and base backups until they expire:
// README "Running on PostgreSQL" says what an operator must do about that.
package pgstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/herken/herken"
)

// Options configures a Store.
type Options struct {
	URL      string           // a PostgreSQL connection URL or DSN (required)
	MaxConns int32            // pool size; 0 means 8, or the number of cores where that is more
	Logger   *slog.Logger     // nil means discard
	Now      func() time.Time // the clock idempotency keys expire by; nil means time.Now
}

// Validate reports what is wrong with o.
func (o Options) Validate() error {
	if o.URL == "" {
		return errors.New("pgstore: a PostgreSQL URL is required")
	}
	if _, err := pgxpool.ParseConfig(o.URL); err != nil {
		return fmt.Errorf("pgstore: PostgreSQL URL: %w", err)
	}
	if o.MaxConns < 0 {
		return errors.New("pgstore: MaxConns must be 0 (default) or more")
	}
	return nil
}

// Store is the PostgreSQL implementation of herken.Store.
type Store struct {
	stop   context.CancelFunc // stops forgetRequests
	done   chan struct{}      // closed when forgetRequests has returned
	pool   *pgxpool.Pool
	log    *slog.Logger
	now    func() time.Time
	secret []byte // page-token secret, shared by every replica (herken_meta)
	// matchQueries holds matchSQL with its limits, per [history, promises]
	// limit pair: built once, not on every Lookup.
	matchQueries sync.Map
}

var _ herken.Store = (*Store)(nil)

// Open connects, brings the schema to this binary's version (migrate.go)
// and reads the shared page-token secret, creating it on first use.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg, _ := pgxpool.ParseConfig(opts.URL)
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(opts.URL, "pool_max_conns"):
		cfg.MaxConns = max(cfg.MaxConns, 8) // a pool_max_conns in the URL is the operator's
	}
	// Every statement is prepared once per connection (pgx's statement
	// cache) and runs on its generic plan: planning Lookup's statement
	// afresh took longer than running it (0.9 ms against 0.3 ms), and every
	// statement here is an index lookup whose plan does not depend on its
	// parameters. A URL that sets plan_cache_mode keeps its own.
	if _, ok := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	// Single statements (Match, lists) run outside s.write, so they must
	// not inherit a serializable default they would have to retry.
	cfg.ConnConfig.RuntimeParams["default_transaction_isolation"] = "read committed"

	// Failed connections are noticed by the next query; keep the pool's
	// own health check short so a restarted database is found again soon.
	cfg.HealthCheckPeriod = 5 * time.Second
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, storeError(err)
	}
	s := &Store{pool: pool, log: opts.Logger, now: opts.Now}
	from, to, err := migrate(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: schema: %w", storeError(err))
	}
	if from != to {
		s.log.Info("migrated the PostgreSQL schema", "from", from, "to", to)
	}
	if s.secret, err = loadSecret(ctx, pool); err != nil {
		pool.Close()
		return nil, storeError(err)
	}
	bg, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	go s.forgetRequests(bg, time.Minute)
	return s, nil
}

// forgetRequests deletes expired idempotency keys every period, a
// thousand per statement, in plain READ COMMITTED statements outside
// every write (recall ignores an expired key meanwhile). Every replica
// runs it; deleting a row twice is harmless.
func (s *Store) forgetRequests(ctx context.Context, period time.Duration) {
	defer close(s.done)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for ctx.Err() == nil {
			tag, err := s.pool.Exec(ctx, `DELETE FROM requests WHERE key IN
				(SELECT key FROM requests WHERE expires_ns <= $1 ORDER BY expires_ns LIMIT 1000)`, ns(s.now()))
			if err != nil || tag.RowsAffected() < 1000 {
				break
			}
		}
	}
}

// loadSecret returns the store's page-token secret, made by whichever
// replica came first.
func loadSecret(ctx context.Context, pool *pgxpool.Pool) ([]byte, error) {
	fresh := make([]byte, 32)
	_, _ = rand.Read(fresh)
	if _, err := pool.Exec(ctx, `INSERT INTO herken_meta (name, value) VALUES ('page_token_secret', $1) ON CONFLICT (name) DO NOTHING`, fresh); err != nil {
		return nil, err
	}
	var secret []byte
	err := pool.QueryRow(ctx, `SELECT value FROM herken_meta WHERE name = 'page_token_secret'`).Scan(&secret)
	return secret, err
}

// Pool is the store's connection pool (the sweeper lock, tests).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close implements herken.Store.
func (s *Store) Close() error {
	s.stop()
	<-s.done
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers (the server's health probe).
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var one int
	return storeError(s.pool.QueryRow(ctx, `SELECT 1`).Scan(&one))
}

// Writable reports whether the database takes writes: a server in
// recovery (a standby, before or during failover) does not.
func (s *Store) Writable() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var standby bool
	if err := s.pool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil {
		return storeError(err)
	}
	if standby {
		e := *herken.ErrUnavailable
		e.Message = "the database is a read-only standby"
		return &e
	}
	return nil
}

// Empty reports whether the store holds no live customer.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var any bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers)`).Scan(&any)
	return !any, storeError(err)
}

// maxRetries bounds the attempts of a write that keeps meeting
// serialization failures; then it fails UNAVAILABLE (retryable), as
// Badger's writes do after their conflict retries.
const maxRetries = 24

// tx is one transaction as the store's functions see it.
type tx struct {
	pgx.Tx
	ctx context.Context
	s   *Store
}

// write runs fn in a SERIALIZABLE transaction, retrying on serialization
// failures and deadlocks. fn must be safe to run again.
func (s *Store) write(ctx context.Context, fn func(t *tx) error) error {
	return s.writeOn(ctx, s.pool, fn)
}

// beginner is a pool or one connection.
type beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// writeOn is write on db: the pool, or a connection that holds a session
// lock.
func (s *Store) writeOn(ctx context.Context, db beginner, fn func(t *tx) error) error {
	backoff := 200 * time.Microsecond
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := pgx.BeginTxFunc(ctx, db, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(ptx pgx.Tx) error {
			return fn(&tx{Tx: ptx, ctx: ctx, s: s})
		})
		if ce, ok := errors.AsType[callerError](err); ok {
			return ce.err
		}
		if !retryable(err) {
			return storeError(err)
		}
		if attempt == maxRetries {
			return &herken.Error{Code: herken.CodeUnavailable, Reason: herken.ReasonStoreUnavailable,
				Message: "too much contention on the same records; retry", Err: err}
		}
		// Jittered, so writers that conflicted do not retry in lockstep.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff/2 + time.Duration(mrand.Int64N(int64(backoff)))):
		}
		if backoff < 20*time.Millisecond {
			backoff *= 2
		}
	}
}

// callerError carries an error a caller's callback returned (the fn of
// UpdateCustomer, UpdateInteraction and UpdatePromise, a merge's or an
// unmerge's plan) through write, which returns it as it is: whatever it
// is, it is the caller's answer, not a storage failure.
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }
func (e callerError) Unwrap() error { return e.err }

// read runs fn in a REPEATABLE READ read-only transaction: one snapshot
// for several statements.
func (s *Store) read(ctx context.Context, fn func(t *tx) error) error {
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(ptx pgx.Tx) error {
		return fn(&tx{Tx: ptx, ctx: ctx, s: s})
	})
	return storeError(err)
}

// retryable reports a transaction that failed only because another
// committed first: serialization failure, deadlock.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// storeError maps what pgx returns to the domain's errors: the domain's
// own and context errors pass; SQL the store got wrong (syntax, a broken
// constraint) is INTERNAL; everything else — no connection, the server
// shutting down or starting, too many clients — is ErrUnavailable,
// wrapping the cause for the logs.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	var he *herken.Error
	var ie *herken.IdentifierError
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &ie), errors.As(err, &he):
		return err
	case errors.As(err, &ce):
		// Also a connect timeout, which pgconn reports as a deadline:
		// the database did not answer, the caller's deadline is fine.
		e := *herken.ErrUnavailable
		e.Err = err
		return &e
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "42", "23", "22", "2B", "P0", "XX", "25", "0A", "54":
			return &herken.Error{Code: herken.CodeInternal, Reason: herken.ReasonInternal, Message: "database error", Err: err}
		}
	}
	e := *herken.ErrUnavailable
	e.Err = err
	return &e
}

// corrupt is a broken invariant: INTERNAL, never the request's fault.
func corrupt(msg string) error {
	return &herken.Error{Code: herken.CodeInternal, Reason: herken.ReasonInternal, Message: msg}
}
