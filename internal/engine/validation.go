package engine

import (
	"errors"
	"fmt"
)

// Unknown reports whether the value of an argument, named by its dotted
// path (such as "control_plane.endpoint_host" or "worker_pools[1].name"), is
// not known yet: at plan time a value may depend on a resource not created
// yet. A nil Unknown knows every value.
type Unknown func(path string) bool

// Validation collects every piece of invalid input of a spec, each an
// *InvalidInputError naming its argument, and skips arguments whose values
// are unknown, so that a plan is checked as far as it is known without
// inventing placeholder values.
type Validation struct {
	unknown Unknown
	errs    []error
}

// NewValidation returns a Validation that skips what unknown reports.
func NewValidation(unknown Unknown) *Validation {
	return &Validation{unknown: unknown}
}

// Known reports whether the values of all paths are known.
func (v *Validation) Known(paths ...string) bool {
	if v.unknown == nil {
		return true
	}
	for _, p := range paths {
		if v.unknown(p) {
			return false
		}
	}
	return true
}

// Add records invalid input at path, unless path's value is unknown.
func (v *Validation) Add(path, format string, args ...any) {
	if !v.Known(path) {
		return
	}
	v.errs = append(v.errs, &InvalidInputError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// AddError records err, an *InvalidInputError, unless its path's value is
// unknown. Other errors are recorded as they are.
func (v *Validation) AddError(err error) {
	if err == nil {
		return
	}
	if in, ok := AsInvalidInput(err); ok && !v.Known(in.Path) {
		return
	}
	v.errs = append(v.errs, err)
}

// Err returns every recorded error joined (errors.As finds the first), or
// nil.
func (v *Validation) Err() error { return errors.Join(v.errs...) }

// InvalidInputs returns every *InvalidInputError in err, which may be a
// joined error of Validation.Err.
func InvalidInputs(err error) []*InvalidInputError {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*InvalidInputError
		for _, e := range joined.Unwrap() {
			out = append(out, InvalidInputs(e)...)
		}
		return out
	}
	if in, ok := AsInvalidInput(err); ok {
		return []*InvalidInputError{in}
	}
	return nil
}
