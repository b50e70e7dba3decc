package sandbox

import (
	"crypto/tls"
	"net/http"
	"time"
)

// insecureClient probes the self-signed health endpoints of the kube
// components on loopback.
var insecureClient = &http.Client{
	Timeout:   5 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback health checks of self-signed servers
}
