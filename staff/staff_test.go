package staff

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func hash(t *testing.T, pw string) []byte {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newAuth(t *testing.T, c *clock) *Auth {
	t.Helper()
	a, err := New([]Account{
		{Name: "lin", Role: RoleSupervisor, Hash: hash(t, "supervisor-pw")},
		{Name: "amy", Role: RoleAgent, Hash: hash(t, "agent-pw-123")},
	}, Options{TTL: time.Hour, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRoleRoundTrip(t *testing.T) {
	for _, r := range []Role{RoleAgent, RoleSupervisor} {
		got, err := ParseRole(r.String())
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %v, %v", r.String(), got, err)
		}
	}
	if _, err := ParseRole("admin"); err == nil {
		t.Error("ParseRole(admin) accepted")
	}
	if RoleUnknown.String() != "unknown" || Role(9).String() != "Role(9)" {
		t.Errorf("String: %q %q", RoleUnknown, Role(9))
	}
}

func TestRoleAllows(t *testing.T) {
	tests := []struct {
		have, need Role
		want       bool
	}{
		{RoleSupervisor, RoleAgent, true},
		{RoleSupervisor, RoleSupervisor, true},
		{RoleAgent, RoleAgent, true},
		{RoleAgent, RoleSupervisor, false},
		{RoleUnknown, RoleAgent, false},
		{RoleSupervisor, RoleUnknown, false},
	}
	for _, tt := range tests {
		if got := tt.have.Allows(tt.need); got != tt.want {
			t.Errorf("%v.Allows(%v) = %v", tt.have, tt.need, got)
		}
	}
}

func TestLoginAndSession(t *testing.T) {
	c := &clock{time.Unix(1_700_000_000, 0)}
	a := newAuth(t, c)
	tok, id, err := a.Login("lin", "supervisor-pw")
	if err != nil || id.Name != "lin" || id.Role != RoleSupervisor || len(tok) < 40 {
		t.Fatalf("Login = %q %+v %v", tok, id, err)
	}
	tok2, _, _ := a.Login("lin", "supervisor-pw")
	if tok2 == tok {
		t.Error("two sign-ins got the same token")
	}
	if got, err := a.Session(tok); err != nil || got != id {
		t.Errorf("Session = %+v %v", got, err)
	}
	// Use keeps it alive; idleness past the TTL ends it.
	c.t = c.t.Add(50 * time.Minute)
	if _, err := a.Session(tok); err != nil {
		t.Errorf("session ended while in use: %v", err)
	}
	c.t = c.t.Add(61 * time.Minute)
	if _, err := a.Session(tok); !errors.Is(err, ErrNoSession) {
		t.Errorf("idle session still valid: %v", err)
	}
	a.Logout(tok2)
	if _, err := a.Session(tok2); !errors.Is(err, ErrNoSession) {
		t.Errorf("session valid after logout: %v", err)
	}
	for _, tt := range []struct{ name, pw string }{{"lin", "wrong"}, {"nobody", "supervisor-pw"}, {"", ""}, {"amy", "supervisor-pw"}} {
		if _, _, err := a.Login(tt.name, tt.pw); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Login(%q, %q) = %v, want ErrBadCredentials", tt.name, tt.pw, err)
		}
	}
	if _, err := a.Session(""); !errors.Is(err, ErrNoSession) {
		t.Errorf("empty token: %v", err)
	}
}

func TestLockoutAfterRepeatedFailures(t *testing.T) {
	c := &clock{time.Unix(1_700_000_000, 0)}
	a := newAuth(t, c)
	for i := 0; i < maxFailures; i++ {
		if _, _, err := a.Login("amy", "guess"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	// Locked: even the right password waits.
	if _, _, err := a.Login("amy", "agent-pw-123"); !errors.Is(err, ErrTooManyTries) {
		t.Fatalf("after %d failures: %v, want ErrTooManyTries", maxFailures, err)
	}
	// Other accounts are not affected.
	if _, _, err := a.Login("lin", "supervisor-pw"); err != nil {
		t.Errorf("lin locked out by amy's failures: %v", err)
	}
	c.t = c.t.Add(lockout + time.Second)
	if _, _, err := a.Login("amy", "agent-pw-123"); err != nil {
		t.Errorf("still locked after the lockout: %v", err)
	}
	// Made-up names never enter the failure table.
	for i := 0; i < 20; i++ {
		a.Login("x"+string(rune('a'+i)), "pw")
	}
	if len(a.failures) != 0 {
		t.Errorf("failure table holds %d entries", len(a.failures))
	}
}

func TestSessionCap(t *testing.T) {
	c := &clock{time.Unix(1_700_000_000, 0)}
	a, err := New([]Account{{Name: "amy", Role: RoleAgent, Hash: hash(t, "agent-pw-123")}}, Options{MaxSessions: 2, TTL: time.Minute, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, _, err := a.Login("amy", "agent-pw-123"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := a.Login("amy", "agent-pw-123"); err == nil {
		t.Error("third session accepted past the cap")
	}
	c.t = c.t.Add(2 * time.Minute) // the first two expire and make room
	if _, _, err := a.Login("amy", "agent-pw-123"); err != nil {
		t.Errorf("no room after expiry: %v", err)
	}
}

func TestNewRejectsBadAccounts(t *testing.T) {
	good := hash(t, "password-1")
	tests := []struct {
		name string
		accs []Account
	}{
		{"no name", []Account{{Role: RoleAgent, Hash: good}}},
		{"duplicate", []Account{{Name: "a", Role: RoleAgent, Hash: good}, {Name: "a", Role: RoleSupervisor, Hash: good}}},
		{"no role", []Account{{Name: "a", Hash: good}}},
		{"plain password", []Account{{Name: "a", Role: RoleAgent, Hash: []byte("password-1")}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.accs, Options{}); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

func TestHash(t *testing.T) {
	if _, err := Hash("short"); err == nil {
		t.Error("7-character password accepted")
	}
	h, err := Hash("long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("long enough password")) != nil {
		t.Error("hash does not match its password")
	}
}

func TestContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Error("identity in an empty context")
	}
	id := Identity{Name: "lin", Role: RoleSupervisor}
	if got, ok := FromContext(NewContext(context.Background(), id)); !ok || got != id {
		t.Errorf("FromContext = %+v %v", got, ok)
	}
}
