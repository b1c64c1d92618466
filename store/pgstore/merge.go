package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/herken/herken"
)

// Merged names. A merge deletes the merged customer's row and keeps its
// MergeRecord (merge_records, listed per direct survivor by seq) and a
// names row pointing at the live survivor. The pointers stay flat, as the
// memory store's do: a merge repoints the names that pointed at the merged
// customer, and an unmerge finds the names to point back through the
// merge records (merged_id → survivor_id), which stay until undone.

// MergeCustomers implements herken.Store: one statement reads both sides
// (and the ids a merge moves), plan runs, the identifier index is read,
// and one batch writes everything.
func (s *Store) MergeCustomers(ctx context.Context, survivorID, mergedID string, plan func(survivor, merged herken.Customer) (herken.Customer, herken.Interaction, error), w herken.WriteOptions) (herken.Customer, error) {
	var out herken.Customer
	err := s.write(ctx, func(t *tx) error {
		st, err := t.mergeState(survivorID, mergedID)
		if err != nil {
			return err
		}
		surv, m := st.survivor, st.merged
		next, event, err := plan(surv.Clone(), m.Clone())
		if err != nil {
			return callerError{err}
		}
		next.ID = surv.ID
		if err := mergeable(surv, m, next, event); err != nil {
			return err
		}
		event.CustomerID = surv.ID
		next.RecordContact(event) // as appending it would

		links, err := t.mergeLinks(surv, m, next)
		if err != nil {
			return err
		}
		rec := herken.MergeRecord{
			Merged:           m,
			SurvivorID:       surv.ID,
			SurvivorBefore:   surv,
			SurvivorRevision: next.Revision,
			Interactions:     st.interactions,
			Promises:         st.promises,
			EventID:          event.ID,
			Time:             event.OccurTime,
			Actor:            w.Actor,
		}
		b := &pgx.Batch{}
		links.commit(b)
		t.putCustomer(b, &surv, next)
		// Id collisions (never with random ids) break the primary keys and
		// fail the transaction: nothing is written.
		queueMove(b, m.ID, surv.ID, nil, nil)
		queueInsertInteraction(b, event)
		t.deleteCustomer(b, m.ID)
		b.Queue(`INSERT INTO merge_records (merged_id, survivor_id, data) VALUES ($1, $2, $3)`, m.ID, surv.ID, encode(rec))
		// The names that pointed at m, and m itself, now resolve to surv.
		b.Queue(`UPDATE names SET survivor = $2 WHERE survivor = $1`, m.ID, surv.ID)
		b.Queue(`INSERT INTO names (id, survivor) VALUES ($1, $2)`, m.ID, surv.ID)
		if err := t.send(b); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return herken.Customer{}, err
	}
	return out, nil
}

// mergeState is what a merge reads before plan runs.
type mergeState struct {
	survivor, merged herken.Customer
	interactions     []string // the merged customer's, newest first
	promises         []string // the merged customer's, by due time
}

// mergeSidesSQL reads the state of each name in $1: its live record, or
// where it was merged, or whether it was erased.
const mergeSidesSQL = `SELECT c.data, n.survivor, coalesce(n.erased, false)
	FROM unnest($1::text[]) WITH ORDINALITY AS q(id, ord)
	LEFT JOIN customers c ON c.id = q.id
	LEFT JOIN names n ON n.id = q.id
	ORDER BY q.ord`

// mergeState reads both sides of a merge and the ids it would move, in
// one round trip; the sides' errors come survivor first, as the memory
// store's do.
func (t *tx) mergeState(survivorID, mergedID string) (mergeState, error) {
	b := &pgx.Batch{}
	b.Queue(mergeSidesSQL, []string{survivorID, mergedID})
	b.Queue(`SELECT id FROM interactions WHERE customer_id = $1 ORDER BY occur_ns DESC, id`, mergedID)
	b.Queue(`SELECT id FROM promises WHERE customer_id = $1 ORDER BY due_ns, id`, mergedID)
	br := t.SendBatch(t.ctx, b)
	defer br.Close()
	var st mergeState
	rows, err := br.Query()
	if err != nil {
		return st, err
	}
	sides, err := pgx.CollectRows(rows, scanSide)
	if err != nil {
		return st, err
	}
	if len(sides) != 2 {
		return st, corrupt("merge: sides not read")
	}
	for i, c := range []*herken.Customer{&st.survivor, &st.merged} {
		if *c, err = sides[i].mergeSide(); err != nil {
			return st, err
		}
	}
	if survivorID == mergedID {
		return st, herken.ErrMergeIntoSelf // the service refuses it first
	}
	if st.interactions, err = collectIDs(br); err != nil {
		return st, err
	}
	st.promises, err = collectIDs(br)
	return st, err
}

// side is one name as mergeSidesSQL reads it.
type side struct {
	data     []byte
	survivor *string
	erased   bool
}

func scanSide(row pgx.CollectableRow) (side, error) {
	var sd side
	err := row.Scan(&sd.data, &sd.survivor, &sd.erased)
	return sd, err
}

// mergeSide is the live customer a side names: CustomerMerged(its
// survivor) for a merged name, ErrCustomerErased, ErrCustomerNotFound.
func (sd side) mergeSide() (herken.Customer, error) {
	switch {
	case sd.data != nil:
		return decode[herken.Customer](sd.data)
	case sd.survivor != nil:
		return herken.Customer{}, herken.CustomerMerged(*sd.survivor)
	case sd.erased:
		return herken.Customer{}, herken.ErrCustomerErased
	}
	return herken.Customer{}, herken.ErrCustomerNotFound
}

// collectIDs reads the next batch result's single text column.
func collectIDs(br pgx.BatchResults) ([]string, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// mergeable checks what a merge is about to write: a well-formed event and
// no identifier that neither side held (a merge hands over links; it makes
// none). Id collisions are the primary keys' to refuse.
func mergeable(surv, m, next herken.Customer, event herken.Interaction) error {
	if !herken.ValidID(event.ID) {
		return corrupt("interaction id has the wrong shape")
	}
	for _, l := range next.Identifiers {
		if !surv.HasIdentifier(l.Identifier) && !m.HasIdentifier(l.Identifier) {
			return corrupt("merge plan added an identifier")
		}
	}
	return nil
}

// mergeLinks stages the identifier index for a merge: m's place among each
// identifier's holders goes to surv, and surv lets go of what plan dropped.
func (t *tx) mergeLinks(surv, m, next herken.Customer) (*links, error) {
	links := t.stageLinks()
	if err := links.load(append(identifiersOf(surv), identifiersOf(m)...)...); err != nil {
		return nil, err
	}
	for _, l := range m.Identifiers {
		if err := links.handOver(l.Identifier, m.ID, surv.ID); err != nil {
			return nil, err
		}
	}
	has := next.IdentifierSet()
	for _, c := range []herken.Customer{surv, m} {
		for _, l := range c.Identifiers {
			if !has[l.Identifier] {
				if err := links.unlink(l.Identifier, surv.ID); err != nil {
					return nil, err
				}
			}
		}
	}
	return links, nil
}

// queueMove queues moving interactions and promises from one customer to
// another, keeping their ids: all of them (ids nil) or those listed. The
// records name their customer too (CustomerID): rewritten in place, so a
// history is never read into the server to move it.
func queueMove(b *pgx.Batch, from, to string, interactions, promises []string) {
	const setTo = `customer_id = $2, data = jsonb_set(data::jsonb, '{CustomerID}', to_jsonb($2::text))::json`
	if interactions == nil && promises == nil {
		b.Queue(`UPDATE interactions SET `+setTo+` WHERE customer_id = $1`, from, to)
		b.Queue(`UPDATE promises SET `+setTo+` WHERE customer_id = $1`, from, to)
		return
	}
	b.Queue(`UPDATE interactions SET `+setTo+` WHERE customer_id = $1 AND id = ANY($3)`, from, to, interactions)
	b.Queue(`UPDATE promises SET `+setTo+` WHERE customer_id = $1 AND id = ANY($3)`, from, to, promises)
}

// queueInsertInteraction queues storing a new interaction (the merge
// event) with the columns the lists select by.
func queueInsertInteraction(b *pgx.Batch, in herken.Interaction) {
	b.Queue(`INSERT INTO interactions (customer_id, id, occur_ns, contact, feedback_ns, data) VALUES ($1, $2, $3, $4, $5, $6)`,
		in.CustomerID, in.ID, ns(in.OccurTime), in.Channel.IsContact(), feedbackNS(in), encode(in))
}

// UnmergeCustomer implements herken.Store: one statement reads the merged
// name, its record, the survivor and the survivor's newest contact that
// stays; plan runs; the identifier index is read; one batch writes.
func (s *Store) UnmergeCustomer(ctx context.Context, mergedID string, plan func(rec herken.MergeRecord, survivor herken.Customer) (herken.Customer, herken.Customer, error), _ herken.WriteOptions) (herken.Customer, herken.Customer, error) {
	var outSurv, outMerged herken.Customer
	err := s.write(ctx, func(t *tx) error {
		st, err := t.unmergeState(mergedID)
		if err != nil {
			return err
		}
		surv := st.survivor
		rec := st.rec.Clone()
		nextSurv, nextMerged, err := plan(rec, surv.Clone())
		if err != nil {
			return callerError{err}
		}
		nextSurv.ID, nextMerged.ID = surv.ID, mergedID
		links, err := t.unmergeLinks(surv, nextSurv, nextMerged)
		if err != nil {
			return err
		}
		// Plan's last contact is the survivor's before the merge; what it
		// recorded since (and keeps) may be newer.
		if st.lastContact != nil {
			nextSurv.RecordContact(*st.lastContact)
		}

		b := &pgx.Batch{}
		links.commit(b)
		t.putCustomer(b, &surv, nextSurv)
		t.putCustomer(b, nil, nextMerged)
		// What the survivor still has of the record's goes back; purged
		// ones stay gone.
		queueMove(b, surv.ID, mergedID, nonNil(st.rec.Interactions), nonNil(st.rec.Promises))
		b.Queue(`DELETE FROM interactions WHERE customer_id = $1 AND id = $2`, surv.ID, st.rec.EventID)
		b.Queue(`DELETE FROM merge_records WHERE merged_id = $1`, mergedID)
		// mergedID is live again, and every name merged into it, directly
		// or through others, resolves to it again.
		b.Queue(`DELETE FROM names WHERE id = $1`, mergedID)
		b.Queue(`WITH RECURSIVE tree (id) AS (
				SELECT merged_id FROM merge_records WHERE survivor_id = $1
				UNION
				SELECT m.merged_id FROM merge_records m JOIN tree ON m.survivor_id = tree.id)
			UPDATE names SET survivor = $1 WHERE id IN (SELECT id FROM tree)`, mergedID)
		if err := t.send(b); err != nil {
			return err
		}
		outSurv, outMerged = nextSurv, nextMerged
		return nil
	})
	if err != nil {
		return herken.Customer{}, herken.Customer{}, err
	}
	return outSurv, outMerged, nil
}

// nonNil is ids, never nil (queueMove's nil means everything).
func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// unmergeState is what an unmerge reads before plan runs.
type unmergeState struct {
	rec         herken.MergeRecord
	survivor    herken.Customer
	lastContact *herken.Interaction // the survivor's newest contact it keeps
}

// unmergeSQL reads, for the merged name $1: whether it was erased, its
// merge record, the record's survivor as a side (mergeSidesSQL), and that
// survivor's newest contact that neither goes back nor is the merge event.
const unmergeSQL = `SELECT coalesce(n.erased, false), mr.data, c.data, sn.survivor, coalesce(sn.erased, false), lc.data
	FROM (SELECT $1::text AS id) q
	LEFT JOIN names n ON n.id = q.id
	LEFT JOIN merge_records mr ON mr.merged_id = q.id
	LEFT JOIN customers c ON c.id = mr.survivor_id
	LEFT JOIN names sn ON sn.id = mr.survivor_id
	LEFT JOIN LATERAL (
		SELECT i.data FROM interactions i
		WHERE i.customer_id = c.id AND i.contact AND i.id IS DISTINCT FROM (mr.data->>'EventID')
			AND i.id NOT IN (SELECT x FROM json_array_elements_text(
				CASE WHEN json_typeof(mr.data->'Interactions') = 'array' THEN mr.data->'Interactions' ELSE '[]' END) AS x)
		ORDER BY i.occur_ns DESC, i.id LIMIT 1) lc ON true`

// unmergeState reads the merged name's record and its survivor, with the
// memory store's order of refusals: erased, not merged, the survivor's
// own state.
func (t *tx) unmergeState(mergedID string) (unmergeState, error) {
	var st unmergeState
	var erased bool
	var rec, contact []byte
	var sv side
	err := t.QueryRow(t.ctx, unmergeSQL, mergedID).Scan(&erased, &rec, &sv.data, &sv.survivor, &sv.erased, &contact)
	switch {
	case err != nil:
		return st, err
	case erased:
		return st, herken.ErrCustomerErased
	case rec == nil:
		return st, herken.ErrCustomerNotMerged
	}
	if st.rec, err = decode[herken.MergeRecord](rec); err != nil {
		return st, err
	}
	if st.survivor, err = sv.mergeSide(); err != nil {
		return st, err
	}
	if contact != nil {
		in, err := decode[herken.Interaction](contact)
		if err != nil {
			return st, err
		}
		st.lastContact = &in
	}
	return st, nil
}

// unmergeLinks stages the identifier index for an unmerge: the survivor
// is unlinked from what plan took from it, then the merged customer is
// linked through LinkHolder (after the survivor's unlinks: a third
// customer holding one exclusively refuses the unmerge). Plan may not add
// identifiers to the survivor.
func (t *tx) unmergeLinks(surv, nextSurv, nextMerged herken.Customer) (*links, error) {
	had := surv.IdentifierSet()
	for _, l := range nextSurv.Identifiers {
		if !had[l.Identifier] {
			return nil, corrupt("unmerge plan added an identifier to the survivor")
		}
	}
	links := t.stageLinks()
	if err := links.load(append(identifiersOf(surv), identifiersOf(nextMerged)...)...); err != nil {
		return nil, err
	}
	if err := links.relink(surv.ID, surv, nextSurv); err != nil {
		return nil, err // unreachable: relink only unlinks here
	}
	for i, l := range nextMerged.Identifiers {
		if err := links.link(l.Identifier, nextMerged.ID, i); err != nil {
			return nil, err
		}
	}
	return links, nil
}

// Merges implements herken.Store in one statement. A merged name answers
// with the merges into it that wait for it to come back.
func (s *Store) Merges(ctx context.Context, id string) ([]herken.MergeRecord, error) {
	var live bool
	var sd side
	var recs []byte
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1),
		n.survivor, coalesce(n.erased, false),
		(SELECT json_agg(data ORDER BY seq) FROM merge_records WHERE survivor_id = $1)
		FROM (SELECT $1::text AS id) q LEFT JOIN names n ON n.id = q.id`, id).Scan(&live, &sd.survivor, &sd.erased, &recs)
	switch {
	case err != nil:
		return nil, storeError(err)
	case !live && sd.survivor == nil && sd.erased:
		return nil, herken.ErrCustomerErased
	case !live && sd.survivor == nil:
		return nil, herken.ErrCustomerNotFound
	case recs == nil:
		return nil, nil
	}
	return decode[[]herken.MergeRecord](recs)
}
