package ari

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type registerer = prometheus.Registerer

type metrics struct {
	calls      prometheus.Counter
	active     prometheus.Gauge
	reconnects prometheus.Counter
	events     *prometheus.CounterVec
	badEvents  prometheus.Counter
	transfers  *prometheus.CounterVec
	listenIns  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		calls:      prometheus.NewCounter(prometheus.CounterOpts{Name: "calmline_ari_calls_total", Help: "Calls that entered the Stasis app."}),
		active:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "calmline_ari_active_calls", Help: "Calls in progress over ARI."}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "calmline_ari_reconnects_total", Help: "Times the ARI events WebSocket was re-established."}),
		events:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "calmline_ari_events_total", Help: "ARI events received, by type."}, []string{"type"}),
		badEvents:  prometheus.NewCounter(prometheus.CounterOpts{Name: "calmline_ari_bad_events_total", Help: "ARI events that could not be decoded."}),
		transfers:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "calmline_ari_transfers_total", Help: "Handoffs to human experts, by result."}, []string{"result"}),
		listenIns:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "calmline_ari_listen_ins_total", Help: "Supervisor listen-ins, by mode."}, []string{"mode"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.calls, m.active, m.reconnects, m.events, m.badEvents, m.transfers, m.listenIns} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
}
