//go:build platform

package sandbox_test

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// processAlive reports whether pid still runs a second after it was asked
// to stop; a zombie counts as gone. The second is for the test process to
// reap its children: pid is polled until it is gone or the second is over.
func processAlive(pid int) bool {
	deadline := time.After(time.Second)
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		s := string(b)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
			return false
		}
		select {
		case <-deadline:
			return true
		case <-poll.C:
		}
	}
}
