package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"

	"github.com/herken/herken/identity"
	"github.com/herken/herken/store/memstore"
)

func TestAuditFlags(t *testing.T) {
	var f auditFlags
	e := &envFlags{fs: newFlagSet()}
	f.addFlags(e)
	if err := e.parse(nil); err != nil {
		t.Fatal(err)
	}
	if !f.On || f.FlushInterval != 200*time.Millisecond || f.Buffer != 100_000 {
		t.Fatalf("defaults %+v: want on, 200ms, 100000", f)
	}
	if err := f.validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit func(*auditFlags)
		want string
	}{
		{func(f *auditFlags) { f.FlushInterval = 2 * time.Second }, "--audit-flush-interval"},
		{func(f *auditFlags) { f.FlushInterval = 0 }, "--audit-flush-interval"},
		{func(f *auditFlags) { f.Buffer = 0 }, "--audit-buffer"},
	} {
		g := f
		tc.edit(&g)
		if err := g.validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("validate(%+v) = %v, want mention of %s", g, err, tc.want)
		}
	}
	off := auditFlags{FlushInterval: 5 * time.Second}
	if err := off.validate(); err != nil {
		t.Errorf("audit off: the other flags do not matter, got %v", err)
	}
}

func TestAuditRecorderFromFlags(t *testing.T) {
	store := memstore.New(memstore.Options{})
	norm, err := identity.NewNormalizer(identity.NormalizerConfig{DefaultRegion: "NL"})
	if err != nil {
		t.Fatal(err)
	}
	svc := herken.NewService(store, norm, herken.ServiceConfig{})
	log := slog.New(slog.DiscardHandler)

	off := auditFlags{}
	if r, err := off.recorder(svc, log); r != nil || err != nil {
		t.Fatalf("audit off: recorder %v, %v", r, err)
	}
	on := auditFlags{On: true, FlushInterval: 10 * time.Millisecond, Buffer: 10}
	r, err := on.recorder(svc, log)
	if err != nil {
		t.Fatal(err)
	}
	r.Record(herken.AuditRecord{CustomerID: "abc", Actor: "pbx-1", Method: "/m", Action: herken.AuditRead})
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs, _, err := svc.ListAudit(context.Background(), "abc", 0, "")
	if err != nil || len(recs) != 1 {
		t.Fatalf("after Close: %v, %v; want the record", recs, err)
	}
}
