package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The schema lives in versioned migrations embedded in the binary
// (migrations/NNNN_name.sql), applied at Open in order, each in its own
// transaction with the version it reaches. A small runner rather than a
// migration library: the schema moves forward only, with the binary, and
// the runner is these 60 lines with a test; a library would bring its own
// CLI, drivers and down-migrations that herken never runs.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock that serialises migrations: replicas
// starting together migrate once, the others wait and find it done.
const migrationLock = 0x6865726b656e0001 // "herken" 0001

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order; versions
// must run 1, 2, 3... without gaps.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d", m.name, m.version, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the schema version this binary migrates to.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate brings the database's schema to this binary's version. A
// database with a newer schema than the binary knows is refused: an older
// replica must not write to tables it does not understand.
func migrate(ctx context.Context, pool *pgxpool.Pool) (from, to int, err error) {
	ms, err := migrations()
	if err != nil {
		return 0, 0, err
	}
	to = len(ms)
	err = withLock(ctx, pool, migrationLock, func(conn *pgxpool.Conn) error {
		if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS herken_schema (version int NOT NULL)`); err != nil {
			return err
		}
		if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM herken_schema`).Scan(&from); err != nil {
			return err
		}
		if from > len(ms) {
			to = from
			return fmt.Errorf("the database's schema is version %d, newer than this herken's %d: upgrade herken", from, len(ms))
		}
		for _, m := range ms[from:] {
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, m.sql); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `DELETE FROM herken_schema; INSERT INTO herken_schema (version) VALUES (`+strconv.Itoa(m.version)+`)`)
				return err
			})
			if err != nil {
				to = m.version - 1
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		return nil
	})
	return from, to, err
}
