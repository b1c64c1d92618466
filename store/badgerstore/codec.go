package badgerstore

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/herken/herken"

	"google.golang.org/protobuf/proto"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/badgerstore/internal/recordpb"
	"github.com/herken/herken/store/badgerstore/internal/shred"
)

const recordFormat = 1

var marshalOpts = proto.MarshalOptions{Deterministic: true}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// newestTime reads the {newest} part of an h/ key (or the first 16 hex
// digits of a format-2 interaction id, which are the same) back into the
// occur time; false when it is not one.
func newestTime(newest string) (time.Time, bool) {
	var b [8]byte
	if len(newest) != 16 {
		return time.Time{}, false
	}
	if _, err := hex.Decode(b[:], []byte(newest)); err != nil {
		return time.Time{}, false
	}
	v := binary.BigEndian.Uint64(b[:])
	if v >= math.MaxInt64 {
		return time.Time{}, false
	}
	return time.Unix(0, math.MaxInt64-int64(v)).UTC(), true
}

func identifierToRecord(id identity.Identifier, link time.Time) *recordpb.IdentifierRecord {
	return &recordpb.IdentifierRecord{Kind: uint32(id.Kind), Platform: uint32(id.Platform), Value: id.Value, LinkTime: unixNano(link)}
}

func identifierFromRecord(r *recordpb.IdentifierRecord) identity.Identifier {
	if r == nil {
		return identity.Identifier{}
	}
	return identity.Identifier{Kind: identity.Kind(r.Kind), Platform: identity.Platform(r.Platform), Value: r.Value}
}

// linkedToRecord is a customer's linked identifier with its provenance.
func linkedToRecord(l herken.LinkedIdentifier) *recordpb.IdentifierRecord {
	r := identifierToRecord(l.Identifier, l.LinkTime)
	r.Source, r.Verified, r.Label, r.MergedFrom = l.Source, l.Verified, l.Label, l.MergedFrom
	return r
}

func linkedFromRecord(r *recordpb.IdentifierRecord) herken.LinkedIdentifier {
	return herken.LinkedIdentifier{Identifier: identifierFromRecord(r), LinkTime: fromUnixNano(r.GetLinkTime()),
		Source: r.GetSource(), Verified: r.GetVerified(), Label: r.GetLabel(), MergedFrom: r.GetMergedFrom()}
}

// customerRec is a customer record as stored: the domain customer plus
// the store's own summary of its history and promises.
type customerRec struct {
	herken.Customer
	recent       []herken.Interaction // newest first, at most recentInline
	count        int64                // interactions stored
	openPromises int64                // OPEN promises
}

// recentInline is how many of a customer's newest interactions its record
// carries. Lookup's default interaction limit fits.
const recentInline = herken.DefaultRecentLimit

// Every stored value that holds personal data — customer, interaction,
// promise and merge records — is encoded and decoded by the functions
// below, which are told the customer the value belongs to (for a merge
// record, the merged customer) and the key it is stored under: the one
// place where a value and its owner meet, and where it is sealed under the
// owner's data key (sealing.go) bound to both. Nothing else marshals those
// records.

// encodeCustomer encodes and seals a customer record stored at key.
func encodeCustomer(txn *tx, key []byte, c customerRec) ([]byte, error) {
	return txn.seal(c.ID, key, customerToRecord(c))
}

// decodeCustomer opens and decodes customer id's record stored at key.
func decodeCustomer(txn *tx, id string, key, b []byte) (customerRec, error) {
	b, err := txn.open(id, key, b)
	if err != nil {
		return customerRec{}, decodeError{"customer", err}
	}
	var r recordpb.CustomerRecord
	if err := proto.Unmarshal(b, &r); err != nil {
		return customerRec{}, decodeError{"customer", err}
	}
	return customerFromRecord(&r)
}

func customerToRecord(c customerRec) *recordpb.CustomerRecord {
	r := &recordpb.CustomerRecord{
		Format:             recordFormat,
		Id:                 c.ID,
		DisplayName:        c.DisplayName,
		PreferredLanguage:  c.PreferredLanguage,
		Tags:               c.Tags,
		HandoverNote:       c.HandoverNote,
		CreateTime:         unixNano(c.CreateTime),
		UpdateTime:         unixNano(c.UpdateTime),
		Revision:           c.Revision,
		LastContactTime:    unixNano(c.LastContactTime),
		LastContactChannel: uint32(c.LastContactChannel),
		InteractionCount:   c.count,
		OpenPromises:       c.openPromises,
	}
	r.Identifiers = make([]*recordpb.IdentifierRecord, len(c.Identifiers))
	for i, l := range c.Identifiers {
		r.Identifiers[i] = linkedToRecord(l)
	}
	r.Recent = make([]*recordpb.InteractionRecord, len(c.recent))
	for i, in := range c.recent {
		r.Recent[i] = interactionToRecord(in)
	}
	return r
}

func customerFromRecord(r *recordpb.CustomerRecord) (customerRec, error) {
	if r.Format != recordFormat {
		return customerRec{}, decodeError{"customer", fmt.Errorf("unknown record format %d", r.Format)}
	}
	c := customerRec{Customer: herken.Customer{
		ID:                 r.Id,
		DisplayName:        r.DisplayName,
		PreferredLanguage:  r.PreferredLanguage,
		Tags:               r.Tags,
		HandoverNote:       r.HandoverNote,
		CreateTime:         fromUnixNano(r.CreateTime),
		UpdateTime:         fromUnixNano(r.UpdateTime),
		Revision:           r.Revision,
		LastContactTime:    fromUnixNano(r.LastContactTime),
		LastContactChannel: herken.Channel(r.LastContactChannel),
		Identifiers:        make([]herken.LinkedIdentifier, len(r.Identifiers)),
	}, count: r.InteractionCount, openPromises: r.OpenPromises}
	for i, ir := range r.Identifiers {
		c.Identifiers[i] = linkedFromRecord(ir)
	}
	if len(r.Recent) > 0 {
		c.recent = make([]herken.Interaction, len(r.Recent))
		for i, ir := range r.Recent {
			in, err := interactionFromRecord(ir)
			if err != nil {
				return customerRec{}, err
			}
			c.recent[i] = in
		}
	}
	return c, nil
}

// encodeInteraction encodes and seals an interaction of customerID stored
// at key.
func encodeInteraction(txn *tx, customerID string, key []byte, in herken.Interaction) ([]byte, error) {
	return txn.seal(customerID, key, interactionToRecord(in))
}

// encodeInteractionAs is encodeInteraction sealing under ref when keep is
// set (tx.sealAs).
func encodeInteractionAs(txn *tx, ref shred.Ref, keep bool, customerID string, key []byte, in herken.Interaction) ([]byte, error) {
	return txn.sealAs(ref, keep, customerID, key, interactionToRecord(in))
}

func interactionToRecord(in herken.Interaction) *recordpb.InteractionRecord {
	r := &recordpb.InteractionRecord{
		Format:        recordFormat,
		Id:            in.ID,
		CustomerId:    in.CustomerID,
		Channel:       uint32(in.Channel),
		Direction:     uint32(in.Direction),
		OccurTime:     unixNano(in.OccurTime),
		Agent:         in.Agent,
		Summary:       in.Summary,
		Outcome:       uint32(in.Outcome),
		CaseReference: in.CaseReference,
		CreateTime:    unixNano(in.CreateTime),
		Duration:      int64(in.Duration),
	}
	if !in.Identifier.IsZero() {
		r.Identifier = identifierToRecord(in.Identifier, time.Time{})
	}
	r.PromiseId = in.PromiseID
	if f := in.Feedback; f != nil {
		r.Feedback = &recordpb.FeedbackRecord{
			Score: int32(f.Score), Comment: f.Comment, SubmitTime: unixNano(f.SubmitTime),
			Answer: f.Answer, AnsweredBy: f.AnsweredBy, AnswerTime: unixNano(f.AnswerTime),
		}
	}
	return r
}

// decodeInteraction opens and decodes an interaction of customerID stored
// at key.
func decodeInteraction(txn *tx, customerID string, key, b []byte) (herken.Interaction, error) {
	b, err := txn.open(customerID, key, b)
	if err != nil {
		return herken.Interaction{}, decodeError{"interaction", err}
	}
	var r recordpb.InteractionRecord
	if err := proto.Unmarshal(b, &r); err != nil {
		return herken.Interaction{}, decodeError{"interaction", err}
	}
	return interactionFromRecord(&r)
}

func interactionFromRecord(r *recordpb.InteractionRecord) (herken.Interaction, error) {
	if r.Format != recordFormat {
		return herken.Interaction{}, decodeError{"interaction", fmt.Errorf("unknown record format %d", r.Format)}
	}
	var fb *herken.Feedback
	if f := r.Feedback; f != nil {
		fb = &herken.Feedback{
			Score: int(f.Score), Comment: f.Comment, SubmitTime: fromUnixNano(f.SubmitTime),
			Answer: f.Answer, AnsweredBy: f.AnsweredBy, AnswerTime: fromUnixNano(f.AnswerTime),
		}
	}
	return herken.Interaction{
		Feedback:      fb,
		PromiseID:     r.PromiseId,
		ID:            r.Id,
		CustomerID:    r.CustomerId,
		Channel:       herken.Channel(r.Channel),
		Direction:     herken.Direction(r.Direction),
		OccurTime:     fromUnixNano(r.OccurTime),
		Agent:         r.Agent,
		Summary:       r.Summary,
		Outcome:       herken.Outcome(r.Outcome),
		CaseReference: r.CaseReference,
		Identifier:    identifierFromRecord(r.Identifier),
		CreateTime:    fromUnixNano(r.CreateTime),
		Duration:      time.Duration(r.Duration),
	}, nil
}

// promiseRec is a promise as stored: the domain promise plus what the
// store keeps beside it.
type promiseRec struct {
	herken.Promise
	// interactionOccur is the occur time of the interaction InteractionID
	// names, copied when the promise was made, so the integrity check can
	// still tell a purged interaction from a lost one; zero when unknown.
	interactionOccur time.Time
}

// encodePromise encodes and seals a promise of customerID stored at key.
func encodePromise(txn *tx, customerID string, key []byte, p herken.Promise) ([]byte, error) {
	return encodePromiseRec(txn, customerID, key, promiseRec{Promise: p})
}

// encodePromiseRec encodes and seals a promise of customerID, with what
// the store keeps beside it, stored at key.
func encodePromiseRec(txn *tx, customerID string, key []byte, pr promiseRec) ([]byte, error) {
	return txn.seal(customerID, key, promiseToRecord(pr))
}

// encodePromiseRecAs is encodePromiseRec sealing under ref when keep is
// set (tx.sealAs).
func encodePromiseRecAs(txn *tx, ref shred.Ref, keep bool, customerID string, key []byte, pr promiseRec) ([]byte, error) {
	return txn.sealAs(ref, keep, customerID, key, promiseToRecord(pr))
}

func promiseToRecord(pr promiseRec) *recordpb.PromiseRecord {
	p := pr.Promise
	r := &recordpb.PromiseRecord{
		Format:               recordFormat,
		Id:                   p.ID,
		CustomerId:           p.CustomerID,
		Kind:                 uint32(p.Kind),
		Description:          p.Description,
		DueTime:              unixNano(p.DueTime),
		WindowStartTime:      unixNano(p.WindowStart),
		Owner:                p.Owner,
		Channel:              uint32(p.Channel),
		InteractionId:        p.InteractionID,
		State:                uint32(p.State),
		StateTime:            unixNano(p.StateTime),
		StateActor:           p.StateActor,
		StateNote:            p.StateNote,
		CreateTime:           unixNano(p.CreateTime),
		InteractionOccurTime: unixNano(pr.interactionOccur),
	}
	if !p.ContactIdentifier.IsZero() {
		r.ContactIdentifier = identifierToRecord(p.ContactIdentifier, time.Time{})
	}
	return r
}

// decodePromise opens and decodes a promise of customerID stored at key.
func decodePromise(txn *tx, customerID string, key, b []byte) (herken.Promise, error) {
	pr, err := decodePromiseRec(txn, customerID, key, b)
	return pr.Promise, err
}

// decodePromiseRec opens and decodes a promise of customerID, with what
// the store keeps beside it, stored at key.
func decodePromiseRec(txn *tx, customerID string, key, b []byte) (promiseRec, error) {
	b, err := txn.open(customerID, key, b)
	if err != nil {
		return promiseRec{}, decodeError{"promise", err}
	}
	var r recordpb.PromiseRecord
	if err := proto.Unmarshal(b, &r); err != nil {
		return promiseRec{}, decodeError{"promise", err}
	}
	if r.Format != recordFormat {
		return promiseRec{}, decodeError{"promise", fmt.Errorf("unknown record format %d", r.Format)}
	}
	return promiseRec{interactionOccur: fromUnixNano(r.InteractionOccurTime), Promise: herken.Promise{
		ID:                r.Id,
		CustomerID:        r.CustomerId,
		Kind:              herken.PromiseKind(r.Kind),
		Description:       r.Description,
		DueTime:           fromUnixNano(r.DueTime),
		WindowStart:       fromUnixNano(r.WindowStartTime),
		Owner:             r.Owner,
		Channel:           herken.Channel(r.Channel),
		InteractionID:     r.InteractionId,
		State:             herken.PromiseState(r.State),
		StateTime:         fromUnixNano(r.StateTime),
		StateActor:        r.StateActor,
		StateNote:         r.StateNote,
		CreateTime:        fromUnixNano(r.CreateTime),
		ContactIdentifier: identifierFromRecord(r.ContactIdentifier),
	}}, nil
}

// mergeRec is a merge record as stored: the domain's record and the flat
// pointer from the merged name to the live customer it resolves to.
type mergeRec struct {
	herken.MergeRecord
	target string
}

// survivorBeforeKey is the additional data of the survivor's part of a merge
// record: the record's key and a suffix no key has.
func survivorBeforeKey(key []byte) []byte { return append(append([]byte(nil), key...), "#survivor"...) }

// encodeMergeRecord encodes and seals the merge record of mergedID stored
// at key. It holds both customers' personal data, each under its own key:
// the merged customer's record (and the rest) under the merged customer's,
// the survivor's record from before the merge under the survivor's. While
// merged, erasing the survivor destroys both keys; after an unmerge, the
// merged customer's old versions of this record keep nothing readable of
// a survivor erased later.
func encodeMergeRecord(txn *tx, mergedID string, key []byte, m mergeRec) ([]byte, error) {
	before, err := txn.seal(m.SurvivorID, survivorBeforeKey(key), customerToRecord(customerRec{Customer: m.SurvivorBefore}))
	if err != nil {
		return nil, err
	}
	r := &recordpb.MergeRecord{
		SurvivorBeforeSealed: before,
		Format:               recordFormat,
		MergedId:             mergedID,
		TargetId:             m.target,
		SurvivorId:           m.SurvivorID,
		Merged:               customerToRecord(customerRec{Customer: m.Merged}),
		SurvivorRevision:     m.SurvivorRevision,
		InteractionIds:       m.Interactions,
		PromiseIds:           m.Promises,
		EventId:              m.EventID,
		Time:                 unixNano(m.Time),
		Actor:                m.Actor,
	}
	return txn.seal(mergedID, key, r)
}

// decodeMergeRecord opens and decodes the merge record of mergedID stored
// at key.
func decodeMergeRecord(txn *tx, mergedID string, key, b []byte) (mergeRec, error) {
	b, err := txn.open(mergedID, key, b)
	if err != nil {
		return mergeRec{}, decodeError{"merge", err}
	}
	var r recordpb.MergeRecord
	if err := proto.Unmarshal(b, &r); err != nil {
		return mergeRec{}, decodeError{"merge", err}
	}
	if r.Format != recordFormat || r.Merged == nil || r.SurvivorBefore == nil && r.SurvivorBeforeSealed == nil {
		return mergeRec{}, decodeError{"merge", fmt.Errorf("unknown record format %d", r.Format)}
	}
	merged, err := customerFromRecord(r.Merged)
	if err != nil {
		return mergeRec{}, decodeError{"merge", err}
	}
	if r.SurvivorBefore == nil {
		b, err := txn.open(r.SurvivorId, survivorBeforeKey(key), r.SurvivorBeforeSealed)
		if err != nil {
			return mergeRec{}, decodeError{"merge", err}
		}
		r.SurvivorBefore = &recordpb.CustomerRecord{}
		if err := proto.Unmarshal(b, r.SurvivorBefore); err != nil {
			return mergeRec{}, decodeError{"merge", err}
		}
	}
	before, err := customerFromRecord(r.SurvivorBefore)
	if err != nil {
		return mergeRec{}, decodeError{"merge", err}
	}
	return mergeRec{target: r.TargetId, MergeRecord: herken.MergeRecord{
		Merged:           merged.Customer,
		SurvivorID:       r.SurvivorId,
		SurvivorBefore:   before.Customer,
		SurvivorRevision: r.SurvivorRevision,
		Interactions:     r.InteractionIds,
		Promises:         r.PromiseIds,
		EventID:          r.EventId,
		Time:             fromUnixNano(r.Time),
		Actor:            r.Actor,
	}}, nil
}
