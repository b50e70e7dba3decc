// Command benchmd turns the output of `go test -bench` into BENCHMARKS.md:
// a header with the machine (cores, memory, CPU), the date, the commit and
// the Go and terraform versions, then one table per benchmark function, a
// row per sub-benchmark and a column per unit reported with
// b.ReportMetric.
//
//	go run ./hack/benchmd bin/bench/*.txt > BENCHMARKS.md
//
// Each file is the output of one `go test -bench` run (one package). The
// timing columns the testing package adds by itself (ns/op, B/op,
// allocs/op, MB/s) are left out of a table whose benchmark reports metrics
// of its own; with -benchtime 1x they time the setup, not the measurement.
// A benchmark run more than once (-count) keeps its last result.
//
// A benchmark adds a line of prose under its table by printing, on a line of
// its own,
//
//	BENCHMD-NOTE BenchmarkName: text
//
// and a line under the whole file's header with "BENCHMD-NOTE *: text".
// The testing package prints a benchmark's metrics sorted by unit; a
// benchmark orders its table's columns by printing
//
//	BENCHMD-COLUMNS BenchmarkName: unit unit ...
//
// (the units it names first, in that order, then the others).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	commit := flag.String("commit", "", "the commit to name in the header (default: git describe of the working tree)")
	date := flag.String("date", "", "the date to name in the header (default: now, UTC)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: benchmd [flags] go-test-bench-output...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var report report
	for _, path := range flag.Args() {
		f, err := os.Open(path)
		if err != nil {
			fatalf("cannot read benchmark output: %v", err)
		}
		err = report.parse(f)
		f.Close()
		if err != nil {
			fatalf("cannot parse %s: %v", path, err)
		}
	}
	h := machineHeader()
	if *commit != "" {
		h.commit = *commit
	}
	if *date != "" {
		h.date = *date
	}
	if report.cpu != "" {
		h.cpu = report.cpu
	}
	if err := report.write(os.Stdout, h); err != nil {
		fatalf("cannot write: %v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchmd: "+format+"\n", args...)
	os.Exit(1)
}

// report is everything read from the benchmark outputs.
type report struct {
	cpu        string
	benchmarks []*benchmark // in the order first seen
	notes      []string     // notes on the whole file ("BENCHMD-NOTE *: ...")
}

// benchmark is one benchmark function's table.
type benchmark struct {
	name  string // BenchmarkPlan
	pkg   string // import path
	units []string
	order []string // BENCHMD-COLUMNS
	rows  []*row
	notes []string
}

// row is one sub-benchmark's result.
type row struct {
	name    string // "N=200", or "" for a benchmark without sub-benchmarks
	metrics map[string]float64
}

// testingUnits are the units the testing package reports by itself.
var testingUnits = []string{"ns/op", "B/op", "allocs/op", "MB/s"}

var (
	// A benchmark's name, with the -GOMAXPROCS suffix; the results follow
	// on the same line unless the benchmark printed to stdout meanwhile.
	nameLine = regexp.MustCompile(`^(Benchmark\S*?)(?:-\d+)?(?:\s+(.*))?$`)
	// The results: iterations, then value-unit pairs.
	resultsPart = regexp.MustCompile(`^\s*(\d+)((?:\s+[-+0-9.eE]+\s+\S+)+)\s*$`)
	noteLine    = regexp.MustCompile(`^\s*BENCHMD-NOTE\s+(\*|Benchmark\S*):\s*(.*?)\s*$`)
	columnsLine = regexp.MustCompile(`^\s*BENCHMD-COLUMNS\s+(Benchmark\S*):\s*(.*?)\s*$`)
)

// parse reads one `go test -bench` output.
func (r *report) parse(in io.Reader) error {
	pkg := ""
	pending := "" // a benchmark name whose results are still to come
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "pkg: "))
			continue
		case strings.HasPrefix(line, "cpu: "):
			r.cpu = strings.TrimSpace(strings.TrimPrefix(line, "cpu: "))
			continue
		}
		if m := noteLine.FindStringSubmatch(line); m != nil {
			if m[1] == "*" {
				r.notes = appendOnce(r.notes, m[2])
			} else {
				b := r.benchmark(pkg, strings.SplitN(m[1], "/", 2)[0])
				b.notes = appendOnce(b.notes, m[2])
			}
			continue
		}
		if m := columnsLine.FindStringSubmatch(line); m != nil {
			b := r.benchmark(pkg, strings.SplitN(m[1], "/", 2)[0])
			b.order = strings.Fields(m[2])
			continue
		}
		if m := nameLine.FindStringSubmatch(line); m != nil {
			full := m[1]
			if m[2] == "" {
				pending = full
				continue
			}
			if res := resultsPart.FindStringSubmatch(m[2]); res != nil {
				if err := r.add(pkg, full, res[2]); err != nil {
					return err
				}
				pending = ""
				continue
			}
			// The name, then output the benchmark printed.
			pending = full
			continue
		}
		if pending != "" {
			if res := resultsPart.FindStringSubmatch(line); res != nil {
				if err := r.add(pkg, pending, res[2]); err != nil {
					return err
				}
				pending = ""
			}
		}
	}
	return sc.Err()
}

// benchmark returns the table of a benchmark function, adding it when new.
func (r *report) benchmark(pkg, name string) *benchmark {
	for _, b := range r.benchmarks {
		if b.name == name && (b.pkg == pkg || pkg == "" || b.pkg == "") {
			if b.pkg == "" {
				b.pkg = pkg
			}
			return b
		}
	}
	b := &benchmark{name: name, pkg: pkg}
	r.benchmarks = append(r.benchmarks, b)
	return b
}

// add records the results of the benchmark full (BenchmarkPlan/N=200).
func (r *report) add(pkg, full, results string) error {
	fn, sub, _ := strings.Cut(full, "/")
	fields := strings.Fields(results)
	metrics := map[string]float64{}
	var units []string
	for i := 0; i+1 < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return fmt.Errorf("%s: value %q: %w", full, fields[i], err)
		}
		metrics[fields[i+1]] = v
		units = append(units, fields[i+1])
	}
	b := r.benchmark(pkg, fn)
	for _, u := range units {
		if !slices.Contains(b.units, u) {
			b.units = append(b.units, u)
		}
	}
	for _, existing := range b.rows {
		if existing.name == sub {
			existing.metrics = metrics
			return nil
		}
	}
	b.rows = append(b.rows, &row{name: sub, metrics: metrics})
	return nil
}

// columns are the units of a table: its own metrics, or the testing
// package's when it reports none of its own.
func (b *benchmark) columns() []string {
	var own []string
	for _, u := range b.units {
		if !slices.Contains(testingUnits, u) {
			own = append(own, u)
		}
	}
	if len(own) == 0 {
		own = b.units
	}
	var cols []string
	for _, u := range b.order {
		if slices.Contains(own, u) {
			cols = append(cols, u)
		}
	}
	for _, u := range own {
		if !slices.Contains(cols, u) {
			cols = append(cols, u)
		}
	}
	return cols
}

// header describes where and when the benchmarks ran.
type header struct {
	cores     int
	memory    string
	cpu       string
	date      string
	commit    string
	goVersion string
	terraform string
}

func machineHeader() header {
	h := header{
		cores:     runtime.NumCPU(),
		memory:    memTotal(),
		date:      time.Now().UTC().Format("2006-01-02 15:04 MST"),
		commit:    gitCommit(),
		goVersion: runtime.Version(),
		terraform: terraformVersion(),
	}
	return h
}

// memTotal reads the machine's memory from /proc/meminfo.
func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err == nil {
				return fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return "unknown"
}

func gitCommit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty", "--abbrev=12").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func terraformVersion() string {
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		tf = "terraform"
	}
	out, err := exec.Command(tf, "version", "-json").Output()
	if err != nil {
		return "not found"
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if json.Unmarshal(out, &v) != nil || v.Version == "" {
		return "unknown"
	}
	return v.Version
}

// write renders the report as Markdown.
func (r *report) write(w io.Writer, h header) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Benchmarks\n\n")
	fmt.Fprintf(&buf, "Written by `make bench` (hack/benchmd) from the output of `go test -bench`; do not edit by hand. "+
		"The machine is shared and noisy: compare the figures of one run with each other (the ratios), not with another machine's.\n\n")
	fmt.Fprintf(&buf, "| | |\n|---|---|\n")
	fmt.Fprintf(&buf, "| machine | %d cores, %s memory |\n", h.cores, h.memory)
	if h.cpu != "" {
		fmt.Fprintf(&buf, "| cpu | %s |\n", h.cpu)
	}
	fmt.Fprintf(&buf, "| date | %s |\n", h.date)
	fmt.Fprintf(&buf, "| commit | %s |\n", h.commit)
	fmt.Fprintf(&buf, "| go | %s |\n", h.goVersion)
	fmt.Fprintf(&buf, "| terraform | %s |\n", h.terraform)
	for _, n := range r.notes {
		fmt.Fprintf(&buf, "\n%s\n", n)
	}
	for _, b := range r.benchmarks {
		if len(b.rows) == 0 {
			continue
		}
		fmt.Fprintf(&buf, "\n## %s\n\n", b.name)
		if b.pkg != "" {
			fmt.Fprintf(&buf, "Package `%s`.\n\n", b.pkg)
		}
		cols := b.columns()
		fmt.Fprintf(&buf, "| |")
		for _, c := range cols {
			fmt.Fprintf(&buf, " %s |", c)
		}
		fmt.Fprintf(&buf, "\n|---|")
		for range cols {
			fmt.Fprintf(&buf, "---:|")
		}
		fmt.Fprintln(&buf)
		for _, row := range b.rows {
			name := row.name
			if name == "" {
				name = b.name
			}
			fmt.Fprintf(&buf, "| %s |", name)
			for _, c := range cols {
				v, ok := row.metrics[c]
				if ok {
					fmt.Fprintf(&buf, " %s |", formatValue(v))
				} else {
					fmt.Fprintf(&buf, " |")
				}
			}
			fmt.Fprintln(&buf)
		}
		for _, n := range b.notes {
			fmt.Fprintf(&buf, "\n%s\n", n)
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// formatValue renders a figure with about four significant digits and no
// exponent.
func formatValue(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.001:
		return strconv.FormatFloat(v, 'f', 4, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
