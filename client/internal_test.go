package client

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	herkenv1 "github.com/herken/herken/proto/herken/v1"
)

// TestReasonSentinels: one sentinel per reason of errors.proto that can be
// a call's status, so a reason added there cannot be forgotten here.
func TestReasonSentinels(t *testing.T) {
	notAStatus := map[string]string{
		"UNSPECIFIED":           "never sent",
		"INTERNAL":              "ErrInternal, the code sentinel",
		"INVALID_ARGUMENT":      "ErrInvalidArgument, the code sentinel",
		"EXTERNAL_ID_DUPLICATE": "an ImportProblem reason, never a status",
	}
	have := map[string]bool{}
	for _, e := range reasonSentinels {
		if have[e.Reason] {
			t.Errorf("two sentinels for %s", e.Reason)
		}
		have[e.Reason] = true
	}
	for _, name := range herkenv1.ErrorReason_name {
		r := strings.TrimPrefix(name, "ERROR_REASON_")
		if notAStatus[r] == "" && !have[r] {
			t.Errorf("no sentinel for reason %s", r)
		}
		delete(have, r)
	}
	for r := range have {
		t.Errorf("sentinel for %s, which errors.proto does not have", r)
	}
}

// TestCodeNames: CodeName writes every code as gRPC's JSON form does.
func TestCodeNames(t *testing.T) {
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		var back codes.Code
		if err := back.UnmarshalJSON([]byte(`"` + CodeName(c) + `"`)); err != nil || back != c {
			t.Errorf("CodeName(%v) = %q: %v", c, CodeName(c), err)
		}
	}
}

func TestKeepaliveOption(t *testing.T) {
	o := defaultOptions()
	if o.keepalive.Time < MinKeepaliveTime || !o.keepalive.PermitWithoutStream {
		t.Fatalf("default keepalive %+v", o.keepalive)
	}
	for _, tc := range []struct{ interval, timeout, wantTime, wantTimeout time.Duration }{
		{time.Second, 0, MinKeepaliveTime, DefaultKeepaliveTimeout},
		{time.Minute, 5 * time.Second, time.Minute, 5 * time.Second},
		{0, time.Second, 0, 0},
	} {
		o := defaultOptions()
		WithKeepalive(tc.interval, tc.timeout)(&o)
		if o.keepalive.Time != tc.wantTime || o.keepalive.Timeout != tc.wantTimeout {
			t.Errorf("WithKeepalive(%v, %v) = %+v", tc.interval, tc.timeout, o.keepalive)
		}
	}
}

// TestImportMessagesSplit: sizes under the limit, every record once and in
// order, a record over the limit alone, settings first.
func TestImportMessagesSplit(t *testing.T) {
	rec := func(note int) *herkenv1.ImportRecord {
		return &herkenv1.ImportRecord{ExternalId: "K", HandoverNote: strings.Repeat("x", note)}
	}
	records := []*herkenv1.ImportRecord{rec(10), rec(10), rec(5000), rec(10), rec(300), rec(300), rec(300)}
	settings := &herkenv1.ImportSettings{Source: "crm"}
	msgs := importMessages(settings, records, 1000)
	var got []*herkenv1.ImportRecord
	for i, m := range msgs {
		if (m.GetSettings() != nil) != (i == 0) {
			t.Errorf("message %d: settings %v", i, m.GetSettings())
		}
		if n := proto.Size(m); n > 1000 && len(m.GetRecords()) != 1 {
			t.Errorf("message %d: %d bytes with %d records", i, n, len(m.GetRecords()))
		}
		got = append(got, m.GetRecords()...)
	}
	if len(got) != len(records) {
		t.Fatalf("%d records sent, want %d", len(got), len(records))
	}
	for i := range got {
		if got[i] != records[i] {
			t.Fatalf("record %d out of order", i)
		}
	}
	if len(msgs) != 3 { // [10 10] [5000] [10 300 300 300]
		t.Errorf("%d messages, want 3", len(msgs))
	}
	if m := importMessages(nil, nil, 1000); len(m) != 1 || m[0].GetSettings() != nil || len(m[0].GetRecords()) != 0 {
		t.Errorf("nothing to send: %v", m)
	}
}
