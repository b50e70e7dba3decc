package main

import (
	"os"
	"testing"
)

// TestQuietUnlessAsked checks that logs are turned off only when no TF_LOG
// variable asks for them.
func TestQuietUnlessAsked(t *testing.T) {
	for _, tc := range []struct {
		name  string
		env   map[string]string
		quiet bool
	}{
		{"nothing asked", nil, true},
		{"only a log path", map[string]string{"TF_LOG_PATH": "/tmp/tf.log"}, true},
		{"TF_LOG", map[string]string{"TF_LOG": "TRACE"}, false},
		{"provider logs", map[string]string{"TF_LOG_PROVIDER": "DEBUG"}, false},
		{"framework logs", map[string]string{"TF_LOG_SDK_FRAMEWORK": "TRACE"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range []string{"TF_LOG", "TF_LOG_PATH", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_PROTO"} {
				t.Setenv(name, tc.env[name])
			}
			quietUnlessAsked()
			if got := os.Getenv("TF_LOG_SDK") == "OFF" && os.Getenv("TF_LOG_PROVIDER") == "OFF"; got != tc.quiet {
				t.Errorf("quietUnlessAsked() turned logs off = %v, want %v", got, tc.quiet)
			}
		})
	}
}
