package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

const (
	// MaxImportRecords is the most records one ImportCustomers stream may
	// carry (the server's limit): split a larger import into several
	// calls, several at once for speed.
	MaxImportRecords = 10_000
	// ImportMessageBytes is the size ImportCustomers fills each stream
	// message up to: well under the server's 1 MiB message limit, small
	// enough that encoding, sending and decoding overlap.
	ImportMessageBytes = 256 << 10
)

// ImportCustomers upserts records (at most MaxImportRecords) in one
// ImportCustomers stream, keyed by their external ids, and returns the
// server's response: one result per record, in order, and the counts.
// settings (nil: the defaults, source "crm", every field) travel in the
// first message; the records follow in messages of up to
// ImportMessageBytes. A record that cannot be imported fails alone (its
// result says why); the call fails as a whole only for the stream: bad
// settings (INVALID_ARGUMENT / FIELD_INVALID), too many records (TOO_MANY_VALUES,
// refused here before anything is sent), an unreachable server. A stream
// refused for its settings or size wrote nothing; one that failed later
// (the store, the deadline) may have written some records. Either way an
// import is an upsert, so the call may simply be made again.
//
// The stream has no deadline unless ctx has one or the client was made
// WithStreamTimeout.
func (c *Client) ImportCustomers(ctx context.Context, settings *herkenv1.ImportSettings, records []*herkenv1.ImportRecord) (*herkenv1.ImportCustomersResponse, error) {
	if len(records) > MaxImportRecords {
		msg := fmt.Sprintf("records: %d records in one import stream, at most %d", len(records), MaxImportRecords)
		return nil, &Error{Code: codes.InvalidArgument, Reason: ErrTooManyValues.Reason, Message: msg,
			Metadata:        map[string]string{"limit": strconv.Itoa(MaxImportRecords)},
			FieldViolations: []FieldViolation{{Field: "records", Reason: ErrTooManyValues.Reason, Description: msg}}}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream if a Send fails
	stream, err := c.Customers.ImportCustomers(ctx)
	if err != nil {
		return nil, err
	}
	for _, msg := range importMessages(settings, records, ImportMessageBytes) {
		if err := stream.Send(msg); err != nil {
			if errors.Is(err, io.EOF) {
				break // the server ended the stream: CloseAndRecv has its status
			}
			return nil, err
		}
	}
	return stream.CloseAndRecv()
}

// importMessages splits records into requests of at most limit bytes (a
// record larger than that alone), settings in the first. There is always
// at least one request.
func importMessages(settings *herkenv1.ImportSettings, records []*herkenv1.ImportRecord, limit int) []*herkenv1.ImportCustomersRequest {
	field := func(n int) int { return protowire.SizeTag(1) + protowire.SizeBytes(n) } // a length-delimited field of n bytes
	first := &herkenv1.ImportCustomersRequest{Settings: settings}
	out := []*herkenv1.ImportCustomersRequest{first}
	size, start := 0, 0
	if settings != nil {
		size = field(proto.Size(settings))
	}
	for i, r := range records {
		n := field(proto.Size(r))
		if i > start && size+n > limit {
			out[len(out)-1].Records = records[start:i:i]
			out = append(out, &herkenv1.ImportCustomersRequest{})
			size, start = 0, i
		}
		size += n
	}
	out[len(out)-1].Records = records[start:len(records):len(records)]
	return out
}
