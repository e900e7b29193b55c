// Package staff signs in the people who work a support line: agents who take
// handed-off callers and supervisors who watch live calls and listen in. A
// caller's browser needs no account; the consoles do, because they expose
// callers' words and voices.
//
// Accounts come from the configuration (bcrypt password hashes, like an
// htpasswd file); sessions live in memory and travel in an HttpOnly,
// SameSite=Strict cookie, so the pages need no token handling of their own and
// another site cannot ride on a signed-in browser.
package staff

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Role says what a signed-in person may do. Supervisors may do everything an
// agent may, so a shift lead can also take calls.
type Role int

const (
	// RoleUnknown is the zero value: no rights.
	RoleUnknown Role = iota
	// RoleAgent takes handed-off calls in the agent console.
	RoleAgent
	// RoleSupervisor watches live calls, listens in and reads the dashboards.
	RoleSupervisor
)

var roleNames = [...]string{"unknown", "agent", "supervisor"}

func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return fmt.Sprintf("Role(%d)", int(r))
	}
	return roleNames[r]
}

// ParseRole reads a role as written in the configuration.
func ParseRole(s string) (Role, error) {
	for i, n := range roleNames {
		if i > 0 && strings.EqualFold(s, n) {
			return Role(i), nil
		}
	}
	return RoleUnknown, fmt.Errorf("unknown role %q: want agent or supervisor", s)
}

// Allows reports whether someone with role r may act as role need.
func (r Role) Allows(need Role) bool { return need != RoleUnknown && r >= need }

// Identity is who made a request: the name goes into the audit log, so it
// comes from the sign-in, never from the request body.
type Identity struct {
	Name string `json:"name"`
	Role Role   `json:"-"`
}

type ctxKey struct{}

// NewContext returns ctx carrying id, for handlers further down the chain.
func NewContext(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the signed-in identity, if the request had one.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

// Account is one configured person.
type Account struct {
	Name string
	Role Role
	// Hash is a bcrypt hash of the password (`calmline staff hash` makes one).
	Hash []byte
}

// Options tunes the session store; the zero value is usable.
type Options struct {
	// TTL is how long a session lasts without use (default 12 h: a shift).
	TTL time.Duration
	// MaxSessions bounds memory against a flood of sign-ins (default 10000).
	MaxSessions int
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Auth checks passwords and keeps sessions. It is safe for concurrent use.
type Auth struct {
	accounts map[string]Account
	o        Options

	dummy []byte // hash compared for unknown names, as costly as a real one

	mu       sync.Mutex
	sessions map[string]*session
	failures map[string]*failure // per name, to slow password guessing
}

type session struct {
	id      Identity
	expires time.Time
}

type failure struct {
	n     int
	until time.Time
}

// maxFailures failed sign-ins for one name lock it for lockout.
const (
	maxFailures = 5
	lockout     = time.Minute
)

// New returns an Auth for accounts. Names are case-sensitive and unique.
func New(accounts []Account, o Options) (*Auth, error) {
	if o.TTL <= 0 {
		o.TTL = 12 * time.Hour
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &Auth{accounts: map[string]Account{}, o: o, sessions: map[string]*session{}, failures: map[string]*failure{}}
	for _, acc := range accounts {
		if acc.Name == "" {
			return nil, errors.New("staff: an account has no name")
		}
		if _, dup := a.accounts[acc.Name]; dup {
			return nil, fmt.Errorf("staff: account %q is listed twice", acc.Name)
		}
		if acc.Role == RoleUnknown {
			return nil, fmt.Errorf("staff: account %q has no role", acc.Name)
		}
		if _, err := bcrypt.Cost(acc.Hash); err != nil {
			return nil, fmt.Errorf("staff: account %q: password hash: %w", acc.Name, err)
		}
		a.accounts[acc.Name] = acc
	}
	// A sign-in with an unknown name compares against this hash, at the cost
	// the real accounts use, so response times do not reveal which names exist.
	cost := bcrypt.DefaultCost
	for _, acc := range a.accounts {
		cost, _ = bcrypt.Cost(acc.Hash)
		break
	}
	var err error
	if a.dummy, err = bcrypt.GenerateFromPassword([]byte("calmline: no such account"), cost); err != nil {
		return nil, fmt.Errorf("staff: prepare sign-in: %w", err)
	}
	return a, nil
}

// Login checks a password and opens a session, returning its token.
func (a *Auth) Login(name, password string) (string, Identity, error) {
	now := a.o.Now()
	a.mu.Lock()
	if f := a.failures[name]; f != nil && f.n >= maxFailures && now.Before(f.until) {
		a.mu.Unlock()
		return "", Identity{}, ErrTooManyTries
	}
	a.mu.Unlock()

	acc, ok := a.accounts[name]
	hash := acc.Hash
	if !ok {
		hash = a.dummy
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(password)); err != nil || !ok {
		a.mu.Lock()
		if ok { // count only real names, so the map cannot be filled with made-up ones
			f := a.failures[name]
			if f == nil {
				f = &failure{}
				a.failures[name] = f
			}
			if now.After(f.until) && f.n >= maxFailures {
				f.n = 0
			}
			f.n++
			f.until = now.Add(lockout)
		}
		a.mu.Unlock()
		return "", Identity{}, ErrBadCredentials
	}

	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Identity{}, fmt.Errorf("staff: make session token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw[:])
	id := Identity{Name: acc.Name, Role: acc.Role}
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.failures, name)
	if len(a.sessions) >= a.o.MaxSessions {
		a.pruneLocked(now)
		if len(a.sessions) >= a.o.MaxSessions {
			return "", Identity{}, errors.New("staff: too many open sessions")
		}
	}
	a.sessions[tok] = &session{id: id, expires: now.Add(a.o.TTL)}
	return tok, id, nil
}

// Session returns who holds token, extending the session's life.
func (a *Auth) Session(token string) (Identity, error) {
	if token == "" {
		return Identity{}, ErrNoSession
	}
	now := a.o.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[token]
	if s == nil {
		return Identity{}, ErrNoSession
	}
	if now.After(s.expires) {
		delete(a.sessions, token)
		return Identity{}, ErrNoSession
	}
	s.expires = now.Add(a.o.TTL)
	return s.id, nil
}

// Logout ends the session behind token; an unknown token is not an error.
func (a *Auth) Logout(token string) {
	a.mu.Lock()
	delete(a.sessions, token)
	a.mu.Unlock()
}

func (a *Auth) pruneLocked(now time.Time) {
	for t, s := range a.sessions {
		if now.After(s.expires) {
			delete(a.sessions, t)
		}
	}
}

// Hash makes the bcrypt hash of password for the configuration file.
func Hash(password string) (string, error) {
	if len(password) < 8 {
		return "", errors.New("staff: a password needs at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("staff: hash password: %w", err)
	}
	return string(h), nil
}
