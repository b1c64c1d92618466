package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report is everything one run measured.
type report struct {
	Started, Finished time.Time
	Config            config
	Machine           machine
	HerkenVersion     string
	LoadAvg           string // /proc/loadavg when the run started
	ServerArgs        []string
	Load              loadReport
	StoreSize         size // after the load
	StoreSizeAfter    size // after the server stopped
	Starts            []time.Duration
	MemAfterStart     procMem       // right after SERVING
	MemSettled        procMem       // once idle; its HWM is the start-up peak
	MemAtEnd          procMem       // its HWM is the peak while serving the phases
	Settle            time.Duration // SERVING to idle
	SettleCPU         float64       // core-seconds the server used meanwhile
	Phases            []phaseResult
	OpenRate          float64
	Stacks            []stack       // production.go
	Neighbours        *neighbours   // production.go
	Imports           *importReport // imports.go
	Postgres          *pgReport     // postgres.go
	Notes             []string
	OutPath           string
}

// row is one phase over its repetitions: medians of each number, sums of
// the counts.
type row struct {
	Kind                 kind
	Label                string
	InFlight             int
	Open                 bool
	Reps                 int
	Rate, TargetRate     float64
	P50, P99, P999, Late time.Duration
	Calls, Errors, Wrong int
	FirstError           string
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// rows aggregates the phases: the closed loop by in-flight and kind in the
// order they ran, then the open loop.
func (r *report) rows() []row {
	type key struct {
		k        kind
		inFlight int
		open     bool
	}
	var order []key
	groups := map[key][]phaseResult{}
	for _, p := range r.Phases {
		k := key{p.Kind, p.InFlight, p.Open}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], p)
	}
	slices.SortStableFunc(order, func(a, b key) int {
		if a.open != b.open {
			if a.open {
				return 1
			}
			return -1
		}
		if a.inFlight != b.inFlight {
			return a.inFlight - b.inFlight
		}
		return int(a.k) - int(b.k)
	})
	var out []row
	for _, k := range order {
		ps := groups[k]
		rw := row{Kind: k.k, Label: ps[0].Label, InFlight: k.inFlight, Open: k.open, Reps: len(ps), TargetRate: ps[0].TargetRate}
		var rate []float64
		var p50, p99, p999, late []time.Duration
		for _, p := range ps {
			rate = append(rate, p.Rate)
			p50, p99, p999, late = append(p50, p.P50), append(p99, p.P99), append(p999, p.P999), append(late, p.LateP99)
			rw.Calls += p.Calls
			rw.Errors += p.Errors
			rw.Wrong += p.Wrong
			if rw.FirstError == "" {
				rw.FirstError = p.FirstError
			}
		}
		rw.Rate, rw.P50, rw.P99, rw.P999, rw.Late = median(rate), median(p50), median(p99), median(p999), median(late)
		out = append(out, rw)
	}
	return out
}

func findRow(rows []row, k kind, inFlight int, open bool) *row {
	for i := range rows {
		if rows[i].Kind == k && rows[i].Open == open && (open || rows[i].InFlight == inFlight) {
			return &rows[i]
		}
	}
	return nil
}

// maxLookupRate is the highest median rate of known-number Lookups over
// the closed-loop phases.
func (r *report) maxLookupRate() float64 {
	best := 0.0
	for _, rw := range r.rows() {
		if rw.Kind == kindKnown && !rw.Open {
			best = max(best, rw.Rate)
		}
	}
	return best
}

// peakRSS is the server's highest VmHWM, start-up or serving.
func (r *report) peakRSS() int64 { return max(r.MemSettled.HWM, r.MemAtEnd.HWM) }

// failures is an error if any call failed or answered wrongly.
func (r *report) failures() error {
	errs, wrong, first := 0, 0, ""
	all := slices.Clone(r.Phases)
	for _, s := range r.Stacks {
		all = append(all, s.Phases...)
	}
	if nb := r.Neighbours; nb != nil {
		all = append(append(all, nb.Alone...), nb.Crowded...)
	}
	if r.Postgres != nil {
		all = append(all, r.Postgres.Phases...)
	}
	for _, p := range all {
		errs += p.Errors
		wrong += p.Wrong
		if first == "" {
			first = p.FirstError
		}
	}
	if errs+wrong == 0 {
		return nil
	}
	return fmt.Errorf("%d calls failed and %d answered with the wrong outcome (first: %s); the numbers are not valid", errs, wrong, first)
}

// check is one target of the issue against this run.
type check struct {
	Target, Measured string
	Result           string // PASS, MISS, or "not measured"
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func (r *report) targets() []check {
	rows := r.rows()
	var out []check
	top := slices.Max(r.Config.InFlight)
	if lk, base := findRow(rows, kindKnown, top, false), findRow(rows, kindBaseline, top, false); lk != nil && base != nil && base.Rate > 0 {
		x := lk.Rate / base.Rate
		out = append(out, check{
			fmt.Sprintf("Lookup throughput at %d in flight ≥ 0.8 × empty RPC", top),
			fmt.Sprintf("%.2f × (%s vs %s calls/s)", x, commas(lk.Rate), commas(base.Rate)), verdict(x >= 0.8)})
	}
	if lk, base := findRow(rows, kindKnown, 1, false), findRow(rows, kindBaseline, 1, false); lk != nil && base != nil && base.P50 > 0 {
		x := float64(lk.P50) / float64(base.P50)
		out = append(out,
			check{"Lookup p50 at 1 in flight ≤ 1.3 × empty RPC p50",
				fmt.Sprintf("%.2f × (%s vs %s ms)", x, ms(lk.P50), ms(base.P50)), verdict(x <= 1.3)},
			check{"Lookup p99 at 1 in flight ≤ 1 ms", ms(lk.P99) + " ms", verdict(lk.P99 <= time.Millisecond)})
	} else {
		out = append(out, check{"Lookup p50/p99 at 1 in flight", "-concurrency has no 1", "not measured"})
	}
	if lk := findRow(rows, kindKnown, 0, true); lk != nil {
		out = append(out, check{fmt.Sprintf("Open loop at %.0f%% of max Lookup rate: p99 ≤ 2 ms", 100*r.Config.OpenFraction),
			fmt.Sprintf("%s ms at %s/s", ms(lk.P99), commas(lk.TargetRate)), verdict(lk.P99 <= 2*time.Millisecond)})
	}
	if peak := r.peakRSS(); peak > 0 {
		out = append(out, check{fmt.Sprintf("Server peak RSS ≤ 1 GiB serving %s customers", commas(float64(r.Config.Customers))),
			fmt.Sprintf("%s (VmHWM; %s while serving the phases, %s during start-up)", mib(peak), mib(r.MemAtEnd.HWM), mib(r.MemSettled.HWM)),
			verdict(peak <= 1<<30)})
	}
	if len(r.Starts) > 0 {
		worst := slices.Max(r.Starts)
		out = append(out, check{"Cold start to SERVING ≤ 3 s",
			fmt.Sprintf("%.3f s (slowest of %d)", worst.Seconds(), len(r.Starts)), verdict(worst <= 3*time.Second)})
	}
	if rate := r.Load.Rate(); rate > 0 {
		m := commas(rate) + " customers/s"
		if r.Load.Reused {
			m += " (load of " + r.Load.LoadedAt.Format("2006-01-02 15:04") + ", reused)"
		}
		out = append(out, check{"Bulk load ≥ 50,000 customers/s", m, verdict(rate >= 50_000)})
	}
	return out
}

// markdown renders the report; full adds every repetition.
func (r *report) markdown(full bool) string {
	var b strings.Builder
	c := r.Config
	rows := r.rows()
	fmt.Fprintf(&b, "## herken load benchmark, %s\n\n", r.Started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- **Base**: %s synthetic customers (internal/synth, seed %d)", commas(float64(c.Customers)), c.Seed)
	if r.Load.Customers > 0 {
		fmt.Fprintf(&b, ": %s identifiers, %s interactions, %s promises", commas(float64(r.Load.Identifiers)), commas(float64(r.Load.Interactions)), commas(float64(r.Load.Promises)))
	}
	b.WriteString(".\n")
	fmt.Fprintf(&b, "- **Machine**: %d × %s, %s RAM, Linux %s, %s; client and server share it.\n", r.Machine.CPUs, r.Machine.Model, mib(r.Machine.Memory), r.Machine.Kernel, r.Machine.Go)
	fmt.Fprintf(&b, "- **Server**: `herken %s` (herken %s).\n", strings.Join(r.ServerArgs, " "), r.HerkenVersion)
	if other, worst, steal := r.sharing(); worst >= 0 {
		repeated, noisy := 0, 0
		for _, p := range r.Phases {
			if p.Attempts > 1 {
				repeated++
			}
			if p.Noisy {
				noisy++
			}
		}
		fmt.Fprintf(&b, "- **Other load**: load average %s at the start; CPU used by everything else (other processes, kernel) during the kept phases: median %.2f, max %.2f cores (%s); hypervisor steal median %.2f cores; %d phases repeated because something else used more than %.2f cores, %d still noisy after 3 attempts.\n",
			r.LoadAvg, other, r.Phases[worst].CPU.Other, r.Phases[worst].Kind.name()+", "+r.Phases[worst].Label+", rep "+strconv.Itoa(r.Phases[worst].Rep), steal,
			repeated, r.Config.MaxOtherCPU, noisy)
	}
	fmt.Fprintf(&b, "- **Phases**: closed loop %s per phase × %d repetitions, alternating, at %s calls in flight over %d connections; open loop %s per phase × %d at %.0f%% of the max Lookup rate. Medians over repetitions.\n\n",
		c.PhaseDuration, c.Reps, joinInts(c.InFlight), c.Conns, 2*c.PhaseDuration, c.Reps, 100*c.OpenFraction)

	b.WriteString("| phase | in flight | calls/s | p50 ms | p99 ms | p99.9 ms | ×baseline calls/s | ×baseline p50 | ×baseline p99 | errors |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, rw := range rows {
		inFlight := strconv.Itoa(rw.InFlight)
		if rw.Open {
			inFlight = "open loop, " + commas(rw.TargetRate) + "/s"
		}
		rc, r50, r99 := "—", "—", "—"
		if base := findRow(rows, kindBaseline, rw.InFlight, rw.Open); base != nil && rw.Kind != kindBaseline {
			rc = ratio(rw.Rate, base.Rate)
			r50 = ratio(float64(rw.P50), float64(base.P50))
			r99 = ratio(float64(rw.P99), float64(base.P99))
		}
		errs := strconv.Itoa(rw.Errors)
		if rw.Wrong > 0 {
			errs += fmt.Sprintf(" + %d wrong outcome", rw.Wrong)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			rw.Kind.name(), inFlight, commas(rw.Rate), ms(rw.P50), ms(rw.P99), ms(rw.P999), rc, r50, r99, errs)
	}

	b.WriteString("\n| | |\n|---|---|\n")
	if l := r.Load; l.Customers > 0 {
		how := fmt.Sprintf("%s customers in %.1f s (generate %.1f s, Loader.Add %.1f s, Finish %.1f s, close %.1f s)",
			commas(float64(l.Customers)), l.Total.Seconds(), l.Generate.Seconds(), l.Add.Seconds(), l.Finish.Seconds(), l.Close.Seconds())
		if l.PeakRSS > 0 {
			how += "; loading process peak RSS " + mib(l.PeakRSS)
		}
		if l.Reused {
			how += "; measured " + l.LoadedAt.Format("2006-01-02 15:04") + ", store reused (-reuse)"
		}
		fmt.Fprintf(&b, "| bulk load | **%s customers/s**: %s |\n", commas(l.Rate()), how)
	}
	fmt.Fprintf(&b, "| store size | **%s** on disk (du), %s apparent; %s after the run |\n", mib(r.StoreSize.Allocated), mib(r.StoreSize.Apparent), mib(r.StoreSizeAfter.Allocated))
	if m := r.MemAtEnd; m.HWM > 0 {
		fmt.Fprintf(&b, "| server peak RSS | **%s** while serving the phases (VmHWM, reset once the server was idle after start); %s peak during start-up; RSS %s right after SERVING, %s once idle, %s at the end = %s anonymous + %s mapped files |\n",
			mib(m.HWM), mib(r.MemSettled.HWM), mib(r.MemAfterStart.RSS), mib(r.MemSettled.RSS), mib(m.RSS), mib(m.RSSAnon), mib(m.RSSFile))
	}
	if len(r.Starts) > 0 {
		var ss []string
		for _, s := range r.Starts {
			ss = append(ss, fmt.Sprintf("%.3f", s.Seconds()))
		}
		fmt.Fprintf(&b, "| cold start to SERVING | **%.3f s** slowest of %d starts (%s s), exec to first SERVING health answer, polled every 5 ms; store files in the page cache |\n",
			slices.Max(r.Starts).Seconds(), len(r.Starts), strings.Join(ss, ", "))
	}
	if r.Settle > 0 {
		fmt.Fprintf(&b, "| after start | busy for %.1f s after SERVING before idle (%.1f CPU-seconds: Badger compacting the new store); the phases start once idle |\n", r.Settle.Seconds(), r.SettleCPU)
	}
	if lk := findRow(rows, kindKnown, 0, true); lk != nil {
		fmt.Fprintf(&b, "| open loop | %s calls/s scheduled (%.0f%% of %s), %s achieved; harness send lateness p99 %s ms (counted in the latencies) |\n",
			commas(lk.TargetRate), 100*c.OpenFraction, commas(r.maxLookupRate()), commas(lk.Rate), ms(lk.Late))
	}
	if !r.Finished.IsZero() {
		fmt.Fprintf(&b, "| run time | %s |\n", r.Finished.Sub(r.Started).Round(time.Second))
	}

	b.WriteString("\n**Targets**")
	if c.Customers != 1_000_000 {
		fmt.Fprintf(&b, " (defined at 1,000,000 customers; this run has %s)", commas(float64(c.Customers)))
	}
	b.WriteString("\n\n| target | measured | |\n|---|---|---|\n")
	for _, t := range slices.Concat(r.targets(), r.stackTargets(), r.importTargets()) {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.Target, t.Measured, t.Result)
	}
	b.WriteString(r.stackMarkdown())
	r.markdownHTTP(&b)
	r.markdownPostgres(&b)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	if err := r.failures(); err != nil {
		fmt.Fprintf(&b, "\n**FAIL**: %v\n", err)
	}
	if full {
		b.WriteString("\n### Every repetition\n\nCPU columns: average cores used during the phase by the server, by herken-bench, by every other process, and stolen by the hypervisor.\n\n")
		b.WriteString("| rep | phase | in flight | calls | calls/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | wrong | server CPU | bench CPU | other CPU | steal | attempts |\n|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, p := range r.Phases {
			att := strconv.Itoa(p.Attempts)
			if p.Noisy {
				att += " (noisy)"
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %d | %s | %s | %s | %s | %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %s |\n",
				p.Rep, p.Kind.name(), p.Label, p.Calls, commas(p.Rate), ms(p.P50), ms(p.P99), ms(p.P999), ms(p.Max), p.Errors, p.Wrong,
				p.CPU.Server, p.CPU.Harness, p.CPU.Other, p.CPU.Steal, att)
		}
		fmt.Fprintf(&b, "\nCommand: `herken-bench %s`\n", strings.Join(r.flagsUsed(), " "))
	}
	return b.String()
}

func (r *report) flagsUsed() []string {
	c := r.Config
	out := []string{"-customers", strconv.Itoa(c.Customers), "-seed", strconv.FormatUint(c.Seed, 10),
		"-phase-duration", c.PhaseDuration.String(), "-reps", strconv.Itoa(c.Reps), "-concurrency", joinInts(c.InFlight),
		"-conns", strconv.Itoa(c.Conns), "-open-fraction", strconv.FormatFloat(c.OpenFraction, 'g', -1, 64),
		"-max-other-cpu", strconv.FormatFloat(c.MaxOtherCPU, 'g', -1, 64)}
	if c.Reuse {
		out = append(out, "-reuse", "-data-dir", c.DataDir)
	}
	if len(c.ServerArgs) > 0 {
		out = append(out, "-server-args", strconv.Quote(strings.Join(c.ServerArgs, " ")))
	}
	return out
}

// sharing is the median CPU other processes used during the phases, the
// index of the phase where they used the most (-1 if unknown), and the
// median steal.
func (r *report) sharing() (other float64, worst int, steal float64) {
	worst = -1
	var others, steals []float64
	for i, p := range r.Phases {
		if !p.CPU.Valid {
			continue
		}
		others, steals = append(others, p.CPU.Other), append(steals, p.CPU.Steal)
		if worst < 0 || p.CPU.Other > r.Phases[worst].CPU.Other {
			worst = i
		}
	}
	return median(others), worst, median(steals)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

func mib(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// commas formats x rounded to an integer with thousands separators.
func commas(x float64) string {
	s := strconv.FormatInt(int64(x+0.5), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func joinInts(xs []int) string {
	var ss []string
	for _, x := range xs {
		ss = append(ss, strconv.Itoa(x))
	}
	return strings.Join(ss, ",")
}
