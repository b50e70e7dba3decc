package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/mcplatform/terraform-provider-mc/internal/notify"
)

// webhookHMACEnv names the environment variable holding the HMAC secret
// the webhook receiver verifies signatures with (never a flag: it would
// show in ps).
const webhookHMACEnv = "MC_SANDBOX_WEBHOOK_HMAC"

// webhookReceiver runs `mc-sandbox webhook-receiver`: a webhook receiver of
// notification channels for the demo. It listens on --addr, writes its URL
// to --url-file once it listens, verifies each notice's X-MC-Signature
// with $MC_SANDBOX_WEBHOOK_HMAC (when set; 401 otherwise), and appends
// every notice it accepts to --out as one JSON line with its delivery id.
// It runs until SIGINT or SIGTERM.
func webhookReceiver(args []string) error {
	fs := flag.NewFlagSet("webhook-receiver", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	out := fs.String("out", "", "file the accepted notices are appended to, one JSON object a line (required)")
	urlFile := fs.String("url-file", "", "file the receiver's URL is written to once it listens")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("webhook-receiver needs --out")
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	secret := os.Getenv(webhookHMACEnv)
	var mu sync.Mutex
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST a notice", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		if secret != "" && !notify.Verify(secret, body, r.Header.Get(notify.HeaderSignature)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var n notify.Notice
		if err := json.Unmarshal(body, &n); err != nil {
			http.Error(w, "the body is not a notice", http.StatusBadRequest)
			return
		}
		line, _ := json.Marshal(struct {
			Delivery string `json:"delivery"`
			notify.Notice
		}{r.Header.Get(notify.HeaderDelivery), n})
		mu.Lock()
		_, err = f.Write(append(line, '\n'))
		mu.Unlock()
		if err != nil {
			http.Error(w, "cannot record the notice", http.StatusInternalServerError)
			return
		}
		fmt.Printf("%s %s %s: %s\n", n.Event, n.Kind, n.Name, n.Message)
		w.WriteHeader(http.StatusNoContent)
	})
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "http://" + l.Addr().String() + "/notices"
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile, []byte(url+"\n"), 0o600); err != nil {
			return err
		}
	}
	fmt.Printf("webhook receiver listening at %s\n", url)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
