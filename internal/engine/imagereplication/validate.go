package imagereplication

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/mcplatform/terraform-provider-mc/internal/engine"
	"github.com/mcplatform/terraform-provider-mc/internal/engine/registry"
)

var (
	// namePattern is Harbor's rule for replication policy and project names.
	namePattern = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
)

// ParseID splits "<site>/<policy name>".
func ParseID(id string) (site, name string, err error) {
	site, name, ok := strings.Cut(id, "/")
	if !ok || site == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%q is not <site>/<policy name>", id)
	}
	return site, name, nil
}

// Validate checks a spec without talking to any backend; every error names
// the argument at fault, and all of them are returned, joined.
func Validate(s Spec) error { return ValidatePartial(s, nil) }

// ValidatePartial is Validate for a spec some of whose arguments are not
// known yet (at plan time): checks that need an unknown argument are
// skipped.
func ValidatePartial(s Spec, unknown engine.Unknown) error {
	v := engine.NewValidation(unknown)
	if len(s.Name) > 255 || !namePattern.MatchString(s.Name) {
		v.Add("name", "%q is not a valid replication name: use lower-case letters and digits, separated by single '.', '_' or '-'", s.Name)
	}
	if err := registry.ValidateName(s.SourceSite); err != nil {
		v.Add("source_site", "%v", err)
	}
	if err := registry.ValidateName(s.DestinationSite); err != nil {
		v.Add("destination_site", "%v", err)
	}
	if v.Known("source_site") && s.SourceSite == s.DestinationSite {
		v.Add("destination_site", "source and destination are both site %q: replicate between two sites", s.SourceSite)
	}
	if s.Direction != DirectionPull && s.Direction != DirectionPush {
		v.Add("direction", "%q is not pull or push", s.Direction)
	}
	if err := validatePattern(s.Filters.Name); err != nil {
		v.Add("filters.name", "%v", err)
	}
	if err := validatePattern(s.Filters.Tag); err != nil {
		v.Add("filters.tag", "%v", err)
	}
	switch s.Filters.ResourceType {
	case "", "image", "artifact":
	default:
		v.Add("filters.resource_type", "%q is not image or artifact", s.Filters.ResourceType)
	}
	for _, l := range s.Filters.Labels {
		if strings.TrimSpace(l) == "" {
			v.Add("filters.labels", "labels must not be empty")
			break
		}
	}
	if v.Known("trigger.type") {
		switch s.Trigger.Type {
		case TriggerManual, TriggerEventBased:
			if s.Trigger.Cron != "" {
				v.Add("trigger.cron", "a cron only applies to a scheduled trigger")
			}
		case TriggerScheduled:
			if err := ValidateCron(s.Trigger.Cron); err != nil {
				v.Add("trigger.cron", "%v", err)
			}
		default:
			v.Add("trigger.type", "%q is not manual, scheduled or event_based", s.Trigger.Type)
		}
	}
	if v.Known("trigger.type") && v.Known("direction") && s.Trigger.Type == TriggerEventBased && s.Direction == DirectionPull {
		v.Add("trigger.type", "an event_based trigger never fires with direction pull: Harbor offers only manual and scheduled triggers "+
			"for a remote source, since it sees no events of the other Harbor; use a scheduled trigger, or direction push")
	}
	if sp := s.Settings.Speed; sp != nil && *sp < 0 {
		v.Add("speed", "speed %d is negative: give a limit in KB/s, or 0 for none", *sp)
	}
	if rc := s.Settings.DestinationNamespaceReplaceCount; rc != nil && *rc < -1 {
		v.Add("destination_namespace_replace_count", "%d is not -1 (replace the whole path), 0 (keep it) or a positive number of path components", *rc)
	}
	if sa := s.Settings.SingleActiveReplication; sa != nil && *sa && v.Known("trigger.type") && s.Trigger.Type == TriggerEventBased {
		v.Add("single_active_replication", "Harbor refuses single active replication with an event_based trigger")
	}
	if s.DestinationNamespace != "" && !namePattern.MatchString(s.DestinationNamespace) {
		v.Add("destination_namespace", "%q is not a Harbor project name", s.DestinationNamespace)
	}
	return v.Err()
}

// WithDefaults returns s with its unset arguments at their defaults: pull,
// and a manual trigger. Both front-ends default to these.
func WithDefaults(s Spec) Spec {
	if s.Direction == "" {
		s.Direction = DirectionPull
	}
	if s.Trigger.Type == "" {
		s.Trigger.Type = TriggerManual
	}
	return s
}

func validatePattern(p string) error {
	if strings.ContainsAny(p, " \t") {
		return fmt.Errorf("pattern %q contains white space", p)
	}
	depth, inClass := 0, false
	for _, r := range p {
		switch {
		case r == '[' && !inClass:
			inClass = true
		case r == ']' && inClass:
			inClass = false
		case r == '{' && !inClass:
			depth++
		case r == '}' && !inClass:
			depth--
			if depth < 0 {
				return fmt.Errorf("pattern %q has an unopened '}'", p)
			}
		}
	}
	if inClass {
		return fmt.Errorf("pattern %q has an unclosed '['", p)
	}
	if depth != 0 {
		return fmt.Errorf("pattern %q has an unclosed '{'", p)
	}
	// Harbor matches with doublestar, which refuses what else is malformed,
	// such as a trailing '\\'; the execution would fail.
	if !doublestar.ValidatePattern(p) {
		return fmt.Errorf("pattern %q is not a valid doublestar pattern (check '\\' escapes and '[...]' classes)", p)
	}
	return nil
}

// cronFields are the fields of a Harbor schedule with the values each
// takes (Harbor parses them with robfig/cron: seconds first, month and day
// names in English, case-insensitive).
var cronFields = []struct {
	name     string
	min, max int
	names    []string // names of min, min+1, ...
}{
	{"seconds", 0, 59, nil},
	{"minutes", 0, 59, nil},
	{"hours", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 6, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// ValidateCron checks a Harbor replication schedule: 6 fields (seconds
// first), each a comma-separated list of '*' or '?', a value or a range
// a-b, each optionally with a step /n, and every value within its field's
// range (seconds and minutes 0-59, hours 0-23, day of month 1-31, month
// 1-12 or JAN-DEC, day of week 0-6 or SUN-SAT), as Harbor's parser checks.
// Harbor also wants the seconds field to be 0 and no '*' in the minutes
// field.
func ValidateCron(c string) error {
	fields := strings.Fields(c)
	if len(fields) != 6 {
		return fmt.Errorf("cron %q has %d fields, want 6 with seconds first, such as \"0 0 2 * * *\"", c, len(fields))
	}
	for i, f := range fields {
		if err := checkCronField(f, i); err != nil {
			return fmt.Errorf("cron %q: field %d (%s) %q: %v", c, i+1, cronFields[i].name, f, err)
		}
	}
	if fields[0] != "0" {
		return fmt.Errorf("cron %q: Harbor wants the seconds field (the first) to be 0", c)
	}
	if fields[1] == "*" {
		return fmt.Errorf("cron %q would run every minute: Harbor refuses '*' in the minutes field", c)
	}
	return nil
}

// checkCronField checks field i of a schedule.
func checkCronField(f string, i int) error {
	spec := cronFields[i]
	value := func(s string) (int, error) {
		for j, n := range spec.names {
			if strings.EqualFold(s, n) {
				return spec.min + j, nil
			}
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", s)
		}
		if n < spec.min || n > spec.max {
			return 0, fmt.Errorf("%d is not in %d-%d", n, spec.min, spec.max)
		}
		return n, nil
	}
	for _, item := range strings.Split(f, ",") {
		rng, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n < 1 {
				return fmt.Errorf("step %q is not a positive number", step)
			}
		}
		if rng == "*" || rng == "?" {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, err := value(lo)
		if err != nil {
			return err
		}
		if isRange {
			b, err := value(hi)
			if err != nil {
				return err
			}
			if a > b {
				return fmt.Errorf("range %s goes backwards", rng)
			}
		}
	}
	return nil
}
