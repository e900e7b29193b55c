package webrtc

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// Config is what an operator sets for browser calls. The zero value works on one
// machine: host candidates only, any UDP port, 32 pending offers, 20 s to connect.
type Config struct {
	// ICEServers are STUN/TURN URLs ("stun:stun.example.org:3478",
	// "turn:turn.example.org:3478?transport=udp"); needed when callers sit behind NAT.
	// The same list is handed to the browser pages by GET /v1/webrtc/config.
	ICEServers []string `yaml:"ice_servers" json:"ice_servers"`
	// ICEUsername and ICECredential are the TURN credentials used with turn: URLs.
	ICEUsername   string `yaml:"ice_username" json:"-"`
	ICECredential string `yaml:"ice_credential" json:"-"`
	// UDPPortMin/UDPPortMax bound the UDP ports ICE uses, so a firewall can open just that range.
	// Both zero means any ephemeral port.
	UDPPortMin uint16 `yaml:"udp_port_min" json:"udp_port_min"`
	UDPPortMax uint16 `yaml:"udp_port_max" json:"udp_port_max"`
	// MaxPending caps offers that have been answered but not yet connected; beyond it
	// POST /v1/webrtc/offer answers 503, so a flood of offers cannot exhaust ports and memory.
	MaxPending int `yaml:"max_pending" json:"max_pending"`
	// ConnectTimeout is how long an answered peer may take to connect before it is dropped.
	ConnectTimeout time.Duration `yaml:"connect_timeout" json:"connect_timeout"`
	// PublicIP, when set, replaces the host candidates' address in answers: for a server
	// behind a 1:1 NAT (cloud VM with an elastic IP).
	PublicIP string `yaml:"public_ip" json:"public_ip"`
	// HostIPs, when set, restricts host candidates to these local addresses; listing a
	// loopback address (127.0.0.1) allows loopback candidates, for tests and local demos.
	HostIPs []string `yaml:"host_ips" json:"host_ips"`
}

// Defaults for zero Config fields.
const (
	DefaultMaxPending     = 32
	DefaultConnectTimeout = 20 * time.Second
	DefaultRingFor        = 20 * time.Second
)

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.MaxPending < 0 {
		return c, fmt.Errorf("%w: max_pending %d < 0", ErrConfig, c.MaxPending)
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ConnectTimeout < 0 {
		return c, fmt.Errorf("%w: connect_timeout %v < 0", ErrConfig, c.ConnectTimeout)
	}
	if (c.UDPPortMin == 0) != (c.UDPPortMax == 0) || c.UDPPortMin > c.UDPPortMax {
		return c, fmt.Errorf("%w: udp port range %d-%d (set both, min <= max)", ErrConfig, c.UDPPortMin, c.UDPPortMax)
	}
	for _, u := range c.ICEServers {
		if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") &&
			!strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			return c, fmt.Errorf("%w: ice server %q is not a stun:/turn: URL", ErrConfig, u)
		}
	}
	if c.PublicIP != "" && net.ParseIP(c.PublicIP) == nil {
		return c, fmt.Errorf("%w: public_ip %q is not an IP address", ErrConfig, c.PublicIP)
	}
	for _, ip := range c.HostIPs {
		if net.ParseIP(ip) == nil {
			return c, fmt.Errorf("%w: host_ips entry %q is not an IP address", ErrConfig, ip)
		}
	}
	return c, nil
}
