package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// rest is calmline's ARI REST transport. ari/v5's native client sends its
// requests without a context or deadline (client/native/request.go uses a
// zero http.Client and decodes the body before looking at the status), so
// calmline keeps the ari/v5 types (events, ChannelData, ExternalMediaOptions,
// SnoopOptions, OriginateRequest) and sends them itself: every request has a
// deadline, and a refusal comes back as a RequestError with Asterisk's
// message.
type rest struct {
	base    string
	user    string
	pass    string
	hc      *http.Client
	timeout time.Duration
}

// newREST gives the App its own connection pool, so Run can close the
// keep-alive connections it opened when it returns (with the shared default
// transport they would outlive the App, holding a socket and two goroutines
// each: found against a real Asterisk, whose HTTP server keeps them open).
func newREST(cfg Config) *rest {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &rest{base: cfg.URL, user: cfg.User, pass: cfg.Password, hc: &http.Client{Transport: tr}, timeout: cfg.RequestTimeout}
}

// close drops the idle keep-alive connections.
func (r *rest) close() { r.hc.CloseIdleConnections() }

// do sends one request: parameters in the query string, body (if any) as
// JSON (Asterisk reads "variables" from the body), out decoded from a 2xx
// answer when non-nil.
func (r *rest) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	u := r.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("ari: %s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("ari: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(r.user, r.pass)
	resp, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("ari: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("ari: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var m struct {
			Message string `json:"message"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &m) == nil && m.Message != "" {
			msg = m.Message
		}
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return &RequestError{Method: method, Path: path, Status: resp.StatusCode, Message: msg}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("ari: %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

func esc(s string) string { return url.PathEscape(s) }
