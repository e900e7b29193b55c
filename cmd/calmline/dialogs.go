package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/calmline/calmline/call"
	"github.com/calmline/calmline/config"
	"github.com/calmline/calmline/dialog"
	"github.com/calmline/calmline/telephony"
)

// dialogs adapts the flow engine to what call.Session needs: it looks up the
// caller's profile, turns dialog actions into replies and transfers (with the expert
// queue's endpoints and the report URL), and fires the flow's webhook nodes.
type dialogs struct {
	engine    *dialog.Engine
	profiles  dialog.ProfileSource // may be nil
	queues    map[string]config.QueueConfig
	reportURL func(callID string) string
	client    *http.Client
	log       *slog.Logger
}

func (d *dialogs) newDialog(ctx context.Context, info telephony.CallInfo) (call.Dialog, error) {
	var prof *dialog.Profile
	if d.profiles != nil && info.CallerID != "" {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		p, err := d.profiles.Lookup(pctx, info.CallerID)
		cancel()
		if err != nil {
			// The caller is waiting: go on without personalisation.
			d.log.Warn("customer profile lookup failed; continuing without it", "call", info.ID, "err", err)
		}
		prof = p
	}
	conv := d.engine.NewConversation(dialog.Caller{
		CallID: info.ID, CallerID: info.CallerID, Lang: info.Lang, Channel: info.Channel.String(),
		Called: info.Called, Profile: prof,
	})
	return &conversation{d: d, c: conv, callID: info.ID}, nil
}

type conversation struct {
	d      *dialogs
	c      *dialog.Conversation
	callID string
}

func (c *conversation) Start(ctx context.Context) call.Reply { return c.reply(ctx, c.c.Start()) }

func (c *conversation) Turn(ctx context.Context, in call.Input) call.Reply {
	return c.reply(ctx, c.c.Turn(dialog.Input{
		Text: in.Text, DTMF: in.DTMF, NoInput: in.NoInput, NoMatch: in.NoMatch, ASRFailed: in.ASRFailed,
		Reading: in.Reading, Trajectory: in.Trajectory,
	}))
}

func (c *conversation) Expect() []string { return c.c.Expect() }

func (c *conversation) NumberKeys() int { return c.c.NumberKeys() }

func (c *conversation) TransferFailed(ctx context.Context) call.Reply {
	return c.reply(ctx, c.c.TransferFailed())
}

func (c *conversation) End(o call.Outcome) {
	c.c.End(dialog.Outcome{
		Reason: o.Reason, HandedOff: o.HandedOff, Queue: o.Queue,
		FinalLevel: o.FinalLevel, PeakLevel: o.PeakLevel, EmotionFell: o.EmotionFell,
	})
}

func (c *conversation) reply(ctx context.Context, a dialog.Action) call.Reply {
	if a.Webhook != nil {
		c.d.fire(ctx, c.callID, *a.Webhook)
	}
	r := call.Reply{Say: a.Reply, Lang: a.Lang, Style: a.Style}
	// Line is set only when the reply's words differ between variants: only such a
	// reply is an A/B trial. Variant is the call's arm, on every action.
	act := &call.Action{
		Type: a.Type.String(), Tier: a.Tier, Node: a.Node, Line: a.Line, Variant: a.Variant, Strategy: a.Strategy,
		Queue: a.Queue, Priority: a.Priority,
	}
	if a.Compensation != nil {
		act.Compensation = a.Compensation
	}
	if a.Report != nil {
		act.Report = a.Report
	}
	r.Action = act
	switch a.Type {
	case dialog.Handoff, dialog.Escalate:
		r.Next = call.TransferCall
		r.Transfer = c.d.transfer(c.callID, a)
	case dialog.Hangup:
		r.Next = call.HangupCall
	}
	return r
}

// transfer fills a handoff with the queue's experts from the server configuration
// (unless the flow names its own) and what the agent's side shows.
func (d *dialogs) transfer(callID string, a dialog.Action) *telephony.Transfer {
	t := &telephony.Transfer{Queue: a.Queue, Priority: a.Priority, Endpoints: a.Endpoints, Vars: map[string]string{}}
	if q, ok := d.queues[a.Queue]; ok {
		if len(t.Endpoints) == 0 {
			t.Endpoints = q.Endpoints
		}
		t.RingFor = q.RingFor
	}
	if d.reportURL != nil {
		t.ReportURL = d.reportURL(callID)
		t.Vars["CALMLINE_REPORT_URL"] = t.ReportURL
	}
	t.Vars["CALMLINE_CALL_ID"] = callID
	t.Vars["CALMLINE_TIER"] = a.Tier
	t.Vars["CALMLINE_PRIORITY"] = fmt.Sprint(a.Priority)
	if a.Report != nil {
		cur := a.Report.Trajectory.Current
		t.Vars["CALMLINE_LEVEL"] = cur.Level.String()
		t.Vars["CALMLINE_CATEGORY"] = cur.Category.String()
		t.Vars["CALMLINE_SUMMARY"] = a.Report.Summary
	}
	if a.Compensation != nil {
		t.Vars["CALMLINE_COMPENSATION"] = fmt.Sprintf("%s %g %s", a.Compensation.Kind, a.Compensation.Amount, a.Compensation.Unit)
	}
	return t
}

// fire calls a flow's webhook node in the background: the operator's system learns
// about the call without the caller waiting on it.
func (d *dialogs) fire(ctx context.Context, callID string, w dialog.WebhookCall) {
	body, err := json.Marshal(map[string]any{"call_id": callID, "name": w.Name, "vars": w.Vars})
	if err != nil {
		d.log.Error("encode flow webhook", "name", w.Name, "err", err)
		return
	}
	go func() {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(wctx, w.Method, w.URL, bytes.NewReader(body))
		if err != nil {
			d.log.Warn("flow webhook", "name", w.Name, "err", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := d.client.Do(req)
		if err != nil {
			d.log.Warn("flow webhook", "name", w.Name, "url", w.URL, "err", err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			d.log.Warn("flow webhook refused", "name", w.Name, "url", w.URL, "status", resp.Status)
		}
	}()
}
