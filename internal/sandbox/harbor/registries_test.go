package harborsim

import (
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// remoteHarbor starts a simulated Harbor with a registry behind it (a stub
// answering 200 on /v2/) over plain HTTP, and the same Harbor over TLS with
// a certificate no one trusts.
func remoteHarbor(t *testing.T) (plain, tlsURL string) {
	t.Helper()
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(reg.Close)
	remote := New(Options{AdminPassword: "Remote-pw1", Registry: Endpoint{URL: reg.URL}})
	t.Cleanup(remote.Close)
	p := httptest.NewServer(remote)
	t.Cleanup(p.Close)
	s := httptest.NewTLSServer(remote)
	t.Cleanup(s.Close)
	return p.URL, s.URL
}

func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

func TestRegistryHealthCheck(t *testing.T) {
	plain, tlsURL := remoteHarbor(t)
	unreachable := closedURL(t)
	s := New(Options{})
	defer s.Close()
	reg := func(name, url, typ string, insecure bool, user, pass string) string {
		return `{"name":"` + name + `","url":"` + url + `","type":"` + typ + `","insecure":` + map[bool]string{true: "true", false: "false"}[insecure] +
			`,"credential":{"type":"basic","access_key":"` + user + `","access_secret":"` + pass + `"}}`
	}
	tests := []struct {
		name, body  string
		status      int
		code, words string
	}{
		{"healthy", reg("ok", plain, "harbor", false, "admin", "Remote-pw1"), 201, "", ""},
		{"wrong password", reg("wrong", plain, "harbor", false, "admin", "nope"), 400, codeBadRequest, "the registry is unhealthy"},
		{"unreachable", reg("down", unreachable, "harbor", false, "admin", "Remote-pw1"), 500, codeUnknown, "internal server error"},
		{"untrusted certificate, harbor", reg("tls", tlsURL, "harbor", false, "admin", "Remote-pw1"), 500, codeUnknown, "internal server error"},
		{"untrusted certificate, insecure", reg("tls-insecure", tlsURL, "harbor", true, "admin", "Remote-pw1"), 201, "", ""},
		{"untrusted certificate, registry", reg("tls-registry", tlsURL, "docker-registry", false, "admin", "Remote-pw1"), 400, codeBadRequest, "the registry is unhealthy"},
		{"name of 65 characters", reg(strings.Repeat("n", 65), plain, "harbor", false, "admin", "Remote-pw1"), 400, codeBadRequest, "the max length of name is 64"},
		{"name of 64 characters", reg(strings.Repeat("n", 64), plain, "harbor", false, "admin", "Remote-pw1"), 201, "", ""},
		{"empty name", reg("", plain, "harbor", false, "admin", "Remote-pw1"), 400, codeBadRequest, "name cannot be empty"},
		{"bad scheme", reg("ftp", "ftp://x", "harbor", false, "admin", "Remote-pw1"), 400, codeBadRequest, "invalid HTTP scheme: ftp"},
		{"unknown type", reg("nexus", plain, "nexus", false, "admin", "Remote-pw1"), 500, codeUnknown, "internal server error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := call(t, s, "POST", "/api/v2.0/registries", tt.body, false)
			if status != tt.status {
				t.Fatalf("POST /registries = %d %s, want %d", status, body, tt.status)
			}
			if tt.code != "" && (errorCode(t, body) != tt.code || !strings.Contains(body, tt.words)) {
				t.Fatalf("body = %s, want %s %q", body, tt.code, tt.words)
			}
		})
	}
	// A URL without a scheme gets http:// prepended.
	noScheme := strings.TrimPrefix(plain, "http://")
	status, h, body := call(t, s, "POST", "/api/v2.0/registries", reg("no-scheme", noScheme+"/", "harbor", false, "admin", "Remote-pw1"), false)
	if status != 201 {
		t.Fatalf("POST without scheme = %d %s", status, body)
	}
	_, _, body = call(t, s, "GET", h.Get("Location"), "", false)
	if !strings.Contains(body, `"url":"`+plain+`"`) {
		t.Fatalf("registry = %s, want url %s", body, plain)
	}
	// PUT checks the result again: a wrong password is refused, and the
	// stored registry stays as it was.
	status, _, body = call(t, s, "PUT", "/api/v2.0/registries/1", `{"access_secret":"nope"}`, false)
	if status != 400 || !strings.Contains(body, "the registry is unhealthy") {
		t.Fatalf("PUT wrong password = %d %s, want 400 unhealthy", status, body)
	}
	if status, _, body = call(t, s, "PUT", "/api/v2.0/registries/1", `{"url":"`+unreachable+`"}`, false); status != 500 {
		t.Fatalf("PUT unreachable = %d %s, want 500", status, body)
	}
	if status, _, body = call(t, s, "PUT", "/api/v2.0/registries/1", `{"name":"`+strings.Repeat("n", 65)+`"}`, false); status != 400 {
		t.Fatalf("PUT long name = %d %s, want 400", status, body)
	}
	if status, _, body = call(t, s, "PUT", "/api/v2.0/registries/1", `{"description":"d"}`, false); status != 200 {
		t.Fatalf("PUT description = %d %s, want 200", status, body)
	}
	// Ping: by id, with fields laid over it.
	for _, tt := range []struct {
		body   string
		status int
	}{
		{`{"id":1}`, 200},
		{`{"id":1,"access_secret":"nope"}`, 400},
		{`{"id":99}`, 404},
		{`{"type":"harbor","url":"` + unreachable + `"}`, 500},
		{`{"type":"harbor"}`, 400},
		{`{"type":"harbor","url":"` + tlsURL + `","insecure":true,"access_key":"admin","access_secret":"Remote-pw1"}`, 200},
	} {
		if status, _, body := call(t, s, "POST", "/api/v2.0/registries/ping", tt.body, false); status != tt.status {
			t.Errorf("ping %s = %d %s, want %d", tt.body, status, body, tt.status)
		}
	}
}

func TestAPIVersion(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	status, _, body := call(t, s, "GET", "/api/version", "", true)
	if status != 200 || strings.TrimSpace(body) != `{"version":"v2.0"}` {
		t.Fatalf("GET /api/version = %d %s", status, body)
	}
}

func TestRegistryInfoTriggers(t *testing.T) {
	s := New(Options{Pinger: healthy})
	defer s.Close()
	call(t, s, "POST", "/api/v2.0/registries", `{"name":"hub","url":"https://hub.example","type":"harbor"}`, false)
	call(t, s, "POST", "/api/v2.0/registries", `{"name":"dist","url":"https://dist.example","type":"docker-registry"}`, false)
	for target, want := range map[string]string{
		"/api/v2.0/registries/0/info": `"supported_triggers":["manual","scheduled","event_based"]`,
		"/api/v2.0/registries/1/info": `"supported_triggers":["manual","scheduled"]`,
		"/api/v2.0/registries/2/info": `"supported_triggers":["manual","scheduled"]`,
	} {
		status, _, body := call(t, s, "GET", target, "", false)
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d %s, want %s", target, status, body, want)
		}
	}
	if status, _, _ := call(t, s, "GET", "/api/v2.0/registries/9/info", "", false); status != 404 {
		t.Errorf("GET unknown registry info = %d, want 404", status)
	}
}

func TestRegistryCredentialStored(t *testing.T) {
	s := New(Options{Pinger: healthy})
	defer s.Close()
	for _, tt := range []struct{ body, want string }{
		{`{"name":"a","url":"https://a.example","type":"harbor","credential":{"access_key":"robot$a","access_secret":"pw"}}`,
			`"credential":{"type":"basic","access_key":"robot$a","access_secret":"*****"}`},
		{`{"name":"b","url":"https://b.example","type":"harbor","credential":{"type":"oauth","access_key":"k","access_secret":"pw"}}`,
			`"credential":{"type":"oauth","access_key":"k","access_secret":"*****"}`},
		// No access key: Harbor stores no credential.
		{`{"name":"c","url":"https://c.example","type":"harbor","credential":{"type":"basic","access_secret":"pw"}}`,
			`"credential":{}`},
	} {
		status, h, body := call(t, s, "POST", "/api/v2.0/registries", tt.body, false)
		if status != 201 {
			t.Fatalf("POST = %d %s", status, body)
		}
		if _, _, body = call(t, s, "GET", h.Get("Location"), "", false); !strings.Contains(body, tt.want) {
			t.Errorf("registry = %s, want %s", body, tt.want)
		}
	}
}

func TestRegistryCACertificate(t *testing.T) {
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer reg.Close()
	remote := New(Options{AdminPassword: "Remote-pw1", Registry: Endpoint{URL: reg.URL}})
	defer remote.Close()
	srv := httptest.NewTLSServer(remote)
	defer srv.Close()
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	caJSON, _ := json.Marshal(ca)
	body := func(name, ca string) string {
		return `{"name":"` + name + `","url":"` + srv.URL + `","type":"harbor","ca_certificate":` + ca +
			`,"credential":{"access_key":"admin","access_secret":"Remote-pw1"}}`
	}
	for _, tt := range []struct {
		version, name, ca string
		status            int
	}{
		{"v2.15.2", "trusted", string(caJSON), 201},
		{"v2.15.2", "garbage", `"not a certificate"`, 400},
		// Before v2.15 the field is ignored: the certificate is not trusted.
		{"v2.14.3", "ignored", string(caJSON), 500},
	} {
		s := New(Options{Version: tt.version})
		status, h, b := call(t, s, "POST", "/api/v2.0/registries", body(tt.name, tt.ca), false)
		if status != tt.status {
			t.Errorf("%s %s: POST = %d %s, want %d", tt.version, tt.name, status, b, tt.status)
		}
		if status == 201 {
			if _, _, b = call(t, s, "GET", h.Get("Location"), "", false); !strings.Contains(b, `"ca_certificate":"-----BEGIN CERTIFICATE-----`) {
				t.Errorf("registry = %s, want its ca_certificate", b)
			}
		}
		s.Close()
	}
}
