package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const benchOutput = `goos: linux
goarch: amd64
pkg: github.com/mcplatform/terraform-provider-mc/internal/provider
cpu: AMD EPYC 7B13
BenchmarkPlan/N=200-2         	plan table printed by the benchmark
BENCHMD-COLUMNS BenchmarkPlan: x_floor missing-unit
BENCHMD-NOTE BenchmarkPlan: The manifest peer is bounded at N=200 (BENCH_PEER_MAX_N).
       1	30000000 ns/op	         1.500 ours-plan-s	         3.000 x_floor
BenchmarkPlan/N=1000-2        	       1	90000000 ns/op	         7.000 ours-plan-s	        12.00 peer-rss-MB
--- BENCH: BenchmarkPlan/N=1000-2
    plan_bench_test.go:12: applied
BenchmarkPlan/N=200-2         	       1	30000000 ns/op	         1.250 ours-plan-s	         2.500 x_floor
BenchmarkWait-2               	       5	   2000 ns/op	  64 B/op	       1 allocs/op
BENCHMD-NOTE *: Run under load.
PASS
ok  	github.com/mcplatform/terraform-provider-mc/internal/provider	120.5s
`

func TestReportMarkdown(t *testing.T) {
	var r report
	if err := r.parse(strings.NewReader(benchOutput)); err != nil {
		t.Fatalf("parse() error = %v", err)
	}
	var out strings.Builder
	h := header{cores: 2, memory: "23.5 GiB", cpu: r.cpu, date: "2026-12-01 21:00 UTC", commit: "abc123", goVersion: "go1.26.8", terraform: "1.11.4"}
	if err := r.write(&out, h); err != nil {
		t.Fatalf("write() error = %v", err)
	}
	want := "# Benchmarks\n\n" +
		"Written by `make bench` (hack/benchmd) from the output of `go test -bench`; do not edit by hand. " +
		"The machine is shared and noisy: compare the figures of one run with each other (the ratios), not with another machine's.\n\n" +
		`| | |
|---|---|
| machine | 2 cores, 23.5 GiB memory |
| cpu | AMD EPYC 7B13 |
| date | 2026-12-01 21:00 UTC |
| commit | abc123 |
| go | go1.26.8 |
| terraform | 1.11.4 |

Run under load.

## BenchmarkPlan

Package ` + "`github.com/mcplatform/terraform-provider-mc/internal/provider`" + `.

| | x_floor | ours-plan-s | peer-rss-MB |
|---|---:|---:|---:|
| N=200 | 2.50 | 1.25 | |
| N=1000 | | 7.00 | 12.00 |

The manifest peer is bounded at N=200 (BENCH_PEER_MAX_N).

## BenchmarkWait

Package ` + "`github.com/mcplatform/terraform-provider-mc/internal/provider`" + `.

| | ns/op | B/op | allocs/op |
|---|---:|---:|---:|
| BenchmarkWait | 2000 | 64.00 | 1.00 |
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("markdown mismatch (-want +got):\n%s", diff)
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{12345.6, "12346"},
		{123.45, "123.5"},
		{3.14159, "3.14"},
		{0.0123456, "0.0123"},
		{0.00001234, "1.23e-05"},
		{-2.5, "-2.50"},
	}
	for _, tt := range tests {
		if got := formatValue(tt.v); got != tt.want {
			t.Errorf("formatValue(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
