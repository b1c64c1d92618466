package pgstore

import (
	"context"
	"crypto/sha256"
	"fmt"
)

// digestTables are every table's rows in a fixed order: Digest hashes
// them all.
var digestTables = []string{
	`SELECT id, update_ns, data::text FROM customers ORDER BY id`,
	`SELECT tag, customer_id, update_ns FROM customer_tags ORDER BY tag, customer_id`,
	`SELECT prefix, customer_id FROM customer_names ORDER BY prefix, customer_id`,
	`SELECT ident, holders FROM holders ORDER BY ident`,
	`SELECT id, survivor, erased FROM names ORDER BY id`,
	`SELECT merged_id, survivor_id, seq, data::text FROM merge_records ORDER BY merged_id`,
	`SELECT customer_id, id, occur_ns, contact, feedback_ns, data::text FROM interactions ORDER BY customer_id, id`,
	`SELECT customer_id, id, due_ns, open, owner, data::text FROM promises ORDER BY customer_id, id`,
	`SELECT key, fingerprint, customer_id, item_id, expires_ns FROM requests ORDER BY key`,
	`SELECT seq, customer_id, time_ns FROM erasures ORDER BY seq`,
	`SELECT customer_id, id, time_ns, data::text FROM audit ORDER BY customer_id, time_ns, id`,
}

// Digest hashes everything the store holds, in one snapshot. Two stores
// with the same digest hold the same data; tests use it to prove a
// refused write wrote nothing.
func (s *Store) Digest() ([]byte, error) {
	h := sha256.New()
	err := s.read(context.Background(), func(t *tx) error {
		for _, q := range digestTables {
			rows, err := t.Query(t.ctx, q)
			if err != nil {
				return err
			}
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					rows.Close()
					return err
				}
				fmt.Fprintf(h, "%q\n", fmt.Sprint(vals...))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			fmt.Fprintf(h, "--\n")
		}
		return nil
	})
	return h.Sum(nil), err
}
