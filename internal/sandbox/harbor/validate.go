package harborsim

import (
	"fmt"

	"github.com/bmatcuk/doublestar/v4"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// validateCron checks a cron the way Harbor checks a scheduled replication
// trigger (src/controller/replication/model/model.go, Validate): robfig/cron
// with Second|Minute|Hour|Dom|Month|Dow (exactly six fields, seconds first,
// no descriptors), the seconds field must be "0", and "*" is not allowed in
// the minutes field (no replication every minute).
func validateCron(cron string) error {
	if _, err := parseCron(cron); err != nil {
		return err
	}
	fields := strings.Fields(cron)
	if fields[0] != "0" {
		return fmt.Errorf("the 1st field (indicating Seconds of time) of the cron setting must be 0")
	}
	if fields[1] == "*" {
		return fmt.Errorf("* is not allowed for the Minutes field of the cron setting of replication policy")
	}
	return nil
}

// cronSchedule is a parsed six-field cron, as robfig/cron's SpecSchedule:
// one bit per allowed value of each field.
type cronSchedule struct {
	second, minute, hour, dom, month, dow uint64
	// domStar and dowStar mark a day field given as "*" or "?": then a day
	// must match both day fields, else either.
	domStar, dowStar bool
}

// parseCron parses the six fields Harbor's cron parser takes.
func parseCron(cron string) (*cronSchedule, error) {
	fields := strings.Fields(cron)
	if len(fields) != 6 {
		return nil, fmt.Errorf("expected exactly 6 fields, found %d: %s", len(fields), cron)
	}
	bounds := []struct {
		min, max int
		names    map[string]int
	}{
		{0, 59, nil}, {0, 59, nil}, {0, 23, nil}, {1, 31, nil},
		{1, 12, map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}},
		{0, 6, map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}},
	}
	var bits [6]uint64
	for i, f := range fields {
		b := bounds[i]
		for _, part := range strings.Split(f, ",") {
			v, err := cronPart(part, b.min, b.max, b.names)
			if err != nil {
				return nil, fmt.Errorf("field %d (%s): %w", i+1, f, err)
			}
			bits[i] |= v
		}
	}
	return &cronSchedule{second: bits[0], minute: bits[1], hour: bits[2], dom: bits[3], month: bits[4], dow: bits[5],
		domStar: fields[3] == "*" || fields[3] == "?", dowStar: fields[5] == "*" || fields[5] == "?"}, nil
}

// cronPart parses one comma-separated part: "*", "?", "n", "a-b", each
// with an optional "/step" ("n/step" runs to the maximum).
func cronPart(part string, min, max int, names map[string]int) (uint64, error) {
	rng, step, hasStep := strings.Cut(part, "/")
	every := 1
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("invalid step %q", step)
		}
		every = n
	}
	lo, hi := min, max
	if rng != "*" && rng != "?" {
		l, h, isRange := strings.Cut(rng, "-")
		var err error
		if lo, err = cronValue(l, min, max, names); err != nil {
			return 0, err
		}
		hi = lo
		if isRange {
			if hi, err = cronValue(h, min, max, names); err != nil {
				return 0, err
			}
		} else if hasStep {
			hi = max
		}
		if hi < lo {
			return 0, fmt.Errorf("beginning of range (%d) beyond end of range (%d): %s", lo, hi, part)
		}
	}
	var bits uint64
	for v := lo; v <= hi; v += every {
		bits |= 1 << uint(v)
	}
	return bits, nil
}

func cronValue(v string, min, max int, names map[string]int) (int, error) {
	if n, ok := names[strings.ToLower(v)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("failed to parse int from %s", v)
	}
	if n < min || n > max {
		return 0, fmt.Errorf("value (%d) out of range [%d, %d]", n, min, max)
	}
	return n, nil
}

// next returns the first time after t the schedule fires, in t's location,
// as robfig/cron's SpecSchedule.Next does; the zero time when there is none
// within five years.
func (c *cronSchedule) next(t time.Time) time.Time {
	loc := t.Location()
	t = t.Add(time.Second - time.Duration(t.Nanosecond())*time.Nanosecond)
	added := false
	yearLimit := t.Year() + 5
wrap:
	if t.Year() > yearLimit {
		return time.Time{}
	}
	for 1<<uint(t.Month())&c.month == 0 {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		}
		t = t.AddDate(0, 1, 0)
		if t.Month() == time.January {
			goto wrap
		}
	}
	for !c.dayMatches(t) {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		}
		t = t.AddDate(0, 0, 1)
		if t.Day() == 1 {
			goto wrap
		}
	}
	for 1<<uint(t.Hour())&c.hour == 0 {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc)
		}
		t = t.Add(time.Hour)
		if t.Hour() == 0 {
			goto wrap
		}
	}
	for 1<<uint(t.Minute())&c.minute == 0 {
		if !added {
			added = true
			t = t.Truncate(time.Minute)
		}
		t = t.Add(time.Minute)
		if t.Minute() == 0 {
			goto wrap
		}
	}
	for 1<<uint(t.Second())&c.second == 0 {
		if !added {
			added = true
			t = t.Truncate(time.Second)
		}
		t = t.Add(time.Second)
		if t.Second() == 0 {
			goto wrap
		}
	}
	return t
}

func (c *cronSchedule) dayMatches(t time.Time) bool {
	dom := 1<<uint(t.Day())&c.dom > 0
	dow := 1<<uint(t.Weekday())&c.dow > 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

// repositoryNameRe is Harbor's lib.RepositoryNameRe, used for dest_namespace.
var repositoryNameRe = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)

// Filter types and decorations of replication policies.
const (
	filterName     = "name"
	filterTag      = "tag"
	filterLabel    = "label"
	filterResource = "resource"
	decoMatches    = "matches"
	decoExcludes   = "excludes"
)

type filterJSON struct {
	Type       string `json:"type"`
	Value      any    `json:"value"`
	Decoration string `json:"decoration,omitempty"`
}

// validateFilter is Harbor's Filter.Validate (src/pkg/reg/model/policy.go):
// name, tag and resource take a string (resource "image" or "artifact"),
// label an array of strings; only tag and label take a decoration,
// "matches" or "excludes". Patterns are not checked: a bad one fails the
// execution.
func validateFilter(f filterJSON) error {
	switch f.Type {
	case filterName, filterTag, filterResource:
		v, ok := f.Value.(string)
		if !ok {
			return fmt.Errorf("the type of filter value isn't string")
		}
		if f.Type == filterResource && v != "image" && v != "artifact" {
			return fmt.Errorf("invalid resource filter: %s", v)
		}
		if (f.Type == filterName || f.Type == filterResource) && f.Decoration != "" {
			return fmt.Errorf("only tag and label filter support decoration")
		}
	case filterLabel:
		vs, ok := f.Value.([]any)
		if !ok {
			return fmt.Errorf("the type of label filter value isn't string slice")
		}
		for _, v := range vs {
			if _, ok := v.(string); !ok {
				return fmt.Errorf("the type of label filter value isn't string slice")
			}
		}
	default:
		return fmt.Errorf("invalid filter type")
	}
	if f.Decoration != "" && f.Decoration != decoMatches && f.Decoration != decoExcludes {
		return fmt.Errorf("invalid filter decoration, :%s", f.Decoration)
	}
	return nil
}

// match is Harbor's util.Match (src/pkg/reg/util/pattern.go): an empty
// pattern matches everything, else doublestar's Match ("*" within a path
// component, "**" across them, "?", "[0-9]", "{a,b}"). Harbor uses
// doublestar v1.3.4; v4 matches the same way.
func match(pattern, s string) (bool, error) {
	if pattern == "" {
		return true, nil
	}
	return doublestar.Match(pattern, s)
}

// replaceNamespace maps a source repository onto the destination namespace
// as Harbor does: replace count -1 (legacy) keeps only the last component,
// 0 prefixes the whole path, n drops the first n components.
func replaceNamespace(repository, namespace string, replaceCount int) (string, error) {
	if namespace == "" {
		return repository, nil
	}
	parts := strings.Split(repository, "/")
	n := len(parts)
	var prefix string
	switch {
	case replaceCount < 0:
		prefix = namespace
	case replaceCount > n-1:
		return "", fmt.Errorf("the source repository %q contains only %d path components %v excepting the last one, but the destination namespace flattening level is %d",
			repository, n-1, parts[:n-1], replaceCount)
	default:
		prefix = strings.TrimSuffix(namespace+"/"+strings.Join(parts[replaceCount:n-1], "/"), "/")
	}
	return prefix + "/" + parts[n-1], nil
}
