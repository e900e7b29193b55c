package dialog

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Profile is what the business knows about the caller, so the bot can greet a loyal
// customer as one and mention what they are likely calling about.
type Profile struct {
	CustomerID   string            `json:"customer_id" yaml:"customer_id"`
	Name         string            `json:"name" yaml:"name"`
	Tier         string            `json:"tier" yaml:"tier"` // e.g. regular, gold, platinum
	TenureMonths int               `json:"tenure_months" yaml:"tenure_months"`
	Orders       int               `json:"orders" yaml:"orders"`
	OpenTickets  int               `json:"open_tickets" yaml:"open_tickets"`
	LastContact  time.Time         `json:"last_contact" yaml:"last_contact"`
	RenewalDue   time.Time         `json:"renewal_due,omitzero" yaml:"renewal_due"`
	KnownIssue   string            `json:"known_issue,omitempty" yaml:"known_issue"` // e.g. "your parcel is delayed at customs"
	Notes        map[string]string `json:"notes,omitempty" yaml:"notes"`
}

// ProfileSource finds a caller's profile by caller ID. A nil profile with a nil
// error means an unknown caller.
type ProfileSource interface {
	Lookup(ctx context.Context, callerID string) (*Profile, error)
}

// FileProfiles is a local YAML or JSON file of profiles keyed by caller ID, for
// small deployments and demos.
type FileProfiles struct {
	byCaller map[string]*Profile
}

// LoadProfiles reads a file mapping caller ID to profile (JSON or YAML).
func LoadProfiles(path string) (*FileProfiles, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read profiles: %w", err)
	}
	m := map[string]*Profile{}
	if err := yaml.Unmarshal(data, &m); err != nil { // YAML is a superset of JSON
		return nil, fmt.Errorf("parse profiles %s: %w", path, err)
	}
	return &FileProfiles{byCaller: m}, nil
}

// Lookup returns the profile for callerID or nil.
func (f *FileProfiles) Lookup(_ context.Context, callerID string) (*Profile, error) {
	return f.byCaller[callerID], nil
}

// WebhookProfiles asks a CRM over HTTP: GET URL?caller_id=ID, answered with a
// Profile as JSON (404 = unknown caller).
type WebhookProfiles struct {
	URL     string
	Timeout time.Duration // default 2 s: the caller is waiting
	Client  *http.Client
	Header  http.Header
}

// maxProfileBytes bounds a CRM answer.
const maxProfileBytes = 1 << 20

// Lookup calls the CRM. Errors wrap ErrProfile and say what went wrong; the call
// goes on without a profile.
func (w *WebhookProfiles) Lookup(ctx context.Context, callerID string) (*Profile, error) {
	to := w.Timeout
	if to <= 0 {
		to = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	u, err := url.Parse(w.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: bad CRM url %q: %v", ErrProfile, w.URL, err)
	}
	q := u.Query()
	q.Set("caller_id", callerID)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: build request: %v", ErrProfile, err)
	}
	for k, v := range w.Header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	cl := w.Client
	if cl == nil {
		cl = http.DefaultClient
	}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", ErrProfile, u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s: status %s", ErrProfile, u.Redacted(), resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProfileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read CRM answer: %v", ErrProfile, err)
	}
	if len(body) > maxProfileBytes {
		return nil, fmt.Errorf("%w: CRM answer larger than %d bytes", ErrProfile, maxProfileBytes)
	}
	var p Profile
	if err := json.Unmarshal(body, &p); err != nil {
		snip := strings.TrimSpace(string(body))
		if len(snip) > 80 {
			snip = snip[:80] + "…"
		}
		return nil, fmt.Errorf("%w: CRM answer is not a profile JSON object (%v): %q", ErrProfile, err, snip)
	}
	return &p, nil
}
