package badgerstore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herken/herken"
	"github.com/herken/herken/identity"
)

var (
	importFirst = []string{"Jan", "Anna", "Pieter", "Sanne", "Mohamed", "Emma", "Daan", "Fatima", "Lars", "Noor", "Bram", "Julia", "Sem", "Lotte", "Thijs", "Eva"}
	importLast  = []string{"de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Yılmaz"}
	importTags  = []string{"vip", "zakelijk", "nieuwsbrief", "wanbetaler", "glasvezel", "mobiel"}
)

// importCustomer is customer i of an import from a CRM: a mobile number,
// an email, the CRM's key, a name, a handover note now and then, some tags
// and no history.
func importCustomer(i int, at time.Time) herken.Customer {
	c := herken.Customer{
		ID:                herken.NewID(),
		DisplayName:       importFirst[i%len(importFirst)] + " " + importLast[(i/len(importFirst))%len(importLast)],
		PreferredLanguage: "nl",
		CreateTime:        at, UpdateTime: at, Revision: 1,
	}
	if i%3 == 0 {
		c.HandoverNote = "belt liever na 17:00"
	}
	for t := range i % 3 {
		c.Tags = append(c.Tags, importTags[(i+t)%len(importTags)])
	}
	for _, id := range []identity.Identifier{
		{Kind: identity.KindPhone, Value: fmt.Sprintf("+316%d%07d", 1+(i/10_000_000)%5, i%10_000_000)},
		{Kind: identity.KindEmail, Value: "klant" + strconv.Itoa(i) + "@example.nl"},
		{Kind: identity.KindExternalID, Value: "K-" + strconv.Itoa(1_000_000+i)},
	} {
		c.Identifiers = append(c.Identifiers, herken.LinkedIdentifier{Identifier: id, LinkTime: at, Source: "crm"})
	}
	return c
}

// BenchmarkBulkLoadImport loads HERKEN_LOAD_CUSTOMERS (default 100,000)
// import-like customers into a store on disk (HERKEN_LOAD_DIR, default a
// temporary directory) and reports customers/s (Add, Finish and Close)
// and the process's peak RSS. Run it alone, once:
//
//	HERKEN_LOAD_CUSTOMERS=1000000 go test ./store/badgerstore/ -run '^$' \
//	    -bench BulkLoadImport -benchtime 1x
func BenchmarkBulkLoadImport(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("HERKEN_LOAD_CUSTOMERS")); err == nil && v > 0 {
		n = v
	}
	dir := os.Getenv("HERKEN_LOAD_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	for b.Loop() {
		os.RemoveAll(dir)
		s, err := Open(Options{Dir: dir, EncryptionKey: benchEncryptionKey()})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		stop := make(chan struct{})
		if os.Getenv("HERKEN_LOAD_TRACE") != "" {
			go func() {
				var peak uint64
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Second):
					}
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					if p := os.Getenv("HERKEN_LOAD_HEAPPROFILE"); p != "" && ms.HeapInuse > peak {
						peak = ms.HeapInuse
						if f, err := os.Create(p); err == nil {
							pprof.WriteHeapProfile(f)
							f.Close()
						}
					}
					fmt.Fprintf(os.Stderr, "%5.1fs rss %4d MiB heap inuse %4d MiB sys %4d MiB gc %d\n", time.Since(start).Seconds(), rss()>>20, ms.HeapInuse>>20, ms.Sys>>20, ms.NumGC)
				}
			}()
		}
		l, err := s.NewLoader(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		var gen time.Duration
		for i := range n {
			t := time.Now()
			c := importCustomer(i, start)
			gen += time.Since(t)
			if err := l.Add(c, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
		added := time.Since(start)
		st, err := l.Finish()
		if err != nil {
			b.Fatal(err)
		}
		finished := time.Since(start)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		total := time.Since(start)
		close(stop)
		if st, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, line := range strings.Split(string(st), "\n") {
				if strings.HasPrefix(line, "Rss") || strings.HasPrefix(line, "VmHWM") {
					b.Log(line)
				}
			}
		}
		if out, err := exec.Command("du", "-sh", dir).Output(); err == nil {
			b.Logf("store: %s", out)
		}
		if st.Customers != n {
			b.Fatalf("loaded %d customers, want %d", st.Customers, n)
		}
		b.ReportMetric(float64(n)/total.Seconds(), "customers/s")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peakRSS-MiB")
		b.Logf("%d customers, %d identifiers: generate %s, add %s (generation included), finish %s, close %s, total %s: %.0f customers/s; peak RSS %d MiB",
			n, st.Identifiers, gen.Round(time.Millisecond), added.Round(time.Millisecond), (finished - added).Round(time.Millisecond),
			(total - finished).Round(time.Millisecond), total.Round(time.Millisecond), float64(n)/total.Seconds(), peakRSS()>>20)
	}
}

// benchEncryptionKey is HERKEN_LOAD_ENCRYPT's key: on when it is set.
func benchEncryptionKey() []byte {
	if os.Getenv("HERKEN_LOAD_ENCRYPT") == "" {
		return nil
	}
	return []byte("0123456789abcdef0123456789abcdef")
}

// peakRSS is the process's VmHWM in bytes (0 where /proc is missing).
func peakRSS() int64 { return procStatus("VmHWM:") }

// rss is the process's VmRSS in bytes.
func rss() int64 { return procStatus("VmRSS:") }

func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
