package sandbox_test

import (
	"errors"
	"syscall"
)

// processAlive reports whether pid exists (zombies of children count as gone
// once reaped by the sandbox's Wait goroutine).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
