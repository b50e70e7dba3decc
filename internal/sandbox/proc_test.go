package sandbox_test

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// processAlive reports whether pid runs; a zombie counts as gone. It allows
// a moment for the test process to reap its children.
func processAlive(pid int) bool {
	for range 20 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		s := string(b)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
