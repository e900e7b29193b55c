package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/calmline/calmline/emotion"
	"github.com/calmline/calmline/staff"
	"github.com/calmline/calmline/store"
	"github.com/calmline/calmline/telephony"
)

// Store is what the REST API reads and writes (store.DB satisfies it).
type Store interface {
	Calls(ctx context.Context, f store.CallFilter) ([]store.Call, error)
	Call(ctx context.Context, id string) (store.Call, error)
	Heatmap(ctx context.Context, from, to time.Time) ([]store.HeatCell, error)
	ABResults(ctx context.Context, from, to time.Time) ([]store.ABResult, error)
	AddFeedback(ctx context.Context, f store.Feedback) (int64, error)
	Feedback(ctx context.Context, since time.Time) ([]store.Feedback, error)
	Audit(ctx context.Context, e store.AuditEntry) error
	AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error)
}

// MountStoreAPI adds the routes that read call history: CRM and ticket systems pull
// calls and transcripts, dashboards read the heatmap and A/B results, supervisors
// post corrections that feed `calmline emotion refit`.
func (s *Server) MountStoreAPI(st Store) {
	a := &api{st: st, s: s}
	s.Handle("GET /v1/calls", http.HandlerFunc(a.calls), true)
	s.Handle("GET /v1/calls/{id}", http.HandlerFunc(a.call), true)
	s.Handle("GET /v1/heatmap", http.HandlerFunc(a.heatmap), true)
	s.Handle("GET /v1/ab", http.HandlerFunc(a.ab), true)
	s.Handle("POST /v1/feedback", http.HandlerFunc(a.addFeedback), true)
	s.Handle("GET /v1/feedback", http.HandlerFunc(a.feedback), true)
	s.Handle("GET /v1/audit", http.HandlerFunc(a.audit), true)
}

type api struct {
	st Store
	s  *Server
}

// timeRange reads ?from=&to= (RFC 3339 or YYYY-MM-DD); the default is the last 7 days.
// parseWhen reads a time parameter: RFC 3339 or a date.
func parseWhen(name, v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New(name + ": want RFC 3339 (2026-11-24T08:00:00Z) or a date (2026-11-24)")
}

func timeRange(r *http.Request) (from, to time.Time, err error) {
	to = time.Now().UTC()
	from = to.Add(-7 * 24 * time.Hour)
	parse := func(name string, dst *time.Time) error {
		v := r.URL.Query().Get(name)
		if v == "" {
			return nil
		}
		t, err := parseWhen(name, v)
		if err == nil {
			*dst = t
		}
		return err
	}
	if err := parse("from", &from); err != nil {
		return from, to, err
	}
	if err := parse("to", &to); err != nil {
		return from, to, err
	}
	if !from.Before(to) {
		return from, to, errors.New("from must be before to")
	}
	return from, to, nil
}

func intParam(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errors.New(name + ": want a non-negative whole number")
	}
	return n, nil
}

func (a *api) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, store.ErrNotFound) {
		Error(w, http.StatusNotFound, "not found")
		return
	}
	if errors.Is(err, store.ErrNoKey) || errors.Is(err, store.ErrDecrypt) {
		// Rows sealed with a key this server was not started with: the operator's
		// fix, not a bug; say so rather than "store error".
		a.s.o.Logger.Error("store query: encrypted rows", "err", err)
		Error(w, http.StatusServiceUnavailable, "some rows are encrypted with a store key this server does not have (CALMLINE_STORE_KEY)")
		return
	}
	a.s.o.Logger.Error("store query", "err", err)
	Error(w, http.StatusInternalServerError, "store error")
}

func (a *api) calls(w http.ResponseWriter, r *http.Request) {
	from, to, err := timeRange(r)
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	f := store.CallFilter{From: from, To: to}
	if c := r.URL.Query().Get("channel"); c != "" {
		if f.Channel, err = telephony.ParseChannel(c); err != nil {
			Error(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if l := r.URL.Query().Get("min_level"); l != "" {
		if f.Level, err = emotion.ParseLevel(l); err != nil {
			Error(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if f.Limit, err = intParam(r, "limit"); err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if f.Offset, err = intParam(r, "offset"); err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	calls, err := a.st.Calls(r.Context(), f)
	if err != nil {
		a.fail(w, err)
		return
	}
	JSON(w, http.StatusOK, list(calls))
}

func (a *api) call(w http.ResponseWriter, r *http.Request) {
	c, err := a.st.Call(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	JSON(w, http.StatusOK, c)
}

func (a *api) heatmap(w http.ResponseWriter, r *http.Request) {
	from, to, err := timeRange(r)
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	cells, err := a.st.Heatmap(r.Context(), from, to)
	if err != nil {
		a.fail(w, err)
		return
	}
	JSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "cells": list(cells)})
}

func (a *api) ab(w http.ResponseWriter, r *http.Request) {
	from, to, err := timeRange(r)
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := a.st.ABResults(r.Context(), from, to)
	if err != nil {
		a.fail(w, err)
		return
	}
	JSON(w, http.StatusOK, list(res))
}

// feedbackBody is a human correction: what the caller really felt at a turn.
type feedbackBody struct {
	CallID    string `json:"call_id"`
	TurnSeq   int    `json:"turn_seq"`
	ReadingID int64  `json:"reading_id"`
	Category  string `json:"category"`
	Level     string `json:"level"`
	Who       string `json:"who"`
	Note      string `json:"note"`
}

func (a *api) addFeedback(w http.ResponseWriter, r *http.Request) {
	var b feedbackBody
	if err := DecodeJSON(r, &b, 16<<10); err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	cat, err := emotion.ParseCategory(b.Category)
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	lvl, err := emotion.ParseLevel(b.Level)
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if id, ok := staff.FromContext(r.Context()); ok {
		b.Who = id.Name // a signed-in correction is filed under its author
	}
	if b.CallID == "" || b.TurnSeq < 1 || b.Who == "" {
		Error(w, http.StatusBadRequest, "call_id, turn_seq (from 1) and who are required")
		return
	}
	id, err := a.st.AddFeedback(r.Context(), store.Feedback{
		CallID: b.CallID, TurnSeq: b.TurnSeq, ReadingID: b.ReadingID, Category: cat, Level: lvl,
		Who: b.Who, Note: b.Note, At: time.Now().UTC(),
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			Error(w, http.StatusNotFound, "no such call, turn of that call, or reading of that turn")
			return
		}
		a.fail(w, err)
		return
	}
	JSON(w, http.StatusCreated, map[string]int64{"id": id})
}

func (a *api) feedback(w http.ResponseWriter, r *http.Request) {
	from, _, err := timeRange(r)
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if v := r.URL.Query().Get("since"); v != "" {
		// since= is what store.Feedback and refit --since call it; accept it too.
		if from, err = parseWhen("since", v); err != nil {
			Error(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	fb, err := a.st.Feedback(r.Context(), from)
	if err != nil {
		a.fail(w, err)
		return
	}
	JSON(w, http.StatusOK, list(fb))
}

func (a *api) audit(w http.ResponseWriter, r *http.Request) {
	from, to, err := timeRange(r)
	if err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	q := r.URL.Query()
	f := store.AuditFilter{From: from, To: to, Who: q.Get("who"), Action: q.Get("action"), CallID: q.Get("call")}
	if f.Limit, err = intParam(r, "limit"); err != nil {
		Error(w, http.StatusBadRequest, err.Error())
		return
	}
	entries, err := a.st.AuditLog(r.Context(), f)
	if err != nil {
		a.fail(w, err)
		return
	}
	JSON(w, http.StatusOK, list(entries))
}

// list makes an empty result an empty JSON array rather than null, for clients that loop.
func list[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
