package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/calmline/calmline/telephony"
)

// Webhook is one CRM or ticket-system endpoint that wants call events.
type Webhook struct {
	URL    string
	Events []string // event types to send; empty = all
}

// Subscriber is where webhooks get their events (call.Hub).
type Subscriber interface {
	Subscribe(callID string, buffer int) (<-chan telephony.Event, func())
}

// Webhooks posts call events to CRM/ticket systems. Each body is signed with
// HMAC-SHA256 over "<timestamp>.<body>" in the X-Calmline-Signature header, so the
// receiver can reject forged or replayed calls. A slow or failing receiver gets a few
// retries with backoff and never delays a call: events wait in a bounded queue.
type Webhooks struct {
	hooks   []Webhook
	secret  []byte
	client  *http.Client
	log     *slog.Logger
	retries int
	backoff time.Duration
}

// NewWebhooks prepares delivery; Run starts it.
func NewWebhooks(hooks []Webhook, secret string, log *slog.Logger) *Webhooks {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Webhooks{
		hooks: hooks, secret: []byte(secret), log: log, retries: 3, backoff: 500 * time.Millisecond,
		client: &http.Client{Timeout: 5 * time.Second},
	}
}

// Run delivers events from sub until ctx ends. One goroutine per endpoint keeps a
// slow receiver from holding up the others.
func (w *Webhooks) Run(ctx context.Context, sub Subscriber) {
	done := make(chan struct{})
	for _, h := range w.hooks {
		evs, cancel := sub.Subscribe("", 1024)
		go func() {
			defer func() { done <- struct{}{} }()
			defer cancel()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-evs:
					if !ok {
						return
					}
					if wants(h, ev.Type) {
						w.deliver(ctx, h, ev)
					}
				}
			}
		}()
	}
	for range w.hooks {
		<-done
	}
}

func wants(h Webhook, typ string) bool {
	if len(h.Events) == 0 {
		return true
	}
	for _, e := range h.Events {
		if e == typ {
			return true
		}
	}
	return false
}

func (w *Webhooks) deliver(ctx context.Context, h Webhook, ev telephony.Event) {
	body, err := json.Marshal(ev)
	if err != nil {
		w.log.Error("encode webhook event", "type", ev.Type, "err", err)
		return
	}
	wait := w.backoff
	for attempt := 1; ; attempt++ {
		err := w.post(ctx, h.URL, body)
		if err == nil {
			return
		}
		if attempt > w.retries || ctx.Err() != nil {
			w.log.Warn("webhook delivery failed", "url", h.URL, "type", ev.Type, "call", ev.CallID, "attempts", attempt, "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (w *Webhooks) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Calmline-Timestamp", ts)
	if len(w.secret) > 0 {
		req.Header.Set("X-Calmline-Signature", "sha256="+Sign(w.secret, ts, body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("post: receiver answered %s", resp.Status)
	}
	return nil
}

// Sign computes the webhook signature a receiver recomputes to verify a delivery.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
