package ari

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/calmline/calmline/telephony"
	"github.com/calmline/calmline/telephony/rtp"
)

// Config connects calmline to one Asterisk. Zero fields get the defaults
// documented on each.
type Config struct {
	// URL of ARI, e.g. "http://127.0.0.1:8088/ari" (required).
	URL string
	// User and Password of an ari.conf user (required).
	User, Password string
	// App is the Stasis application name the dialplan sends calls to; default "calmline".
	App string

	// RTPHost is the address Asterisk sends ExternalMedia audio to (calmline's
	// address or host name as Asterisk sees it); default 127.0.0.1.
	RTPHost string
	// RTPBind is the local address the RTP sockets listen on; default RTPHost
	// (use 0.0.0.0 in a container whose address Asterisk reaches by NAT/DNS).
	RTPBind string
	// RTPPorts is the UDP port range for ExternalMedia, inclusive; {0,0} picks
	// any free port (fine on one host; fix a range for firewalls and compose).
	RTPPorts [2]int
	// Format is the ExternalMedia codec: rtp.CodecPCMU (ulaw, the default) or
	// rtp.CodecPCMA (alaw). Not slin16: a UnicastRTP channel has no SDP, so
	// Asterisk (checked on 22.9) decodes only static RTP payload types on
	// receive and silently drops slin16's dynamic type 118 — calmline would
	// hear the caller but the caller would never hear calmline.
	Format rtp.Codec

	// Queues maps a queue name to the experts it rings; Transfer uses them when
	// the flow gives no endpoints of its own.
	Queues map[string]Queue

	// SupervisorPINs maps a PIN (digits) to the supervisor's name, which the
	// audit log records.
	SupervisorPINs map[string]string

	// RequestTimeout bounds each REST request; default 5 s.
	RequestTimeout time.Duration
	// RingFor is the default ring time per expert endpoint; default 20 s.
	RingFor time.Duration
	// ReconnectMin and ReconnectMax bound the exponential reconnect backoff;
	// defaults 500 ms and 30 s.
	ReconnectMin, ReconnectMax time.Duration
}

// Queue is a list of expert endpoints rung in order.
type Queue struct {
	Endpoints []string      // e.g. "PJSIP/expert1"
	RingFor   time.Duration // per endpoint; default Config.RingFor
}

// Handler runs one call. ctx is cancelled when the caller leaves Stasis
// (hangup); the handler returns when it is done with the call.
type Handler func(ctx context.Context, leg telephony.Leg)

// Option configures an App beyond its Config.
type Option func(*App)

// WithLogger sets the logger; default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(a *App) { a.log = l } }

// WithDirectory lets supervisors pick calls by the numbers and urgency the
// rest of calmline knows; without it the App lists its own calls (numbered
// in arrival order, urgency 0).
func WithDirectory(d Directory) Option { return func(a *App) { a.dir = d } }

// WithAuditor records every supervisor listen-in; without it listen-ins are
// only logged.
func WithAuditor(au Auditor) Option { return func(a *App) { a.audit = au } }

// WithRegistry registers the App's metrics (calls, reconnects, events, REST
// errors, RTP drops) on reg.
func WithRegistry(reg prometheus.Registerer) Option { return func(a *App) { a.reg = reg } }

func (c Config) withDefaults() (Config, error) {
	if c.URL == "" {
		return c, fmt.Errorf("%w: URL is required", ErrConfig)
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("%w: URL %q must be http(s)://host:port/ari", ErrConfig, c.URL)
	}
	c.URL = strings.TrimRight(c.URL, "/")
	if c.User == "" {
		return c, fmt.Errorf("%w: User is required", ErrConfig)
	}
	if c.App == "" {
		c.App = "calmline"
	}
	if c.RTPHost == "" {
		c.RTPHost = "127.0.0.1"
	}
	if c.RTPBind == "" {
		c.RTPBind = c.RTPHost
		if _, err := netip.ParseAddr(c.RTPHost); err != nil {
			c.RTPBind = "0.0.0.0" // RTPHost is a name: listen everywhere
		}
	}
	if _, err := netip.ParseAddr(c.RTPBind); err != nil {
		return c, fmt.Errorf("%w: RTPBind %q is not an IP address", ErrConfig, c.RTPBind)
	}
	switch c.Format {
	case rtp.CodecUnknown:
		c.Format = rtp.CodecPCMU
	case rtp.CodecPCMU, rtp.CodecPCMA:
	default:
		return c, fmt.Errorf("%w: Format %v: Asterisk's ExternalMedia channel only receives static RTP payload types; use ulaw or alaw", ErrConfig, c.Format)
	}
	if c.RTPPorts[0] < 0 || c.RTPPorts[1] > 65535 || c.RTPPorts[1] < c.RTPPorts[0] {
		return c, fmt.Errorf("%w: RTPPorts %v", ErrConfig, c.RTPPorts)
	}
	for pin := range c.SupervisorPINs {
		if pin == "" || strings.Trim(pin, "0123456789") != "" {
			return c, fmt.Errorf("%w: supervisor PIN %q must be digits", ErrConfig, pin)
		}
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 5 * time.Second
	}
	if c.RingFor <= 0 {
		c.RingFor = 20 * time.Second
	}
	if c.ReconnectMin <= 0 {
		c.ReconnectMin = 500 * time.Millisecond
	}
	if c.ReconnectMax < c.ReconnectMin {
		c.ReconnectMax = 30 * time.Second
		if c.ReconnectMax < c.ReconnectMin {
			c.ReconnectMax = c.ReconnectMin
		}
	}
	return c, nil
}
