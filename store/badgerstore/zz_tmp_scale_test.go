package badgerstore

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/store/storetest"
)

func TestTmpCheckScale(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), MinFreeBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.NewLoader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 50000; i++ {
		c := storetest.NewCustomer("x")
		var hist []herken.Interaction
		for j := 0; j < 10; j++ {
			hist = append(hist, herken.Interaction{Channel: herken.ChannelPhone, Direction: herken.DirectionInbound, Outcome: herken.OutcomeResolved, OccurTime: base.Add(time.Duration(i*10+j) * time.Second)})
		}
		ps := []herken.Promise{storetest.NewPromise(herken.PromiseCallback, base.Add(time.Duration(i)*time.Minute), "o"), storetest.NewPromise(herken.PromiseCallback, base.Add(time.Duration(i)*time.Minute), "")}
		if err := l.Add(c, hist, ps); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Finish(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	start := time.Now()
	rep, err := s.Check(context.Background())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("check: %v ok=%v counts=%+v took %v heap %d MB", err, rep.OK(), rep.Counts, time.Since(start), ms.HeapAlloc>>20)
	if !rep.OK() {
		t.Log(rep.Problems[:min(5, len(rep.Problems))])
	}
}
