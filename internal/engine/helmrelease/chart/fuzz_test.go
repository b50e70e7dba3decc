package chart

import "testing"

// FuzzCanonicalValues checks that canonical values are canonical: never a
// panic, and the canonical form of a canonical form is itself, so that a
// plan never shows values that only differ in form as a change.
func FuzzCanonicalValues(f *testing.F) {
	for _, seed := range []string{
		"", "a: 1\n", "b: 2\na: 1\n", "{a: {c: [1, 2], b: x}}", "- 1\n", "a: &x 1\nb: *x\n", "a: 1e3\nb: 0x10\nc: yes\n",
		"\"a\": '1'\n", "a:\n  - b: null\n", "a: 2024-01-01\n", "? [a]\n: 1\n", "a: !!binary aGk=\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, values string) {
		c, err := CanonicalValues(values)
		if err != nil {
			return
		}
		again, err := CanonicalValues(c)
		if err != nil {
			t.Fatalf("CanonicalValues(%q) = %q, which does not parse again: %v", values, c, err)
		}
		if again != c {
			t.Fatalf("CanonicalValues(%q) = %q, but CanonicalValues of that = %q", values, c, again)
		}
	})
}
