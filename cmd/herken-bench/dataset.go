package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/herken/herken/internal/synth"
	"github.com/herken/herken/store/badgerstore"
)

// Layout of the data directory: the Badger store in store/, and beside it
// what herken-bench needs to reuse it (-reuse) — the marker, written last,
// says the load completed; the sample lists customers with an email.
const (
	storeSubdir = "store"
	markerName  = "herken-bench.json"
	sampleName  = "sample.tsv"
	// sampleTarget is about how many customers are sampled (uniformly, over
	// the whole base) for the email and Resolve phases. Known-number lookups
	// draw from the whole base: a customer's mobile follows from its index.
	sampleTarget = 160_000
)

// loadReport is what the load step measured.
type loadReport struct {
	Customers    int
	Identifiers  int
	Interactions int
	Promises     int
	// Generate is the time spent in synth.Generate (outside the loader),
	// Add the time in Loader.Add, Finish in Loader.Finish (index and final
	// flush), Close in closing the store (memtables to disk). Total is all of
	// them, from the first generated customer to a closed store.
	Generate, Add, Finish, Close, Total time.Duration
	LoadedAt                            time.Time
	// PeakRSS is herken-bench's own VmHWM after the load: what loading
	// in-process cost in memory (generation included).
	PeakRSS int64
	Reused  bool `json:"-"`
}

// Rate is customers per second over the whole load, generation included.
func (l loadReport) Rate() float64 {
	if l.Total <= 0 {
		return 0
	}
	return float64(l.Customers) / l.Total.Seconds()
}

type marker struct {
	Customers int
	Seed      uint64
	Load      loadReport
}

// sampled is one customer of the sample: its index in the base (its mobile
// is synth.Mobile(I)) and its email.
type sampled struct {
	I     int
	Email string
}

type dataset struct {
	Customers int
	Seed      uint64
	StoreDir  string
	Sample    []sampled // customers with an email
	Load      loadReport
}

// prepareDataset returns a loaded store in dir: the one there if -reuse
// and it matches, else a new load.
func prepareDataset(ctx context.Context, cfg config, dir string, log io.Writer) (*dataset, error) {
	ds := &dataset{Customers: cfg.Customers, Seed: cfg.Seed, StoreDir: filepath.Join(dir, storeSubdir)}
	m, merr := readMarker(dir)
	if cfg.Reuse {
		switch {
		case merr != nil:
			fmt.Fprintf(log, "herken-bench: -reuse: no complete load in %s (%v); loading\n", dir, merr)
		case m.Customers != cfg.Customers || m.Seed != cfg.Seed:
			fmt.Fprintf(log, "herken-bench: -reuse: %s holds %d customers (seed %d), want %d (seed %d); loading\n", dir, m.Customers, m.Seed, cfg.Customers, cfg.Seed)
		default:
			sample, err := readSample(filepath.Join(dir, sampleName))
			if err == nil && len(sample) > 0 {
				ds.Sample, ds.Load = sample, m.Load
				ds.Load.Reused = true
				fmt.Fprintf(log, "herken-bench: -reuse: using the store of %d customers loaded %s\n", m.Customers, m.Load.LoadedAt.Format(time.RFC3339))
				return ds, nil
			}
			fmt.Fprintf(log, "herken-bench: -reuse: sample unreadable (%v); loading\n", err)
		}
	}
	if err := clearDataDir(dir); err != nil {
		return nil, err
	}
	if cfg.LoadProfile != "" {
		f, err := os.Create(cfg.LoadProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	err := load(ctx, ds, log)
	if cfg.LoadProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return nil, err
	}
	if err := writeSample(filepath.Join(dir, sampleName), ds.Sample); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(marker{Customers: ds.Customers, Seed: ds.Seed, Load: ds.Load}, "", "  ")
	if err != nil {
		return nil, err
	}
	return ds, os.WriteFile(filepath.Join(dir, markerName), b, 0o644)
}

// clearDataDir removes a previous load from dir and refuses to touch a
// directory holding anything herken-bench did not write.
func clearDataDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		switch e.Name() {
		case storeSubdir, markerName, sampleName:
		default:
			return fmt.Errorf("data dir %s holds %q, which herken-bench did not write; give an empty or new directory", dir, e.Name())
		}
	}
	// The marker goes first: a half-removed directory is never taken for a
	// complete load.
	for _, name := range []string{markerName, sampleName, storeSubdir} {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// load generates the base and bulk-loads it, timing each part.
func load(ctx context.Context, ds *dataset, log io.Writer) error {
	store, err := badgerstore.Open(badgerstore.Options{
		Dir: ds.StoreDir, SyncWrites: false,
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	l, err := store.NewLoader(ctx)
	if err != nil {
		store.Close()
		return err
	}
	p := min(1, float64(sampleTarget)/float64(ds.Customers))
	pick := rand.New(rand.NewPCG(ds.Seed, 0x73616d706c65))
	fmt.Fprintf(log, "herken-bench: generating and loading %d customers\n", ds.Customers)
	var gen, add time.Duration
	start := time.Now()
	last, lastReport := start, start
	err = synth.Generate(synth.Config{Customers: ds.Customers, Seed: ds.Seed, Now: start}, func(i int, c synth.Customer) error {
		t := time.Now()
		gen += t.Sub(last)
		if c.Email != "" && pick.Float64() < p {
			ds.Sample = append(ds.Sample, sampled{I: i, Email: c.Email})
		}
		err := l.Add(c.Customer, c.Interactions, c.Promises)
		last = time.Now()
		add += last.Sub(t)
		if last.Sub(lastReport) >= 5*time.Second {
			lastReport = last
			if err := ctx.Err(); err != nil {
				return err
			}
			fmt.Fprintf(log, "herken-bench:   %d customers, %.0f/s\n", i+1, float64(i+1)/last.Sub(start).Seconds())
		}
		return err
	})
	if err != nil {
		l.Cancel()
		store.Close()
		return fmt.Errorf("load: %w", err)
	}
	t := time.Now()
	st, err := l.Finish()
	finish := time.Since(t)
	if err != nil {
		store.Close()
		return fmt.Errorf("load: finish: %w", err)
	}
	t = time.Now()
	if err := store.Close(); err != nil {
		return fmt.Errorf("load: closing the store: %w", err)
	}
	closeDur := time.Since(t)
	ds.Load = loadReport{
		Customers: st.Customers, Identifiers: st.Identifiers, Interactions: st.Interactions, Promises: st.Promises,
		Generate: gen, Add: add, Finish: finish, Close: closeDur, Total: time.Since(start), LoadedAt: start,
	}
	if m, err := readProcMem("/proc/self/status"); err == nil {
		ds.Load.PeakRSS = m.HWM
	}
	if st.Customers != ds.Customers {
		return fmt.Errorf("load: loaded %d customers, want %d", st.Customers, ds.Customers)
	}
	fmt.Fprintf(log, "herken-bench: loaded %d customers, %d identifiers, %d interactions, %d promises in %s: %.0f customers/s\n",
		st.Customers, st.Identifiers, st.Interactions, st.Promises, ds.Load.Total.Round(time.Millisecond), ds.Load.Rate())
	return nil
}

func readMarker(dir string) (marker, error) {
	var m marker
	b, err := os.ReadFile(filepath.Join(dir, markerName))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, err
	}
	if _, err := os.Stat(filepath.Join(dir, storeSubdir)); err != nil {
		return m, err
	}
	return m, nil
}

func writeSample(path string, sample []sampled) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, s := range sample {
		w.WriteString(strconv.Itoa(s.I))
		w.WriteByte('\t')
		w.WriteString(s.Email)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readSample(path string) ([]sampled, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []sampled
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		is, email, ok := strings.Cut(sc.Text(), "\t")
		i, err := strconv.Atoi(is)
		if !ok || err != nil || email == "" {
			return nil, fmt.Errorf("%s: malformed line %d", path, len(out)+1)
		}
		out = append(out, sampled{I: i, Email: email})
	}
	return out, sc.Err()
}

// typedForms returns the mobile number of customer i the way agents and
// PBXs type it — national, E.164, 00-international — exactly as
// synth.Customer.Typed (a test holds the two together).
func typedForms(i int) [3]string { return typedFormsOf(synth.Mobile(i)) }

func typedFormsOf(e164 string) [3]string {
	return [3]string{"0" + e164[3:5] + " " + e164[5:], e164, "00" + e164[1:]}
}

// size is a directory's size: allocated blocks (what du reports) and the
// sum of file lengths (Badger preallocates and mmaps, so they differ).
type size struct {
	Allocated, Apparent int64
}

func diskUsage(dir string) (size, error) {
	var s size
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		s.Apparent += info.Size()
		s.Allocated += allocated(info)
		return nil
	})
	return s, err
}
