package pgstore

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sweepLock is the advisory lock the replica that runs the background
// sweepers holds.
const sweepLock = 0x6865726b656e0002 // "herken" 0002

// Leader decides which replica runs the background sweepers: the one that
// holds a session-level advisory lock on a connection of its own. When that
// replica dies, its connection closes, PostgreSQL releases the lock, and
// another replica takes it at its next attempt (Run tries every few
// seconds). A sweep is safe to run twice (every write re-checks inside its
// transaction); the lock keeps replicas from doing the same work at once.
type Leader struct {
	cfg *pgx.ConnConfig
	log *slog.Logger

	mu   sync.Mutex
	conn *pgx.Conn // holds the lock; nil when this replica does not
}

// SweepLeader returns the store's Leader (it holds nothing until Held or
// Run is called).
func (s *Store) SweepLeader() *Leader {
	cfg := s.pool.Config().ConnConfig.Copy()
	// The lock is released when PostgreSQL notices the connection is gone:
	// at once when the process dies, but only through TCP keepalives when
	// its machine does (the system default waits two hours). Probe every
	// 5 s after 10 s idle, give up after 3 misses: about 25 s.
	for k, v := range map[string]string{"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"} {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	return &Leader{cfg: cfg, log: s.log}
}

// Held reports whether this replica holds the sweep lock now, trying to
// take it when not, and checking the connection that holds it when it
// does (a connection that died lost the lock with it).
func (l *Leader) Held(ctx context.Context) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if l.conn != nil {
		if err := l.conn.Ping(ctx); err == nil {
			return true
		}
		l.log.Warn("lost the sweep lock (its connection failed); another replica may run the sweepers now")
		l.conn.Close(context.Background())
		l.conn = nil
	}
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return false
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(sweepLock)).Scan(&got); err != nil || !got {
		conn.Close(context.Background())
		return false
	}
	l.conn = conn
	l.log.Info("this replica runs the background sweepers (it holds the sweep lock)")
	return true
}

// Run tries to take or keep the lock every period until ctx is done, then
// lets it go.
func (l *Leader) Run(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		l.Held(ctx)
		select {
		case <-ctx.Done():
			l.Close()
			return
		case <-t.C:
		}
	}
}

// Close lets the lock go.
func (l *Leader) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		l.conn.Close(context.Background())
		l.conn = nil
	}
}

// setupLock serialises one-time setup across replicas (Exclusively).
const setupLock = 0x6865726b656e0004 // "herken" 0004

// Exclusively runs fn while this replica holds a session advisory lock
// that every replica's Exclusively takes: one-time setup (seeding the demo
// data into an empty database) runs on one replica at a time, and the
// next finds it done.
func (s *Store) Exclusively(ctx context.Context, fn func() error) error {
	return withLock(ctx, s.pool, setupLock, func(*pgxpool.Conn) error { return fn() })
}

// withLock runs fn with a connection that holds the session advisory lock
// key, taken before fn begins any transaction on it (a lock taken inside a
// SERIALIZABLE transaction comes after its snapshot). A connection that
// cannot let the lock go is closed, not pooled with the lock.
func withLock(ctx context.Context, pool *pgxpool.Pool, key int64, fn func(conn *pgxpool.Conn) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return storeError(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return storeError(err)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			conn.Conn().Close(context.Background())
		}
	}()
	return fn(conn)
}
